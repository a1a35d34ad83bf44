from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.models import Computation, ComputationStatus, Participant


async def computation_counts(
    session: AsyncSession, statuses: Iterable[ComputationStatus], organization_id: str | None
) -> dict[ComputationStatus, int]:
    """Computations per status: the whole exchange's (`organization_id` None) or those the organization
    takes part in, as requester or party."""
    wanted = list(statuses)
    query = select(Computation.status, func.count()).where(Computation.status.in_(wanted))
    if organization_id is not None:
        party = select(Participant.computation_id).where(Participant.organization_id == organization_id)
        query = query.where(
            or_(Computation.requester_organization_id == organization_id, Computation.id.in_(party))
        )
    rows = await session.execute(query.group_by(Computation.status))
    counts = dict.fromkeys(wanted, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts
