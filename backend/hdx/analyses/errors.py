"""Errors an analysis raises; their messages are written for the requester to read."""

from __future__ import annotations


class AnalysisError(ValueError):
    """The request does not fit the analysis or the data (bad parameters, missing column, wrong type)."""


class DisclosureError(AnalysisError):
    """Answering would expose fewer than k records, so the agent or the exchange refuses."""
