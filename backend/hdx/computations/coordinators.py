"""The exchange side of the registered protocols (shamir, secagg, paillier, hybrid), plugged into the lifecycle.

Stateless by design: every hook re-reads the stored round messages, so an exchange restarted between two
rounds carries on where the database says the computation is. The protocol arithmetic (signature checks,
interpolation, unmasking, homomorphic additions) is pure code in hdx.protocols and runs in a worker thread.

Differential privacy (central mode, hdx.privacy.central): whoever first sees the aggregate noises it. For
shamir and secagg that is the exchange, here, before finalizing. For paillier and hybrid the exchange only
ever holds ciphertexts, so the recipient's party noises the values it decrypted and declares the noise,
which is checked against the exchange's own calibration. The budgets of the contributing datasets are
charged, in the transaction that makes the values learnable: with the result for shamir and secagg, and
with the broadcast that lets the recipient decrypt for paillier and hybrid (from then on the recipient
knows the noised values, whether or not a result is recorded). An exhausted budget fails the computation
before anything is released. In distributed mode (dp_mode "distributed") every party noised its own input
before sharing it (hdx.protocols.party_noise): nobody adds noise here or at the recipient, the result
states the parties' calibration, and the budgets are charged at the same points, once per release.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.analyses import AnalysisError, Result, get_analysis, with_iterations
from hdx.computations import iterations, lifecycle, recipient, relay, repository
from hdx.computations.coordination import register
from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationStatus,
    DataSource,
    Participant,
    ProtocolName,
)
from hdx.crypto.errors import CapacityError, CryptoError
from hdx.db import utcnow
from hdx.privacy import central, distributed
from hdx.privacy import service as privacy
from hdx.privacy.errors import PrivacyError
from hdx.privacy.modes import DpMode
from hdx.protocols import Envelope, PartyInfo
from hdx.protocols.base import Aggregate, Delivered, ExchangeContext, ExchangeProtocol
from hdx.protocols.fixed_point import decode_sum, plan
from hdx.protocols.registry import EXCHANGE_PROTOCOLS

# Parties that accepted: the encoding is sized for all of them, including any dropped since.
_TOOK_PART = iterations.TOOK_PART


def _in_play(parties: list[Participant]) -> list[int]:
    return [p.party_index for p in parties if p.status in lifecycle.IN_PLAY]


def _hosted(computation: Computation, parties: list[Participant]) -> dict[str, Any]:
    """The parties the exchange's hosted agent played: it holds their keys, so it could read what they
    received (docs/protocols.md, "Hosted agents")."""
    hosted = {p.party_index for p in parties if p.status in _TOOK_PART and p.source is DataSource.vault}
    return {
        "parties": len(hosted),
        "recipient": computation.protocol in recipient.DECRYPTING
        and _recipient(computation, parties) in hosted,
        "reach_threshold": len(hosted) >= computation.threshold,
    }


def _recipient(computation: Computation, parties: list[Participant]) -> int | None:
    """The requesting organization's party, which receives paillier and hybrid results."""
    for party in parties:
        if party.organization_id == computation.requester_organization_id:
            return party.party_index
    return None


# What a reader of a result released under differential privacy needs to know (docs/api.md says the same).
NOISED_FIELDS = (
    "differential privacy: n, every count and the number of clipped values carry noise, and so does every "
    "value computed from the noised sums, so n may differ from the true number of records; noised counts "
    "below 0 are shown as 0 (post-processing, which the guarantee covers). Names, bin edges, categories "
    "and times come from the request and carry no noise."
)


class _Refused(Exception):
    """The release cannot go ahead (an exhausted privacy budget); the computation fails with this reason."""


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
        return self.protocol.waiting_for(
            iterations.protocol_round(computation),
            _in_play(parties),
            delivered,
            _recipient(computation, parties),
        )

    async def on_round_complete(self, session: AsyncSession, computation: Computation) -> None:
        if computation.status is not ComputationStatus.running:
            return
        round_number = computation.current_round
        parties = await repository.participants(session, computation.id)
        context = await self._context(session, computation, parties)
        if context is None:
            return
        # This iteration's messages, numbered as the protocol numbers its rounds.
        offset = computation.round_offset
        messages = [
            Envelope(m.round - offset, m.sender_index, m.recipient_index or None, m.kind, m.payload)
            for r in range(offset + 1, round_number + 1)
            for m in await relay.round_messages(session, computation, r)
        ]
        try:
            outcome = await anyio.to_thread.run_sync(
                self.protocol.complete_round,
                context,
                iterations.protocol_round(computation),
                _in_play(parties),
                messages,
            )
        except (CryptoError, AnalysisError, PrivacyError) as exc:
            await self._fail(session, computation, f"{iterations.where(computation)}: {exc}")
            return
        if isinstance(outcome, Aggregate):
            await self._release(session, computation, outcome)
            return
        if outcome.releases is not None and computation.dp_epsilon is not None:
            try:
                await self._charge(session, computation, parties, outcome.releases)
            except _Refused as exc:
                await self._fail(session, computation, str(exc))
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
            computation.id,
            computation.threshold,
            infos,
            computation.analysis,
            iterations.current_params(computation),
            requester_organization_id=computation.requester_organization_id,
            epsilon=computation.dp_epsilon,
            delta=computation.dp_delta,
            dp_mode=computation.dp_mode,
            iteration=computation.iteration,
        )

    async def _release(self, session: AsyncSession, computation: Computation, aggregate: Aggregate) -> None:
        analysis = get_analysis(computation.analysis)
        params = iterations.current_params(computation)
        vector = decode_sum(aggregate.encoding, aggregate.values)
        parties = await repository.participants(session, computation.id)
        dp: dict[str, Any] | None = None
        try:
            if computation.dp_epsilon is not None:
                if computation.dp_mode == DpMode.distributed:
                    # The parties noised their own inputs: the aggregate is released as it came.
                    dp = await self._distributed(computation, aggregate, parties)
                else:
                    vector, dp = await self._noise(
                        computation, aggregate, vector, _recipient(computation, parties)
                    )
                if aggregate.noise is None:
                    # The exchange is the first to see these values: charge now, with the result.
                    dp |= await self._charge(session, computation, parties, aggregate.contributors)
                else:
                    dp |= _charges(computation, parties, aggregate.contributors)
            result = analysis.finalize(vector, analysis.parse(params), k=computation.k)
            if dp is not None:
                result = result.model_copy(update={"notes": [*result.notes, NOISED_FIELDS]})
        except (AnalysisError, PrivacyError) as exc:
            await self._fail(session, computation, f"the aggregate cannot be released: {exc}")
            return
        except _Refused as exc:
            await self._fail(session, computation, str(exc))
            return
        if analysis.iterative:
            final = await self._iterate(session, computation, parties, aggregate, result)
            if final is None:
                return
            result = final
        protection: dict[str, Any] = {
            "protocol": computation.protocol.value,
            "threshold": computation.threshold,
            "parties": aggregate.contributors,
            "k": computation.k,
            "clipped": result.clipped,
            "suppressed": result.suppressed,
            "frac_bits": aggregate.frac_bits,
            "epsilon_spent": computation.dp_epsilon,
        }
        if dp is not None:
            protection["differential_privacy"] = dp
        protection["hosted"] = _hosted(computation, parties)
        await relay.record_result(
            session, computation, result.model_dump(mode="json"), protection, now=utcnow()
        )

    async def _iterate(
        self,
        session: AsyncSession,
        computation: Computation,
        parties: list[Participant],
        aggregate: Aggregate,
        result: Result,
    ) -> Result | None:
        """The final result of an iterative analysis, or None once the next iteration is open (or the
        computation failed). The iteration's aggregate goes into the next parameters and nowhere else."""
        iteration = computation.iteration
        missing = iterations.missing_from_sum(parties, aggregate.contributors)
        if missing:
            await self._fail(
                session,
                computation,
                f"parties {missing} are missing from the sum of iteration {iteration}: an iterative analysis "
                "needs every party's data in every iteration, so it stops rather than mix different records",
            )
            return None
        analysis = get_analysis(computation.analysis)
        try:
            following = analysis.next_iteration(
                result, analysis.parse(iterations.current_params(computation)), iteration
            )
        except AnalysisError as exc:
            await self._fail(session, computation, f"iteration {iteration}: {exc}")
            return None
        if following is None:
            return with_iterations(result, iteration)
        dropped = iterations.dropped(parties)
        if dropped:
            await self._fail(
                session,
                computation,
                f"parties {dropped} dropped out in iteration {iteration}: the next iteration would sum over "
                "other records than this one, so the computation stops",
            )
            return None
        params: dict[str, Any] = following.model_dump(mode="json")
        took_part = sum(p.status in _TOOK_PART for p in parties)
        try:
            plan(computation.analysis, params, took_part, self.protocol.modulus())
        except CapacityError as exc:
            await self._fail(session, computation, f"iteration {iteration + 1} cannot be encoded: {exc}")
            return None
        await iterations.start_next(session, computation, params, now=utcnow())
        return None

    async def _noise(
        self, computation: Computation, aggregate: Aggregate, vector: Any, recipient: int | None
    ) -> tuple[Any, dict[str, Any]]:
        """The released vector and how it was noised: here, or (declared and checked) by the recipient."""
        assert computation.dp_epsilon is not None
        mechanism = await anyio.to_thread.run_sync(
            central.plan,
            computation.analysis,
            computation.params,
            computation.dp_epsilon,
            computation.dp_delta,
        )
        if aggregate.noise is None:
            noisy = await anyio.to_thread.run_sync(mechanism.release, vector)
            return noisy.vector, {"mode": "central", "noised_by": "exchange"} | central.describe(noisy.spend)
        central.check_declared(aggregate.noise, mechanism.spend)
        return vector, {"mode": "central", "noised_by": f"party {recipient} (the result recipient)"} | dict(
            aggregate.noise
        )

    async def _distributed(
        self, computation: Computation, aggregate: Aggregate, parties: list[Participant]
    ) -> dict[str, Any]:
        """How the parties' own noise protects the aggregate, checked against what the recipient of
        paillier and hybrid declared; the exchange adds nothing."""
        if computation.dp_epsilon is None or computation.dp_delta is None:
            raise PrivacyError("distributed noise needs epsilon and delta")
        plan_noise = functools.partial(
            distributed.for_computation,
            computation.analysis,
            iterations.current_params(computation),
            computation.dp_epsilon,
            computation.dp_delta,
            parties=sum(p.status in _TOOK_PART for p in parties),
            threshold=computation.threshold,
            frac_bits=aggregate.frac_bits,
        )
        noise = await anyio.to_thread.run_sync(plan_noise)
        if aggregate.noise is not None:
            central.check_declared(aggregate.noise, noise.spend)
        contributors = len(aggregate.contributors)
        honest = noise.parties - noise.colluders
        return {
            "mode": "distributed",
            "noised_by": f"each of the {contributors} contributing parties, before sharing its input",
            **distributed.describe(noise),
            # The calibration counts on `honest_parties` shares; every contributor added one.
            "released_scale": noise.spend.scale * math.sqrt(contributors / honest),
        }

    async def _charge(
        self,
        session: AsyncSession,
        computation: Computation,
        parties: list[Participant],
        contributors: list[int],
    ) -> dict[str, Any]:
        """Charge the computation's epsilon and delta to every contributing vault dataset, all or none."""
        charges = _charges(computation, parties, contributors)
        if charges["charged"]:
            assert computation.dp_epsilon is not None
            try:
                await privacy.charge(
                    session,
                    list(charges["charged"]),
                    computation.dp_epsilon,
                    computation.dp_delta or 0.0,
                    f"computation:{computation.id}",
                )
            except privacy.PrivacyBudgetExhausted as exc:
                raise _Refused(await _exhausted(session, exc, computation.dp_epsilon)) from exc
        return charges

    async def _fail(self, session: AsyncSession, computation: Computation, reason: str) -> None:
        await lifecycle.transition(
            session, computation, ComputationStatus.failed, now=utcnow(), reason=reason
        )


async def _exhausted(session: AsyncSession, exc: privacy.PrivacyBudgetExhausted, epsilon: float) -> str:
    """The failure every party reads: the organization whose dataset's budget ran out, never the dataset's
    id (which only its own organization sees, in its ledger and audit trail)."""
    owner = (await repository.organizations_by_id(session, [exc.organization_id])).get(exc.organization_id)
    name = owner.name if owner is not None else "a participating organization"
    return (
        f"privacy budget exhausted (429): the privacy budget of {name}'s dataset is exhausted; it cannot "
        f"cover epsilon={epsilon} (only {name} can raise it)"
    )


def _charges(computation: Computation, parties: list[Participant], contributors: list[int]) -> dict[str, Any]:
    """Who pays for a release: each contributing vault dataset its epsilon; data an agent read from its
    organization's own systems has no ledger here, so those parties are listed as not charged."""
    covered = [p for p in parties if p.party_index in set(contributors)]
    return {
        "charged": {p.dataset_id: computation.dp_epsilon for p in covered if p.dataset_id is not None},
        "not_charged": sorted(p.party_index for p in covered if p.dataset_id is None),
    }


def install() -> None:
    """Register the coordinators of every protocol this build runs."""
    for name, protocol in EXCHANGE_PROTOCOLS.items():
        register(ProtocolName(name), ProtocolCoordinator(protocol))
