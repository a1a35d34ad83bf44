"""Deadline sweeps outside any request: at startup (so a restarted exchange resumes) and periodically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdx.computations.lifecycle import expire_overdue
from hdx.db import utcnow
from hdx.realtime import service as realtime
from hdx.realtime.hub import Realtime
from hdx.security import audit


async def sweep_deadlines(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime | None = None,
    *,
    events: Realtime | None = None,
) -> list[str]:
    """Expire or fail every overdue computation in one transaction, with its audit trail and events."""
    async with sessionmaker() as session:
        changed = await expire_overdue(session, now or utcnow())
        await audit.commit_with_trail(session)
        await realtime.publish_committed(session, events)
    return changed
