"""The agent's local data: a CSV or Parquet file read through the same catalog validation as a vault
upload, so an analysis sees the same canonical columns, types and plausible ranges in both places."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from hdx.datasets.catalog import SCHEMAS, Category
from hdx.datasets.ingest import pseudonymize
from hdx.datasets.sniff import sniff
from hdx.datasets.validation import Report, Validated, validate
from hdx.exceptions import HdxError

PARQUET_MAGIC = b"PAR1"
DEFAULT_MAX_INVALID_SHARE = 0.05


class SourceError(Exception):
    pass


@dataclass(frozen=True)
class LocalData:
    path: Path
    category: Category
    frame: pl.DataFrame
    report: Report

    @property
    def rows(self) -> int:
        return self.frame.height


def load(
    path: Path, category: Category = Category.custom, *, max_invalid_share: float = DEFAULT_MAX_INVALID_SHARE
) -> LocalData:
    if not path.is_file():
        raise SourceError(f"no data file at {path}")
    schema = SCHEMAS[category]
    try:
        if _is_parquet(path):
            validated = _validate_parquet(path, category)
        else:
            validated = validate(path, sniff(path), schema)
    except HdxError as exc:
        raise SourceError(f"{path}: {exc.message}") from exc
    report = validated.report
    if report.rows_accepted == 0 or report.invalid_share > max_invalid_share:
        raise SourceError(
            f"{path}: {report.rows_rejected} of {report.rows_read} rows are invalid "
            f"({report.invalid_share:.1%}, at most {max_invalid_share:.0%} allowed); first problems: "
            + "; ".join(f"line {p['line']} {p['column']}: {p['reason']}" for p in report.problems[:5])
        )
    # Vault datasets carry a pseudonym, never the raw identifier; a key fresh at every load is enough
    # because pseudonyms never leave the agent and are only compared within one frame.
    frame = pseudonymize(validated.frame, secrets.token_bytes(32))
    return LocalData(path=path, category=category, frame=frame, report=report)


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def _validate_parquet(path: Path, category: Category) -> Validated:
    """Parquet goes through the CSV validator as text, so both formats obey exactly the same rules.
    The text copy lives in a private temporary directory (0700) and is removed at once."""
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SourceError(f"{path} could not be read as Parquet: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="hdx-agent-") as directory:
        text = Path(directory) / "data.csv"
        frame.cast(pl.String).write_csv(text)
        return validate(text, sniff(text), SCHEMAS[category])
