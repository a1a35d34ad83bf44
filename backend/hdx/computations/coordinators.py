"""The exchange side of the shamir and secagg protocols, plugged into the lifecycle.

Stateless by design: every hook re-reads the stored round messages, so an exchange restarted between two
rounds carries on where the database says the computation is. The protocol arithmetic (signature checks,
interpolation, unmasking) is pure code in hdx.protocols and runs in a worker thread.
"""

from __future__ import annotations

from datetime import datetime

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.analyses import AnalysisError, get_analysis
from hdx.computations import lifecycle, relay, repository
from hdx.computations.coordination import register
from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationStatus,
    Participant,
    ParticipantStatus,
    ProtocolName,
)
from hdx.crypto.errors import CryptoError
from hdx.db import utcnow
from hdx.protocols import Envelope, PartyInfo
from hdx.protocols.base import Aggregate, Delivered, ExchangeContext, ExchangeProtocol
from hdx.protocols.fixed_point import EncodingPlan, decode_sum, protocol_layout
from hdx.protocols.registry import EXCHANGE_PROTOCOLS

# Parties that accepted: the encoding is sized for all of them, including any dropped since.
_TOOK_PART = frozenset({*lifecycle.IN_PLAY, ParticipantStatus.dropped})


def _in_play(parties: list[Participant]) -> list[int]:
    return [p.party_index for p in parties if p.status in lifecycle.IN_PLAY]


class ProtocolCoordinator:
    def __init__(self, protocol: ExchangeProtocol) -> None:
        self.protocol = protocol

    async def waiting_for(self, session: AsyncSession, computation: Computation) -> list[int]:
        parties = await repository.participants(session, computation.id)
        stored = await repository.messages_in_round(
            session, computation.id, computation.current_round, with_payload=False
        )
        delivered = [
            Delivered(m.sender_index, m.recipient_index, m.kind)
            for m in stored
            if m.sender_index != EXCHANGE_INDEX
        ]
        return self.protocol.waiting_for(computation.current_round, _in_play(parties), delivered)

    async def on_round_complete(self, session: AsyncSession, computation: Computation) -> None:
        if computation.status is not ComputationStatus.running:
            return
        round_number = computation.current_round
        parties = await repository.participants(session, computation.id)
        context = await self._context(session, computation, parties)
        if context is None:
            return
        messages = [
            Envelope(m.round, m.sender_index, m.recipient_index or None, m.kind, m.payload)
            for r in range(1, round_number + 1)
            for m in await relay.round_messages(session, computation, r)
        ]
        try:
            outcome = await anyio.to_thread.run_sync(
                self.protocol.complete_round, context, round_number, _in_play(parties), messages
            )
        except (CryptoError, AnalysisError) as exc:
            await self._fail(session, computation, f"round {round_number}: {exc}")
            return
        if isinstance(outcome, Aggregate):
            await self._release(session, computation, outcome)
            return
        now = utcnow()
        await lifecycle.start_round(session, computation, round_number + 1, now=now)
        for broadcast in outcome.broadcasts:
            await relay.publish(
                session, computation, kind=broadcast.kind, payload=broadcast.payload, recipient=None, now=now
            )

    async def on_round_deadline(self, session: AsyncSession, computation: Computation, now: datetime) -> None:
        missing = set(await self.waiting_for(session, computation))
        for party in await repository.participants(session, computation.id):
            if party.party_index in missing and computation.status is ComputationStatus.running:
                await lifecycle.drop_party(
                    session,
                    computation,
                    party,
                    reason=f"had not sent all its round {computation.current_round} messages by the deadline",
                    now=now,
                )
        # drop_party fails the computation once fewer than the threshold remain; otherwise go on without them.
        await self.on_round_complete(session, computation)

    async def _context(
        self, session: AsyncSession, computation: Computation, parties: list[Participant]
    ) -> ExchangeContext | None:
        took_part = [p for p in parties if p.status in _TOOK_PART]
        keys = await repository.party_keys(session, [p.party_key_id for p in took_part if p.party_key_id])
        unkeyed = [p.party_index for p in took_part if p.party_key_id not in keys]
        if unkeyed:
            await self._fail(session, computation, f"parties {unkeyed} have no registered agent keys")
            return None
        infos = tuple(
            PartyInfo(
                p.party_index,
                p.organization_id,
                keys[p.party_key_id].x25519_public,
                keys[p.party_key_id].ed25519_public,
            )
            for p in took_part
            if p.party_key_id is not None
        )
        return ExchangeContext(
            computation.id, computation.threshold, infos, computation.analysis, computation.params
        )

    async def _release(self, session: AsyncSession, computation: Computation, aggregate: Aggregate) -> None:
        analysis = get_analysis(computation.analysis)
        layout = protocol_layout(computation.analysis, computation.params)
        encoding = EncodingPlan(layout, aggregate.frac_bits, self.protocol.modulus())
        try:
            result = analysis.finalize(
                decode_sum(encoding, aggregate.values), analysis.parse(computation.params), k=computation.k
            )
        except AnalysisError as exc:
            await self._fail(session, computation, f"the aggregate cannot be released: {exc}")
            return
        protection = {
            "protocol": computation.protocol.value,
            "threshold": computation.threshold,
            "parties": aggregate.contributors,
            "k": computation.k,
            "clipped": result.clipped,
            "suppressed": result.suppressed,
            "frac_bits": aggregate.frac_bits,
        }
        await relay.record_result(
            session, computation, result.model_dump(mode="json"), protection, now=utcnow()
        )

    async def _fail(self, session: AsyncSession, computation: Computation, reason: str) -> None:
        await lifecycle.transition(
            session, computation, ComputationStatus.failed, now=utcnow(), reason=reason
        )


def install() -> None:
    """Register the coordinators of every protocol this build runs."""
    for name, protocol in EXCHANGE_PROTOCOLS.items():
        register(ProtocolName(name), ProtocolCoordinator(protocol))
