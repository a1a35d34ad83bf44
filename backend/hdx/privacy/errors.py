"""Errors of the pure privacy library; the web layer maps them to responses."""

from __future__ import annotations


class PrivacyError(ValueError):
    """Privacy parameters that cannot be met (a non-positive epsilon, a delta outside (0, 1), a vector
    that does not fit its layout)."""
