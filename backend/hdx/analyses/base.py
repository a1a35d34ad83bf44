"""What every analysis declares (parameters, vector layout with per-element bounds) and the common
local and finalize steps around its own arithmetic."""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from .disclosure import check_k, require_cohort
from .errors import AnalysisError, MissingColumns
from .filters import Filter, apply_filters, check_filter_disclosure
from .variables import Variable, clip_variables

FloatVector = npt.NDArray[np.float64]

CLIPPED = "clipped"


@dataclass(frozen=True)
class Element:
    """One vector element: `bound` is the largest absolute value a single party's element can take.
    Bounds are declared as max_rows times the most one record adds, so the layout at max_rows=1 gives
    the per-record bounds differential privacy calibrates to. Elements sharing an `exclusive` label
    take at most one record's contribution between them (one bin, one cell), which keeps sensitivity
    from growing with the number of bins."""

    name: str
    bound: float
    integer: bool = False
    exclusive: str | None = None


@dataclass(frozen=True)
class Run:
    """Elements alike but for their names (the cells of a table, the bins of a histogram), named
    `prefix[a,b]` over the product of `axes`, the last axis fastest. One object however many elements
    it stands for, so a layout of a million cells is as cheap to build and compare as one of a few."""

    prefix: str
    axes: tuple[tuple[int | str, ...], ...]
    bound: float
    integer: bool = False
    exclusive: str | None = None

    def __len__(self) -> int:
        return math.prod(len(axis) for axis in self.axes)

    def name(self, index: int) -> str:
        labels = []
        for axis in reversed(self.axes):
            index, position = divmod(index, len(axis))
            labels.append(str(axis[position]))
        return f"{self.prefix}[{','.join(reversed(labels))}]"

    def elements(self) -> Iterator[Element]:
        for labels in itertools.product(*self.axes):
            name = f"{self.prefix}[{','.join(map(str, labels))}]"
            yield Element(name, self.bound, self.integer, self.exclusive)


@dataclass(frozen=True)
class Layout:
    """The vector an analysis sums: single elements and runs of alike elements, in order."""

    parts: tuple[Element | Run, ...]

    def __len__(self) -> int:
        return sum(_size(part) for part in self.parts)

    @property
    def elements(self) -> tuple[Element, ...]:
        """Every element on its own (runs spelled out: a million cells make a million objects)."""
        return tuple(
            element
            for part in self.parts
            for element in (part.elements() if isinstance(part, Run) else (part,))
        )

    @property
    def names(self) -> list[str]:
        return [element.name for element in self.elements]

    def name(self, index: int) -> str:
        offset = index
        for part in self.parts:
            if 0 <= offset < _size(part):
                return part.name(offset) if isinstance(part, Run) else part.name
            offset -= _size(part)
        raise IndexError(f"the layout has no element {index}")

    def same_elements(self, other: Layout) -> bool:
        """The same elements in the same order, whatever their bounds (which grow with max_rows)."""
        return _shapes(self) == _shapes(other)

    @property
    def bounds(self) -> FloatVector:
        return np.concatenate(
            [np.full(_size(part), part.bound, dtype=np.float64) for part in self.parts]
            or [np.zeros(0, dtype=np.float64)]
        )

    @property
    def integer(self) -> npt.NDArray[np.bool_]:
        return np.concatenate(
            [np.full(_size(part), part.integer, dtype=np.bool_) for part in self.parts]
            or [np.zeros(0, dtype=np.bool_)]
        )


def _size(part: Element | Run) -> int:
    return len(part) if isinstance(part, Run) else 1


def _shapes(layout: Layout) -> list[tuple[object, ...]]:
    return [
        (part.prefix, part.axes, part.integer) if isinstance(part, Run) else (part.name, part.integer)
        for part in layout.parts
    ]


@dataclass(frozen=True)
class Contribution:
    """One party's local vector, in layout order, and what it used: the rows counted after dropping
    nulls and filtering, and the values clipped to the declared bounds."""

    vector: FloatVector
    rows: int
    clipped: int


class Result(BaseModel):
    """A released aggregate with what protects it. `clipped` is None when withheld (it counted between
    1 and k-1 values, which could single out the few records beyond the declared bounds)."""

    analysis: str
    n: int
    values: dict[str, JsonValue]
    suppressed: list[str] = Field(default_factory=list)
    clipped: int | None = 0
    notes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Release:
    n: int
    values: dict[str, JsonValue]
    suppressed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class AnalysisParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: list[Filter] = Field(default_factory=list, max_length=20)


P = TypeVar("P", bound=AnalysisParams)


class Analysis(ABC, Generic[P]):
    """`local` runs at each party on its own rows; the protocol sums the vectors element-wise, and
    `finalize` turns the sum into the released result. The summed vector ends with the total number
    of clipped values, so clipping is reported without revealing any one party's count."""

    name: ClassVar[str]
    params_model: type[P]
    # An iterative analysis (logistic regression) takes one secure sum per iteration within one computation;
    # between iterations only these parameters change: the point at which the next sum is taken.
    iteration_fields: ClassVar[frozenset[str]] = frozenset()

    @property
    def iterative(self) -> bool:
        return bool(self.iteration_fields)

    def parse(self, raw: Mapping[str, Any]) -> P:
        """Validate request parameters (raises pydantic.ValidationError)."""
        return self.params_model.model_validate(raw)

    @abstractmethod
    def variables(self, params: P) -> list[Variable]:
        """The bounded numeric columns, clipped before `compute` sees them."""

    def extra_columns(self, params: P) -> list[str]:
        """Further columns the analysis reads; rows with a null in any of them are dropped too."""
        return []

    @abstractmethod
    def elements(self, params: P, max_rows: int) -> Sequence[Element | Run]:
        """The layout without the trailing clipped count."""

    def select_rows(self, frame: pl.DataFrame, params: P) -> pl.DataFrame:
        """Drop or reject rows the analysis cannot use, before the cohort checks count them."""
        return frame

    @abstractmethod
    def compute(self, frame: pl.DataFrame, params: P) -> FloatVector:
        """The local vector (without the clipped count) over rows already filtered and clipped."""

    @abstractmethod
    def release(self, vector: FloatVector, params: P, k: int) -> Release:
        """Finalize the summed vector (without the clipped count, integer elements already exact)."""

    def next_iteration(self, result: Result, params: P, iteration: int) -> P | None:
        """The parameters of the next secure sum once iteration `iteration` (from 1) gave `result`, or None
        when `result` is final. Raises AnalysisError when no final result can be reached."""
        return None

    def check_iteration(self, accepted: Mapping[str, Any], proposed: Mapping[str, Any]) -> P:
        """The parameters the exchange announces for a later iteration, parsed; refused (AnalysisError)
        unless they are valid and equal to the accepted ones outside `iteration_fields`. A party checks
        them before computing anything at them."""
        if not self.iterative:
            raise AnalysisError(f"{self.name} is a single secure sum; it has no further iterations")
        try:
            original, parsed = self.parse(accepted), self.parse(proposed)
        except ValidationError as exc:
            problems = "; ".join(str(error["msg"]) for error in exc.errors())
            raise AnalysisError(f"the parameters of the next iteration are invalid: {problems}") from None
        changed = sorted(
            name
            for name in type(parsed).model_fields
            if name not in self.iteration_fields and getattr(parsed, name) != getattr(original, name)
        )
        if changed:
            raise AnalysisError(
                f"the next iteration changes {', '.join(changed)}: only "
                f"{', '.join(sorted(self.iteration_fields))} may change between iterations"
            )
        return parsed

    def columns(self, params: P) -> list[str]:
        names = [variable.name for variable in self.variables(params)]
        return names + [name for name in self.extra_columns(params) if name not in names]

    def check_schema(self, schema: Mapping[str, pl.DataType], params: P) -> None:
        """Refuse a dataset whose columns cannot serve this analysis, before any row is read:
        MissingColumns for columns the analysis or its filters read and the dataset lacks, AnalysisError
        for a column of a kind they cannot use. The checks are `local`'s own, run on no rows."""
        needed = self.columns(params)
        needed += [f.column for f in params.filters if f.column not in needed]
        missing = [name for name in needed if name not in schema]
        if missing:
            raise MissingColumns(missing)
        empty = pl.DataFrame(schema=dict(schema))
        self.select_rows(empty, params)
        apply_filters(empty, params.filters)
        clip_variables(empty, self.variables(params))

    def layout(self, params: P, max_rows: int) -> Layout:
        if max_rows < 1:
            raise AnalysisError(f"max_rows must be at least 1, got {max_rows}")
        clip_slots = max(1, len(self.variables(params)))
        clipped = Element(CLIPPED, float(max_rows * clip_slots), integer=True)
        return Layout((*self.elements(params, max_rows), clipped))

    def local(self, frame: pl.DataFrame, params: P, *, k: int) -> Contribution:
        """This party's contribution; refuses (DisclosureError) when it would rest on fewer than k
        rows or when the filters exclude between 1 and k-1 rows."""
        check_k(k)
        columns = self.columns(params)
        missing = [name for name in columns if name not in frame.schema]
        if missing:
            raise AnalysisError(f"the dataset has no column {', '.join(map(repr, missing))}")
        # NaN is how some sources write a missing float; it must not pass as a value.
        frame = frame.with_columns(
            pl.col(name).fill_nan(None) for name in columns if frame.schema[name].is_float()
        ).drop_nulls(columns)
        frame = self.select_rows(frame, params)
        frame = check_filter_disclosure(frame, params.filters, k)
        frame, clipped = clip_variables(frame, self.variables(params))
        vector = np.append(self.compute(frame, params), float(clipped))
        return Contribution(vector=vector.astype(np.float64), rows=frame.height, clipped=clipped)

    def finalize(self, vector: Sequence[float] | FloatVector, params: P, *, k: int) -> Result:
        """The released result from the summed vector; refuses (DisclosureError) when it covers
        fewer than k records and suppresses cells below k."""
        check_k(k)
        summed = np.asarray(vector, dtype=np.float64)
        layout = self.layout(params, 1)
        if summed.shape != (len(layout),):
            raise AnalysisError(
                f"{self.name} expects a vector of {len(layout)} elements, got shape {summed.shape}"
            )
        if not np.all(np.isfinite(summed)):
            raise AnalysisError(f"{self.name} received a vector with non-finite elements")
        # Fixed-point decoding leaves counts a rounding error away from whole numbers. Under differential
        # privacy they also carry noise and may fall below zero, which no count can: they are clamped at
        # 0. This is post-processing of the noised output, which cannot weaken its guarantee.
        summed = np.where(layout.integer, np.maximum(np.rint(summed), 0.0), summed)
        outcome = self.release(summed[:-1], params, k)
        require_cohort(outcome.n, k)
        clipped: int | None = int(summed[-1])
        suppressed, notes = list(outcome.suppressed), list(outcome.notes)
        if clipped is not None and 0 < clipped < k:
            # Like a small cell: how many values lay beyond the bounds would describe fewer than k records.
            clipped = None
            suppressed.append(CLIPPED)
            notes.append(f"the number of values clipped to the bounds is withheld: it is below k={k}")
        return Result(
            analysis=self.name,
            n=outcome.n,
            values=outcome.values,
            suppressed=suppressed,
            clipped=clipped,
            notes=notes,
        )


def with_iterations(result: Result, iterations: int) -> Result:
    """An iterative analysis' final result, with the number of secure sums it took."""
    return result.model_copy(update={"values": {**result.values, "iterations": iterations}})
