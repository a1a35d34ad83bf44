"""Whether a vault dataset can serve a computation's analysis, judged from its stored column list
before an organization's acceptance binds it: a dataset that lacks a column, or holds it as another
kind, would only make its hosted party drop out once the computation runs."""

from __future__ import annotations

from typing import Any

import polars as pl

from hdx.analyses import AnalysisError, MissingColumns, get_analysis
from hdx.datasets.models import Dataset
from hdx.exceptions import Unprocessable

# How the vault stores each kind of catalog column (hdx.datasets.validation): numbers as Float64,
# flags as 0/1 Int8, date-times as microsecond Datetime, everything else as text.
_STORED: dict[str, pl.DataType] = {
    "number": pl.Float64(),
    "integer": pl.Float64(),
    "flag": pl.Int8(),
    "datetime": pl.Datetime("us"),
}


def schema_of(dataset: Dataset) -> dict[str, pl.DataType]:
    """The column types analyses read from this dataset."""
    return {column["name"]: _STORED.get(column["kind"], pl.String()) for column in dataset.columns}


def check(dataset: Dataset, analysis_name: str, params: dict[str, Any]) -> None:
    """Unprocessable on `dataset_id`, naming the missing columns or the column of the wrong kind."""
    analysis = get_analysis(analysis_name)
    try:
        analysis.check_schema(schema_of(dataset), analysis.parse(params))
    except MissingColumns as exc:
        message = f"dataset {dataset.name!r} cannot serve this {analysis_name}: {exc}"
        raise Unprocessable(
            message, detail=[{"field": "dataset_id", "message": message, "missing_columns": exc.columns}]
        ) from exc
    except AnalysisError as exc:
        message = f"dataset {dataset.name!r} cannot serve this {analysis_name}: {exc}"
        raise Unprocessable(message, detail=[{"field": "dataset_id", "message": message}]) from exc
