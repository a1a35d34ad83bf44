"""Validation of an uploaded CSV against its category's schema, with polars expressions only.

The file is scanned as text and every cell is parsed and checked by vectorized expressions, in one
streaming pass: no Python loop ever visits a row. A row is rejected for its first failing column;
the report lists the first rejected rows and counts every (column, reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from hdx.datasets import catalog
from hdx.datasets.catalog import Category, Column, Kind, Schema
from hdx.datasets.sniff import Layout, not_utf8_error
from hdx.exceptions import Unprocessable

MAX_LISTED_PROBLEMS = 100
_RECORD, _COLUMN, _REASON, _BLANK, _BAD = "__record", "__column", "__reason", "__blank", "__bad"
_FORMULA = r"^[=+\-@]"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_FLAGS = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0, "t": 1, "f": 0}
_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_FORMAT_SAMPLE = 200
_EARLIEST = datetime(1900, 1, 1)
_CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass
class Report:
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    blank_lines: int = 0
    delimiter: str = ","
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_counts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def invalid_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "blank_lines": self.blank_lines,
            "delimiter": self.delimiter,
            "ignored_columns": self.ignored_columns,
            "problems": self.problems,
            "problem_counts": self.problem_counts,
        }


@dataclass
class Validated:
    frame: pl.DataFrame  # accepted rows only, typed, canonical column names
    columns: list[Column]
    report: Report


def validate(path: Path, layout: Layout, schema: Schema) -> Validated:
    sources, ignored = _match_columns(layout, schema)
    try:
        return _validate(path, layout, schema, sources, ignored)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
        raise _parse_error(path, str(exc)) from exc


def _validate(
    path: Path, layout: Layout, schema: Schema, sources: list[tuple[int, Column]], ignored: list[str]
) -> Validated:
    raw = pl.scan_csv(
        path,
        has_header=False,
        skip_rows=1,
        separator=layout.delimiter,
        schema={f"c{i}": pl.String for i in range(len(layout.header))},
        quote_char='"',
    )
    if schema.category is Category.custom:
        sources = _infer_custom(raw, sources, layout.delimiter)
    columns = [column for _, column in sources]
    formats = _datetime_formats(raw, sources)
    rules = [
        _rule(pl.col(f"c{i}"), column, layout.delimiter, formats.get(column.name)) for i, column in sources
    ]
    checks = [(rule.name, rule.reasons) for rule in rules] + _cross_checks(schema)
    failed = [condition.fill_null(False) for _, reasons in checks for condition, _ in reasons]
    # One streaming pass parses every cell and flags each row; reasons are worked out for bad rows only.
    parsed = (
        raw.with_row_index(_RECORD)
        .with_columns(pl.all_horizontal(pl.exclude(_RECORD).is_null()).alias(_BLANK))
        .select(
            _RECORD,
            _BLANK,
            *[rule.value.alias(rule.name) for rule in rules],
            *[rule.missing.alias(_missing(rule.name)) for rule in rules],
        )
        .with_columns(pl.any_horizontal(failed).alias(_BAD) if failed else pl.lit(False).alias(_BAD))
    )
    frame = parsed.collect(engine="streaming")
    blank_lines = int(frame.get_column(_BLANK).sum())
    if blank_lines:
        frame = frame.filter(~pl.col(_BLANK))
    bad = frame.filter(pl.col(_BAD))
    accepted = frame.filter(~pl.col(_BAD)) if bad.height else frame
    accepted = accepted.select(rule.name for rule in rules)
    problems, counts = _explain(bad, checks)
    report = Report(
        rows_read=frame.height,
        rows_accepted=accepted.height,
        rows_rejected=bad.height,
        blank_lines=blank_lines,
        delimiter=layout.delimiter_name,
        ignored_columns=ignored,
        problems=[
            {"line": int(row[_RECORD]) + 2, "column": row[_COLUMN], "reason": row[_REASON]}
            for row in problems.iter_rows(named=True)
        ],
        problem_counts=[
            {"column": row[_COLUMN], "reason": row[_REASON], "rows": int(row["rows"])}
            for row in counts.sort("rows", _COLUMN, descending=[True, False]).iter_rows(named=True)
        ],
    )
    if report.rows_read == 0:
        raise Unprocessable("The file has a header but no data rows")
    return Validated(frame=accepted, columns=columns, report=report)


def _match_columns(layout: Layout, schema: Schema) -> tuple[list[tuple[int, Column]], list[str]]:
    """(position in the file, catalog column) for each recognized header name; names ignored."""
    if schema.category is Category.custom:
        known = {c.name: c for c in catalog.KNOWN_COLUMNS.values()} | catalog.lookup((catalog.PATIENT_ID,))
    else:
        known = catalog.lookup(schema.columns)
    seen: dict[str, str] = {}
    claimed: dict[str, str] = {}
    sources: list[tuple[int, Column]] = []
    ignored: list[str] = []
    for position, name in enumerate(layout.header):
        normalized = catalog.normalize_name(name)
        if normalized in seen:
            raise Unprocessable(
                f"The header has the column '{name}' twice (as '{seen[normalized]}' and '{name}'): "
                "column names must be unique"
            )
        seen[normalized] = name
        column = known.get(normalized)
        if column is None and schema.category is Category.custom:
            column = _custom_column(name, normalized)
        if column is None:
            ignored.append(name)
            continue
        if column.name in claimed:
            raise Unprocessable(
                f"The columns '{claimed[column.name]}' and '{name}' both mean '{column.name}': keep one of them"
            )
        claimed[column.name] = name
        sources.append((position, column))
    _require(layout, schema, claimed)
    return sources, ignored


def _custom_column(name: str, normalized: str) -> Column:
    if not _CUSTOM_NAME.match(normalized):
        raise Unprocessable(
            f"Column name '{name}' cannot be used: names start with a letter and contain letters, "
            "digits and underscores (at most 63)"
        )
    # Kind is decided later from the values (_infer_custom); text until proven numeric.
    return Column(normalized, name, Kind.text)


def _require(layout: Layout, schema: Schema, claimed: dict[str, str]) -> None:
    for column in schema.columns:
        if column.required and column.name not in claimed:
            names = ", ".join([column.name, *column.aliases])
            message = f"Missing required column '{column.name}' (accepted names: {names})"
            if len(layout.header) == 1:
                message += (
                    f". The header was read as one single column ('{layout.header[0][:80]}'): "
                    "separate columns with a comma, semicolon or tab"
                )
            raise Unprocessable(message)
    if schema.needs_measure:
        measures = [c.name for c in schema.columns if c.kind is Kind.number]
        if not any(name in claimed for name in measures):
            raise Unprocessable(
                f"No measurement column for category '{schema.category.value}': expected at least one of "
                + ", ".join(measures)
            )


def _infer_custom(
    raw: pl.LazyFrame, sources: list[tuple[int, Column]], delimiter: str
) -> list[tuple[int, Column]]:
    """Columns of a custom upload that are not in the catalog become numbers when every value is one."""
    unknown = [(i, c) for i, c in sources if c.name not in catalog.KNOWN_COLUMNS]
    if not unknown:
        return sources
    tests = []
    for i, column in unknown:
        cell = pl.col(f"c{i}")
        tests.append(
            (_trimmed(cell).is_null() | _number(cell, delimiter).is_not_null()).all().alias(column.name)
        )
    numeric = raw.select(tests).collect(engine="streaming").row(0, named=True)
    inferred = {
        c.name: Column(c.name, c.label, Kind.number if numeric[c.name] else Kind.text) for _, c in unknown
    }
    return [(i, inferred.get(c.name, c)) for i, c in sources]


@dataclass(frozen=True)
class _Rule:
    """How one column is parsed (`value`, from the raw cell) and checked (`reasons`, on the parsed column).

    Two stages so that each cell is parsed once however many checks read the parsed value.
    """

    name: str
    value: pl.Expr
    missing: pl.Expr
    reasons: list[tuple[pl.Expr, str]]


def _missing(name: str) -> str:
    return f"__missing__{name}"


def _trimmed(cell: pl.Expr) -> pl.Expr:
    text = cell.str.strip_chars()
    return pl.when(text != "").then(text)


def _number(cell: pl.Expr, delimiter: str) -> pl.Expr:
    text = cell.str.strip_chars()
    # Semicolon-separated files come from locales that write a decimal comma.
    if delimiter == ";":
        text = text.str.replace(",", ".", literal=True)
    number = text.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _rule(cell: pl.Expr, column: Column, delimiter: str, datetime_format: str | None) -> _Rule:
    parsed, missing = pl.col(column.name), pl.col(_missing(column.name))
    reasons: list[tuple[pl.Expr, str]] = []
    if column.required:
        reasons.append((missing, "required value is missing"))
    value: pl.Expr
    # Empty fields arrive as null: a cell that is present but does not parse is a typing error.
    unparsed = ~missing & parsed.is_null()
    if column.kind in (Kind.number, Kind.integer):
        value = _number(cell, delimiter)
        reasons.append((unparsed, "not a number"))
        if column.kind is Kind.integer:
            reasons.append((parsed != parsed.round(0), "not a whole number"))
        if column.minimum is not None and column.maximum is not None:
            unit = f" {column.unit}" if column.unit else ""
            reasons.append(
                (
                    (parsed < column.minimum) | (parsed > column.maximum),
                    f"outside the plausible range {column.minimum:g} to {column.maximum:g}{unit}",
                )
            )
    elif column.kind is Kind.flag:
        value = (
            cell.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(_FLAGS, default=None, return_dtype=pl.Int8)
        )
        reasons.append((unparsed, "not a yes/no flag (expected 1 or 0)"))
    elif column.kind is Kind.category:
        value = (
            cell.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(column.codes, default=None, return_dtype=pl.String)
        )
        allowed = ", ".join(sorted(set(column.codes.values())))
        reasons.append((unparsed, f"not one of the accepted codes ({allowed})"))
    elif column.kind is Kind.datetime:
        value = _datetime(cell, datetime_format)
        shown = (datetime_format or _DATETIME_FORMATS[0]).replace("%.f", "[.fff]")
        reasons.append((unparsed, f"not a date-time in this column's format ({shown})"))
        latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        reasons.append(
            ((parsed < _EARLIEST) | (parsed > latest), "outside the plausible range 1900-01-01 to today")
        )
    else:
        value = _trimmed(cell)
        if column.kind is Kind.code:
            value = value.str.to_uppercase()
        reasons.append(
            (parsed.str.len_chars() > column.max_length, f"longer than {column.max_length} characters")
        )
        reasons.append((parsed.str.contains(_CONTROL), "contains control characters"))
        if column.kind is Kind.code and column.pattern is not None:
            reasons.append((~parsed.str.contains(column.pattern), f"not a valid {column.label}"))
        if column.kind is Kind.text:
            reasons.append(
                (
                    parsed.str.contains(_FORMULA),
                    "starts with '=', '+', '-' or '@', which a spreadsheet would run as a formula",
                )
            )
        # Blank text counts as missing.
        return _Rule(column.name, value, value.is_null(), reasons)
    return _Rule(column.name, value, cell.is_null(), reasons)


def _datetime(cell: pl.Expr, datetime_format: str | None) -> pl.Expr:
    if datetime_format is None:
        return pl.lit(None, dtype=pl.Datetime("us"))
    text = cell.str.strip_chars()
    if datetime_format == "%Y-%m-%d":
        return text.str.to_date(datetime_format, strict=False).cast(pl.Datetime("us"))
    # No cache: timestamps are nearly all distinct, and the cache halves the parsing speed.
    return text.str.to_datetime(datetime_format, strict=False, time_unit="us", cache=False)


def _datetime_formats(raw: pl.LazyFrame, sources: list[tuple[int, Column]]) -> dict[str, str | None]:
    """One ISO 8601 layout per date-time column, chosen on its first values (exports use one layout)."""
    columns = [(i, c) for i, c in sources if c.kind is Kind.datetime]
    if not columns:
        return {}
    samples = raw.select(
        pl.col(f"c{i}").drop_nulls().str.strip_chars().head(_FORMAT_SAMPLE).implode().alias(c.name)
        for i, c in columns
    ).collect()
    chosen: dict[str, str | None] = {}
    for _, column in columns:
        sample = pl.Series(samples[column.name][0], dtype=pl.String)
        best, best_hits = None, 0
        for fmt in _DATETIME_FORMATS:
            hits = _datetime(pl.lit(sample), fmt).is_not_null().sum()
            count = int(pl.select(hits).item())
            if count > best_hits:
                best, best_hits = fmt, count
        chosen[column.name] = best
    return chosen


def _cross_checks(schema: Schema) -> list[tuple[str, list[tuple[pl.Expr, str]]]]:
    """Lab values are range-checked against the catalog entry of their LOINC code, when it has one."""
    if schema.category is not Category.lab_results:
        return []
    code, value = pl.col("loinc_code"), pl.col("value")
    codes = list(catalog.RANGES_BY_LOINC)
    lows = pl.Series([float(catalog.RANGES_BY_LOINC[c][0]) for c in codes], dtype=pl.Float64)
    highs = pl.Series([float(catalog.RANGES_BY_LOINC[c][1]) for c in codes], dtype=pl.Float64)
    low = code.replace_strict(codes, lows, default=None, return_dtype=pl.Float64)
    high = code.replace_strict(codes, highs, default=None, return_dtype=pl.Float64)
    return [("value", [((value < low) | (value > high), "outside the plausible range for its LOINC code")])]


def _explain(
    bad: pl.DataFrame, checks: list[tuple[str, list[tuple[pl.Expr, str]]]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first failing (column, reason) of each rejected row: listed for the first rows, counted for all."""
    reasons = [(name, condition, reason) for name, conditions in checks for condition, reason in conditions]
    if not reasons or bad.height == 0:
        empty = pl.DataFrame(
            schema={_RECORD: pl.UInt32, _COLUMN: pl.String, _REASON: pl.String, "rows": pl.UInt32}
        )
        return empty, empty
    first_reason = pl.coalesce([pl.when(c).then(pl.lit(r)) for _, c, r in reasons]).alias(_REASON)
    first_column = pl.coalesce([pl.when(c).then(pl.lit(n)) for n, c, _ in reasons]).alias(_COLUMN)
    explained = bad.select(_RECORD, first_column, first_reason)
    counts = explained.group_by(_COLUMN, _REASON).agg(pl.len().alias("rows"))
    return explained.head(MAX_LISTED_PROBLEMS), counts


def _parse_error(path: Path, message: str) -> Unprocessable:
    if "utf-8" in message.lower() or "utf8" in message.lower():
        return not_utf8_error(path)
    if "more fields" in message or "not specified in schema" in message:
        return Unprocessable(
            "A row has more fields than the header has columns: check the delimiter and the quoting "
            "of fields that contain it"
        )
    # Parser messages can quote cell contents, so they are not passed on.
    return Unprocessable("The file could not be parsed as CSV: check the quoting and the delimiter")
