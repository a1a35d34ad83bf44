"""The job bodies, the same whichever runner runs them. Each owns its session and commits it as the
request dependency does: audit trail, then real-time events, then the jobs the commit calls for."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdx.computations.tasks import sweep_deadlines
from hdx.config import Settings
from hdx.db import utcnow
from hdx.hosted import repository as hosted_repository
from hdx.hosted import service as hosted
from hdx.jobs.pending import Jobs, dispatch_committed
from hdx.realtime import service as realtime
from hdx.realtime.hub import Realtime
from hdx.security import audit

logger = logging.getLogger("hdx.jobs")


@dataclass
class JobContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    events: Realtime | None
    jobs: Jobs


async def _commit(context: JobContext, session: AsyncSession) -> None:
    await audit.commit_with_trail(session)
    await realtime.publish_committed(session, context.events)
    await dispatch_committed(session, context.jobs)


async def hosted_step(context: JobContext, computation_id: str) -> None:
    """Run the hosted parties of one computation as far as the rounds allow."""
    async with context.sessionmaker() as session:
        while True:
            try:
                await hosted.advance(session, context.settings, computation_id, now=utcnow())
                await _commit(context, session)
                return
            except hosted.Halted as failure:
                # Undo the partial round, drop the party that cannot go on, then try the others again.
                await session.rollback()
                await hosted.halt(session, failure, now=utcnow())
                await _commit(context, session)


async def sweep(context: JobContext) -> None:
    """Deadlines, then the hosted agent's safety net: enqueue every hosted step still owed (one lost,
    or enqueued before a crash, or owed in a round the sweep itself opened)."""
    await sweep_deadlines(context.sessionmaker, events=context.events)
    async with context.sessionmaker() as session:
        owing = await hosted_repository.computations_owing(session)
    for computation_id in owing:
        await context.jobs.hosted_step(computation_id)
