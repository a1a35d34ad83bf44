"""Validation of an uploaded CSV against its category's schema, with polars expressions only.

The file is read in chunks of about CHUNK_BYTES that end at record boundaries, so memory stays
bounded whatever the file size; every cell of a chunk is parsed and checked by vectorized
expressions: no Python loop ever visits a row. A row is rejected for its first failing column; the
report lists the first rejected rows and counts every (column, reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
# Parsed, a chunk takes several times its size in memory; larger chunks are no faster (measured).
CHUNK_BYTES = 2 << 20
_RECORD, _COLUMN, _REASON, _BLANK, _BAD = "__record", "__column", "__reason", "__blank", "__bad"
_FORMULA = r"^[=+\-@]"
# Whole numbers up to 2^53 are exact in the stored float: such columns are integers, written back as such.
_EXACT_INTEGER = 2.0**53
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
    """The whole file at once, for callers that need every accepted row in one frame."""
    validation = Validation(path, layout, schema)
    frame = pl.concat(validation.accepted(), rechunk=True)
    return Validated(frame=frame, columns=validation.columns, report=validation.report)


class Validation:
    """One file validated chunk by chunk.

    `accepted()` yields the accepted rows of each chunk, typed and under their canonical names (an
    empty frame when a chunk has none); `report` is complete once it is exhausted.
    """

    def __init__(self, path: Path, layout: Layout, schema: Schema) -> None:
        self.path, self.layout = path, layout
        sources, ignored = _match_columns(layout, schema)
        try:
            if schema.category is Category.custom:
                sources = _infer_custom(path, layout, sources)
            formats = _datetime_formats(path, layout, sources)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
            raise _parse_error(path, str(exc)) from exc
        self.columns = [column for _, column in sources]
        self._rules = {
            plain: [
                _rule(pl.col(f"c{i}"), column, layout.delimiter, formats.get(column.name), plain=plain)
                for i, column in sources
            ]
            for plain in (False, True)
        }
        self._names = [rule.name for rule in self._rules[False]]
        self._checks = [(rule.name, rule.reasons) for rule in self._rules[False]] + _cross_checks(schema)
        self._failed = [condition.fill_null(False) for _, reasons in self._checks for condition, _ in reasons]
        self._text: dict[str, pl.DataType] = {f"c{i}": pl.String() for i in range(len(layout.header))}
        numbers = {i for i, column in sources if column.kind in (Kind.number, Kind.integer)}
        self._typed: dict[str, pl.DataType] = {
            name: pl.Float64() if i in numbers else pl.String() for i, name in enumerate(self._text)
        }
        self.report = Report(delimiter=layout.delimiter_name, ignored_columns=ignored)
        empty = pl.DataFrame(schema=self._text).with_row_index(_RECORD)
        self.schema = self._parse(empty, plain=False).select(self._names).schema

    def accepted(self) -> Iterator[pl.DataFrame]:
        report = self.report
        listed: list[pl.DataFrame] = []
        counts: list[pl.DataFrame] = []
        records = 0
        try:
            for number, piece in enumerate(_pieces(self.path)):
                raw, plain = self._read(piece, first=number == 0)
                del piece
                frame = self._parse(raw.with_row_index(_RECORD, records), plain=plain)
                records += raw.height
                del raw
                blank = int(frame.get_column(_BLANK).sum())
                if blank:
                    frame = frame.filter(~pl.col(_BLANK))
                report.blank_lines += blank
                report.rows_read += frame.height
                if frame.get_column(_BAD).any():
                    bad = frame.filter(pl.col(_BAD))
                    frame = frame.filter(~pl.col(_BAD))
                    report.rows_rejected += bad.height
                    explained = _explain(bad, self._checks)
                    del bad
                    room = MAX_LISTED_PROBLEMS - sum(part.height for part in listed)
                    if room > 0:
                        listed.append(explained.head(room).select(_RECORD, _COLUMN, _REASON))
                    counts.append(explained.group_by(_COLUMN, _REASON).agg(pl.len().alias("rows")))
                report.rows_accepted += frame.height
                yield frame.select(self._names)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
            raise _parse_error(self.path, str(exc)) from exc
        report.problems = [
            {"line": int(row[_RECORD]) + 2, "column": row[_COLUMN], "reason": row[_REASON]}
            for part in listed
            for row in part.iter_rows(named=True)
        ]
        if counts:
            totals = pl.concat(counts).group_by(_COLUMN, _REASON).agg(pl.col("rows").sum())
            report.problem_counts = [
                {"column": row[_COLUMN], "reason": row[_REASON], "rows": int(row["rows"])}
                for row in totals.sort("rows", _COLUMN, descending=[True, False]).iter_rows(named=True)
            ]
        if report.rows_read == 0:
            raise Unprocessable("The file has a header but no data rows")

    def _read(self, piece: bytes, *, first: bool) -> tuple[pl.DataFrame, bool]:
        """The cells of a piece, and whether it is plain: numbers already parsed, nothing to trim.

        Most exports are plain; a piece with any whitespace or non-ASCII byte, or a number cell the
        reader rejects, is read as text and every cell is parsed by the expressions instead.
        """
        if _plain(piece):
            try:
                return _read_piece(piece, self.layout, self._typed, first=first), True
            except pl.exceptions.ComputeError:
                pass
        return _read_piece(piece, self.layout, self._text, first=first), False

    def _parse(self, raw: pl.DataFrame, *, plain: bool) -> pl.DataFrame:
        """Every cell of a chunk parsed, each row flagged blank and bad; reasons are worked out
        later, for bad rows only."""
        rules, failed = self._rules[plain], self._failed
        return (
            raw.lazy()
            .with_columns(pl.all_horizontal(pl.exclude(_RECORD).is_null()).alias(_BLANK))
            .select(
                _RECORD,
                _BLANK,
                *[rule.value.alias(rule.name) for rule in rules],
                *[rule.missing.alias(_missing(rule.name)) for rule in rules],
            )
            .with_columns(pl.any_horizontal(failed).alias(_BAD) if failed else pl.lit(False).alias(_BAD))
            .collect()
        )


def _raw_chunks(path: Path, layout: Layout, columns: list[int]) -> Iterator[pl.DataFrame]:
    """Some columns of the data rows as text, chunk by chunk."""
    schema: dict[str, pl.DataType] = {f"c{i}": pl.String() for i in range(len(layout.header))}
    for number, piece in enumerate(_pieces(path)):
        yield _read_piece(piece, layout, schema, first=number == 0, columns=columns)


def _read_piece(
    piece: bytes,
    layout: Layout,
    schema: dict[str, pl.DataType],
    *,
    first: bool,
    columns: list[int] | None = None,
) -> pl.DataFrame:
    if first:
        return pl.read_csv(
            piece,
            has_header=False,
            separator=layout.delimiter,
            schema=schema,
            columns=columns,
            quote_char='"',
        )
    # A chunk's first line sets the number of fields the parser expects; after the first chunk,
    # a line of empty fields (dropped again) keeps a short row from being read as the norm.
    padding = (layout.delimiter * (len(schema) - 1) + "\n").encode()
    frame = pl.read_csv(
        padding + piece,
        has_header=False,
        separator=layout.delimiter,
        schema=schema,
        columns=columns,
        quote_char='"',
    )
    return frame.slice(1)


_WHITESPACE = (b" ", b"\t", b"\x0b", b"\x0c")


def _plain(piece: bytes) -> bool:
    """No cell of the piece can hold whitespace that trimming would remove (line ends aside)."""
    # Counting is far slower than searching: only files with carriage returns pay for it.
    return (
        piece.isascii()
        and not any(space in piece for space in _WHITESPACE)
        and (b"\r" not in piece or piece.count(b"\r") == piece.count(b"\r\n"))
    )


def _pieces(path: Path) -> Iterator[bytes]:
    """The bytes after the header, in pieces of about CHUNK_BYTES that each end at a record boundary.

    A newline ends a record unless it is inside a quoted field, that is unless an odd number of
    quote characters precede it. Every piece starts outside quotes, so only the piece is counted.
    """
    with path.open("rb") as handle:
        pending = b""
        header_done = False
        while block := handle.read(CHUNK_BYTES):
            data = pending + block if pending else block
            if not header_done:
                start = _first_record_end(data)
                if start < 0:
                    pending = data
                    continue
                data, header_done = data[start:], True
            cut = _last_record_end(data)
            if cut <= 0:
                pending = data
                continue
            pending = data[cut:]
            yield data[:cut]
        if header_done and pending:
            yield pending


def _first_record_end(data: bytes) -> int:
    quotes, start = 0, 0
    newline = data.find(b"\n")
    while newline >= 0:
        quotes += data.count(b'"', start, newline)
        if quotes % 2 == 0:
            return newline + 1
        start, newline = newline, data.find(b"\n", newline + 1)
    return -1


def _last_record_end(data: bytes) -> int:
    quotes = data.count(b'"')
    end = len(data)
    newline = data.rfind(b"\n")
    while newline >= 0:
        quotes -= data.count(b'"', newline, end)
        if quotes % 2 == 0:
            return newline + 1
        end, newline = newline, data.rfind(b"\n", 0, newline)
    return -1


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


def _infer_custom(path: Path, layout: Layout, sources: list[tuple[int, Column]]) -> list[tuple[int, Column]]:
    """Columns of a custom upload that are not in the catalog become integers when every value is a
    whole number, numbers when every value is one, and text otherwise."""
    unknown = [(i, c) for i, c in sources if c.name not in catalog.KNOWN_COLUMNS]
    if not unknown:
        return sources
    tests = []
    for i, _ in unknown:
        cell = pl.col(f"c{i}")
        blank = _trimmed(cell).is_null()
        number = _number(cell, layout.delimiter)
        whole = (number == number.round(0)) & (number.abs() <= _EXACT_INTEGER)
        tests.append((blank | number.is_not_null()).fill_null(False).all().alias(f"number{i}"))
        tests.append((blank | whole).fill_null(False).all().alias(f"whole{i}"))
    numeric = {i: True for i, _ in unknown}
    whole_only = dict(numeric)
    for raw in _raw_chunks(path, layout, [i for i, _ in unknown]):
        verdicts = raw.select(tests).row(0, named=True)
        for i, _ in unknown:
            numeric[i] = numeric[i] and bool(verdicts[f"number{i}"])
            whole_only[i] = whole_only[i] and bool(verdicts[f"whole{i}"])
        if not any(numeric.values()):
            break
    inferred = {
        c.name: Column(c.name, c.label, _inferred_kind(numeric[i], whole_only[i])) for i, c in unknown
    }
    return [(i, inferred.get(c.name, c)) for i, c in sources]


def _inferred_kind(numeric: bool, whole_only: bool) -> Kind:
    if not numeric:
        return Kind.text
    return Kind.integer if whole_only else Kind.number


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


def _trimmed(cell: pl.Expr, *, plain: bool = False) -> pl.Expr:
    text = cell if plain else cell.str.strip_chars()
    return pl.when(text != "").then(text)


def _number(cell: pl.Expr, delimiter: str) -> pl.Expr:
    text = cell.str.strip_chars()
    # Semicolon-separated files come from locales that write a decimal comma.
    if delimiter == ";":
        text = text.str.replace(",", ".", literal=True)
    number = text.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _rule(
    cell: pl.Expr, column: Column, delimiter: str, datetime_format: str | None, *, plain: bool = False
) -> _Rule:
    """`plain`: the chunk has no whitespace to trim, and its number cells were parsed by the CSV reader
    (which accepts exactly the text that `_number` accepts, with the same values)."""
    parsed, missing = pl.col(column.name), pl.col(_missing(column.name))
    reasons: list[tuple[pl.Expr, str]] = []
    if column.required:
        reasons.append((missing, "required value is missing"))
    value: pl.Expr
    # Empty fields arrive as null: a cell that is present but does not parse is a typing error.
    unparsed = ~missing & parsed.is_null()
    if column.kind in (Kind.number, Kind.integer):
        value = pl.when(cell.is_finite()).then(cell) if plain else _number(cell, delimiter)
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
        value = _datetime(cell, datetime_format, plain=plain)
        shown = (datetime_format or _DATETIME_FORMATS[0]).replace("%.f", "[.fff]")
        reasons.append((unparsed, f"not a date-time in this column's format ({shown})"))
        latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        reasons.append(
            ((parsed < _EARLIEST) | (parsed > latest), "outside the plausible range 1900-01-01 to today")
        )
    else:
        value = _trimmed(cell, plain=plain)
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


def _datetime(cell: pl.Expr, datetime_format: str | None, *, plain: bool = False) -> pl.Expr:
    if datetime_format is None:
        return pl.lit(None, dtype=pl.Datetime("us"))
    text = cell if plain else cell.str.strip_chars()
    if datetime_format == "%Y-%m-%d":
        return text.str.to_date(datetime_format, strict=False).cast(pl.Datetime("us"))
    # No cache: timestamps are nearly all distinct, and the cache halves the parsing speed.
    return text.str.to_datetime(datetime_format, strict=False, time_unit="us", cache=False)


def _datetime_formats(path: Path, layout: Layout, sources: list[tuple[int, Column]]) -> dict[str, str | None]:
    """One ISO 8601 layout per date-time column, chosen on its first values (exports use one layout)."""
    columns = [(i, c) for i, c in sources if c.kind is Kind.datetime]
    if not columns:
        return {}
    samples: dict[str, list[str]] = {c.name: [] for _, c in columns}
    for raw in _raw_chunks(path, layout, [i for i, _ in columns]):
        for i, column in columns:
            sample = samples[column.name]
            if len(sample) < _FORMAT_SAMPLE:
                values = raw.get_column(f"c{i}").drop_nulls().str.strip_chars()
                sample += values.head(_FORMAT_SAMPLE - len(sample)).to_list()
        if all(len(sample) >= _FORMAT_SAMPLE for sample in samples.values()):
            break
    chosen: dict[str, str | None] = {}
    for _, column in columns:
        sample_series = pl.Series(samples[column.name], dtype=pl.String)
        best, best_hits = None, 0
        for fmt in _DATETIME_FORMATS:
            hits = _datetime(pl.lit(sample_series), fmt).is_not_null().sum()
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


def _explain(bad: pl.DataFrame, checks: list[tuple[str, list[tuple[pl.Expr, str]]]]) -> pl.DataFrame:
    """The record number and first failing (column, reason) of each rejected row."""
    reasons = [(name, condition, reason) for name, conditions in checks for condition, reason in conditions]
    first_reason = pl.coalesce([pl.when(c).then(pl.lit(r)) for _, c, r in reasons]).alias(_REASON)
    first_column = pl.coalesce([pl.when(c).then(pl.lit(n)) for n, c, _ in reasons]).alias(_COLUMN)
    return bad.select(_RECORD, first_column, first_reason)


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
