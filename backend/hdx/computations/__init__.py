"""Secure computations: lifecycle, invitations, the round-message relay and results."""

from hdx.computations.coordinators import install

# Registered on import so the API, the deadline sweeps and the worker all find the coordinators.
install()
