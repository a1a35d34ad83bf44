"""All SQL of the privacy-budget ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.datasets.models import Dataset
from hdx.db import utcnow
from hdx.privacy.models import PrivacyBudget, PrivacyBudgetPolicy, PrivacyCharge


def _insert(session: AsyncSession, model: type[PrivacyBudget] | type[PrivacyBudgetPolicy]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def dataset_organization(session: AsyncSession, dataset_id: str) -> str | None:
    return await session.scalar(select(Dataset.organization_id).where(Dataset.id == dataset_id))


async def policy(session: AsyncSession, organization_id: str) -> PrivacyBudgetPolicy | None:
    return await session.get(PrivacyBudgetPolicy, organization_id, populate_existing=True)


async def save_policy(session: AsyncSession, organization_id: str, units: int, user_id: str) -> None:
    now = utcnow()
    statement = _insert(session, PrivacyBudgetPolicy).values(
        organization_id=organization_id,
        dataset_epsilon_units=units,
        updated_by_user_id=user_id,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PrivacyBudgetPolicy.organization_id],
            set_={"dataset_epsilon_units": units, "updated_by_user_id": user_id, "updated_at": now},
        )
    )


async def ensure_budgets(session: AsyncSession, dataset_ids: Sequence[str], default_units: int) -> None:
    """Create the missing budgets of these datasets from their organization's policy (or the default).
    Being a write, it also takes SQLite's write lock before anything is read."""
    now = utcnow()
    source = (
        select(
            Dataset.id,
            Dataset.organization_id,
            func.coalesce(PrivacyBudgetPolicy.dataset_epsilon_units, literal(default_units)),
            literal(0),
            literal(now, PrivacyBudget.created_at.type),
            literal(now, PrivacyBudget.updated_at.type),
        )
        .outerjoin(PrivacyBudgetPolicy, PrivacyBudgetPolicy.organization_id == Dataset.organization_id)
        # SQLite parses INSERT ... SELECT ... ON CONFLICT only when the SELECT has a WHERE clause.
        .where(Dataset.id.in_(dataset_ids))
    )
    columns = [
        "dataset_id",
        "organization_id",
        "epsilon_total_units",
        "epsilon_spent_units",
        "created_at",
        "updated_at",
    ]
    statement = _insert(session, PrivacyBudget).from_select(columns, source)
    await session.execute(statement.on_conflict_do_nothing(index_elements=[PrivacyBudget.dataset_id]))


async def budgets(session: AsyncSession, dataset_ids: Sequence[str]) -> Sequence[PrivacyBudget]:
    query = (
        select(PrivacyBudget)
        .where(PrivacyBudget.dataset_id.in_(dataset_ids))
        .order_by(PrivacyBudget.dataset_id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).all()


async def spend(session: AsyncSession, dataset_id: str, units: int) -> bool:
    """Add `units` to the spent epsilon unless that would pass the total. The condition is evaluated
    on the row as locked by this UPDATE (PostgreSQL re-checks it after a concurrent writer commits;
    SQLite writes one transaction at a time), so concurrent releases can never overdraw."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(PrivacyBudget)
        .where(
            PrivacyBudget.dataset_id == dataset_id,
            PrivacyBudget.epsilon_spent_units + units <= PrivacyBudget.epsilon_total_units,
        )
        .values(epsilon_spent_units=PrivacyBudget.epsilon_spent_units + units, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def unspend(session: AsyncSession, dataset_id: str, units: int) -> None:
    """Take back a spend of this same transaction (its row is still locked by it)."""
    await session.execute(
        update(PrivacyBudget)
        .where(PrivacyBudget.dataset_id == dataset_id)
        .values(epsilon_spent_units=PrivacyBudget.epsilon_spent_units - units, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def add_charges(session: AsyncSession, charges: Sequence[PrivacyCharge]) -> None:
    session.add_all(charges)


async def budget(session: AsyncSession, dataset_id: str) -> PrivacyBudget | None:
    return await session.get(PrivacyBudget, dataset_id, populate_existing=True)


async def ledger(
    session: AsyncSession, dataset_id: str, *, offset: int, limit: int
) -> tuple[Sequence[PrivacyCharge], int, float]:
    """A page of charges (newest first), their number, and the sum of their deltas."""
    where = PrivacyCharge.dataset_id == dataset_id
    rows = await session.scalars(
        select(PrivacyCharge)
        .where(where)
        .order_by(PrivacyCharge.created_at.desc(), PrivacyCharge.id)
        .offset(offset)
        .limit(limit)
    )
    count, delta = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(PrivacyCharge.delta), 0.0)).where(where)
        )
    ).one()
    return rows.all(), int(count), float(delta)


async def set_organization_totals(session: AsyncSession, organization_id: str, units: int) -> int:
    """Set the total of every budget of the organization that has spent no more than `units`."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(PrivacyBudget)
        .where(PrivacyBudget.organization_id == organization_id, PrivacyBudget.epsilon_spent_units <= units)
        .values(epsilon_total_units=units, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def overspent(session: AsyncSession, organization_id: str, units: int) -> Sequence[PrivacyBudget]:
    query = (
        select(PrivacyBudget)
        .where(PrivacyBudget.organization_id == organization_id, PrivacyBudget.epsilon_spent_units > units)
        .order_by(PrivacyBudget.dataset_id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).all()
