"""Errors an analysis raises; their messages are written for the requester to read."""

from __future__ import annotations


class AnalysisError(ValueError):
    """The request does not fit the analysis or the data (bad parameters, missing column, wrong type)."""


class DisclosureError(AnalysisError):
    """Answering would expose fewer than k records, so the agent or the exchange refuses."""


class MissingColumns(AnalysisError):
    """The dataset lacks columns the analysis or its filters read."""

    def __init__(self, columns: list[str]) -> None:
        super().__init__(f"the dataset has no column {', '.join(map(repr, columns))}")
        self.columns = columns
