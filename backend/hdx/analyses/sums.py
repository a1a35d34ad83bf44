"""Sum of one bounded variable."""

from __future__ import annotations

import numpy as np
import polars as pl

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .variables import Variable


class SumParams(AnalysisParams):
    variable: Variable


class SumAnalysis(Analysis[SumParams]):
    name = "sum"
    params_model = SumParams

    def variables(self, params: SumParams) -> list[Variable]:
        return [params.variable]

    def elements(self, params: SumParams, max_rows: int) -> list[Element]:
        return [
            Element("n", float(max_rows), integer=True),
            Element(f"sum[{params.variable.name}]", max_rows * params.variable.magnitude),
        ]

    def compute(self, frame: pl.DataFrame, params: SumParams) -> FloatVector:
        values = frame.get_column(params.variable.name).to_numpy()
        return np.array([frame.height, values.sum()], dtype=np.float64)

    def release(self, vector: FloatVector, params: SumParams, k: int) -> Release:
        n = int(vector[0])
        require_cohort(n, k)
        return Release(n=n, values={"variable": params.variable.name, "sum": float(vector[1])})
