"""Mean, sample variance and standard deviation of one bounded variable."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .errors import AnalysisError
from .variables import Variable


class VarianceParams(AnalysisParams):
    variable: Variable


class VarianceAnalysis(Analysis[VarianceParams]):
    """Sums of deviations from the middle of the bounds and of their squares: centring keeps the sum of
    squares small and avoids most of the cancellation in sum(x^2) - sum(x)^2 / n."""

    name = "variance"
    params_model = VarianceParams

    def variables(self, params: VarianceParams) -> list[Variable]:
        return [params.variable]

    def elements(self, params: VarianceParams, max_rows: int) -> list[Element]:
        variable = params.variable
        return [
            Element("n", float(max_rows), integer=True),
            Element(f"sum_centered[{variable.name}]", max_rows * variable.half_width),
            Element(f"sumsq_centered[{variable.name}]", max_rows * variable.half_width**2),
        ]

    def compute(self, frame: pl.DataFrame, params: VarianceParams) -> FloatVector:
        values = frame.get_column(params.variable.name).to_numpy() - params.variable.center
        return np.array([frame.height, values.sum(), np.dot(values, values)], dtype=np.float64)

    def release(self, vector: FloatVector, params: VarianceParams, k: int) -> Release:
        n = int(vector[0])
        require_cohort(n, k)
        if n < 2:
            raise AnalysisError("a sample variance needs at least 2 records")
        total, squares = float(vector[1]), float(vector[2])
        variance = max(squares - total * total / n, 0.0) / (n - 1)
        return Release(
            n=n,
            values={
                "variable": params.variable.name,
                "mean": params.variable.center + total / n,
                "variance": variance,
                "std": math.sqrt(variance),
            },
        )
