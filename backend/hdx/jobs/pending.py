"""Jobs a transaction calls for, handed to the job runner only once that transaction has committed."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger("hdx.jobs")

_HOSTED = "hdx.jobs.hosted"


class Jobs(Protocol):
    async def hosted_step(self, computation_id: str) -> None:
        """Have the hosted agent post what its parties owe in this computation."""
        ...


def hosted_round_opened(session: AsyncSession, computation_id: str) -> None:
    """A round opened in which a hosted party owes messages; its step runs after the commit."""
    session.info.setdefault(_HOSTED, set()).add(computation_id)


async def dispatch_committed(session: AsyncSession, jobs: Jobs | None) -> None:
    """Enqueue the jobs of the committed transaction; the change has succeeded whatever happens here."""
    computations: set[str] = session.info.pop(_HOSTED, set())
    if jobs is None:
        return
    for computation_id in sorted(computations):
        try:
            await jobs.hosted_step(computation_id)
        except Exception:
            # The periodic sweep enqueues every owed hosted step again: a lost one only waits for it.
            logger.exception("could not enqueue the hosted step", extra={"computation_id": computation_id})


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # The rounds of a rolled-back transaction never opened.
    if not previous_transaction.nested:
        session.info.pop(_HOSTED, None)
