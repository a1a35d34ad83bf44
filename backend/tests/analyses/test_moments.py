from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from hdx.analyses import DisclosureError, get_analysis
from tests.analyses.federation import diabetes, federated, split

DIABETES = diabetes()
BOUNDS = {"age": (0, 120), "bmi": (10, 60), "bp": (40, 200), "s1": (50, 400), "target": (0, 400)}


def variable(name: str) -> dict[str, object]:
    lo, hi = BOUNDS[name]
    return {"name": name, "lo": lo, "hi": hi}


@pytest.mark.parametrize("parts", [3, 4, 5])
@pytest.mark.parametrize("column", sorted(BOUNDS))
def test_mean_variance_std_equal_pooled_numpy(parts: int, column: str) -> None:
    parties = split(DIABETES, parts, seed=parts)
    pooled = DIABETES.get_column(column).to_numpy()

    result = federated(get_analysis("variance"), {"variable": variable(column)}, parties)
    mean = federated(get_analysis("mean"), {"variable": variable(column)}, parties)

    assert result.n == DIABETES.height
    assert result.values["mean"] == pytest.approx(np.mean(pooled), rel=1e-9)
    assert result.values["variance"] == pytest.approx(np.var(pooled, ddof=1), rel=1e-9)
    assert result.values["std"] == pytest.approx(np.std(pooled, ddof=1), rel=1e-9)
    assert mean.values["mean"] == pytest.approx(np.mean(pooled), rel=1e-9)
    assert result.clipped == 0


def test_sum_and_count_equal_pooled() -> None:
    parties = split(DIABETES, 4)
    total = federated(get_analysis("sum"), {"variable": variable("s1")}, parties)
    count = federated(get_analysis("count"), {"columns": ["bmi"]}, parties)

    assert total.values["sum"] == pytest.approx(DIABETES.get_column("s1").sum(), rel=1e-12)
    assert count.values["count"] == DIABETES.height == count.n


def test_filter_restricts_every_party_to_the_same_cohort() -> None:
    parties = split(DIABETES, 3)
    older = DIABETES.filter(pl.col("age") >= 60).get_column("bmi").to_numpy()

    result = federated(
        get_analysis("variance"),
        {"variable": variable("bmi"), "filters": [{"column": "age", "op": ">=", "value": 60}]},
        parties,
    )

    assert result.n == older.size
    assert result.values["mean"] == pytest.approx(older.mean(), rel=1e-9)
    assert result.values["variance"] == pytest.approx(older.var(ddof=1), rel=1e-9)


def test_values_outside_bounds_are_clipped_and_counted() -> None:
    parties = split(DIABETES, 3)
    bmi = DIABETES.get_column("bmi").to_numpy()
    expected_clipped = int(np.count_nonzero((bmi < 20) | (bmi > 35)))

    result = federated(get_analysis("mean"), {"variable": {"name": "bmi", "lo": 20, "hi": 35}}, parties)
    local = get_analysis("mean").local(
        parties[0], get_analysis("mean").parse({"variable": {"name": "bmi", "lo": 20, "hi": 35}}), k=5
    )

    assert expected_clipped > 0
    assert result.clipped == expected_clipped
    assert result.values["mean"] == pytest.approx(np.clip(bmi, 20, 35).mean(), rel=1e-9)
    party_bmi = parties[0].get_column("bmi").to_numpy()
    assert local.clipped == int(np.count_nonzero((party_bmi < 20) | (party_bmi > 35)))


def test_nulls_and_nans_are_dropped_for_the_variables_involved() -> None:
    frame = pl.DataFrame(
        {
            "glucose": [5.0, None, 7.0, float("nan"), 6.0, 8.0, 9.0],
            "sex": ["f", "m", None, "f", "m", "f", "m"],
        }
    )
    analysis = get_analysis("mean")
    params = analysis.parse({"variable": {"name": "glucose", "lo": 0, "hi": 30}})

    contribution = analysis.local(frame, params, k=5)

    assert contribution.rows == 5
    assert analysis.finalize(contribution.vector, params, k=5).values["mean"] == pytest.approx(7.0)


def test_finalize_refuses_an_aggregate_below_k() -> None:
    analysis = get_analysis("variance")
    params = analysis.parse({"variable": variable("age")})

    with pytest.raises(DisclosureError, match="fewer than k=10"):
        analysis.finalize([9.0, 3.0, 40.0, 0.0], params, k=10)
    assert analysis.finalize([10.0, 3.0, 40.0, 0.0], params, k=10).n == 10


def test_agent_refuses_to_contribute_fewer_than_k_rows() -> None:
    analysis = get_analysis("count")
    params = analysis.parse({})

    with pytest.raises(DisclosureError, match="fewer than k=5"):
        analysis.local(DIABETES.head(4), params, k=5)
    assert analysis.local(DIABETES.head(5), params, k=5).rows == 5
