from __future__ import annotations

import numpy as np
import pytest

from hdx.analyses import get_analysis
from hdx.analyses.histogram import interpolated_quantiles
from tests.analyses.federation import diabetes, federated, split

DIABETES = diabetes()


@pytest.mark.parametrize(
    ("column", "lo", "hi", "bins"), [("bmi", 15, 45, 30), ("s5", 3, 7, 8), ("age", 19, 79, 12)]
)
def test_counts_equal_numpy_histogram_of_pooled_data(column: str, lo: float, hi: float, bins: int) -> None:
    pooled = DIABETES.get_column(column).to_numpy()
    expected, edges = np.histogram(pooled, bins=bins, range=(lo, hi))

    result = federated(
        get_analysis("histogram"),
        {"variable": {"name": column, "lo": lo, "hi": hi}, "bins": bins},
        split(DIABETES, 4),
        k=1,
    )

    assert result.values["counts"] == expected.tolist()
    assert result.values["edges"] == pytest.approx(edges.tolist(), rel=1e-12)
    assert result.n == pooled.size
    assert result.suppressed == []


def test_quantiles_lie_within_one_bin_of_the_exact_pooled_quantiles() -> None:
    pooled = DIABETES.get_column("bmi").to_numpy()
    result = federated(
        get_analysis("histogram"),
        {"variable": {"name": "bmi", "lo": 15, "hi": 45}, "bins": 60, "quantiles": [0.1, 0.5, 0.9]},
        split(DIABETES, 3),
        k=1,
    )

    quantiles = result.values["quantiles"]
    assert isinstance(quantiles, dict)
    for probability in (0.1, 0.5, 0.9):
        assert quantiles[str(probability)] == pytest.approx(np.quantile(pooled, probability), abs=0.5)


def test_interpolation_inside_a_bin_is_linear() -> None:
    counts = np.array([2, 0, 6, 2])
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0])

    # Of 10 values the median is the 5th: 3 of the 6 in bin [2, 3). The 10th percentile is 1 of the 2 in
    # [0, 1); the 20th percentile closes that bin, and the empty bin [1, 2) is skipped.
    assert interpolated_quantiles(counts, edges, [0.5, 0.1, 0.2, 0.9]) == [2.5, 0.5, 1.0, 3.5]


def test_small_cells_are_suppressed_and_excluded_from_quantiles() -> None:
    analysis = get_analysis("histogram")
    params = analysis.parse({"variable": {"name": "x", "lo": 0, "hi": 5}, "bins": 5, "quantiles": [0.5]})
    summed = np.array([3.0, 40.0, 50.0, 60.0, 7.0, 0.0])

    result = analysis.finalize(summed, params, k=5)

    # The 3 is below k; withholding it alone would let total - published reveal it, so the 7 goes too.
    assert result.values["counts"] == [None, 40, 50, 60, None]
    assert result.suppressed == ["count[0]", "count[4]"]
    assert result.n == 160
    assert result.values["quantiles"] == {"0.5": pytest.approx(2.0 + 35 / 50)}
    assert result.notes


def test_an_empty_cell_is_published_unless_it_must_cover_a_lone_small_cell() -> None:
    analysis = get_analysis("histogram")
    params = analysis.parse({"variable": {"name": "x", "lo": 0, "hi": 4}, "bins": 4})

    covering = analysis.finalize(np.array([3.0, 0.0, 40.0, 50.0, 0.0]), params, k=5)
    clear = analysis.finalize(np.array([30.0, 0.0, 40.0, 50.0, 0.0]), params, k=5)

    assert covering.values["counts"] == [None, None, 40, 50]
    assert clear.values["counts"] == [30, 0, 40, 50]
