from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationResult,
    ComputationStatus,
    Participant,
    ParticipantStatus,
    PartyKey,
    RoundMessage,
)
from hdx.organizations.models import Organization


def _locked(session: AsyncSession, query: Select[Computation]) -> Select[Computation]:
    # Answers and submissions from several parties race on the same computation; on PostgreSQL the row
    # lock makes each one see the others' effect (SQLite already serializes writers).
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update()
    return query


async def computation(
    session: AsyncSession, computation_id: str, *, lock: bool = False
) -> Computation | None:
    query = select(Computation).where(Computation.id == computation_id)
    if lock:
        query = _locked(session, query)
    return await session.scalar(query)


def _visible_to(organization_id: str) -> ColumnElement[bool]:
    member = select(Participant.computation_id).where(Participant.organization_id == organization_id)
    return or_(Computation.requester_organization_id == organization_id, Computation.id.in_(member))


async def computation_for_org(
    session: AsyncSession, computation_id: str, organization_id: str, *, lock: bool = False
) -> Computation | None:
    query = select(Computation).where(Computation.id == computation_id, _visible_to(organization_id))
    if lock:
        query = _locked(session, query)
    return await session.scalar(query)


async def computations_for_org(
    session: AsyncSession,
    organization_id: str,
    *,
    status: ComputationStatus | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Computation], int]:
    query = select(Computation).where(_visible_to(organization_id))
    if status is not None:
        query = query.where(Computation.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Computation.created_at.desc(), Computation.id).offset(offset).limit(limit)
    )
    return rows.all(), int(total or 0)


async def invitations(
    session: AsyncSession, organization_id: str
) -> Sequence[tuple[Computation, Participant]]:
    rows = await session.execute(
        select(Computation, Participant)
        .join(Participant, Participant.computation_id == Computation.id)
        .where(
            Participant.organization_id == organization_id,
            Participant.status == ParticipantStatus.invited,
            Computation.status == ComputationStatus.pending_approval,
        )
        .order_by(Computation.acceptance_deadline_at, Computation.id)
    )
    return [(c, p) for c, p in rows.all()]


async def computations_of_party(
    session: AsyncSession, organization_id: str, statuses: Iterable[ComputationStatus]
) -> Sequence[tuple[Computation, Participant]]:
    rows = await session.execute(
        select(Computation, Participant)
        .join(Participant, Participant.computation_id == Computation.id)
        .where(Participant.organization_id == organization_id, Computation.status.in_(list(statuses)))
        .order_by(Computation.created_at, Computation.id)
    )
    return [(c, p) for c, p in rows.all()]


async def participants(session: AsyncSession, computation_id: str) -> list[Participant]:
    rows = await session.scalars(
        select(Participant)
        .where(Participant.computation_id == computation_id)
        .order_by(Participant.party_index)
    )
    return list(rows.all())


async def participant(session: AsyncSession, computation_id: str, organization_id: str) -> Participant | None:
    return await session.scalar(
        select(Participant).where(
            Participant.computation_id == computation_id, Participant.organization_id == organization_id
        )
    )


async def overdue(session: AsyncSession, now: datetime) -> Sequence[Computation]:
    query = (
        select(Computation)
        .where(
            or_(
                and_(
                    Computation.status == ComputationStatus.pending_approval,
                    or_(Computation.acceptance_deadline_at <= now, Computation.expires_at <= now),
                ),
                and_(
                    Computation.status == ComputationStatus.running,
                    or_(Computation.round_deadline_at <= now, Computation.expires_at <= now),
                ),
            )
        )
        .order_by(Computation.created_at, Computation.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several replicas may sweep at once; each computation is handled by whoever locks it first.
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


# organizations


async def organizations_by_reference(
    session: AsyncSession, *, ids: Iterable[str], names: Iterable[str]
) -> list[Organization]:
    """Organizations with one of `ids`, or whose name or id is one of `names` (the caller decides which
    references are ids: an id-shaped reference must never be compared with names)."""
    other = list(names)
    rows = await session.scalars(
        select(Organization).where(or_(Organization.id.in_([*ids, *other]), Organization.name.in_(other)))
    )
    return list(rows.all())


async def organizations_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, Organization]:
    rows = await session.scalars(select(Organization).where(Organization.id.in_(list(ids))))
    return {org.id: org for org in rows.all()}


async def collaborators(
    session: AsyncSession, organization_id: str, *, offset: int, limit: int
) -> tuple[Sequence[Organization], int]:
    query = select(Organization).where(Organization.active.is_(True), Organization.id != organization_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Organization.name).offset(offset).limit(limit))
    return rows.all(), int(total or 0)


# agent keys


async def current_party_key(session: AsyncSession, organization_id: str) -> PartyKey | None:
    return await session.scalar(
        select(PartyKey)
        .where(
            PartyKey.organization_id == organization_id,
            PartyKey.superseded_at.is_(None),
            PartyKey.hosted.is_(False),
        )
        .order_by(PartyKey.created_at.desc())
        .limit(1)
    )


async def organization_party_keys(
    session: AsyncSession, organization_id: str, *, limit: int
) -> Sequence[PartyKey]:
    """The organization's agent keys, its own agents' and the hosted agent's, newest first."""
    rows = await session.scalars(
        select(PartyKey)
        .where(PartyKey.organization_id == organization_id)
        .order_by(PartyKey.created_at.desc(), PartyKey.id)
        .limit(limit)
    )
    return rows.all()


async def party_keys(session: AsyncSession, ids: Iterable[str]) -> dict[str, PartyKey]:
    rows = await session.scalars(select(PartyKey).where(PartyKey.id.in_(list(ids))))
    return {key.id: key for key in rows.all()}


async def supersede_party_keys(session: AsyncSession, organization_id: str, at: datetime) -> None:
    await session.execute(
        update(PartyKey)
        .where(
            PartyKey.organization_id == organization_id,
            PartyKey.superseded_at.is_(None),
            PartyKey.hosted.is_(False),
        )
        .values(superseded_at=at)
    )


# round messages


async def round_message(
    session: AsyncSession, computation_id: str, round_number: int, sender: int, recipient: int, kind: str
) -> RoundMessage | None:
    return await session.scalar(
        select(RoundMessage).where(
            RoundMessage.computation_id == computation_id,
            RoundMessage.round == round_number,
            RoundMessage.sender_index == sender,
            RoundMessage.recipient_index == recipient,
            RoundMessage.kind == kind,
        )
    )


async def messages_for_party(
    session: AsyncSession,
    computation_id: str,
    round_number: int,
    party_index: int,
    *,
    kind: str | None,
    sender: int | None,
) -> Sequence[RoundMessage]:
    """Messages addressed to the party, and what the exchange published to every party."""
    query = select(RoundMessage).where(
        RoundMessage.computation_id == computation_id,
        RoundMessage.round == round_number,
        or_(
            RoundMessage.recipient_index == party_index,
            and_(RoundMessage.sender_index == EXCHANGE_INDEX, RoundMessage.recipient_index == EXCHANGE_INDEX),
        ),
    )
    if kind is not None:
        query = query.where(RoundMessage.kind == kind)
    if sender is not None:
        query = query.where(RoundMessage.sender_index == sender)
    rows = await session.scalars(
        query.order_by(RoundMessage.sender_index, RoundMessage.kind, RoundMessage.recipient_index)
    )
    return rows.all()


async def messages_in_round(
    session: AsyncSession, computation_id: str, round_number: int, *, with_payload: bool
) -> Sequence[RoundMessage]:
    query = select(RoundMessage).where(
        RoundMessage.computation_id == computation_id, RoundMessage.round == round_number
    )
    if not with_payload:
        query = query.options(defer(RoundMessage.payload, raiseload=True))
    rows = await session.scalars(
        query.order_by(RoundMessage.sender_index, RoundMessage.recipient_index, RoundMessage.kind)
    )
    return rows.all()


# results


async def result(session: AsyncSession, result_id: str) -> ComputationResult | None:
    return await session.get(ComputationResult, result_id)


async def result_of(session: AsyncSession, computation_id: str) -> ComputationResult | None:
    return await session.scalar(
        select(ComputationResult).where(ComputationResult.computation_id == computation_id)
    )
