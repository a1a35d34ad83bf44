from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.security.models import AuditEvent

# Any constant works; it only has to be the same in every process writing the trail.
_AUDIT_CHAIN_LOCK = 0x4844_5841


async def lock_chain(session: AsyncSession) -> None:
    """Serialize appends across processes on PostgreSQL until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_CHAIN_LOCK})


async def hash_before(session: AsyncSession, seq: int) -> str | None:
    query = select(AuditEvent.hash).where(AuditEvent.seq < seq).order_by(AuditEvent.seq.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def iterate_chain(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    after = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq


async def list_events(
    session: AsyncSession,
    *,
    organization_id: str | None,
    action: str | None,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[AuditEvent], int]:
    query = select(AuditEvent)
    if organization_id is not None:
        query = query.where(AuditEvent.organization_id == organization_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if start is not None:
        query = query.where(AuditEvent.created_at >= start)
    if end is not None:
        query = query.where(AuditEvent.created_at <= end)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(AuditEvent.seq.desc()).offset(offset).limit(limit))
    return rows.all(), int(total or 0)
