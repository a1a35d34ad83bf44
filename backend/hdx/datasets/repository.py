"""All SQL of the dataset vault. Every query on datasets is scoped to one organization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.datasets.models import Dataset, DatasetKey, OrganizationKey, PatientOptOut

# Rows per statement, within every backend's limit on bound parameters.
_CHUNK = 500


async def organization_key(session: AsyncSession, organization_id: str) -> OrganizationKey | None:
    return await session.get(OrganizationKey, organization_id, populate_existing=True)


async def insert_organization_key_if_absent(
    session: AsyncSession, organization_id: str, wrapped_kek: bytes, master_key_id: str
) -> None:
    """Insert unless another request created the key first; the caller re-reads whichever won."""
    values = {
        "organization_id": organization_id,
        "wrapped_kek": wrapped_kek,
        "master_key_id": master_key_id,
    }
    statement = _insert(session, OrganizationKey).values(**values).on_conflict_do_nothing()
    await session.execute(statement)


async def all_organization_keys(session: AsyncSession) -> Sequence[OrganizationKey]:
    result = await session.scalars(
        select(OrganizationKey).order_by(OrganizationKey.organization_id).with_for_update()
    )
    return result.all()


async def dataset(session: AsyncSession, organization_id: str, dataset_id: str) -> Dataset | None:
    return await session.scalar(
        select(Dataset).where(Dataset.id == dataset_id, Dataset.organization_id == organization_id)
    )


async def dataset_key(session: AsyncSession, dataset_id: str) -> DatasetKey | None:
    return await session.get(DatasetKey, dataset_id)


async def list_datasets(
    session: AsyncSession, organization_id: str, *, category: str | None, offset: int, limit: int
) -> tuple[Sequence[Dataset], int]:
    query = select(Dataset).where(Dataset.organization_id == organization_id)
    if category is not None:
        query = query.where(Dataset.category == category)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Dataset.created_at.desc(), Dataset.id).offset(offset).limit(limit)
    )
    return rows.all(), total or 0


async def delete_dataset(session: AsyncSession, dataset: Dataset) -> None:
    # The key row first and explicitly: shredding must not depend on the database enforcing cascades.
    await session.execute(delete(DatasetKey).where(DatasetKey.dataset_id == dataset.id))
    await session.delete(dataset)
    await session.flush()


async def opted_out_pseudonyms(session: AsyncSession, organization_id: str) -> list[str]:
    result = await session.scalars(
        select(PatientOptOut.pseudonym).where(PatientOptOut.organization_id == organization_id)
    )
    return list(result.all())


async def existing_opt_outs(session: AsyncSession, organization_id: str, pseudonyms: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(pseudonyms), _CHUNK):
        chunk = pseudonyms[start : start + _CHUNK]
        result = await session.scalars(
            select(PatientOptOut.pseudonym).where(
                PatientOptOut.organization_id == organization_id, PatientOptOut.pseudonym.in_(chunk)
            )
        )
        found.update(result.all())
    return found


async def count_opt_outs(session: AsyncSession, organization_id: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(PatientOptOut)
        .where(PatientOptOut.organization_id == organization_id)
    )
    return total or 0


async def insert_opt_outs(
    session: AsyncSession, organization_id: str, pseudonyms: list[str], recorded_by_user_id: str
) -> None:
    for start in range(0, len(pseudonyms), _CHUNK):
        rows = [
            {"organization_id": organization_id, "pseudonym": p, "recorded_by_user_id": recorded_by_user_id}
            for p in pseudonyms[start : start + _CHUNK]
        ]
        # A concurrent request may record the same patient: the unique constraint makes that a no-op.
        await session.execute(_insert(session, PatientOptOut).values(rows).on_conflict_do_nothing())


async def delete_opt_outs(session: AsyncSession, organization_id: str, pseudonyms: list[str]) -> int:
    removed = 0
    for start in range(0, len(pseudonyms), _CHUNK):
        result = await session.execute(
            delete(PatientOptOut).where(
                PatientOptOut.organization_id == organization_id,
                PatientOptOut.pseudonym.in_(pseudonyms[start : start + _CHUNK]),
            )
        )
        assert isinstance(result, CursorResult)
        removed += result.rowcount
    return removed


def add(session: AsyncSession, *rows: Dataset | DatasetKey) -> None:
    session.add_all(rows)


def _insert(session: AsyncSession, model: type[OrganizationKey] | type[PatientOptOut]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
