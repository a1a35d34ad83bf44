"""The hosted agent's rounds: the party side of organizations that answered with a vault dataset.

It is the self-hosted agent's code (hdx.agent.party over hdx.protocols) with another transport and
store: messages go through the relay's service functions in process, and the party's state is sealed
under the organization's vault key in `hosted_party_states`. A round is stepped, its messages stored
and the new state saved in one transaction, so a crash re-steps the round (protocol steps are
deterministic) and the relay answers a repeated message idempotently.

The trust is weaker than with a self-hosted agent: the exchange operator holds the vault's master key
and could read the dataset and these secrets. The API marks such parties `hosted`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.agent import party as glue
from hdx.agent.keystore import AgentKeys
from hdx.agent.store import LocalComputation
from hdx.analyses import AnalysisError
from hdx.computations import framing, iterations, lifecycle, relay, views
from hdx.computations import repository as computations
from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationStatus,
    DataSource,
    Participant,
)
from hdx.config import Settings
from hdx.crypto import envelope
from hdx.crypto.errors import CryptoError
from hdx.datasets import vault
from hdx.datasets.service import load_frame
from hdx.exceptions import HdxError
from hdx.hosted import keys, repository
from hdx.hosted.models import HostedPartyState
from hdx.protocols.base import party_protocol
from hdx.security import audit

logger = logging.getLogger("hdx.hosted")


@dataclass
class Halted(Exception):
    """A hosted party cannot go on (its data cannot contribute, a message failed verification)."""

    computation_id: str
    party_index: int
    reason: str


def is_hosted(party: Participant) -> bool:
    return party.source is DataSource.vault


def _state_context(state: HostedPartyState, stepped: int) -> bytes:
    return envelope.associated_data(
        "hdx.hosted-state", state.organization_id, state.computation_id, str(state.party_index), str(stepped)
    )


async def advance(session: AsyncSession, settings: Settings, computation_id: str, *, now: datetime) -> int:
    """Post every message the computation's hosted parties owe, round after round; returns the number
    of rounds stepped. Flushes only; raises Halted for a party that must stop."""
    computation = await computations.computation(session, computation_id, lock=True)
    if computation is None:
        return 0
    stepped = 0
    while computation.status is ComputationStatus.running:
        progressed = 0
        for party in await computations.participants(session, computation.id):
            if is_hosted(party) and party.status in lifecycle.IN_PLAY:
                progressed += await _catch_up(session, settings, computation, party, now=now)
            if computation.status is not ComputationStatus.running:
                break
        if not progressed:
            break
        stepped += progressed
    return stepped


async def _catch_up(
    session: AsyncSession, settings: Settings, computation: Computation, party: Participant, *, now: datetime
) -> int:
    state = await repository.state(session, computation.id, party.party_index)
    private = await _keys(session, settings, computation, party)
    if state is None:
        state = await _begin(session, settings, computation, party, private)
    elif LocalComputation.from_json(state.public).iteration != computation.iteration:
        await _next_iteration(session, settings, computation, party, private, state)
    local = LocalComputation.from_json(state.public)
    secret = await keys.secret_key(session, settings, party.organization_id)
    stepped = 0
    while state.stepped < min(computation.current_round, local.round_offset + local.rounds):
        round_number = state.stepped + 1
        inbox = [
            framing.Frame(m.round, m.sender_index, m.recipient_index, m.kind, m.payload)
            for r in range(local.round_offset + 1, round_number + 1)
            for m in await computations.messages_for_party(
                session, computation.id, r, party.party_index, kind=None, sender=None
            )
        ]
        current = open_state(secret, state)
        try:
            new_state, outgoing = await asyncio.to_thread(
                glue.step, local, private, current, round_number, inbox
            )
        except (CryptoError, AnalysisError) as exc:
            raise Halted(computation.id, party.party_index, f"round {round_number}: {exc}") from exc
        state.sealed_state = envelope.seal(secret, new_state, _state_context(state, round_number))
        state.stepped = round_number
        await session.flush()
        for frame in outgoing:
            try:
                await relay.submit(
                    session,
                    computation.id,
                    organization_id=party.organization_id,
                    actor=audit.Actor(organization_id=party.organization_id),
                    round_number=round_number,
                    recipient=None if frame.recipient == EXCHANGE_INDEX else frame.recipient,
                    kind=frame.kind,
                    sender=party.party_index,
                    payload=frame.payload,
                    now=now,
                )
            except HdxError as exc:
                raise Halted(
                    computation.id,
                    party.party_index,
                    f"round {round_number} {frame.kind} message refused: {exc}",
                ) from exc
        stepped += 1
        if computation.status is not ComputationStatus.running:
            break
    return stepped


async def _keys(
    session: AsyncSession, settings: Settings, computation: Computation, party: Participant
) -> AgentKeys:
    found = (
        await keys.private(session, settings, party.organization_id, party.party_key_id)
        if party.party_key_id is not None
        else None
    )
    if found is None:
        raise Halted(computation.id, party.party_index, "the party is not bound to the hosted agent's keys")
    return found


async def _begin(
    session: AsyncSession,
    settings: Settings,
    computation: Computation,
    party: Participant,
    private: AgentKeys,
) -> HostedPartyState:
    """First step of a hosted party: pin every party's keys, compute the contribution, `start`."""
    if computation.iteration != 1:
        raise Halted(
            computation.id, party.party_index, "the hosted party has no record of earlier iterations"
        )
    bound = await views.parties_with_keys(session, computation)
    starting = {
        p.party_index for p in await computations.participants(session, computation.id) if p.accepted_at
    }
    try:
        parties = glue.stored_parties(bound, starting)
    except ValueError as exc:
        raise Halted(computation.id, party.party_index, str(exc)) from exc
    mine = next((p for p in parties if p.index == party.party_index), None)
    if mine is None or base64.b64decode(mine.x25519_public) != private.x25519_public:
        raise Halted(
            computation.id, party.party_index, "the keys bound to this party are not the hosted agent's"
        )
    protocol = party_protocol(computation.protocol.value)
    local = LocalComputation(
        computation_id=computation.id,
        protocol=computation.protocol.value,
        analysis=computation.analysis,
        params=computation.params,
        threshold=computation.threshold,
        k=computation.k,
        my_index=party.party_index,
        parties=parties,
        rows=0,
        clipped=0,
        rounds=protocol.rounds(),
        requester_organization_id=computation.requester_organization_id,
        epsilon=computation.dp_epsilon,
        delta=computation.dp_delta,
        dp_mode=computation.dp_mode.value if computation.dp_mode else None,
    )
    local, initial = await _contribute(session, settings, computation, party, private, local)
    state = HostedPartyState(
        computation_id=computation.id,
        organization_id=party.organization_id,
        party_index=party.party_index,
        public=local.to_json(),
        stepped=0,
        sealed_state=b"",
    )
    state.sealed_state = envelope.seal(
        await keys.secret_key(session, settings, party.organization_id), initial, _state_context(state, 0)
    )
    session.add(state)
    await session.flush()
    _contribution_ready(session, computation, party, local)
    return state


async def _next_iteration(
    session: AsyncSession,
    settings: Settings,
    computation: Computation,
    party: Participant,
    private: AgentKeys,
    state: HostedPartyState,
) -> None:
    """The next iteration of an iterative analysis: its parameters checked as an agent checks them, the
    contribution computed again at them over the same dataset, and a fresh protocol state."""
    try:
        local = glue.next_iteration(
            LocalComputation.from_json(state.public),
            computation.iteration,
            computation.round_offset,
            iterations.current_params(computation),
        )
    except AnalysisError as exc:
        raise Halted(computation.id, party.party_index, str(exc)) from exc
    local, initial = await _contribute(session, settings, computation, party, private, local)
    state.public, state.stepped = local.to_json(), local.stepped
    state.sealed_state = envelope.seal(
        await keys.secret_key(session, settings, party.organization_id),
        initial,
        _state_context(state, state.stepped),
    )
    await session.flush()
    _contribution_ready(session, computation, party, local)


async def _contribute(
    session: AsyncSession,
    settings: Settings,
    computation: Computation,
    party: Participant,
    private: AgentKeys,
    local: LocalComputation,
) -> tuple[LocalComputation, bytes]:
    """The party's contribution at the current parameters (k enforced) and its initial protocol state."""
    assert party.dataset_id is not None
    try:
        frame = await load_frame(session, settings, party.organization_id, party.dataset_id)
        contribution, layout = await asyncio.to_thread(
            glue.contribution, frame, local.analysis, local.current_params, local.k
        )
    except (AnalysisError, ValueError, HdxError) as exc:
        raise Halted(computation.id, party.party_index, f"the dataset cannot contribute: {exc}") from exc
    local = local.but(rows=contribution.rows, clipped=contribution.clipped)
    try:
        initial = await asyncio.to_thread(glue.start, local, private, contribution, layout)
    except CryptoError as exc:
        raise Halted(computation.id, party.party_index, str(exc)) from exc
    return local, initial


def _contribution_ready(
    session: AsyncSession, computation: Computation, party: Participant, local: LocalComputation
) -> None:
    audit.record(
        session,
        "hosted_agent.contribution_ready",
        actor=audit.Actor(organization_id=party.organization_id),
        target_type="computation",
        target_id=computation.id,
        details={
            "party_index": party.party_index,
            "iteration": local.iteration,
            "rows": local.rows,
            "clipped": local.clipped,
        },
    )


def open_state(secret: bytes, state: HostedPartyState) -> bytes:
    try:
        return envelope.open_sealed(secret, state.sealed_state, _state_context(state, state.stepped))
    except CryptoError as exc:
        raise vault.IntegrityFailure("A hosted party's state failed its integrity check") from exc


async def halt(session: AsyncSession, failure: Halted, *, now: datetime) -> None:
    """Take a hosted party that cannot go on out of the run at once, as its deadline would, with the reason."""
    computation = await computations.computation(session, failure.computation_id, lock=True)
    if computation is None or computation.status is not ComputationStatus.running:
        return
    party = next(
        (
            p
            for p in await computations.participants(session, computation.id)
            if p.party_index == failure.party_index
        ),
        None,
    )
    if party is None or party.status not in lifecycle.IN_PLAY:
        return
    logger.error(
        "hosted party halted",
        extra={"computation_id": computation.id, "party_index": party.party_index, "reason": failure.reason},
    )
    await lifecycle.drop_party(
        session, computation, party, reason=f"the hosted agent stopped: {failure.reason}"[:500], now=now
    )
    if computation.status is ComputationStatus.running:
        await relay.advance(session, computation)
