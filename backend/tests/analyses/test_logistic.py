from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from hdx.analyses import AnalysisError, get_analysis
from hdx.analyses.logistic import LOGISTIC, LogisticParams, fit_logistic
from tests.analyses.federation import breast_cancer, split, summed

FEATURES = ["mean radius", "mean texture", "mean smoothness", "mean concave points", "worst symmetry"]


def standardized() -> pl.DataFrame:
    frame = breast_cancer()
    return frame.with_columns((pl.col(c) - pl.col(c).mean()) / pl.col(c).std() for c in FEATURES)


CANCER = standardized()


def request(**extra: Any) -> LogisticParams:
    return LOGISTIC.parse(
        {"outcome": "target", "covariates": [{"name": c, "lo": -8, "hi": 8} for c in FEATURES], **extra}
    )


@pytest.mark.parametrize("parts", [3, 5])
def test_federated_newton_equals_statsmodels_logit_on_pooled_data(parts: int) -> None:
    x = sm.add_constant(CANCER.select(FEATURES).to_numpy())
    reference = sm.Logit(CANCER.get_column("target").to_numpy(), x).fit(disp=0, tol=1e-12)
    parties = split(CANCER, parts, seed=parts)
    sums_taken: list[LogisticParams] = []

    def secure_sum(params: LogisticParams) -> np.ndarray:
        sums_taken.append(params)
        return summed(LOGISTIC, params, parties, k=5)

    result = fit_logistic(request(), secure_sum, k=5)

    values = result.values
    assert values["converged"] is True
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    np.testing.assert_allclose(values["odds_ratios"], np.exp(reference.params), rtol=1e-6)
    assert values["log_likelihood"] == pytest.approx(reference.llf, rel=1e-9)
    assert values["iterations"] == len(sums_taken) < 20
    assert result.n == CANCER.height


def test_one_finalize_is_one_newton_update_from_the_given_beta() -> None:
    parties = split(CANCER, 3)
    start = request()
    first = LOGISTIC.finalize(summed(LOGISTIC, start, parties, k=5), start, k=5)
    coefficients = first.values["coefficients"]
    assert isinstance(coefficients, list)

    second_params = request(beta=coefficients)
    second = LOGISTIC.finalize(summed(LOGISTIC, second_params, parties, k=5), second_params, k=5)

    assert first.values["converged"] is False
    assert first.values["evaluated_at"] == [0.0] * 6
    assert second.values["evaluated_at"] == coefficients
    assert second.values["log_likelihood"] > first.values["log_likelihood"]


def test_layout_bounds_hold_at_the_evaluated_beta() -> None:
    params = request(beta=[0.5, -3.0, -1.5, -0.5, -3.0, 0.0])
    part = split(CANCER, 3)[0]

    contribution = LOGISTIC.local(part, params, k=5)
    bounds = LOGISTIC.layout(params, part.height).bounds

    assert np.all(np.abs(contribution.vector) <= bounds)


def test_non_binary_outcomes_and_wrong_beta_lengths_are_rejected() -> None:
    with pytest.raises(AnalysisError, match="values other than 0 and 1"):
        LOGISTIC.local(CANCER.with_columns(pl.col("target") * 2), request(), k=5)
    with pytest.raises(ValueError, match="beta needs 6 values"):
        request(beta=[0.0, 1.0])
    assert get_analysis("logistic") is LOGISTIC


def test_a_run_that_cannot_converge_in_time_fails_clearly() -> None:
    parties = split(CANCER, 3)

    with pytest.raises(AnalysisError, match="did not converge in 2 iterations"):
        fit_logistic(request(max_iterations=2), lambda p: summed(LOGISTIC, p, parties, k=5), k=5)
