"""Datasets: upload, list, describe, export, delete, patient opt-outs, and `load_frame` for analyses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import anyio
import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.dependencies import actor_of
from hdx.auth.models import User
from hdx.config import Settings
from hdx.crypto import envelope
from hdx.datasets import catalog, ingest, repository, vault
from hdx.datasets.catalog import Category
from hdx.datasets.ingest import PSEUDONYM, IngestJob
from hdx.datasets.models import Dataset, DatasetKey
from hdx.datasets.profile import profile
from hdx.datasets.receive import ReceivedUpload
from hdx.datasets.schemas import CatalogCategory, CatalogColumn, OptOutCheck, OptOutOut, OptOutWithdrawal
from hdx.db import new_id
from hdx.exceptions import Forbidden, HdxError, NotFound, Unprocessable
from hdx.security import audit

EXPORT_SLICE_ROWS = 50_000
_FORMULA_START = r"^[=+\-@\t\r]"


def catalog_entries() -> list[CatalogCategory]:
    return [
        CatalogCategory(
            category=schema.category.value,
            description=schema.description,
            columns=[
                CatalogColumn(
                    name=c.name,
                    label=c.label,
                    kind=c.kind.value,
                    unit=c.unit,
                    loinc=c.loinc,
                    minimum=c.minimum,
                    maximum=c.maximum,
                    required=c.required,
                    aliases=list(c.aliases),
                    codes=sorted(set(c.codes.values())) or None,
                    pattern=c.pattern,
                )
                for c in schema.columns
            ],
        )
        for schema in catalog.SCHEMAS.values()
    ]


async def upload(session: AsyncSession, settings: Settings, user: User, received: ReceivedUpload) -> Dataset:
    organization_id = _organization(user)
    category = _category(received.fields.get("category"))
    kek = await vault.organization_kek(session, settings, organization_id, create=True)
    dataset_id, version, dek = new_id(), 1, envelope.generate_key()
    destination = vault.blob_path(settings, organization_id, dataset_id, version)
    # Armed before the blob exists: a request cancelled mid-ingest must not leave it behind.
    vault.when_rolled_back(session, vault.remove_file(destination))
    job = IngestJob(
        source=received.path,
        schema=catalog.SCHEMAS[category],
        pseudonym_key=vault.pseudonym_key(kek),
        dek=dek,
        context=vault.blob_context(organization_id, dataset_id, version),
        destination=destination,
        max_invalid_share=settings.max_invalid_share,
    )
    result = await anyio.to_thread.run_sync(ingest.ingest, job)
    dataset = Dataset(
        id=dataset_id,
        organization_id=organization_id,
        uploaded_by_user_id=user.id,
        name=(received.fields.get("name") or Path(received.filename).stem or "upload")[:200],
        description=received.fields.get("description", ""),
        category=category.value,
        original_filename=Path(received.filename).name[:255],
        version=version,
        rows=result.rows,
        upload_bytes=received.size,
        stored_bytes=result.stored_bytes,
        delimiter=result.report.delimiter,
        columns=result.columns,
        report=result.report.as_dict(),
    )
    repository.add(session, dataset)
    await session.flush()
    wrapped = envelope.seal(kek, dek, vault.dek_context(organization_id, dataset_id, version))
    repository.add(session, DatasetKey(dataset_id=dataset_id, wrapped_dek=wrapped))
    await session.flush()
    audit.record(
        session,
        "dataset.upload",
        actor=actor_of(user),
        target_type="dataset",
        target_id=dataset_id,
        details={
            "category": category.value,
            "bytes": received.size,
            "rows_read": result.report.rows_read,
            "rows_accepted": result.report.rows_accepted,
            "rows_rejected": result.report.rows_rejected,
        },
    )
    return dataset


def record_refused_upload(session: AsyncSession, user: User, error: HdxError) -> None:
    # Only the error class and counts: messages can echo header names or cell text.
    details: dict[str, Any] = {"error": error.error, "status": error.status_code}
    if isinstance(error.detail, dict) and isinstance(error.detail.get("report"), dict):
        report = error.detail["report"]
        details.update(rows_read=report["rows_read"], rows_rejected=report["rows_rejected"])
    audit.record(
        session,
        "dataset.upload",
        outcome="rejected",
        actor=actor_of(user),
        details=details,
        persist_on_failure=True,
    )


async def list_datasets(
    session: AsyncSession, user: User, *, category: Category | None, offset: int, limit: int
) -> tuple[list[Dataset], int]:
    rows, total = await repository.list_datasets(
        session,
        _organization(user),
        category=category.value if category else None,
        offset=offset,
        limit=limit,
    )
    return list(rows), total


@dataclass(frozen=True)
class Described:
    dataset: Dataset
    profile: dict[str, Any]


async def describe(session: AsyncSession, settings: Settings, user: User, dataset_id: str) -> Described:
    dataset = await _dataset(session, _organization(user), dataset_id)
    frame = await _audited_load(session, settings, user, dataset, "dataset.read")
    summary = await anyio.to_thread.run_sync(profile, frame, dataset.columns)
    audit.record(session, "dataset.read", actor=actor_of(user), target_type="dataset", target_id=dataset.id)
    return Described(dataset, summary)


async def export_csv(
    session: AsyncSession, settings: Settings, user: User, dataset_id: str
) -> tuple[str, Iterator[bytes]]:
    """A download name and the CSV, produced slice by slice as the client reads it."""
    dataset = await _dataset(session, _organization(user), dataset_id)
    frame = await _audited_load(session, settings, user, dataset, "dataset.export")
    audit.record(
        session,
        "dataset.export",
        actor=actor_of(user),
        target_type="dataset",
        target_id=dataset.id,
        details={"rows": frame.height},
    )
    filename = (re.sub(r"[^A-Za-z0-9._-]+", "_", dataset.name).strip("._") or "dataset")[:100] + ".csv"
    return filename, _csv_slices(as_stored(neutralize_formulas(frame), dataset.columns))


def neutralize_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text that a spreadsheet would run as a formula with a quote (OWASP CSV injection)."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def as_stored(frame: pl.DataFrame, columns: list[dict[str, Any]]) -> pl.DataFrame:
    """Each column written as its kind: integers without a decimal point (they are kept as floats),
    date-times in ISO 8601 (a column holding dates only as dates); numbers and text as they are."""
    integers = {column["name"] for column in columns if column["kind"] == "integer"}
    return frame.with_columns(
        _as_integers(frame.get_column(name)) if name in integers else _as_iso(frame.get_column(name))
        for name, dtype in frame.schema.items()
        if name in integers or isinstance(dtype, pl.Datetime)
    )


def _as_integers(values: pl.Series) -> pl.Series:
    # Validation admits whole numbers only; anything else is written as stored rather than truncated.
    if not (values == values.round(0)).all():
        return values
    return values.cast(pl.Int64)


def _as_iso(values: pl.Series) -> pl.Series:
    if (values.dt.time() == time(0)).all():
        return values.dt.date()
    return values.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")


def _csv_slices(frame: pl.DataFrame) -> Iterator[bytes]:
    yield frame.head(0).write_csv().encode()
    for part in frame.iter_slices(EXPORT_SLICE_ROWS):
        yield part.write_csv(include_header=False).encode()


async def delete(session: AsyncSession, settings: Settings, user: User, dataset_id: str) -> None:
    """Crypto-shredding: the wrapped data key is destroyed with the row; the blob goes after commit."""
    dataset = await _dataset(session, _organization(user), dataset_id)
    path = vault.blob_path(settings, dataset.organization_id, dataset.id, dataset.version)
    details = {"category": dataset.category, "rows": dataset.rows, "key_destroyed": True}
    await repository.delete_dataset(session, dataset)
    vault.when_committed(session, vault.remove_file(path))
    audit.record(
        session,
        "dataset.delete",
        actor=actor_of(user),
        target_type="dataset",
        target_id=dataset_id,
        details=details,
    )


async def record_opt_outs(
    session: AsyncSession, settings: Settings, user: User, patient_ids: list[str]
) -> OptOutOut:
    organization_id = _organization(user)
    kek = await vault.organization_kek(session, settings, organization_id, create=True)
    distinct = list(dict.fromkeys(patient_ids))
    pseudonyms = vault.pseudonymize(vault.pseudonym_key(kek), distinct)
    existing = await repository.existing_opt_outs(session, organization_id, pseudonyms)
    new = [p for p in pseudonyms if p not in existing]
    await repository.insert_opt_outs(session, organization_id, new, user.id)
    total = await repository.count_opt_outs(session, organization_id)
    audit.record(
        session,
        "dataset.opt_out",
        actor=actor_of(user),
        target_type="organization",
        target_id=organization_id,
        details={"recorded": len(new), "already_recorded": len(existing)},
    )
    return OptOutOut(recorded=len(new), already_recorded=len(existing), total=total)


async def check_opt_outs(
    session: AsyncSession, settings: Settings, user: User, patient_ids: list[str]
) -> OptOutCheck:
    """Which of the given patients objected. Identifiers are pseudonymized exactly as on ingest; the
    stored pseudonyms never leave the exchange."""
    organization_id = _organization(user)
    distinct = list(dict.fromkeys(patient_ids))
    kek = await vault.organization_kek(session, settings, organization_id, create=True)
    pseudonyms = vault.pseudonymize(vault.pseudonym_key(kek), distinct)
    existing = await repository.existing_opt_outs(session, organization_id, pseudonyms)
    recorded = [patient for patient, p in zip(distinct, pseudonyms, strict=True) if p in existing]
    return OptOutCheck(
        opted_out=recorded,
        not_opted_out=[patient for patient in distinct if patient not in set(recorded)],
        total=await repository.count_opt_outs(session, organization_id),
    )


async def withdraw_opt_outs(
    session: AsyncSession, settings: Settings, user: User, patient_ids: list[str]
) -> OptOutWithdrawal:
    """A patient who withdraws an objection: their rows count again in later computations and exports."""
    organization_id = _organization(user)
    distinct = list(dict.fromkeys(patient_ids))
    kek = await vault.organization_kek(session, settings, organization_id, create=True)
    pseudonyms = vault.pseudonymize(vault.pseudonym_key(kek), distinct)
    withdrawn = await repository.delete_opt_outs(session, organization_id, pseudonyms)
    audit.record(
        session,
        "dataset.opt_out_withdrawn",
        actor=actor_of(user),
        target_type="organization",
        target_id=organization_id,
        details={"withdrawn": withdrawn, "not_recorded": len(distinct) - withdrawn},
    )
    return OptOutWithdrawal(
        withdrawn=withdrawn,
        not_recorded=len(distinct) - withdrawn,
        total=await repository.count_opt_outs(session, organization_id),
    )


async def load_frame(
    session: AsyncSession, settings: Settings, organization_id: str, dataset_id: str
) -> pl.DataFrame:
    """The rows of one of `organization_id`'s datasets, decrypted, without opted-out patients.

    The only way analyses read a dataset. The frame has a `patient_pseudonym` column and one column
    per stored catalog column (see `Dataset.columns`). Raises NotFound for another organization's
    dataset and IntegrityFailure / MasterKeyMismatch when the vault cannot be trusted.
    """
    dataset = await _dataset(session, organization_id, dataset_id)
    return await _load(session, settings, dataset)


async def _load(session: AsyncSession, settings: Settings, dataset: Dataset) -> pl.DataFrame:
    key = await repository.dataset_key(session, dataset.id)
    if key is None:
        raise vault.IntegrityFailure("The dataset's key is missing; the dataset cannot be read")
    kek = await vault.organization_kek(session, settings, dataset.organization_id, create=False)
    dek = vault.unwrap_dek(kek, key.wrapped_dek, dataset.organization_id, dataset.id, dataset.version)
    opted_out = pl.Series(
        await repository.opted_out_pseudonyms(session, dataset.organization_id), dtype=pl.String
    )
    path = vault.blob_path(settings, dataset.organization_id, dataset.id, dataset.version)
    context = vault.blob_context(dataset.organization_id, dataset.id, dataset.version)

    def read() -> pl.DataFrame:
        frame = ingest.read_blob(path, dek, context)
        return frame.filter(~pl.col(PSEUDONYM).is_in(opted_out.implode())) if opted_out.len() else frame

    return await anyio.to_thread.run_sync(read)


async def _audited_load(
    session: AsyncSession, settings: Settings, user: User, dataset: Dataset, action: str
) -> pl.DataFrame:
    try:
        return await _load(session, settings, dataset)
    except (vault.IntegrityFailure, vault.MasterKeyMismatch) as exc:
        audit.record(
            session,
            action,
            outcome="failure",
            actor=actor_of(user),
            target_type="dataset",
            target_id=dataset.id,
            details={"error": exc.error},
            persist_on_failure=True,
        )
        raise


async def _dataset(session: AsyncSession, organization_id: str, dataset_id: str) -> Dataset:
    dataset = await repository.dataset(session, organization_id, dataset_id)
    if dataset is None:
        raise NotFound("Dataset not found")
    return dataset


def _organization(user: User) -> str:
    if user.organization_id is None:
        raise Forbidden("Datasets belong to organizations; this account has none")
    return user.organization_id


def _category(raw: str | None) -> Category:
    choices = ", ".join(c.value for c in Category)
    if not raw:
        raise Unprocessable(f"Form field 'category' is required (one of: {choices})")
    try:
        return Category(raw.strip().lower())
    except ValueError as exc:
        raise Unprocessable(f"Unknown category '{raw[:40]}' (one of: {choices})") from exc
