"""Every analysis keeps its promise to the protocol: a party's vector has the declared length, stays
within the declared bounds, and holds whole numbers where the layout says so."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.analyses import ANALYSES, AnalysisError, get_analysis

BOUNDS = {"x": (-5.0, 20.0), "y": (0.0, 3.0), "z": (-1.0, 1.0)}


def bounded(name: str) -> dict[str, object]:
    lo, hi = BOUNDS[name]
    return {"name": name, "lo": lo, "hi": hi}


REQUESTS: dict[str, dict[str, Any]] = {
    "count": {"columns": ["x"]},
    "sum": {"variable": bounded("x")},
    "mean": {"variable": bounded("y")},
    "variance": {"variable": bounded("x")},
    "histogram": {"variable": bounded("x"), "bins": 7},
    "crosstab": {
        "row": {"name": "group", "categories": ["a", "b", "c"]},
        "column": {"name": "flag", "categories": [0, 1]},
    },
    "covariance": {"variables": [bounded("x"), bounded("y"), bounded("z")]},
    "ols": {"outcome": bounded("y"), "covariates": [bounded("x"), bounded("z")]},
    "logistic": {"outcome": "flag", "covariates": [bounded("x"), bounded("z")], "beta": [0.3, -1.2, 2.5]},
    "kaplan_meier": {"time": {"name": "y", "lo": 0, "hi": 3}, "event": "flag", "bins": 6},
}

# Values reach well past the declared bounds so that clipping is exercised.
values = st.floats(-50, 50, allow_nan=False)
rows = st.tuples(values, values, values, st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 1))


def test_every_registered_analysis_is_exercised() -> None:
    assert set(REQUESTS) == set(ANALYSES)


@pytest.mark.parametrize("name", sorted(REQUESTS))
@settings(max_examples=25, deadline=None)
@given(data=st.lists(rows, min_size=5, max_size=40))
def test_local_vectors_respect_the_declared_layout(name: str, data: list[tuple[Any, ...]]) -> None:
    frame = pl.DataFrame(data, schema=["x", "y", "z", "group", "flag"], orient="row")
    analysis = get_analysis(name)
    params = analysis.parse(REQUESTS[name])
    layout = analysis.layout(params, frame.height)

    try:
        contribution = analysis.local(frame, params, k=1)
    except AnalysisError:
        # Only the crosstab can end up with no usable rows (every group outside its categories).
        assert name == "crosstab"
        return

    vector = contribution.vector
    assert vector.shape == (len(layout),)
    assert np.all(np.abs(vector) <= layout.bounds * (1 + 1e-12))
    assert np.all(vector[layout.integer] == np.rint(vector[layout.integer]))
    assert layout.names[-1] == "clipped"
    outside = sum(
        int(
            np.count_nonzero(
                (frame.get_column(v.name).to_numpy() < v.lo) | (frame.get_column(v.name).to_numpy() > v.hi)
            )
        )
        for v in analysis.variables(params)
    )
    assert contribution.clipped == outside == vector[-1]


def test_finalize_rejects_vectors_of_the_wrong_shape_or_with_non_finite_values() -> None:
    analysis = get_analysis("mean")
    params = analysis.parse(REQUESTS["mean"])

    with pytest.raises(AnalysisError, match="expects a vector of 3 elements"):
        analysis.finalize([10.0, 1.0], params, k=5)
    with pytest.raises(AnalysisError, match="non-finite"):
        analysis.finalize([10.0, float("nan"), 0.0], params, k=5)


def test_integer_elements_are_rounded_after_fixed_point_decoding() -> None:
    analysis = get_analysis("mean")
    params = analysis.parse(REQUESTS["mean"])

    result = analysis.finalize([9.9999997, 2.5, 3.0000001], params, k=3)

    assert (result.n, result.clipped) == (10, 3)
    assert result.values["mean"] == pytest.approx(1.5 + 0.25)


def test_unknown_analysis_names_list_the_known_ones() -> None:
    with pytest.raises(AnalysisError, match="unknown analysis 'median'; known: count, covariance"):
        get_analysis("median")


def test_runs_spell_out_to_the_elements_they_stand_for() -> None:
    analysis = get_analysis("crosstab")
    params = analysis.parse(REQUESTS["crosstab"])
    layout = analysis.layout(params, 7)

    assert layout.names == [f"count[{g},{f}]" for g in "abc" for f in (0, 1)] + ["clipped"]
    assert [layout.name(i) for i in range(len(layout))] == layout.names
    assert layout.bounds.tolist() == [7.0] * 7
    assert layout.integer.all()
    assert {e.exclusive for e in layout.elements[:-1]} == {"cells"}
    with pytest.raises(IndexError, match="no element 7"):
        layout.name(7)


def test_same_elements_ignores_bounds_but_not_names_or_order() -> None:
    analysis = get_analysis("crosstab")
    params = analysis.parse(REQUESTS["crosstab"])
    other = analysis.parse(
        {"row": {"name": "group", "categories": ["a", "c", "b"]}, "column": REQUESTS["crosstab"]["column"]}
    )
    histogram = get_analysis("histogram")

    assert analysis.layout(params, 3).same_elements(analysis.layout(params, 1000))
    assert not analysis.layout(params, 3).same_elements(analysis.layout(other, 3))
    assert not analysis.layout(params, 3).same_elements(
        histogram.layout(histogram.parse(REQUESTS["histogram"]), 3)
    )
