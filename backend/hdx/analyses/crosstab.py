"""Two-way frequency table of two categorical columns over declared categories."""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from .base import Analysis, AnalysisParams, Element, FloatVector, Release, Run
from .disclosure import require_cohort, suppress_small_cells
from .errors import AnalysisError
from .variables import Variable, check_int64

Category = StrictInt | StrictStr


class Categorical(BaseModel):
    """A column and the categories to count; rows with any other value are left out of the table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    categories: list[Category] = Field(min_length=1, max_length=1000)

    @field_validator("categories")
    @classmethod
    def _one_kind_no_repeats(cls, categories: list[Category]) -> list[Category]:
        if len({type(c) for c in categories}) > 1:
            raise ValueError("categories must be all text or all integers")
        if len(set(categories)) != len(categories):
            raise ValueError("categories must not repeat")
        for category in categories:
            check_int64(category, "integer categories")
        return categories


class CrosstabParams(AnalysisParams):
    row: Categorical
    column: Categorical

    @model_validator(mode="after")
    def _two_columns(self) -> CrosstabParams:
        if self.row.name == self.column.name:
            raise ValueError("row and column must be different columns")
        return self


def _matches(frame: pl.DataFrame, categorical: Categorical) -> pl.Expr:
    dtype = frame.schema[categorical.name]
    is_text = dtype == pl.String or dtype == pl.Categorical or dtype == pl.Enum
    wants_text = isinstance(categorical.categories[0], str)
    if is_text != wants_text or not (is_text or dtype.is_integer() or dtype.is_float()):
        kind = "text" if wants_text else "integer"
        raise AnalysisError(f"column {categorical.name!r} is {dtype}, but its categories are {kind}")
    column = pl.col(categorical.name)
    return pl.any_horizontal(column == pl.lit(category) for category in categorical.categories)


class CrosstabAnalysis(Analysis[CrosstabParams]):
    name = "crosstab"
    params_model = CrosstabParams

    def variables(self, params: CrosstabParams) -> list[Variable]:
        return []

    def extra_columns(self, params: CrosstabParams) -> list[str]:
        return [params.row.name, params.column.name]

    def elements(self, params: CrosstabParams, max_rows: int) -> list[Element | Run]:
        axes = (tuple(params.row.categories), tuple(params.column.categories))
        return [Run("count", axes, float(max_rows), integer=True, exclusive="cells")]

    def select_rows(self, frame: pl.DataFrame, params: CrosstabParams) -> pl.DataFrame:
        return frame.filter(_matches(frame, params.row), _matches(frame, params.column))

    def compute(self, frame: pl.DataFrame, params: CrosstabParams) -> FloatVector:
        # One grouping pass: a table of hundreds of cells must not cost a scan per cell.
        row_index = {category: i for i, category in enumerate(params.row.categories)}
        column_index = {category: j for j, category in enumerate(params.column.categories)}
        table = np.zeros((len(row_index), len(column_index)), dtype=np.float64)
        counts = frame.group_by(params.row.name, params.column.name).len()
        for r, c, n in counts.iter_rows():
            i, j = row_index.get(r), column_index.get(c)
            if i is not None and j is not None:
                table[i, j] = n
        return table.ravel()

    def release(self, vector: FloatVector, params: CrosstabParams, k: int) -> Release:
        shape = (len(params.row.categories), len(params.column.categories))
        table = vector.astype(np.int64).reshape(shape)
        n = int(table.sum())
        require_cohort(n, k)
        hidden = suppress_small_cells(table, k)
        # Python ints with None for the withheld cells, in one pass: a table may have a million cells.
        published = table.astype(object)
        published[hidden] = None
        cells: list[JsonValue] = list(published.tolist())
        suppressed = [
            f"count[{params.row.categories[i]},{params.column.categories[j]}]"
            for i, j in zip(*np.nonzero(hidden), strict=True)
        ]
        notes = [f"cells counting fewer than k={k} people are withheld"] if suppressed else []
        return Release(
            n=n,
            values={
                "row": params.row.name,
                "column": params.column.name,
                "row_categories": list(params.row.categories),
                "column_categories": list(params.column.categories),
                "counts": cells,
            },
            suppressed=suppressed,
            notes=notes,
        )
