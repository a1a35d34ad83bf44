"""Mean of one bounded variable."""

from __future__ import annotations

import numpy as np
import polars as pl

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .variables import Variable


class MeanParams(AnalysisParams):
    variable: Variable


class MeanAnalysis(Analysis[MeanParams]):
    """Sums deviations from the middle of the bounds: half the range of raw values, so the fixed-point
    encoding keeps more fractional bits."""

    name = "mean"
    params_model = MeanParams

    def variables(self, params: MeanParams) -> list[Variable]:
        return [params.variable]

    def elements(self, params: MeanParams, max_rows: int) -> list[Element]:
        variable = params.variable
        return [
            Element("n", float(max_rows), integer=True),
            Element(f"sum_centered[{variable.name}]", max_rows * variable.half_width),
        ]

    def compute(self, frame: pl.DataFrame, params: MeanParams) -> FloatVector:
        values = frame.get_column(params.variable.name).to_numpy() - params.variable.center
        return np.array([frame.height, values.sum()], dtype=np.float64)

    def release(self, vector: FloatVector, params: MeanParams, k: int) -> Release:
        n = int(vector[0])
        require_cohort(n, k)
        mean = params.variable.center + vector[1] / n
        return Release(n=n, values={"variable": params.variable.name, "mean": float(mean)})
