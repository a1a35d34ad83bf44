"""Secure computations: lifecycle, invitations, the round-message relay and results."""
