"""The exchange as relay and bulletin board: round messages, advancing rounds, results and their release.

Messages are stored exactly as the agents sent them (sealed and signed by them); the exchange checks
only who may speak, when, and that a message is never silently replaced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import User
from hdx.auth.permissions import Action, allowed
from hdx.computations import lifecycle, repository
from hdx.computations.coordination import coordinator_for
from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationResult,
    ComputationStatus,
    Participant,
    ParticipantStatus,
    ResultStatus,
    RoundMessage,
)
from hdx.exceptions import Conflict, Forbidden, NotFound, Unprocessable
from hdx.realtime import service as realtime
from hdx.security import audit

KIND = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class Delivery:
    message: RoundMessage
    created: bool


def check_kind(kind: str) -> None:
    if not KIND.match(kind):
        raise Unprocessable(
            "kind must be 1-32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit",
            detail=[{"field": "kind", "message": "invalid message kind"}],
        )


async def _sending_party(session: AsyncSession, computation_id: str, organization_id: str) -> Participant:
    party = await repository.participant(session, computation_id, organization_id)
    if party is None:
        raise NotFound("Computation not found")
    return party


async def submit(
    session: AsyncSession,
    computation_id: str,
    *,
    organization_id: str,
    actor: audit.Actor,
    round_number: int | None,
    recipient: int | None,
    kind: str,
    sender: int | None,
    payload: bytes,
    now: datetime,
) -> Delivery:
    """Store one party's message; the same message again is answered with the stored one."""
    check_kind(kind)
    computation = await repository.computation_for_org(session, computation_id, organization_id, lock=True)
    if computation is None:
        raise NotFound("Computation not found")
    party = await _sending_party(session, computation_id, organization_id)
    if sender is not None and sender != party.party_index:
        raise Forbidden(f"Your organization is party {party.party_index}; it cannot send as party {sender}")
    round_number = computation.current_round if round_number is None else round_number
    to = EXCHANGE_INDEX if recipient is None else recipient
    digest = hashlib.sha256(payload).hexdigest()
    existing = await repository.round_message(
        session, computation.id, round_number, party.party_index, to, kind
    )
    if existing is not None:
        if existing.sha256 != digest:
            raise Conflict(
                f"Party {party.party_index} already sent a different '{kind}' message in round {round_number}"
                f" to {'the exchange' if to == EXCHANGE_INDEX else f'party {to}'}; messages cannot be replaced",
                detail={"message": "a different message is already stored", "sha256": existing.sha256},
            )
        return Delivery(existing, created=False)
    if computation.status is not ComputationStatus.running:
        raise Conflict(f"The computation is {computation.status.value}; it accepts no messages")
    if party.status not in lifecycle.IN_PLAY:
        raise Conflict(f"Party {party.party_index} is {party.status.value} and takes no part in the rounds")
    if round_number != computation.current_round:
        raise Conflict(f"Round {round_number} is not open; the current round is {computation.current_round}")
    parties = await repository.participants(session, computation.id)
    if to != EXCHANGE_INDEX and not any(
        p.party_index == to and p.status in lifecycle.IN_PLAY for p in parties
    ):
        raise Unprocessable(
            f"Party {to} is not taking part in this round",
            detail=[{"field": "recipient", "message": f"no party {to} in play"}],
        )
    message = RoundMessage(
        computation_id=computation.id,
        round=round_number,
        sender_index=party.party_index,
        recipient_index=to,
        kind=kind,
        payload=payload,
        size=len(payload),
        sha256=digest,
        received_at=now,
    )
    session.add(message)
    party.status = ParticipantStatus.submitted
    await session.flush()
    audit.record(
        session,
        "computation.message_received",
        actor=actor,
        target_type="computation",
        target_id=computation.id,
        details={"round": round_number, "sender": party.party_index, "recipient": to, "kind": kind}
        | {"size": len(payload), "sha256": digest},
    )
    await realtime.round_progress(session, computation, party.party_index)
    if coordinator_for(computation.protocol) is not None:
        await advance(session, computation)
    return Delivery(message, created=True)


async def inbox_for_party(
    session: AsyncSession,
    computation_id: str,
    round_number: int,
    *,
    organization_id: str,
    kind: str | None,
    sender: int | None,
) -> Sequence[RoundMessage]:
    computation = await repository.computation_for_org(session, computation_id, organization_id)
    if computation is None:
        raise NotFound("Computation not found")
    party = await _sending_party(session, computation_id, organization_id)
    return await repository.messages_for_party(
        session, computation_id, round_number, party.party_index, kind=kind, sender=sender
    )


def silent_parties(parties: Sequence[Participant]) -> list[Participant]:
    """Parties still in play that have posted nothing in the current round."""
    return [p for p in parties if p.status is ParticipantStatus.accepted]


async def advance(session: AsyncSession, computation: Computation) -> tuple[list[Participant], bool]:
    """Hand the round to its coordinator once nobody is waited for; returns (waited for, advanced)."""
    if computation.status is not ComputationStatus.running:
        raise Conflict(f"The computation is {computation.status.value}; only a running computation advances")
    coordinator = coordinator_for(computation.protocol)
    if coordinator is None:
        raise Conflict(f"protocol {computation.protocol.value} is not available on this exchange")
    pending = set(await coordinator.waiting_for(session, computation))
    if pending:
        parties = await repository.participants(session, computation.id)
        return [p for p in parties if p.party_index in pending], False
    await coordinator.on_round_complete(session, computation)
    return [], True


async def publish(
    session: AsyncSession,
    computation: Computation,
    *,
    kind: str,
    payload: bytes,
    recipient: int | None,
    now: datetime,
) -> RoundMessage:
    """A coordinator's message for the current round: to one party, or to every party when None."""
    check_kind(kind)
    message = RoundMessage(
        computation_id=computation.id,
        round=computation.current_round,
        sender_index=EXCHANGE_INDEX,
        recipient_index=EXCHANGE_INDEX if recipient is None else recipient,
        kind=kind,
        payload=payload,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        received_at=now,
    )
    session.add(message)
    await session.flush()
    return message


async def round_messages(
    session: AsyncSession, computation: Computation, round_number: int
) -> Sequence[RoundMessage]:
    return await repository.messages_in_round(session, computation.id, round_number, with_payload=True)


async def record_result(
    session: AsyncSession,
    computation: Computation,
    values: dict[str, Any],
    protection: dict[str, Any],
    *,
    now: datetime,
) -> ComputationResult:
    """Store the finalized result; organizations that review outputs must release it before it shows."""
    if computation.status is not ComputationStatus.running:
        raise Conflict(
            f"The computation is {computation.status.value}; only a running computation has a result"
        )
    parties = await repository.participants(session, computation.id)
    contributors = [p.organization_id for p in parties if p.status in lifecycle.IN_PLAY]
    orgs = await repository.organizations_by_id(session, contributors)
    reviews = {org_id: "pending" for org_id in contributors if orgs[org_id].requires_output_review}
    result = ComputationResult(
        computation_id=computation.id,
        values=values,
        protection=protection,
        status=ResultStatus.awaiting_release if reviews else ResultStatus.visible,
        reviews=reviews,
        created_at=now,
        released_at=None if reviews else now,
    )
    session.add(result)
    await session.flush()
    computation.result_id = result.id
    await realtime.computation_event(
        session,
        computation,
        "computation.result_recorded",
        {"result_id": result.id, "status": result.status.value},
    )
    target = ComputationStatus.awaiting_release if reviews else ComputationStatus.completed
    await lifecycle.transition(session, computation, target, now=now, details={"result_id": result.id})
    return result


async def release(
    session: AsyncSession,
    computation_id: str,
    user: User,
    *,
    decision: str,
    reason: str | None,
    now: datetime,
) -> ComputationResult:
    organization_id = user.organization_id or ""
    computation = await repository.computation_for_org(session, computation_id, organization_id, lock=True)
    if computation is None:
        raise NotFound("Computation not found")
    result = await repository.result_of(session, computation.id)
    if computation.status is not ComputationStatus.awaiting_release or result is None:
        raise Conflict(f"The computation is {computation.status.value}; there is no result awaiting release")
    if result.reviews.get(organization_id) != "pending":
        raise Forbidden("Your organization has no pending review of this result")
    actor = audit.Actor(user_id=user.id, email=user.email, organization_id=organization_id)
    reviews = dict(result.reviews)
    if decision == "withhold":
        reviews[organization_id] = "withheld"
        result.reviews, result.status = reviews, ResultStatus.withheld
        result.withheld_reason = reason or "withheld at output review"
        await session.flush()
        audit.record(
            session,
            "computation.result_withheld",
            actor=actor,
            target_type="computation",
            target_id=computation.id,
            details={"result_id": result.id, "reason": result.withheld_reason},
        )
        await lifecycle.transition(
            session,
            computation,
            ComputationStatus.failed,
            now=now,
            actor=actor,
            reason=f"result withheld at output review: {result.withheld_reason}",
        )
        return result
    reviews[organization_id] = "released"
    result.reviews = reviews
    audit.record(
        session,
        "computation.result_released",
        actor=actor,
        target_type="computation",
        target_id=computation.id,
        details={"result_id": result.id},
    )
    if all(state == "released" for state in reviews.values()):
        result.status, result.released_at = ResultStatus.visible, now
        await session.flush()
        await lifecycle.transition(session, computation, ComputationStatus.completed, now=now, actor=actor)
    await session.flush()
    return result


def is_reviewer(result: ComputationResult, user: User) -> bool:
    """An administrator of an organization whose pending review holds this result: the one reader who
    must see the values before they are released, to decide on them."""
    return (
        result.status is ResultStatus.awaiting_release
        and user.organization_id is not None
        and result.reviews.get(user.organization_id) == "pending"
        and allowed(user.role, Action.computation_release)
    )


def record_review_read(session: AsyncSession, result: ComputationResult, user: User) -> None:
    """Unreleased values left the exchange: say to whom, on the reviewing organization's trail."""
    audit.record(
        session,
        "computation.result_review_read",
        actor=audit.Actor(user_id=user.id, email=user.email, organization_id=user.organization_id),
        target_type="computation",
        target_id=result.computation_id,
        details={"result_id": result.id},
    )


async def result_for_org(
    session: AsyncSession, result_id: str, organization_id: str | None
) -> ComputationResult:
    result = await repository.result(session, result_id)
    if result is None or organization_id is None:
        raise NotFound("Result not found")
    if await repository.computation_for_org(session, result.computation_id, organization_id) is None:
        raise NotFound("Result not found")
    return result
