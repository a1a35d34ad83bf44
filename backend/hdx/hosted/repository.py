"""Every query of the hosted agent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.models import (
    Computation,
    ComputationStatus,
    DataSource,
    Participant,
    ParticipantStatus,
    PartyKey,
)
from hdx.hosted.models import HostedPartyKey, HostedPartyState


async def hosted_key(session: AsyncSession, organization_id: str) -> tuple[PartyKey, HostedPartyKey] | None:
    row = (
        await session.execute(
            select(PartyKey, HostedPartyKey)
            .join(HostedPartyKey, HostedPartyKey.party_key_id == PartyKey.id)
            .where(HostedPartyKey.organization_id == organization_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def sealed_private(session: AsyncSession, party_key_id: str) -> HostedPartyKey | None:
    return await session.get(HostedPartyKey, party_key_id)


async def state(session: AsyncSession, computation_id: str, party_index: int) -> HostedPartyState | None:
    return await session.scalar(
        select(HostedPartyState).where(
            HostedPartyState.computation_id == computation_id, HostedPartyState.party_index == party_index
        )
    )


async def delete_states(session: AsyncSession, computation_id: str) -> None:
    await session.execute(delete(HostedPartyState).where(HostedPartyState.computation_id == computation_id))


async def computations_owing(session: AsyncSession) -> Sequence[str]:
    """Running computations in which a hosted party has yet to post in the current round."""
    rows = await session.scalars(
        select(Computation.id)
        .join(Participant, Participant.computation_id == Computation.id)
        .where(
            Computation.status == ComputationStatus.running,
            and_(
                Participant.source == DataSource.vault,
                Participant.status == ParticipantStatus.accepted,
            ),
        )
        .distinct()
    )
    return rows.all()
