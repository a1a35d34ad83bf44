"""The CPU-bound part of an upload, run in a worker thread: sniff, validate, pseudonymize, encrypt, store.

One pass over the file, chunk by chunk, on two threads: while one chunk is parsed and validated,
a second thread pseudonymizes the previous one, encodes it as a Parquet part and encrypts it (polars
releases the interpreter lock, so the two overlap on two cores). At most one chunk waits between
them: neither the whole CSV, nor the whole table, nor the whole stored file is ever held in memory.
The pseudonyms, one per patient, are stored last (see `stored`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from hdx.crypto import envelope
from hdx.datasets import stored, vault
from hdx.datasets.catalog import Column, Kind, Schema
from hdx.datasets.sniff import sniff
from hdx.datasets.validation import Report, Validation
from hdx.exceptions import Unprocessable

PSEUDONYM = "patient_pseudonym"
IDENTIFIER = "patient_id"


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
    with _sealed_file(job.destination, job.dek, job.context) as sink:
        parts = stored.PartWriter(sink)

        def store(frame: pl.DataFrame) -> None:
            if frame.height:
                parts.rows(pseudonyms.number(frame))

        _behind(validation.accepted(), store)
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
        parts.dictionary(pseudonyms.dictionary())
    return Ingested(
        report=report,
        columns=[describe(column) for column in validation.columns],
        rows=report.rows_accepted,
        stored_bytes=sink.written,
    )


class _Pseudonyms:
    """Numbers identifiers in order of first appearance and keeps the pseudonym of each (the 16-byte
    digest): one HMAC per distinct identifier however many chunks it appears in.

    The numbering is a categorical mapping private to this upload (freed with it). Stored rows hold
    the numbers, and the pseudonyms are stored once, as the dictionary they index.
    """

    def __init__(self, key: bytes) -> None:
        self._mac = vault.Pseudonymizer(key)
        self._dtype = pl.Categorical(pl.Categories(f"hdx-ingest-{uuid.uuid4().hex}"))
        self._codes = pl.Series(dtype=self._dtype)  # keeps the mapping alive between chunks
        self._digests: list[pl.Series] = []
        self._known = 0

    def number(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with the identifier column replaced by the number of each identifier (UInt32)."""
        identifiers = frame.get_column(IDENTIFIER)
        codes = identifiers.cast(self._dtype)
        self._codes = codes
        physical = codes.to_physical().cast(pl.UInt32)
        top = physical.max()
        if isinstance(top, int) and top >= self._known:
            # The mapping is this upload's alone: the identifiers new in this chunk were given the
            # next numbers, in a row, by the cast above.
            new = (
                pl.DataFrame({"code": physical, "id": identifiers})
                .filter(pl.col("code") >= self._known)
                .unique("code")
                .sort("code")
            )
            if new.height != top + 1 - self._known:
                raise RuntimeError("identifier numbers are not consecutive")
            digests = self._mac.digests(new.get_column("id").to_list())
            self._digests.append(pl.Series(PSEUDONYM, digests, dtype=pl.Binary))
            self._known = top + 1
        return frame.select(physical.alias(PSEUDONYM), pl.exclude(IDENTIFIER))

    def dictionary(self) -> pl.Series:
        """The pseudonym of every identifier, at its number."""
        return (
            pl.concat(self._digests, rechunk=True) if self._digests else pl.Series(PSEUDONYM, dtype=pl.Binary)
        )


def pseudonymize(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace patient identifiers by their pseudonym (HMAC-SHA256, hex), once per distinct patient."""
    pseudonyms = _Pseudonyms(key)
    numbered = pseudonyms.number(frame)
    digests = pseudonyms.dictionary().gather(numbered.get_column(PSEUDONYM))
    return numbered.with_columns(digests.bin.encode("hex"))


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


def _behind(frames: Iterator[pl.DataFrame], consume: Callable[[pl.DataFrame], None]) -> None:
    """`consume` each frame in a second thread while the next one is produced, in order; one frame
    at most waits. The first error of either side is raised once the second thread has stopped."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hdx-ingest") as worker:
        pending: Future[None] | None = None
        for frame in frames:
            if pending is not None:
                pending.result()
            pending = worker.submit(consume, frame)
            del frame
        if pending is not None:
            pending.result()


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
    try:
        frame = stored.read(vault.read_blob(path, dek, context))
    except stored.FormatError as exc:
        raise vault.IntegrityFailure(f"The dataset's encrypted file cannot be read: {exc}") from exc
    if frame.schema.get(PSEUDONYM) == pl.Binary:
        frame = frame.with_columns(pl.col(PSEUDONYM).bin.encode("hex"))
    return frame
