"""The dataset vault: validated uploads, pseudonymized and encrypted at rest."""
