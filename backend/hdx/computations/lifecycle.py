"""The computation state machine (DESIGN §5.1).

draft -> pending_approval -> running -> (awaiting_release) -> completed | failed | cancelled | expired

Every transition goes through `transition()`: it refuses illegal moves, writes the new state and
queues the audit event in the same transaction, so nothing is announced that is not persisted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import repository
from hdx.computations.coordination import coordinator_for
from hdx.computations.models import (
    Computation,
    ComputationStatus,
    DataSource,
    Participant,
    ParticipantStatus,
)
from hdx.exceptions import Conflict
from hdx.hosted import repository as hosted_states
from hdx.jobs import pending as jobs
from hdx.realtime import service as realtime
from hdx.security import audit

S = ComputationStatus

TERMINAL: frozenset[ComputationStatus] = frozenset({S.completed, S.failed, S.cancelled, S.expired})
ACTIVE: frozenset[ComputationStatus] = frozenset({S.draft, S.pending_approval, S.running, S.awaiting_release})

TRANSITIONS: dict[ComputationStatus, frozenset[ComputationStatus]] = {
    S.draft: frozenset({S.pending_approval, S.cancelled}),
    S.pending_approval: frozenset({S.running, S.failed, S.cancelled, S.expired}),
    S.running: frozenset({S.awaiting_release, S.completed, S.failed, S.cancelled, S.expired}),
    # Output review waits for people, not parties: it neither expires nor can be cancelled by the requester.
    S.awaiting_release: frozenset({S.completed, S.failed}),
    S.completed: frozenset(),
    S.failed: frozenset(),
    S.cancelled: frozenset(),
    S.expired: frozenset(),
}

# Parties that still take part once the run has started.
IN_PLAY: frozenset[ParticipantStatus] = frozenset({ParticipantStatus.accepted, ParticipantStatus.submitted})


def can_transition(current: ComputationStatus, target: ComputationStatus) -> bool:
    return target in TRANSITIONS[current]


def require_transition(computation: Computation, target: ComputationStatus) -> None:
    current = computation.status
    if can_transition(current, target):
        return
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is finished)"
    raise Conflict(
        f"A computation that is {current.value} cannot become {target.value}; allowed next states: {allowed}",
        detail={
            "message": f"A computation that is {current.value} cannot become {target.value}",
            "status": current.value,
            "requested": target.value,
            "allowed": sorted(s.value for s in TRANSITIONS[current]),
        },
    )


async def transition(
    session: AsyncSession,
    computation: Computation,
    target: ComputationStatus,
    *,
    now: datetime,
    actor: audit.Actor | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    require_transition(computation, target)
    previous = computation.status
    computation.status = target
    if target is S.running and computation.started_at is None:
        computation.started_at = now
    if target in TERMINAL:
        computation.finished_at = now
        computation.round_deadline_at = None
    if previous is S.running:
        # Hosted parties' protocol states (their inputs, shares, mask keys) have nothing left to protect.
        await hosted_states.delete_states(session, computation.id)
    if target is S.failed and previous is S.running and reason:
        reason += await _dropouts(session, computation)
    if target in (S.failed, S.expired, S.cancelled) and reason:
        computation.failure_reason = reason
    await session.flush()
    audit.record(
        session,
        f"computation.{target.value}",
        actor=actor,
        organization_id=computation.requester_organization_id,
        target_type="computation",
        target_id=computation.id,
        details={"from": previous.value, "to": target.value, "round": computation.current_round}
        | ({"reason": reason} if reason else {})
        | (details or {}),
    )
    await realtime.computation_event(
        session,
        computation,
        "computation.status",
        {"from": previous.value, "to": target.value, "round": computation.current_round}
        | ({"reason": reason} if reason else {}),
    )


async def _dropouts(session: AsyncSession, computation: Computation) -> str:
    """The parties that dropped out of the run and why, for the reason a run fails with: the requester
    reads it there rather than in each party's status."""
    dropped = [
        p
        for p in await repository.participants(session, computation.id)
        if p.status is ParticipantStatus.dropped
    ]
    if not dropped:
        return ""
    names = await repository.organizations_by_id(session, [p.organization_id for p in dropped])
    return "; dropped: " + "; ".join(
        f"party {p.party_index} ({names[p.organization_id].name}): {p.dropped_reason or 'no reason recorded'}"
        for p in dropped
    )


async def start_round(
    session: AsyncSession, computation: Computation, round_number: int, *, now: datetime
) -> None:
    """Open `round_number`: parties that delivered the previous round owe messages again."""
    computation.current_round = round_number
    computation.round_deadline_at = min(
        now + timedelta(seconds=computation.round_timeout_seconds), computation.expires_at
    )
    parties = await repository.participants(session, computation.id)
    for party in parties:
        if party.status is ParticipantStatus.submitted:
            party.status = ParticipantStatus.accepted
    await session.flush()
    if any(p.source is DataSource.vault and p.status in IN_PLAY for p in parties):
        jobs.hosted_round_opened(session, computation.id)
    audit.record(
        session,
        "computation.round_started",
        organization_id=computation.requester_organization_id,
        target_type="computation",
        target_id=computation.id,
        details={"round": round_number, "deadline": computation.round_deadline_at.isoformat()},
    )
    await realtime.computation_event(
        session,
        computation,
        "computation.round_started",
        {"round": round_number, "deadline": computation.round_deadline_at.isoformat()},
    )


async def settle_responses(
    session: AsyncSession, computation: Computation, *, now: datetime, actor: audit.Actor | None = None
) -> None:
    """After an answer: start once everyone answered with a quorum, fail once a quorum is out of reach."""
    if computation.status is not S.pending_approval:
        return
    parties = await repository.participants(session, computation.id)
    accepted = [p for p in parties if p.status is ParticipantStatus.accepted]
    waiting = [p for p in parties if p.status is ParticipantStatus.invited]
    if len(accepted) + len(waiting) < computation.min_participants:
        declined = len(parties) - len(accepted) - len(waiting)
        await transition(
            session,
            computation,
            S.failed,
            now=now,
            actor=actor,
            reason=(
                f"{declined} of {len(parties)} invited organizations declined; at most "
                f"{len(accepted) + len(waiting)} can take part but {computation.min_participants} are required"
            ),
        )
        return
    if waiting:
        return
    await _bind_party_keys(session, accepted)
    await transition(
        session, computation, S.running, now=now, actor=actor, details={"parties": len(accepted)}
    )
    await start_round(session, computation, 1, now=now)


async def _bind_party_keys(session: AsyncSession, parties: list[Participant]) -> None:
    for party in parties:
        if party.party_key_id is None:
            key = await repository.current_party_key(session, party.organization_id)
            party.party_key_id = key.id if key is not None else None


async def drop_party(
    session: AsyncSession, computation: Computation, party: Participant, *, reason: str, now: datetime
) -> None:
    """Take a party out of the run; the computation fails when fewer than the threshold remain."""
    party.status = ParticipantStatus.dropped
    party.dropped_reason = reason
    await session.flush()
    audit.record(
        session,
        "computation.party_dropped",
        organization_id=computation.requester_organization_id,
        target_type="computation",
        target_id=computation.id,
        details={"party_index": party.party_index, "round": computation.current_round, "reason": reason},
    )
    await realtime.computation_event(
        session,
        computation,
        "computation.party_dropped",
        {"party_index": party.party_index, "round": computation.current_round, "reason": reason},
    )
    remaining = [p for p in await repository.participants(session, computation.id) if p.status in IN_PLAY]
    if len(remaining) < computation.threshold and computation.status is S.running:
        await transition(
            session,
            computation,
            S.failed,
            now=now,
            reason=(
                f"round {computation.current_round} has {len(remaining)} "
                f"{'party' if len(remaining) == 1 else 'parties'} left in play, "
                f"fewer than the threshold of {computation.threshold}"
            ),
        )


async def expire_overdue(session: AsyncSession, now: datetime) -> list[str]:
    """Move every computation whose deadline has passed on; returns the ids it changed.

    State lives only in the database, so running this at startup resumes a restarted exchange.
    """
    changed: list[str] = []
    for computation in await repository.overdue(session, now):
        if computation.status is S.pending_approval and computation.acceptance_deadline_at <= now:
            parties = await repository.participants(session, computation.id)
            silent = sorted(p.party_index for p in parties if p.status is ParticipantStatus.invited)
            accepted = sum(p.status is ParticipantStatus.accepted for p in parties)
            await transition(
                session,
                computation,
                S.expired,
                now=now,
                reason=(
                    f"acceptance deadline passed with {accepted} of {len(parties)} organizations accepted; "
                    f"no answer from parties {silent}"
                ),
            )
        elif computation.status in (S.running, S.pending_approval) and computation.expires_at <= now:
            await transition(
                session,
                computation,
                S.expired,
                now=now,
                reason=f"expired at {computation.expires_at.isoformat()} in round {computation.current_round}",
            )
        elif computation.status is S.running:
            await _round_overdue(session, computation, now)
        else:
            continue
        changed.append(computation.id)
    return changed


async def _round_overdue(session: AsyncSession, computation: Computation, now: datetime) -> None:
    coordinator = coordinator_for(computation.protocol)
    if coordinator is not None:
        await coordinator.on_round_deadline(session, computation, now)
        return
    parties = await repository.participants(session, computation.id)
    missing = sorted(p.party_index for p in parties if p.status is ParticipantStatus.accepted)
    reason = (
        f"round {computation.current_round} deadline passed and protocol {computation.protocol.value} "
        "is not available on this exchange to advance it"
    )
    if missing:
        reason += f"; parties {missing} sent nothing"
    await transition(session, computation, S.failed, now=now, reason=reason)
