from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.models import Computation, ComputationStatus


async def computation_counts(
    session: AsyncSession, statuses: Iterable[ComputationStatus]
) -> dict[ComputationStatus, int]:
    wanted = list(statuses)
    rows = await session.execute(
        select(Computation.status, func.count())
        .where(Computation.status.in_(wanted))
        .group_by(Computation.status)
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts
