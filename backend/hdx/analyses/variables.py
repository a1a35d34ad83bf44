"""Bounded numeric variables: the declared bounds fix every vector element's range before any data is seen."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from .errors import AnalysisError

# The largest |lo| or |hi| a variable may declare (2^45, about 3.5e13). A value of this size keeps 8
# fractional bits, the coarsest grid the fixed-point encoding uses (hdx.protocols.fixed_point), within
# float64's 53 bits; beyond it the encoding could not tell it from its neighbours. Within it, the
# capacity check at initialize still refuses bounds whose sums would not fit the protocol's modulus.
MAX_MAGNITUDE = 2.0**45
# Whole numbers in filters and categories are compared with the parties' 64-bit integer columns.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_int64(value: object, what: str) -> None:
    """Refuse a whole number no 64-bit column can hold (booleans are left alone)."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{what} must be 64-bit integers (between -2^63 and 2^63 - 1), got {value}")


class Variable(BaseModel):
    """A numeric catalog column and its declared bounds; values outside are clipped to them. With
    `level`, the variable is instead the 0/1 indicator of a categorical column taking that value
    (e.g. sex = "F"), with bounds [0, 1]: how a category enters a regression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    lo: float
    hi: float
    level: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("lo", "hi")
    @classmethod
    def _representable(cls, bound: float) -> float:
        if not math.isfinite(bound):
            raise ValueError("bounds must be finite numbers")
        if abs(bound) > MAX_MAGNITUDE:
            raise ValueError(
                f"bounds must be at most 2^45 = {MAX_MAGNITUDE:.0f} in magnitude, got {bound:g}: "
                "larger values cannot be encoded with the fixed-point precision secure sums need"
            )
        return bound

    @model_validator(mode="after")
    def _bounds_are_an_interval(self) -> Variable:
        if self.lo >= self.hi:
            raise ValueError(f"bounds of {self.name!r} need lo < hi, got [{self.lo}, {self.hi}]")
        if self.level is not None and (self.lo, self.hi) != (0, 1):
            raise ValueError(f"the indicator {self.term!r} takes the bounds [0, 1]")
        return self

    @model_serializer(mode="wrap")
    def _without_absent_level(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A plain variable is written as it was declared: {"name", "lo", "hi"}.
        data: dict[str, Any] = handler(self)
        if data.get("level") is None:
            data.pop("level", None)
        return data

    @property
    def term(self) -> str:
        """How results name the variable: the column, or column=level for an indicator."""
        return self.name if self.level is None else f"{self.name}={self.level}"

    @property
    def center(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    @property
    def magnitude(self) -> float:
        """Largest absolute value a clipped value can take."""
        return max(abs(self.lo), abs(self.hi))


def require_distinct(names: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} names {name!r} twice")
        seen.add(name)


def clip_variables(frame: pl.DataFrame, variables: Sequence[Variable]) -> tuple[pl.DataFrame, int]:
    """Cast each variable to Float64 and clip it to its bounds; return the frame and how many values moved."""
    if not variables:
        return frame, 0
    for variable in variables:
        dtype = frame.schema[variable.name]
        if variable.level is not None:
            if not (dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)):
                raise AnalysisError(
                    f"column {variable.name!r} is {dtype}, not a category; drop level {variable.level!r}"
                )
        elif not (dtype.is_numeric() or dtype == pl.Boolean):
            raise AnalysisError(f"column {variable.name!r} is {dtype}, not numeric")
    cast = frame.with_columns(
        (pl.col(v.name).cast(pl.String) == v.level if v.level is not None else pl.col(v.name)).cast(
            pl.Float64
        )
        for v in variables
    )
    outside = cast.select(
        pl.sum_horizontal(
            ((pl.col(v.name) < v.lo) | (pl.col(v.name) > v.hi)).sum().cast(pl.Int64) for v in variables
        )
    ).item()
    return cast.with_columns(pl.col(v.name).clip(v.lo, v.hi) for v in variables), int(outside)
