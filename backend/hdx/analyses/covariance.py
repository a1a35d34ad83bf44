"""Covariance and correlation matrices of several bounded variables (rows complete in all of them)."""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import Field, field_validator

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .errors import AnalysisError
from .matrices import pack_upper, triangle_size, unpack_symmetric, upper_bounds, upper_names
from .variables import Variable, require_distinct


class CovarianceParams(AnalysisParams):
    variables: list[Variable] = Field(min_length=2, max_length=50)

    @field_validator("variables")
    @classmethod
    def _distinct(cls, variables: list[Variable]) -> list[Variable]:
        require_distinct([v.name for v in variables], "variables")
        return variables


class CovarianceAnalysis(Analysis[CovarianceParams]):
    """Sums and cross-products of deviations from the middle of each variable's bounds, which keeps
    the cross-products small and the centred covariance free of most cancellation."""

    name = "covariance"
    params_model = CovarianceParams

    def variables(self, params: CovarianceParams) -> list[Variable]:
        return list(params.variables)

    def elements(self, params: CovarianceParams, max_rows: int) -> list[Element]:
        names = [v.name for v in params.variables]
        widths = [v.half_width for v in params.variables]
        return [
            Element("n", float(max_rows), integer=True),
            *(Element(f"sum_centered[{v.name}]", max_rows * v.half_width) for v in params.variables),
            *(
                Element(name, max_rows * bound)
                for name, bound in zip(upper_names("xx_centered", names), upper_bounds(widths), strict=True)
            ),
        ]

    def compute(self, frame: pl.DataFrame, params: CovarianceParams) -> FloatVector:
        centers = np.array([v.center for v in params.variables])
        values = frame.select(v.name for v in params.variables).to_numpy().astype(np.float64) - centers
        return np.concatenate([[frame.height], values.sum(axis=0), pack_upper(values.T @ values)])

    def release(self, vector: FloatVector, params: CovarianceParams, k: int) -> Release:
        size = len(params.variables)
        n = int(vector[0])
        require_cohort(n, k)
        if n < 2:
            raise AnalysisError("a covariance needs at least 2 records")
        sums = vector[1 : 1 + size]
        products = unpack_symmetric(vector[1 + size : 1 + size + triangle_size(size)], size)
        covariance = (products - np.outer(sums, sums) / n) / (n - 1)
        # Noise (differential privacy) can take a variance below zero, which no variance is; clamping it is
        # post-processing of the noised output. Exact sums never need it.
        np.fill_diagonal(covariance, np.maximum(np.diag(covariance), 0.0))
        scale = np.sqrt(np.diag(covariance))
        if np.any(scale == 0):
            constant = [v.name for v, s in zip(params.variables, scale, strict=True) if s == 0]
            raise AnalysisError(
                f"no correlation with a constant variable: {', '.join(constant)} (a variance of 0, or one "
                "that differential-privacy noise took below 0)"
            )
        correlation = np.clip(covariance / np.outer(scale, scale), -1.0, 1.0)
        np.fill_diagonal(correlation, 1.0)
        centers = np.array([v.center for v in params.variables])
        return Release(
            n=n,
            values={
                "variables": [v.name for v in params.variables],
                "means": (centers + sums / n).tolist(),
                "covariance": covariance.tolist(),
                "correlation": correlation.tolist(),
            },
        )
