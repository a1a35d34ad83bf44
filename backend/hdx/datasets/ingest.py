"""The CPU-bound part of an upload, run in a worker thread: sniff, validate, pseudonymize, encrypt, store.

One pass over the file, chunk by chunk: each chunk is validated and pseudonymized, then polars'
streaming Parquet writer encodes it while the next chunk is parsed, and the Parquet bytes are
encrypted segment by segment as they come out. Neither the whole CSV, nor the whole table, nor
the whole Parquet file is ever held in memory.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import polars as pl
from polars.io.plugins import register_io_source

from hdx.crypto import envelope
from hdx.datasets import vault
from hdx.datasets.catalog import Column, Kind, Schema
from hdx.datasets.sniff import sniff
from hdx.datasets.validation import Report, Validation
from hdx.exceptions import Unprocessable

PSEUDONYM = "patient_pseudonym"
IDENTIFIER = "patient_id"
# The writer buffers a row group before encoding it: small groups bound its memory, at a few
# percent of file size.
ROW_GROUP_ROWS = 64 * 1024


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
    validation = Validation(job.source, sniff(job.source), job.schema)
    pseudonyms = _Pseudonyms(job.pseudonym_key)
    frames = (pseudonyms.replace(frame) for frame in validation.accepted())
    schema = pseudonyms.stored_schema(validation.schema)
    with _sealed_file(job.destination, job.dek, job.context) as sink:
        _write_parquet(frames, schema, sink)
        # Checked once every row has been read; raising here removes what was written.
        report = validation.report
        if report.invalid_share > job.max_invalid_share or report.rows_accepted == 0:
            raise Unprocessable(
                f"{report.rows_rejected} of {report.rows_read} rows ({report.invalid_share:.1%}) are invalid, "
                f"more than the {job.max_invalid_share:.0%} allowed: the upload was rejected and nothing "
                "was stored",
                detail={
                    "message": "Too many invalid rows: the upload was rejected and nothing was stored",
                    "report": report.as_dict(),
                },
            )
    return Ingested(
        report=report,
        columns=[describe(column) for column in validation.columns],
        rows=report.rows_accepted,
        stored_bytes=sink.written,
    )


class _Pseudonyms:
    """Replaces identifiers by their pseudonym (stored as the 16-byte digest), one HMAC per distinct
    identifier however many chunks it appears in.

    Identifiers are numbered by a categorical mapping private to this upload (freed with it), so a
    chunk's pseudonyms are a gather from the digests computed so far.
    """

    def __init__(self, key: bytes) -> None:
        self._mac = vault.Pseudonymizer(key)
        self._dtype = pl.Categorical(pl.Categories(f"hdx-ingest-{uuid.uuid4().hex}"))
        self._digests = pl.Series(dtype=pl.Binary)
        self._codes = pl.Series(dtype=self._dtype)  # keeps the mapping alive between chunks

    @staticmethod
    def stored_schema(schema: pl.Schema) -> pl.Schema:
        return pl.Schema({PSEUDONYM: pl.Binary(), **{n: t for n, t in schema.items() if n != IDENTIFIER}})

    def replace(self, frame: pl.DataFrame) -> pl.DataFrame:
        codes = frame.get_column(IDENTIFIER).cast(self._dtype)
        self._codes = codes
        physical = codes.to_physical()
        known, top = self._digests.len(), physical.max()
        if isinstance(top, int) and top >= known:
            new = (
                pl.DataFrame({"code": physical, "id": frame.get_column(IDENTIFIER)})
                .filter(pl.col("code") >= known)
                .unique("code")
            )
            digests = self._digests.extend_constant(None, top + 1 - known)
            digests.scatter(new.get_column("code"), self._mac.digests(new.get_column("id").to_list()))
            self._digests = digests
        return frame.select(self._digests.gather(physical).alias(PSEUDONYM), pl.exclude(IDENTIFIER))


def pseudonymize(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace patient identifiers by their pseudonym (HMAC-SHA256, hex), once per distinct patient."""
    replaced = _Pseudonyms(key).replace(frame)
    return replaced.with_columns(pl.col(PSEUDONYM).bin.encode("hex"))


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


def _write_parquet(frames: Iterator[pl.DataFrame], schema: pl.Schema, sink: envelope.SealingWriter) -> None:
    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        # The query is a bare sink: no filter or limit can be pushed down to the source.
        assert predicate is None
        assert n_rows is None
        for frame in frames:
            yield frame if with_columns is None else frame.select(with_columns)

    # Polars only calls write() and flush() on a Python sink, which is all a SealingWriter offers.
    register_io_source(source, schema=schema).sink_parquet(
        cast("IO[bytes]", sink),
        compression="zstd",
        compression_level=1,
        row_group_size=ROW_GROUP_ROWS,
    )


@contextmanager
def _sealed_file(destination: Path, dek: bytes, context: bytes) -> Iterator[envelope.SealingWriter]:
    """An envelope written under a temporary name, renamed once complete and on disk; removed if the
    block raises."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with partial.open("wb") as file:
            sink = envelope.SealingWriter(dek, file, context)
            yield sink
            sink.close()
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_blob(path: Path, dek: bytes, context: bytes) -> pl.DataFrame:
    frame = pl.read_parquet(io.BytesIO(vault.read_blob(path, dek, context)))
    if frame.schema.get(PSEUDONYM) == pl.Binary:
        frame = frame.with_columns(pl.col(PSEUDONYM).bin.encode("hex"))
    return frame
