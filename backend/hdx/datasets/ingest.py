"""The CPU-bound part of an upload, run in a worker thread: sniff, validate, pseudonymize, encrypt, store."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from hdx.crypto import envelope
from hdx.datasets import vault
from hdx.datasets.catalog import Column, Kind, Schema
from hdx.datasets.sniff import sniff
from hdx.datasets.validation import Report, validate
from hdx.exceptions import Unprocessable

PSEUDONYM = "patient_pseudonym"


@dataclass(frozen=True)
class IngestJob:
    source: Path
    schema: Schema
    pseudonym_key: bytes
    dek: bytes
    context: bytes
    destination: Path
    max_invalid_share: float


@dataclass(frozen=True)
class Ingested:
    report: Report
    columns: list[dict[str, Any]]
    rows: int
    stored_bytes: int


def ingest(job: IngestJob) -> Ingested:
    layout = sniff(job.source)
    validated = validate(job.source, layout, job.schema)
    report = validated.report
    if report.invalid_share > job.max_invalid_share or report.rows_accepted == 0:
        raise Unprocessable(
            f"{report.rows_rejected} of {report.rows_read} rows ({report.invalid_share:.1%}) are invalid, "
            f"more than the {job.max_invalid_share:.0%} allowed: the upload was rejected and nothing was stored",
            detail={
                "message": "Too many invalid rows: the upload was rejected and nothing was stored",
                "report": report.as_dict(),
            },
        )
    frame = pseudonymize(validated.frame, job.pseudonym_key)
    stored_bytes = write_blob(frame, job.destination, job.dek, job.context)
    return Ingested(
        report=report,
        columns=[describe(column) for column in validated.columns],
        rows=frame.height,
        stored_bytes=stored_bytes,
    )


def pseudonymize(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace patient identifiers by their HMAC, computing it once per distinct patient."""
    identifiers = frame.get_column("patient_id")
    distinct = identifiers.unique()
    pseudonyms = pl.Series(vault.pseudonymize(key, distinct.to_list()), dtype=pl.String)
    replaced = identifiers.replace_strict(distinct, pseudonyms).alias(PSEUDONYM)
    return frame.select(replaced, pl.exclude("patient_id"))


def describe(column: Column) -> dict[str, Any]:
    if column.kind is Kind.identifier:
        return {"name": PSEUDONYM, "label": "Patient pseudonym (HMAC-SHA256)", "kind": "pseudonym"}
    return {
        "name": column.name,
        "label": column.label,
        "kind": column.kind.value,
        "unit": column.unit,
        "loinc": column.loinc,
    }


def write_blob(frame: pl.DataFrame, destination: Path, dek: bytes, context: bytes) -> int:
    """Parquet inside an envelope, written under a temporary name and renamed once complete."""
    parquet = io.BytesIO()
    frame.write_parquet(parquet, compression="zstd", compression_level=1)
    parquet.seek(0)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with partial.open("wb") as sink:
            written = envelope.seal_stream(dek, parquet, sink, context)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def read_blob(path: Path, dek: bytes, context: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(vault.read_blob(path, dek, context)))
