"""Iterative analyses inside one computation (logistic regression by federated Newton iterations).

Each iteration is one complete run of the computation's protocol, at the parameters the previous one
gave: fresh shares, masks, keys and nonces, its rounds numbered after the previous iteration's, and its
messages bound to the iteration (hdx.protocols.base.session_id), so none can be replayed into another.
The same accepted parties take part with the same data; no new acceptance is asked. The iteration, the
rounds played before it and its parameters are columns of the computation, so a restarted exchange
resumes where it stopped. Only the final iteration's result is recorded; intermediate aggregates are
used to compute the next parameters and then dropped.

A party missing from an iteration's sum, or dropped before the next one, would make the iterations
sum over different records; the computation then fails with that reason rather than carrying on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import lifecycle
from hdx.computations.models import Computation, Participant, ParticipantStatus
from hdx.realtime import service as realtime
from hdx.security import audit

# Parties that accepted: every iteration must sum over all of them.
TOOK_PART = frozenset({*lifecycle.IN_PLAY, ParticipantStatus.dropped})


def current_params(computation: Computation) -> dict[str, Any]:
    """The analysis parameters the current iteration computes at."""
    return computation.params if computation.iteration_params is None else computation.iteration_params


def protocol_round(computation: Computation, round_number: int | None = None) -> int:
    """The protocol's own round (from 1 in every iteration) of a round of the computation."""
    return (computation.current_round if round_number is None else round_number) - computation.round_offset


def where(computation: Computation) -> str:
    """The current round as failure reasons name it."""
    round_number = protocol_round(computation)
    if computation.iteration == 1:
        return f"round {round_number}"
    return f"iteration {computation.iteration}, round {round_number}"


def missing_from_sum(parties: list[Participant], contributors: list[int]) -> list[int]:
    """Parties that accepted but whose data the iteration's aggregate does not cover."""
    return sorted(
        p.party_index for p in parties if p.status in TOOK_PART and p.party_index not in contributors
    )


def dropped(parties: list[Participant]) -> list[int]:
    return sorted(p.party_index for p in parties if p.status is ParticipantStatus.dropped)


async def start_next(
    session: AsyncSession, computation: Computation, params: dict[str, Any], *, now: datetime
) -> None:
    """Open the first round of the next iteration, evaluating at `params`."""
    computation.iteration += 1
    computation.round_offset = computation.current_round
    computation.iteration_params = params
    await session.flush()
    details = {"iteration": computation.iteration, "round": computation.current_round + 1}
    audit.record(
        session,
        "computation.iteration_started",
        organization_id=computation.requester_organization_id,
        target_type="computation",
        target_id=computation.id,
        details=details,
    )
    await realtime.computation_event(session, computation, "computation.iteration_started", details)
    await lifecycle.start_round(session, computation, computation.current_round + 1, now=now)
