"""Differential privacy: sensitivities from the analyses' declared bounds, OpenDP-calibrated noise for
the central and the distributed mode (pure library: sensitivity, mechanisms, distributed), and the
per-dataset privacy-budget ledger in the database (models, repository, service, endpoints)."""
