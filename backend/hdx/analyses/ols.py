"""Ordinary least squares from the sufficient statistics X'X, X'y, y'y and n."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from pydantic import JsonValue

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .design import DesignParams
from .disclosure import require_cohort
from .errors import AnalysisError
from .matrices import pack_upper, triangle_size, unpack_symmetric, upper_bounds, upper_names
from .variables import Variable


class OlsParams(AnalysisParams, DesignParams):
    outcome: Variable


class OlsAnalysis(Analysis[OlsParams]):
    name = "ols"
    params_model = OlsParams

    def variables(self, params: OlsParams) -> list[Variable]:
        return [params.outcome, *params.covariates]

    def elements(self, params: OlsParams, max_rows: int) -> list[Element]:
        terms, magnitudes = params.terms(), params.magnitudes()
        y = params.outcome.magnitude
        return [
            Element("n", float(max_rows), integer=True),
            *(
                Element(name, max_rows * bound)
                for name, bound in zip(upper_names("xx", terms), upper_bounds(magnitudes), strict=True)
            ),
            *(Element(f"xy[{t}]", max_rows * m * y) for t, m in zip(terms, magnitudes, strict=True)),
            Element("yy", max_rows * y * y),
            Element("sum_y", max_rows * y),
        ]

    def compute(self, frame: pl.DataFrame, params: OlsParams) -> FloatVector:
        x = params.design(frame)
        y = frame.get_column(params.outcome.name).to_numpy().astype(np.float64)
        return np.concatenate([[frame.height], pack_upper(x.T @ x), x.T @ y, [y @ y, y.sum()]])

    def release(self, vector: FloatVector, params: OlsParams, k: int) -> Release:
        from scipy import stats  # imported on use: scipy adds ~75 MiB to every server process

        terms = params.terms()
        p = len(terms)
        n = int(vector[0])
        require_cohort(n, k)
        if n <= p:
            raise AnalysisError(f"a regression with {p} coefficients needs more than {p} records")
        size = triangle_size(p)
        xx = unpack_symmetric(vector[1 : 1 + size], p)
        xy = vector[1 + size : 1 + size + p]
        yy, sum_y = float(vector[1 + size + p]), float(vector[2 + size + p])
        try:
            inverse = np.linalg.inv(xx)
        except np.linalg.LinAlgError:
            raise AnalysisError("the covariates are collinear (X'X is singular)") from None
        beta = inverse @ xy
        residual = max(yy - float(beta @ xy), 0.0)
        df_resid = n - p
        sigma2 = residual / df_resid
        errors = np.sqrt(np.diag(inverse) * sigma2)
        t_values = beta / errors
        p_values = 2 * stats.t.sf(np.abs(t_values), df_resid)
        # Without a constant the model is compared with zero, as statsmodels does.
        total = yy - sum_y * sum_y / n if params.intercept else yy
        r_squared = 1 - residual / total
        df_model = p - 1 if params.intercept else p
        adjusted = 1 - (1 - r_squared) * (n - (1 if params.intercept else 0)) / df_resid
        return Release(
            n=n,
            values={
                "outcome": params.outcome.name,
                "terms": list[JsonValue](terms),
                "coefficients": beta.tolist(),
                "std_errors": errors.tolist(),
                "t_values": t_values.tolist(),
                "p_values": p_values.tolist(),
                "r_squared": r_squared,
                "adj_r_squared": adjusted,
                "sigma": math.sqrt(sigma2),
                "df_model": df_model,
                "df_resid": df_resid,
            },
        )
