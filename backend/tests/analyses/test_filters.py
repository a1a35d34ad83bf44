from __future__ import annotations

import polars as pl
import pytest
from pydantic import ValidationError

from hdx.analyses import (
    AnalysisError,
    DisclosureError,
    Filter,
    apply_filters,
    check_filter_disclosure,
    get_analysis,
)
from tests.analyses.federation import diabetes

DIABETES = diabetes()
PATIENTS = pl.DataFrame(
    {
        "age": [34, 61, 75, 58, 60, None, 82, 45],
        "sex": ["f", "m", "f", "f", "m", "m", None, "f"],
        "smoker": [True, False, False, True, None, False, True, False],
    }
)


def ages(rows: pl.DataFrame) -> list[int | None]:
    return rows.get_column("age").to_list()


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("==", 60, [60]),
        ("!=", 60, [34, 61, 75, 58, 82, 45]),
        ("<", 58, [34, 45]),
        ("<=", 58, [34, 58, 45]),
        (">", 61, [75, 82]),
        (">=", 61, [61, 75, 82]),
        ("in", [34, 82, 99], [34, 82]),
        ("between", [58, 61], [61, 58, 60]),
        ("between", [58.5, 60.5], [60]),
    ],
)
def test_each_operator_on_a_numeric_column(op: str, value: object, expected: list[int]) -> None:
    condition = Filter.model_validate({"column": "age", "op": op, "value": value})

    assert ages(apply_filters(PATIENTS, [condition])) == expected


def test_filters_combine_with_and_and_text_and_boolean_columns_work() -> None:
    filters = [
        Filter(column="sex", op="in", value=["f"]),
        Filter(column="smoker", op="==", value=False),
        Filter(column="age", op=">", value=40),
    ]

    assert ages(apply_filters(PATIENTS, filters)) == [75, 45]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"column": "age", "op": "=>", "value": 3}, "literal_error"),
        ({"column": "age", "op": "in", "value": []}, "non-empty list"),
        ({"column": "age", "op": "in", "value": 3}, "non-empty list"),
        ({"column": "age", "op": "in", "value": [1, "a"]}, "all be numbers, text or booleans"),
        ({"column": "age", "op": "between", "value": [5]}, "two numbers"),
        ({"column": "age", "op": "between", "value": [9, 5]}, "lo <= hi"),
        ({"column": "age", "op": "between", "value": ["a", "b"]}, "two numbers"),
        ({"column": "age", "op": "<", "value": "60"}, "needs a number"),
        ({"column": "age", "op": ">=", "value": True}, "needs a number"),
        ({"column": "age", "op": "==", "value": [1, 2]}, "not a list"),
        ({"column": "age", "op": "<", "value": float("inf")}, "finite"),
        ({"column": "", "op": "==", "value": 1}, "at least 1 character"),
        ({"column": "age", "op": "==", "value": 1, "extra": 1}, "Extra inputs"),
    ],
)
def test_malformed_filters_are_rejected_with_a_reason(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Filter.model_validate(raw)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Filter(column="weight", op=">", value=3), "does not have"),
        (Filter(column="sex", op="==", value=1), "compares a text column with the number 1"),
        (Filter(column="age", op="==", value="old"), "compares a number column with the text 'old'"),
        (Filter(column="sex", op=">", value=3), "needs a numeric column"),
    ],
)
def test_filters_that_do_not_fit_the_data_are_rejected(condition: Filter, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        apply_filters(PATIENTS, [condition])


def test_disclosure_check_refuses_a_filter_isolating_fewer_than_k_records() -> None:
    oldest = [Filter(column="age", op=">=", value=79)]
    assert DIABETES.filter(pl.col("age") >= 79).height < 5

    with pytest.raises(DisclosureError, match="leave fewer than k=5"):
        check_filter_disclosure(DIABETES, oldest, 5)


def test_disclosure_check_refuses_a_filter_whose_complement_is_small() -> None:
    all_but_oldest = [Filter(column="age", op="<", value=79)]
    excluded = DIABETES.filter(pl.col("age") >= 79).height
    assert 0 < excluded < 5

    with pytest.raises(DisclosureError, match="exclude fewer than k=5"):
        check_filter_disclosure(DIABETES, all_but_oldest, 5)
    assert check_filter_disclosure(DIABETES, all_but_oldest, excluded).height == DIABETES.height - excluded


def test_disclosure_check_passes_filters_that_select_everyone_or_a_large_group() -> None:
    assert (
        check_filter_disclosure(DIABETES, [Filter(column="age", op=">=", value=0)], 5).height
        == DIABETES.height
    )
    assert check_filter_disclosure(DIABETES, [], 5).height == DIABETES.height
    older = check_filter_disclosure(DIABETES, [Filter(column="age", op=">=", value=60)], 5)
    assert older.height == DIABETES.filter(pl.col("age") >= 60).height


def test_agent_refuses_a_differencing_filter_with_a_readable_reason() -> None:
    analysis = get_analysis("mean")
    params = analysis.parse(
        {
            "variable": {"name": "bmi", "lo": 10, "hi": 60},
            "filters": [{"column": "age", "op": "<", "value": 79}],
        }
    )

    with pytest.raises(
        DisclosureError, match="comparing this result with an unfiltered one would reveal them"
    ):
        analysis.local(DIABETES, params, k=5)
