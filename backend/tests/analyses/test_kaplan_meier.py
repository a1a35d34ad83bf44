from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi, load_waltons

from hdx.analyses import AnalysisError, get_analysis
from tests.analyses.federation import federated, split

# Rossi et al.: weeks to re-arrest of 432 released prisoners, censored at 52 weeks.
ROSSI = pl.from_pandas(load_rossi())
# Waltons: days to death of 163 fruit flies in two groups.
WALTONS = pl.from_pandas(load_waltons())


def pooled_fit(frame: pl.DataFrame, time: str, event: str) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(frame.get_column(time).to_numpy(), frame.get_column(event).to_numpy())


@pytest.mark.parametrize(
    ("frame", "time", "event", "hi", "parts"),
    [(ROSSI, "week", "arrest", 52, 3), (WALTONS, "T", "E", 80, 4)],
)
def test_survival_and_greenwood_band_equal_lifelines_on_pooled_data(
    frame: pl.DataFrame, time: str, event: str, hi: int, parts: int
) -> None:
    reference = pooled_fit(frame, time, event)

    # One bin per whole time unit: every distinct time gets its own bin, so the estimate is exact.
    result = federated(
        get_analysis("kaplan_meier"),
        {"time": {"name": time, "lo": 0, "hi": hi}, "event": event, "bins": hi},
        split(frame, parts),
        k=1,
    )

    times = np.array(result.values["times"])
    band = reference.confidence_interval_survival_function_.reindex(times, method="ffill")
    np.testing.assert_allclose(
        result.values["survival"], reference.survival_function_at_times(times), rtol=1e-12
    )
    np.testing.assert_allclose(result.values["lower"], band.iloc[:, 0], rtol=1e-9)
    np.testing.assert_allclose(result.values["upper"], band.iloc[:, 1], rtol=1e-9)
    table = reference.event_table.reindex(times)
    observed = table["observed"].notna().to_numpy()
    assert (
        np.array(result.values["events"])[observed].tolist()
        == table["observed"][observed].astype(int).tolist()
    )
    assert (
        np.array(result.values["at_risk"])[observed].tolist()
        == table["at_risk"][observed].astype(int).tolist()
    )
    assert result.n == frame.height


def test_coarser_bins_count_events_and_people_at_risk_per_bin() -> None:
    result = federated(
        get_analysis("kaplan_meier"),
        {"time": {"name": "week", "lo": 0, "hi": 52}, "event": "arrest", "bins": 4},
        split(ROSSI, 3),
        k=1,
    )

    weeks = ROSSI.get_column("week").to_numpy()
    arrests = ROSSI.get_column("arrest").to_numpy()
    edges = [0, 13, 26, 39, 52]
    assert result.values["events"] == [
        int(arrests[(weeks > lo) & (weeks <= hi)].sum()) for lo, hi in zip(edges, edges[1:], strict=False)
    ]
    assert result.values["at_risk"] == [int((weeks > lo).sum()) for lo in edges[:-1]]


def test_curve_stops_where_fewer_than_k_remain_at_risk() -> None:
    k = 20
    days = WALTONS.get_column("T").to_numpy()
    last_shown = max(t for t in range(1, 81) if np.count_nonzero(days >= t) >= k)

    result = federated(
        get_analysis("kaplan_meier"),
        {"time": {"name": "T", "lo": 0, "hi": 80}, "event": "E", "bins": 80},
        split(WALTONS, 3),
        k=k,
    )

    assert last_shown < 80
    assert result.values["times"] == [float(t) for t in range(1, last_shown + 1)]
    assert min(result.values["at_risk"]) >= k
    assert "fewer than k=20" in result.notes[0]


def test_event_column_must_be_zero_or_one() -> None:
    analysis = get_analysis("kaplan_meier")
    params = analysis.parse({"time": {"name": "week", "lo": 0, "hi": 52}, "event": "prio", "bins": 52})

    with pytest.raises(AnalysisError, match="'prio' holds values other than 0 and 1"):
        analysis.local(ROSSI, params, k=5)
