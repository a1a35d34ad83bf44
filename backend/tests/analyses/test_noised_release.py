"""Releasing a summed vector that carries differential-privacy noise: counts come out whole and never
negative, survival stays a probability, and a small count of clipped values is withheld like a small
cell, whether it is noised or exact."""

from __future__ import annotations

import numpy as np
import pytest

from hdx.analyses import AnalysisError, get_analysis

HISTOGRAM = {"variable": {"name": "x", "lo": 0, "hi": 10}, "bins": 4}
KAPLAN_MEIER = {"time": {"name": "t", "lo": 0, "hi": 4}, "event": "e", "bins": 4}


def test_noised_counts_below_zero_are_shown_as_zero() -> None:
    analysis = get_analysis("histogram")
    # Four bins and the clipped count, as noise left them.
    result = analysis.finalize([12.4, -3.7, 20.2, 0.3, -5.2], analysis.parse(HISTOGRAM), k=5)

    assert result.values["counts"] == [12, 0, 20, 0]
    assert result.n == 32
    assert result.clipped == 0
    assert result.suppressed == []


def test_a_noised_count_below_zero_for_n_makes_no_negative_cohort() -> None:
    analysis = get_analysis("sum")
    params = analysis.parse({"variable": {"name": "x", "lo": 0, "hi": 10}})

    result = analysis.finalize([40.6, 123.0, -2.4], params, k=5)

    assert (result.n, result.clipped) == (41, 0)


@pytest.mark.parametrize(("clipped", "shown"), [(0.2, 0), (3.0, None), (4.6, 5), (17.0, 17)])
def test_a_clipped_count_between_1_and_k_minus_1_is_withheld(clipped: float, shown: int | None) -> None:
    analysis = get_analysis("mean")
    params = analysis.parse({"variable": {"name": "x", "lo": 0, "hi": 10}})

    result = analysis.finalize([40.0, 12.0, clipped], params, k=5)

    assert result.clipped == shown
    assert ("clipped" in result.suppressed) == (shown is None)
    assert any("values clipped" in note for note in result.notes) == (shown is None)


def test_noised_survival_counts_still_make_a_survival_curve() -> None:
    analysis = get_analysis("kaplan_meier")
    # Events, then people at risk per bin: noise made events exceed those at risk, and at risk grow.
    vector = [3.2, 45.0, -1.1, 6.0, 40.4, 38.2, 41.7, 20.3, 0.0]

    result = analysis.finalize(vector, analysis.parse(KAPLAN_MEIER), k=5)

    at_risk, events = result.values["at_risk"], result.values["events"]
    assert isinstance(at_risk, list)
    assert isinstance(events, list)
    assert at_risk == sorted(at_risk, reverse=True)
    assert all(0 <= e <= r for e, r in zip(events, at_risk, strict=True))
    survival = np.array(result.values["survival"])
    assert np.all((survival >= 0) & (survival <= 1))
    assert np.all(np.diff(survival) <= 0)
    for band in ("lower", "upper"):
        values = np.array(result.values[band])
        assert np.all(np.isfinite(values))
        assert np.all((values >= 0) & (values <= 1))


def test_a_variance_noise_took_below_zero_is_refused_rather_than_shown() -> None:
    analysis = get_analysis("covariance")
    params = analysis.parse(
        {"variables": [{"name": "x", "lo": 0, "hi": 10}, {"name": "y", "lo": 0, "hi": 10}]}
    )
    # n, centred sums, centred cross-products (xx, xy, yy): xx is below sum(x)^2 / n after noise.
    vector = [50.0, 10.0, -20.0, 1.0, 3.0, 60.0, 0.0]

    with pytest.raises(AnalysisError, match="constant variable: x .* noise took below 0"):
        analysis.finalize(vector, params, k=5)
