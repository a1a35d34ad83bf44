"""Number of records, optionally only those with values in given columns."""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import Field

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .variables import Variable


class CountParams(AnalysisParams):
    columns: list[str] = Field(default_factory=list, max_length=100)


class CountAnalysis(Analysis[CountParams]):
    name = "count"
    params_model = CountParams

    def variables(self, params: CountParams) -> list[Variable]:
        return []

    def extra_columns(self, params: CountParams) -> list[str]:
        return list(params.columns)

    def elements(self, params: CountParams, max_rows: int) -> list[Element]:
        return [Element("n", float(max_rows), integer=True)]

    def compute(self, frame: pl.DataFrame, params: CountParams) -> FloatVector:
        return np.array([frame.height], dtype=np.float64)

    def release(self, vector: FloatVector, params: CountParams, k: int) -> Release:
        n = int(vector[0])
        require_cohort(n, k)
        return Release(n=n, values={"count": n})
