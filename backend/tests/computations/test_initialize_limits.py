"""Numbers at the edge of what a computation can carry: bounds the fixed-point encoding cannot hold,
privacy parameters OpenDP cannot calibrate, huge counts and categories. Every one is a 422 naming the
field the client sent, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hdx.analyses.variables import MAX_MAGNITUDE
from hdx.privacy.spend import MAX_DELTA, MAX_EPSILON, MIN_DELTA, MIN_EPSILON
from tests.computations.conftest import BASE, Org, create, spec


async def _refused(client: httpx.AsyncClient, org: Org, body: dict[str, Any]) -> list[dict[str, str]]:
    response = await client.post(f"{BASE}/initialize", json=body, headers=org.doctor.headers)
    assert response.status_code == 422, response.text
    detail: list[dict[str, str]] = response.json()["detail"]
    assert isinstance(detail, list), detail
    return detail


@pytest.mark.parametrize(
    ("variable", "field", "fragment"),
    [
        ({"name": "glucose", "lo": 0, "hi": 1e308}, "params.variable.hi", "at most 2^45"),
        ({"name": "glucose", "lo": -1e300, "hi": 1e300}, "params.variable.lo", "at most 2^45"),
        ({"name": "glucose", "lo": 0, "hi": MAX_MAGNITUDE * 2}, "params.variable.hi", "35184372088832"),
    ],
)
async def test_bounds_beyond_what_the_encoding_holds_are_422(
    client: httpx.AsyncClient, orgs: list[Org], variable: dict[str, Any], field: str, fragment: str
) -> None:
    detail = await _refused(client, orgs[0], spec(orgs, params={"variable": variable}))
    assert detail[0]["field"] == field
    assert fragment in detail[0]["message"]


async def test_bounds_at_the_documented_magnitude_are_accepted(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    variable = {"name": "glucose", "lo": -MAX_MAGNITUDE, "hi": MAX_MAGNITUDE}
    created = await create(client, orgs[0].doctor, spec(orgs, params={"variable": variable}))
    assert created["params"]["variable"]["hi"] == MAX_MAGNITUDE


RANGE_EPSILON = f"epsilon must lie between {MIN_EPSILON:g} and {MAX_EPSILON:g}"
RANGE_DELTA = f"delta must lie between {MIN_DELTA:g} and {MAX_DELTA:g}"


@pytest.mark.parametrize(
    ("privacy", "field", "fragment"),
    [
        ({"epsilon": 1e-300}, "epsilon", RANGE_EPSILON),
        ({"epsilon": 1e-300, "delta": 1e-6}, "epsilon", RANGE_EPSILON),
        ({"epsilon": 11.0}, "epsilon", RANGE_EPSILON),
        ({"epsilon": 1.0, "delta": 1e-300}, "delta", RANGE_DELTA),
        ({"epsilon": 1.0, "delta": 0.5}, "delta", RANGE_DELTA),
    ],
)
async def test_privacy_parameters_outside_the_documented_range_are_422(
    client: httpx.AsyncClient, orgs: list[Org], privacy: dict[str, float], field: str, fragment: str
) -> None:
    detail = await _refused(client, orgs[0], spec(orgs, **privacy))
    assert [item["field"] for item in detail] == [field]
    assert fragment in detail[0]["message"]


async def test_privacy_parameters_at_the_ends_of_the_range_are_accepted(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    for epsilon, delta in ((MIN_EPSILON, None), (MIN_EPSILON, MIN_DELTA), (MAX_EPSILON, MAX_DELTA)):
        body = spec(orgs, epsilon=epsilon) | ({"delta": delta} if delta is not None else {})
        created = await create(client, orgs[0].doctor, body)
        assert created["differential_privacy"]["epsilon"] == epsilon


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        (
            {
                "row": {"name": "sex", "categories": [1, 2**70]},
                "column": {"name": "smoker", "categories": [0, 1]},
            },
            "params.row.categories",
            "64-bit",
        ),
        (
            {"columns": ["age"], "filters": [{"column": "age", "op": ">=", "value": 10**30}]},
            "params.filters.0",
            "64-bit",
        ),
        (
            {"outcome": "death", "covariates": [{"name": "age", "lo": 0, "hi": 100}], "beta": [0.0, 1e300]},
            "params.beta",
            "at most 2^45",
        ),
    ],
    ids=["crosstab", "count", "logistic"],
)
async def test_integers_and_coefficients_beyond_64_bits_are_422(
    client: httpx.AsyncClient, orgs: list[Org], params: dict[str, Any], field: str, fragment: str
) -> None:
    analysis = "crosstab" if "row" in params else "count" if "columns" in params else "logistic"
    detail = await _refused(client, orgs[0], spec(orgs, analysis=analysis, params=params))
    assert detail[0]["field"] == field
    assert fragment in detail[0]["message"]


def mostly(ordinary: st.SearchStrategy[Any], unusual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Ordinary values three times in four, so that the other fields let an unusual one through."""
    return st.sampled_from([False, False, False, True]).flatmap(lambda odd: unusual if odd else ordinary)


# Values that broke the encoder or OpenDP, values near the documented limits, and arbitrary ones.
EXTREME_FLOATS = st.one_of(
    st.sampled_from(
        [
            1e308,
            -1e308,
            1e300,
            -1e300,
            5e-324,
            1e-300,
            0.0,
            2.0**62,
            1e33,
            1e12,
            MAX_MAGNITUDE,
            -MAX_MAGNITUDE,
        ]
    ),
    st.floats(),
)
EXTREME_INTS = st.one_of(st.sampled_from([0, -1, 10_000, 2**31, 2**63, -(2**63), 10**30]), st.integers())
BOUNDS = mostly(st.floats(-1e4, 1e4), EXTREME_FLOATS)
COUNTS = mostly(st.integers(1, 100), EXTREME_INTS)
PROBABILITIES = mostly(st.floats(0.01, 0.99), EXTREME_FLOATS)
NAMES = st.sampled_from(["age", "glucose", "sex", "death", "weight"])


@st.composite
def variables(draw: st.DrawFn, name: str | None = None) -> dict[str, Any]:
    """Mostly an interval (lo < hi), at any magnitude."""
    lo, hi = sorted([draw(BOUNDS), draw(BOUNDS)])
    return {"name": name or draw(NAMES), "lo": lo, "hi": hi}


FILTERS = st.fixed_dictionaries(
    {
        "column": NAMES,
        "op": st.sampled_from(["==", "!=", "<", ">=", "in", "between"]),
        "value": st.one_of(BOUNDS, COUNTS, st.lists(st.one_of(BOUNDS, COUNTS), max_size=3)),
    }
)
CATEGORIES = st.one_of(
    st.lists(COUNTS, min_size=1, max_size=4), st.lists(st.text(max_size=5), min_size=1, max_size=4)
)

PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "count": st.fixed_dictionaries(
        {"columns": st.lists(NAMES, max_size=2), "filters": st.lists(FILTERS, max_size=2)}
    ),
    "sum": st.fixed_dictionaries({"variable": variables()}),
    "mean": st.fixed_dictionaries({"variable": variables(), "filters": st.lists(FILTERS, max_size=1)}),
    "variance": st.fixed_dictionaries({"variable": variables()}),
    "histogram": st.fixed_dictionaries(
        {"variable": variables(), "bins": COUNTS, "quantiles": st.lists(PROBABILITIES, max_size=3)}
    ),
    "kaplan_meier": st.fixed_dictionaries(
        {
            "time": variables("age"),
            "event": st.just("death"),
            "bins": COUNTS,
            "confidence": PROBABILITIES,
        }
    ),
    "crosstab": st.fixed_dictionaries(
        {
            "row": st.fixed_dictionaries({"name": st.just("sex"), "categories": CATEGORIES}),
            "column": st.fixed_dictionaries({"name": st.just("smoker"), "categories": CATEGORIES}),
        }
    ),
    "covariance": st.fixed_dictionaries(
        {"variables": st.tuples(variables("age"), variables("weight")).map(list)}
    ),
    "ols": st.fixed_dictionaries(
        {
            "outcome": variables("glucose"),
            "covariates": st.tuples(variables("age"), variables("weight")).map(list),
        }
    ),
    "logistic": st.fixed_dictionaries(
        {
            "outcome": st.just("death"),
            "covariates": st.tuples(variables("age")).map(list),
            "beta": st.lists(BOUNDS, min_size=2, max_size=2),
            "tolerance": mostly(st.floats(1e-12, 1e-2), EXTREME_FLOATS),
            "max_iterations": COUNTS,
        }
    ),
}


@st.composite
def computations(draw: st.DrawFn) -> dict[str, Any]:
    analysis = draw(st.sampled_from(sorted(PARAMS)))
    body: dict[str, Any] = {"analysis": analysis, "params": draw(PARAMS[analysis])}
    body["protocol"] = draw(st.sampled_from(["shamir", "secagg", "paillier", "hybrid"]))
    body["k"] = draw(st.one_of(st.none(), COUNTS))
    if draw(st.booleans()):
        body["epsilon"] = draw(mostly(st.floats(MIN_EPSILON, MAX_EPSILON), EXTREME_FLOATS))
        body["delta"] = draw(st.one_of(st.none(), mostly(st.floats(MIN_DELTA, MAX_DELTA), EXTREME_FLOATS)))
        body["dp_mode"] = draw(st.sampled_from(["central", "distributed"]))
    return body


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(overrides=computations())
async def test_no_numeric_parameter_makes_initialize_fail_with_500(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any]
) -> None:
    # As a client may send it: Python's JSON writes Infinity and NaN, which the exchange reads.
    response = await client.post(
        f"{BASE}/initialize",
        content=json.dumps(spec(orgs, **overrides)),
        headers={**orgs[0].doctor.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (201, 422), (overrides, response.status_code, response.text[:500])
    event(f"{overrides['analysis']}: {response.status_code}")
    if response.status_code == 422:
        event(f"refused on {response.json()['detail'][0]['field']}")
    if response.status_code == 422:
        detail = response.json()["detail"]
        assert isinstance(detail, list), detail
        assert detail
        for item in detail:
            assert item["message"]
            assert not item["field"].startswith(("spec", "original")), item
