from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from hdx.analyses import AnalysisError, get_analysis
from hdx.crypto.encoding import RING_MODULUS
from hdx.crypto.field import FIELD_PRIME
from tests.analyses.federation import diabetes, federated, federated_encoded, split

DIABETES = diabetes()
COVARIATES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
BOUNDS = {
    "age": (0, 120),
    "sex": (1, 2),
    "bmi": (10, 60),
    "bp": (40, 200),
    "s1": (50, 400),
    "s2": (20, 300),
    "s3": (10, 120),
    "s4": (1, 12),
    "s5": (2, 8),
    "s6": (40, 160),
    "target": (0, 400),
}


def variable(name: str) -> dict[str, object]:
    lo, hi = BOUNDS[name]
    return {"name": name, "lo": lo, "hi": hi}


@pytest.mark.parametrize(("parts", "intercept"), [(3, True), (5, True), (4, False)])
def test_ols_equals_statsmodels_on_pooled_data(parts: int, intercept: bool) -> None:
    x = DIABETES.select(COVARIATES).to_numpy()
    y = DIABETES.get_column("target").to_numpy()
    reference = sm.OLS(y, sm.add_constant(x) if intercept else x).fit()

    result = federated(
        get_analysis("ols"),
        {
            "outcome": variable("target"),
            "covariates": [variable(c) for c in COVARIATES],
            "intercept": intercept,
        },
        split(DIABETES, parts, seed=parts),
    )

    values = result.values
    assert values["terms"] == (["const"] if intercept else []) + COVARIATES
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    np.testing.assert_allclose(values["t_values"], reference.tvalues, rtol=1e-6)
    np.testing.assert_allclose(values["p_values"], reference.pvalues, rtol=1e-6, atol=1e-300)
    assert values["r_squared"] == pytest.approx(reference.rsquared, rel=1e-9)
    assert values["adj_r_squared"] == pytest.approx(reference.rsquared_adj, rel=1e-9)
    assert values["df_resid"] == reference.df_resid
    assert result.n == DIABETES.height


@pytest.mark.parametrize("modulus", [FIELD_PRIME, RING_MODULUS])
@pytest.mark.parametrize("parts", [3, 5])
def test_ten_covariates_through_the_secure_sum_encoding_match_statsmodels(parts: int, modulus: int) -> None:
    """X'X of the ten unscaled covariates has a condition number of 5e7 (s1, s2, s3 and s5 nearly
    collinear): one fixed-point element per value left 18 fractional bits and 5e-6 relative error on the
    coefficients; two limbs keep 40 bits on every sum."""
    x = DIABETES.select(COVARIATES).to_numpy()
    y = DIABETES.get_column("target").to_numpy()
    reference = sm.OLS(y, sm.add_constant(x)).fit()
    raw = {"outcome": variable("target"), "covariates": [variable(c) for c in COVARIATES]}

    result = federated_encoded(get_analysis("ols"), raw, split(DIABETES, parts, seed=parts), modulus)

    np.testing.assert_allclose(result.values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(result.values["std_errors"], reference.bse, rtol=1e-6)
    assert result.values["r_squared"] == pytest.approx(reference.rsquared, rel=1e-9)
    assert result.n == DIABETES.height


def test_collinear_covariates_are_reported() -> None:
    twice = DIABETES.with_columns((DIABETES.get_column("bmi") * 2).alias("bmi2"))

    with pytest.raises(AnalysisError, match="collinear"):
        federated(
            get_analysis("ols"),
            {
                "outcome": variable("target"),
                "covariates": [variable("bmi"), {"name": "bmi2", "lo": 20, "hi": 120}],
            },
            split(twice, 3),
        )


def test_a_category_enters_as_the_indicator_of_one_level() -> None:
    # The catalog reads sex as a category (M/F/U); a regression takes it as the 0/1 indicator of "F".
    coded = DIABETES.with_columns(
        pl.when(pl.col("sex") == 2).then(pl.lit("F")).otherwise(pl.lit("M")).alias("sex")
    )
    female = (DIABETES.get_column("sex") == 2).cast(pl.Float64).to_numpy()
    others = [c for c in COVARIATES if c != "sex"]
    x = np.column_stack([np.ones(DIABETES.height), female, DIABETES.select(others).to_numpy()])
    reference = sm.OLS(DIABETES.get_column("target").to_numpy(), x).fit()

    raw = {
        "outcome": variable("target"),
        "covariates": [{"name": "sex", "level": "F", "lo": 0, "hi": 1}, *(variable(c) for c in others)],
    }
    result = federated(get_analysis("ols"), raw, split(coded, 3))

    assert result.values["terms"] == ["const", "sex=F", *others]
    np.testing.assert_allclose(result.values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(result.values["std_errors"], reference.bse, rtol=1e-6)
    with pytest.raises(AnalysisError, match="not a category"):
        federated(get_analysis("ols"), raw, split(DIABETES, 3))
    with pytest.raises(ValueError, match=r"takes the bounds \[0, 1\]"):
        get_analysis("ols").parse({**raw, "covariates": [{"name": "sex", "level": "F", "lo": 0, "hi": 2}]})
