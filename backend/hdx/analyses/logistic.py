"""Logistic regression by federated Newton iterations: at the current coefficients each party sums
its gradient, Hessian and log-likelihood; one secure sum per iteration drives the update. Inside a
computation the exchange runs the iterations (hdx.computations.iterations): each one is a complete
protocol run at the coefficients the previous one gave, and only the converged result is released."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import Field, JsonValue, ValidationError, field_validator, model_validator

from .base import Analysis, AnalysisParams, Element, FloatVector, Release, Result, with_iterations
from .design import DesignParams
from .disclosure import require_cohort
from .errors import AnalysisError
from .matrices import pack_upper, triangle_size, unpack_symmetric, upper_bounds, upper_names
from .variables import MAX_MAGNITUDE, Variable


class LogisticParams(AnalysisParams, DesignParams):
    """`outcome` is a 0/1 column; `beta` holds the coefficients the current iteration evaluates at
    (zeros when absent), in the order of `terms()`."""

    outcome: str = Field(min_length=1, max_length=200)
    beta: list[float] | None = None
    tolerance: float = Field(default=1e-10, gt=0, le=1e-2)
    max_iterations: int = Field(default=50, ge=1, le=200)

    @field_validator("beta")
    @classmethod
    def _beta_representable(cls, beta: list[float] | None) -> list[float] | None:
        if beta is not None and not all(math.isfinite(b) and abs(b) <= MAX_MAGNITUDE for b in beta):
            raise ValueError(
                f"beta must be finite, each value at most 2^45 = {MAX_MAGNITUDE:.0f} in magnitude"
            )
        return beta

    @model_validator(mode="after")
    def _beta_fits_terms(self) -> LogisticParams:
        if self.outcome in (v.name for v in self.covariates):
            raise ValueError("the outcome cannot also be a covariate")
        if self.beta is not None:
            if len(self.beta) != len(self.terms()):
                raise ValueError(f"beta needs {len(self.terms())} values, one per term {self.terms()}")
        return self

    def coefficients(self) -> FloatVector:
        return np.zeros(len(self.terms())) if self.beta is None else np.array(self.beta, dtype=np.float64)


@dataclass(frozen=True)
class NewtonStep:
    """The summed statistics at `beta`, and the Newton update they give."""

    n: int
    beta: FloatVector
    updated: FloatVector
    covariance: npt.NDArray[np.float64]
    log_likelihood: float
    converged: bool


class LogisticAnalysis(Analysis[LogisticParams]):
    name = "logistic"
    params_model = LogisticParams
    iteration_fields = frozenset({"beta"})

    def variables(self, params: LogisticParams) -> list[Variable]:
        return list(params.covariates)

    def extra_columns(self, params: LogisticParams) -> list[str]:
        return [params.outcome]

    def elements(self, params: LogisticParams, max_rows: int) -> list[Element]:
        terms, magnitudes = params.terms(), params.magnitudes()
        # |x'beta| is at most this, and a row's log-likelihood lies in [-(that + log 2), 0].
        linear = float(np.abs(params.coefficients()) @ np.array(magnitudes))
        return [
            Element("n", float(max_rows), integer=True),
            *(Element(f"gradient[{t}]", max_rows * m) for t, m in zip(terms, magnitudes, strict=True)),
            # Each row's weight p(1-p) is at most 1/4.
            *(
                Element(name, max_rows * bound / 4)
                for name, bound in zip(upper_names("hessian", terms), upper_bounds(magnitudes), strict=True)
            ),
            Element("log_likelihood", max_rows * (linear + math.log(2))),
        ]

    def select_rows(self, frame: pl.DataFrame, params: LogisticParams) -> pl.DataFrame:
        outcome = frame.get_column(params.outcome)
        if not (outcome.dtype.is_numeric() or outcome.dtype == pl.Boolean):
            raise AnalysisError(f"outcome column {params.outcome!r} is {outcome.dtype}, not 0/1")
        if not outcome.cast(pl.Float64).is_in([0.0, 1.0]).all():
            raise AnalysisError(f"outcome column {params.outcome!r} holds values other than 0 and 1")
        return frame

    def compute(self, frame: pl.DataFrame, params: LogisticParams) -> FloatVector:
        x = params.design(frame)
        y = frame.get_column(params.outcome).cast(pl.Float64).to_numpy()
        eta = x @ params.coefficients()
        probability = 1 / (1 + np.exp(-eta))
        weight = probability * (1 - probability)
        # log(1 + e^eta) without overflow for large |eta|.
        log_likelihood = float(np.sum(y * eta - np.logaddexp(0, eta)))
        hessian = (x * weight[:, None]).T @ x
        return np.concatenate(
            [[frame.height], x.T @ (y - probability), pack_upper(hessian), [log_likelihood]]
        )

    def newton_step(self, vector: FloatVector, params: LogisticParams, k: int) -> NewtonStep:
        p = len(params.terms())
        n = int(vector[0])
        require_cohort(n, k)
        gradient = vector[1 : 1 + p]
        hessian = unpack_symmetric(vector[1 + p : 1 + p + triangle_size(p)], p)
        try:
            covariance = np.linalg.inv(hessian).astype(np.float64)
        except np.linalg.LinAlgError:
            raise AnalysisError(
                "the Hessian is singular: the covariates are collinear or separate the outcome perfectly"
            ) from None
        step = covariance @ gradient
        beta = params.coefficients()
        return NewtonStep(
            n=n,
            beta=beta,
            updated=beta + step,
            covariance=covariance,
            log_likelihood=float(vector[-1]),
            converged=bool(np.max(np.abs(step)) <= params.tolerance * (1 + np.max(np.abs(beta)))),
        )

    def release(self, vector: FloatVector, params: LogisticParams, k: int) -> Release:
        """Coefficients after one update; standard errors from the Hessian at the evaluated point,
        which the update moves by less than the tolerance once converged."""
        from scipy import stats  # imported on use: scipy adds ~75 MiB to every server process

        step = self.newton_step(vector, params, k)
        errors = np.sqrt(np.diag(step.covariance))
        z_values = step.updated / errors
        values: dict[str, JsonValue] = {
            "outcome": params.outcome,
            "terms": [*params.terms()],
            "coefficients": step.updated.tolist(),
            "std_errors": errors.tolist(),
            "z_values": z_values.tolist(),
            "p_values": (2 * stats.norm.sf(np.abs(z_values))).tolist(),
            "odds_ratios": np.exp(step.updated).tolist(),
            "log_likelihood": step.log_likelihood,
            "evaluated_at": step.beta.tolist(),
            "converged": step.converged,
        }
        return Release(n=step.n, values=values)

    def next_iteration(self, result: Result, params: LogisticParams, iteration: int) -> LogisticParams | None:
        """Stop once converged; otherwise evaluate next at the updated coefficients, up to max_iterations."""
        if result.values["converged"]:
            return None
        if iteration >= params.max_iterations:
            raise AnalysisError(f"logistic regression did not converge in {params.max_iterations} iterations")
        try:
            return self.parse(params.model_dump(mode="json") | {"beta": result.values["coefficients"]})
        except ValidationError:
            raise AnalysisError(
                "the Newton update gave coefficients that are not finite or exceed 2^45 in magnitude: the "
                "fit diverges (the covariates may separate the outcome perfectly)"
            ) from None


LOGISTIC = LogisticAnalysis()


def fit_logistic(
    params: LogisticParams, summed_at: Callable[[LogisticParams], FloatVector], *, k: int
) -> Result:
    """Run Newton iterations to convergence. `summed_at` returns the element-wise sum of every party's
    `LOGISTIC.local` vector for the given parameters (their `beta` set to the current coefficients).
    The result adds `iterations`, the number of secure sums it took."""
    current: LogisticParams | None = params
    iteration = 0
    while current is not None:
        iteration += 1
        result = LOGISTIC.finalize(np.asarray(summed_at(current), dtype=np.float64), current, k=k)
        current = LOGISTIC.next_iteration(result, current, iteration)
    return with_iterations(result, iteration)
