from __future__ import annotations

import polars as pl
import pytest
from pydantic import ValidationError

from hdx.analyses import AnalysisError, get_analysis
from tests.analyses.federation import diabetes, federated, split

# Diabetes codes sex as 1.0 / 2.0; age bands make a second categorical column.
PATIENTS = diabetes().with_columns(
    (pl.col("age") // 20 * 20).cast(pl.Int64).alias("age_band"),
    pl.col("sex").cast(pl.Int64),
    pl.when(pl.col("target") > 200).then(pl.lit("high")).otherwise(pl.lit("low")).alias("progression"),
)


def test_table_equals_pooled_counts() -> None:
    pooled = PATIENTS.group_by("age_band", "progression").len()
    bands = [0, 20, 40, 60]

    result = federated(
        get_analysis("crosstab"),
        {
            "row": {"name": "age_band", "categories": bands},
            "column": {"name": "progression", "categories": ["low", "high"]},
        },
        split(PATIENTS, 4),
        k=1,
    )

    expected = [
        [
            int(
                pooled.filter((pl.col("age_band") == b) & (pl.col("progression") == p))
                .get_column("len")
                .sum()
            )
            for p in ["low", "high"]
        ]
        for b in bands
    ]
    assert result.values["counts"] == expected
    assert result.n == PATIENTS.height


def test_small_cells_are_withheld_and_values_outside_the_categories_left_out() -> None:
    def cell(band: int, sex: int) -> int:
        return PATIENTS.filter((pl.col("age_band") == band) & (pl.col("sex") == sex)).height

    # Three patients are under 20, all coded sex 1.
    assert (cell(0, 1), cell(0, 2)) == (3, 0)

    result = federated(
        get_analysis("crosstab"),
        {
            "row": {"name": "age_band", "categories": [0, 20, 40]},
            "column": {"name": "sex", "categories": [1, 2]},
        },
        split(PATIENTS, 3),
        k=5,
    )

    # The 3 is withheld; the empty cell beside it goes too, or the total would give the 3 away.
    assert result.values["counts"] == [[None, None], [cell(20, 1), cell(20, 2)], [cell(40, 1), cell(40, 2)]]
    assert result.suppressed == ["count[0,1]", "count[0,2]"]
    assert result.n == PATIENTS.filter(pl.col("age_band") < 60).height


def test_categories_must_match_the_column_type() -> None:
    analysis = get_analysis("crosstab")
    params = analysis.parse(
        {
            "row": {"name": "progression", "categories": [1, 2]},
            "column": {"name": "sex", "categories": [1, 2]},
        }
    )

    with pytest.raises(AnalysisError, match="'progression' is String, but its categories are integer"):
        analysis.local(PATIENTS, params, k=5)
    with pytest.raises(ValidationError, match="all text or all integers"):
        analysis.parse(
            {"row": {"name": "a", "categories": [1, "x"]}, "column": {"name": "b", "categories": [1]}}
        )
    with pytest.raises(ValidationError, match="different columns"):
        analysis.parse({"row": {"name": "a", "categories": [1]}, "column": {"name": "a", "categories": [2]}})


def test_tables_reach_a_thousand_categories_a_side() -> None:
    analysis = get_analysis("crosstab")
    side = list(range(1000))
    params = analysis.parse(
        {"row": {"name": "a", "categories": side}, "column": {"name": "b", "categories": side}}
    )

    assert len(analysis.layout(params, 10)) == 1000 * 1000 + 1
    with pytest.raises(ValidationError, match="at most 1000 items"):
        analysis.parse(
            {
                "row": {"name": "a", "categories": list(range(1001))},
                "column": {"name": "b", "categories": [1]},
            }
        )
