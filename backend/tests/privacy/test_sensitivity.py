"""Sensitivities follow from the analyses' declared bounds, and one record really moves a party's
vector by no more than they say."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hdx.analyses import ANALYSES, AnalysisError, get_analysis
from hdx.privacy.sensitivity import of_analysis

X = {"name": "x", "lo": -5.0, "hi": 20.0}
Y = {"name": "y", "lo": 0.0, "hi": 3.0}
Z = {"name": "z", "lo": -1.0, "hi": 1.0}

REQUESTS: dict[str, dict[str, Any]] = {
    "count": {"columns": ["x"]},
    "sum": {"variable": X},
    "mean": {"variable": Y},
    "variance": {"variable": X},
    "histogram": {"variable": X, "bins": 7},
    "crosstab": {
        "row": {"name": "group", "categories": ["a", "b", "c"]},
        "column": {"name": "flag", "categories": [0, 1]},
    },
    "covariance": {"variables": [X, Y, Z]},
    "ols": {"outcome": Y, "covariates": [X, Z]},
    "logistic": {"outcome": "flag", "covariates": [X, Z], "beta": [0.3, -1.2, 2.5]},
    "kaplan_meier": {"time": {"name": "y", "lo": 0, "hi": 3}, "event": "flag", "bins": 6},
}

# (per-record bounds in layout order, L1) derived by hand from the bounds above; the trailing 1, 2 or 3
# is the clipped count (one per bounded variable, at least one).
EXPECTED: dict[str, tuple[list[float], float]] = {
    "count": ([1, 1], 2),
    # |x| <= max(|-5|, |20|) = 20
    "sum": ([1, 20, 1], 22),
    # |y - 1.5| <= 1.5
    "mean": ([1, 1.5, 1], 3.5),
    # |x - 7.5| <= 12.5 and its square
    "variance": ([1, 12.5, 156.25, 1], 170.75),
    # one record falls in one bin: the seven bins are one slot of bound 1
    "histogram": ([1] * 7 + [1], 2),
    "crosstab": ([1] * 6 + [1], 2),
    # n, centred sums (12.5, 1.5, 1), centred cross-products of the upper triangle, clipped (3)
    "covariance": (
        [1, 12.5, 1.5, 1, 156.25, 18.75, 12.5, 2.25, 1.5, 1, 3],
        1 + 15 + 156.25 + 18.75 + 12.5 + 2.25 + 1.5 + 1 + 3,
    ),
    # terms (const, x, z) have magnitudes (1, 20, 1) and y has 3: X'X, X'y, y'y, sum y
    "ols": ([1, 1, 20, 1, 400, 20, 1, 3, 60, 3, 9, 3, 3], 1 + 443 + 66 + 9 + 3 + 3),
    # gradient |x_j (y - p)| <= |x_j|, Hessian weight p (1 - p) <= 1/4, log-likelihood
    # |x'beta| + log 2 with |x'beta| <= 0.3 + 1.2 * 20 + 2.5 * 1 = 26.8
    "logistic": (
        [1, 1, 20, 1, 0.25, 5, 0.25, 100, 5, 0.25, 26.8 + math.log(2), 2],
        1 + 22 + 110.75 + 26.8 + math.log(2) + 2,
    ),
    # events: one bin (one slot); at risk: every bin up to the record's own
    "kaplan_meier": ([1] * 6 + [1] * 6 + [1], 1 + 6 + 1),
}


def test_every_registered_analysis_has_a_derivation() -> None:
    assert set(EXPECTED) == set(REQUESTS) == set(ANALYSES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sensitivity_is_derived_from_the_declared_bounds(name: str) -> None:
    analysis = get_analysis(name)
    sensitivity = of_analysis(analysis, analysis.parse(REQUESTS[name]))
    bounds, l1 = EXPECTED[name]
    np.testing.assert_allclose(sensitivity.bounds, bounds, rtol=1e-12)
    assert sensitivity.l1 == pytest.approx(l1, rel=1e-12)


def test_l2_counts_an_exclusive_group_once() -> None:
    histogram = get_analysis("histogram")
    sensitivity = of_analysis(histogram, histogram.parse({"variable": X, "bins": 1000}))
    assert sensitivity.l1 == 2
    assert sensitivity.l2 == pytest.approx(math.sqrt(2))
    variance = get_analysis("variance")
    moments = of_analysis(variance, variance.parse({"variable": X}))
    assert moments.l2 == pytest.approx(math.sqrt(1 + 12.5**2 + 156.25**2 + 1))


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_declared_bounds_grow_linearly_with_max_rows(name: str) -> None:
    """The per-record reading of the layout at max_rows=1 holds only if every bound is max_rows times
    a per-record bound."""
    analysis = get_analysis(name)
    params = analysis.parse(REQUESTS[name])
    one = analysis.layout(params, 1).bounds
    np.testing.assert_allclose(analysis.layout(params, 37).bounds, 37 * one, rtol=1e-12)


values = st.floats(-50, 50, allow_nan=False)
rows = st.tuples(values, values, values, st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 1))


@pytest.mark.parametrize("name", sorted(REQUESTS))
@settings(max_examples=40, deadline=None)
@given(data=st.lists(rows, min_size=2, max_size=30), pick=st.integers(0, 10**6))
def test_removing_one_record_moves_the_vector_within_the_sensitivity(
    name: str, data: list[tuple[Any, ...]], pick: int
) -> None:
    analysis = get_analysis(name)
    params = analysis.parse(REQUESTS[name])
    sensitivity = of_analysis(analysis, params)
    frame = pl.DataFrame(data, schema=["x", "y", "z", "group", "flag"], orient="row")
    drop = pick % frame.height
    neighbour = pl.concat([frame.head(drop), frame.slice(drop + 1)])
    try:
        full = analysis.local(frame, params, k=1).vector
        without = analysis.local(neighbour, params, k=1).vector
    except AnalysisError:
        assume(False)
        return
    change = np.abs(full - without)
    tolerance = 1e-9 * (1 + np.abs(full))
    assert np.all(change <= sensitivity.bounds + tolerance)
    for slot in sensitivity.slots:
        assert np.count_nonzero(change[list(slot)] > tolerance[list(slot)]) <= 1
    assert change.sum() <= sensitivity.l1 * (1 + 1e-9) + tolerance.sum()
    assert math.sqrt(float(change @ change)) <= sensitivity.l2 * (1 + 1e-9) + tolerance.sum()
