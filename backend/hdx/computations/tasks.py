"""Deadline sweeps outside any request: at startup (so a restarted exchange resumes) and periodically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdx.computations.lifecycle import expire_overdue
from hdx.db import utcnow
from hdx.security import audit


async def sweep_deadlines(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> list[str]:
    """Expire or fail every overdue computation in one transaction, with its audit trail."""
    async with sessionmaker() as session:
        changed = await expire_overdue(session, now or utcnow())
        await audit.commit_with_trail(session)
    return changed
