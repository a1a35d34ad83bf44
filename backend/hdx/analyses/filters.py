"""Row filters on catalog columns, and the refusal of filters that isolate or exclude a small group."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from .errors import AnalysisError, DisclosureError
from .variables import check_int64

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "between"]
_ORDERING: frozenset[str] = frozenset({"<", "<=", ">", ">="})


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Filter(BaseModel):
    """`{"column": "age", "op": ">=", "value": 60}`; `in` takes a list, `between` takes [lo, hi] inclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1, max_length=200)
    op: Operator
    value: Scalar | list[Scalar]

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Filter:
        values = self.value if isinstance(self.value, list) else [self.value]
        for value in values:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"filter on {self.column!r}: values must be finite")
            check_int64(value, f"filter on {self.column!r}: whole-number values")
        if self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"filter on {self.column!r}: 'in' needs a non-empty list of values")
            if len(self.value) > 1000:
                raise ValueError(f"filter on {self.column!r}: 'in' takes at most 1000 values")
            if len({_kind(v) for v in self.value}) > 1:
                raise ValueError(
                    f"filter on {self.column!r}: 'in' values must all be numbers, text or booleans"
                )
        elif self.op == "between":
            if not (
                isinstance(self.value, list) and len(self.value) == 2 and all(map(_is_number, self.value))
            ):
                raise ValueError(f"filter on {self.column!r}: 'between' needs [lo, hi], two numbers")
            lo, hi = self.value
            if float(lo) > float(hi):
                raise ValueError(f"filter on {self.column!r}: 'between' needs lo <= hi")
        elif isinstance(self.value, list):
            raise ValueError(f"filter on {self.column!r}: {self.op!r} takes one value, not a list")
        elif self.op in _ORDERING and not _is_number(self.value):
            raise ValueError(f"filter on {self.column!r}: {self.op!r} needs a number")
        return self

    def values(self) -> list[Scalar]:
        return list(self.value) if isinstance(self.value, list) else [self.value]

    def expression(self) -> pl.Expr:
        column = pl.col(self.column)
        value = self.value
        if self.op == "in":
            return pl.any_horizontal(column == pl.lit(v) for v in self.values())
        if self.op == "between":
            lo, hi = self.values()
            return column.is_between(pl.lit(lo), pl.lit(hi), closed="both")
        literal = pl.lit(value)
        comparisons = {
            "==": column == literal,
            "!=": column != literal,
            "<": column < literal,
            "<=": column <= literal,
            ">": column > literal,
            ">=": column >= literal,
        }
        return comparisons[self.op]


def _kind(value: Scalar) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "text"
    return "number"


def _column_kind(dtype: pl.DataType) -> str | None:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.String or dtype == pl.Categorical or dtype == pl.Enum:
        return "text"
    if dtype.is_numeric():
        return "number"
    return None


def _check_against(frame: pl.DataFrame, condition: Filter) -> None:
    if condition.column not in frame.schema:
        raise AnalysisError(f"filter names column {condition.column!r}, which the dataset does not have")
    dtype = frame.schema[condition.column]
    column_kind = _column_kind(dtype)
    if column_kind is None:
        raise AnalysisError(f"filters on column {condition.column!r} of type {dtype} are not supported")
    if condition.op in _ORDERING | {"between"} and column_kind != "number":
        raise AnalysisError(f"filter {condition.op!r} on {condition.column!r} needs a numeric column")
    for value in condition.values():
        if _kind(value) != column_kind:
            raise AnalysisError(
                f"filter on {condition.column!r} compares a {column_kind} column with the {_kind(value)} {value!r}"
            )


def apply_filters(frame: pl.DataFrame, filters: Sequence[Filter]) -> pl.DataFrame:
    """Keep the rows that satisfy every filter; a null in a filtered column never satisfies it."""
    for condition in filters:
        _check_against(frame, condition)
    if not filters:
        return frame
    return frame.filter(*(condition.expression() for condition in filters))


def check_filter_disclosure(frame: pl.DataFrame, filters: Sequence[Filter], k: int) -> pl.DataFrame:
    """Return the filtered rows, refusing when they number fewer than k, or when the rows the filters
    exclude are between 1 and k-1: the same query without the filters would then single those out
    by difference."""
    selected = apply_filters(frame, filters)
    if selected.height < k:
        reason = "the filters leave" if filters else "the analysis can use"
        raise DisclosureError(f"{reason} fewer than k={k} records at this organization")
    excluded = frame.height - selected.height
    if 0 < excluded < k:
        raise DisclosureError(
            f"the filters exclude fewer than k={k} records at this organization, so comparing this "
            "result with an unfiltered one would reveal them"
        )
    return selected
