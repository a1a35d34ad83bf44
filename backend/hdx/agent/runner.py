"""The agent loop: poll the exchange, answer invitations by policy, run the party side of each round.

Everything the loop knows between polls is on disk (hdx.agent.store), so a crash, a restart or a
network outage only delays it. A problem with one computation is logged and never stops the others.
"""

from __future__ import annotations

import base64
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hdx.agent import party, policy
from hdx.agent.client import ExchangeClient, Refused, Unreachable
from hdx.agent.keystore import AgentKeys
from hdx.agent.source import LocalData
from hdx.agent.store import ComputationStore, LocalComputation
from hdx.analyses import AnalysisError
from hdx.computations import framing
from hdx.computations.models import EXCHANGE_INDEX, ComputationStatus, DataSource, ParticipantStatus
from hdx.computations.schemas import AgentComputationOut, PartyKeysOut
from hdx.crypto.errors import IntegrityError
from hdx.protocols.base import party_protocol

logger = logging.getLogger("hdx.agent")

IN_PLAY = (ParticipantStatus.accepted, ParticipantStatus.submitted)
FINAL = (
    ComputationStatus.completed,
    ComputationStatus.failed,
    ComputationStatus.cancelled,
    ComputationStatus.expired,
)
MAX_OUTAGE_WAIT = 60.0


class Halt(Exception):
    """This computation cannot go on here (tampering detected, a message refused): stop working on it
    and let the exchange's deadline drop this party, rather than retrying the same failure forever."""


@dataclass
class Agent:
    client: ExchangeClient
    keys: AgentKeys
    store: ComputationStore
    data: LocalData
    rules: policy.Policy
    sleep: Callable[[float], None] = time.sleep
    _waiting: set[str] = field(default_factory=set)
    _halted: set[str] = field(default_factory=set)

    def run(self, *, poll_seconds: float, once: bool) -> None:
        outage = 0
        while True:
            try:
                self.poll()
                outage = 0
            except Unreachable as exc:
                # Back off while the exchange is away; the state on disk lets us resume whenever it returns.
                outage += 1
                wait = min(MAX_OUTAGE_WAIT, poll_seconds * 2**outage)
                logger.warning("exchange unreachable", extra={"error": str(exc), "retry_in": wait})
                if once:
                    raise
                self.sleep(wait)
                continue
            if once:
                return
            self.sleep(poll_seconds)

    def poll(self) -> None:
        listed = [
            AgentComputationOut.model_validate(item) for item in self.client.get_json("/agent/computations")
        ]
        for item in listed:
            self._guarded(item.id, functools.partial(self.handle, item))
        active = {item.id for item in listed}
        for local in self.store.all():
            if not local.finished and local.computation_id not in active:
                self._guarded(local.computation_id, functools.partial(self.settle, local))

    def _guarded(self, computation_id: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Unreachable:
            raise
        except Exception:
            logger.exception(
                "computation step failed; retrying at the next poll", extra={"computation_id": computation_id}
            )

    def handle(self, item: AgentComputationOut) -> None:
        if item.status is ComputationStatus.pending_approval and item.my_status is ParticipantStatus.invited:
            self.answer(item)
            return
        mine = next(p for p in item.parties if p.party_index == item.my_party_index)
        if item.status is ComputationStatus.running and item.my_status in IN_PLAY:
            # A party that answered with a vault dataset is run by the exchange's hosted agent.
            if mine.source is DataSource.agent:
                self.advance(item)
            return
        if self.store.exists(item.id):
            local = self.store.load(item.id)
            if item.my_status is ParticipantStatus.dropped and not local.finished:
                reason = mine.dropped_reason or "dropped by the exchange"
                logger.warning(
                    "dropped from the computation", extra={"computation_id": item.id, "reason": reason}
                )
                self.store.finish(local, status="dropped", halted=reason)
            elif local.status != item.status.value and not local.finished:
                self.store.save(local.but(status=item.status.value))

    # Invitations ----------------------------------------------------------------------------------

    def answer(self, item: AgentComputationOut) -> None:
        requester = next(
            (
                p.organization_name
                for p in item.parties
                if p.organization_id == item.requester_organization_id
            ),
            item.requester_organization_id,
        )
        context = {"computation_id": item.id, "analysis": item.analysis, "requester": requester}
        problem = self._cannot_contribute(item)
        try:
            columns = policy.columns_of(item.analysis, item.params)
        except AnalysisError as exc:
            columns, problem = (), problem or str(exc)
        decision = policy.decide(
            self.rules,
            policy.Invitation(
                computation_id=item.id,
                requester_id=item.requester_organization_id,
                requester_name=requester,
                analysis=item.analysis,
                protocol=item.protocol.value,
                k=item.k,
                epsilon=item.epsilon,
                dp_mode=item.dp_mode.value if item.dp_mode else None,
                columns=columns,
                data_problem=problem,
            ),
        )
        if decision.verdict is policy.Verdict.accept:
            if self._respond(item, "accept", {"source": "agent"}, context):
                logger.info("invitation accepted by policy", extra=context)
            return
        reasoned = context | {"reason": decision.reason}
        if decision.verdict is policy.Verdict.decline:
            if self._respond(item, "decline", {"reason": decision.reason[:500]}, reasoned):
                logger.info("invitation declined", extra=reasoned)
        elif item.id not in self._waiting:
            self._waiting.add(item.id)
            if problem is None:
                logger.info("invitation left for approval in the dashboard", extra=reasoned)
            else:
                # Whoever answers should know that accepting with this agent's data would fail.
                logger.warning("invitation left for a person: the local data cannot serve it", extra=reasoned)

    def _cannot_contribute(self, item: AgentComputationOut) -> str | None:
        """A dry run of the contribution: better to know now than to stall the computation later."""
        try:
            party.contribution(self.data.frame, item.analysis, item.params, item.k)
        except (AnalysisError, ValueError) as exc:
            return str(exc)
        return None

    def _respond(
        self, item: AgentComputationOut, answer: str, body: dict[str, str], context: dict[str, str]
    ) -> bool:
        """Whether the exchange recorded the answer. It refuses one when someone answered in the
        dashboard first or the invitation closed meanwhile: that refusal is what gets logged."""
        try:
            self.client.post_json(f"/agent/computations/{item.id}/{answer}", body)
        except Refused as exc:
            if exc.status_code not in (409, 410):
                raise
            logger.warning(
                "the exchange refused the agent's answer",
                extra=context | {"answer": answer, "status_code": exc.status_code, "refusal": str(exc)},
            )
            return False
        return True

    # Rounds ---------------------------------------------------------------------------------------

    def advance(self, item: AgentComputationOut) -> None:
        if item.id in self._halted:
            return
        try:
            local = self.store.load(item.id) if self.store.exists(item.id) else self.begin(item)
            if local.halted or local.finished:
                return
            if item.iteration != local.iteration:
                local = self.next_iteration(local, item)
            local = self._catch_up(local, item.current_round)
        except (Halt, IntegrityError, AnalysisError) as exc:
            # Logged once: the same failure would recur at every poll.
            self._halted.add(item.id)
            logger.error("computation halted", extra={"computation_id": item.id, "reason": str(exc)})
            if self.store.exists(item.id):
                self.store.save(self.store.load(item.id).but(halted=str(exc)))
            return
        if local.status != item.status.value:
            self.store.save(local.but(status=item.status.value))

    def begin(self, item: AgentComputationOut) -> LocalComputation:
        if item.iteration != 1:
            raise Halt(f"the computation is in iteration {item.iteration} and this agent has no record of it")
        bound = [
            PartyKeysOut.model_validate(p)
            for p in self.client.get_json(f"/agent/computations/{item.id}/parties")
        ]
        starting = {p.party_index for p in item.parties if p.accepted_at is not None}
        parties = party.stored_parties(bound, starting)
        mine = next((p for p in parties if p.index == item.my_party_index), None)
        if mine is None or base64.b64decode(mine.x25519_public) != self.keys.x25519_public:
            raise Halt(
                "the exchange bound keys to this party that are not this agent's: run `hdx agent init` again"
            )
        contribution, layout = party.contribution(self.data.frame, item.analysis, item.params, item.k)
        protocol = party_protocol(item.protocol.value)
        local = LocalComputation(
            computation_id=item.id,
            protocol=item.protocol.value,
            analysis=item.analysis,
            params=item.params,
            threshold=item.threshold,
            k=item.k,
            my_index=item.my_party_index,
            parties=parties,
            rows=contribution.rows,
            clipped=contribution.clipped,
            rounds=protocol.rounds(),
            requester_organization_id=item.requester_organization_id,
            epsilon=item.epsilon,
            delta=item.delta,
            dp_mode=item.dp_mode.value if item.dp_mode else None,
        )
        state = party.start(local, self.keys, contribution, layout)
        self.store.begin(local, state)
        logger.info(
            "contribution ready",
            extra={"computation_id": item.id, "rows": contribution.rows, "clipped": contribution.clipped}
            | {"protocol": local.protocol, "party_index": local.my_index},
        )
        return local

    def next_iteration(self, local: LocalComputation, item: AgentComputationOut) -> LocalComputation:
        """The exchange opened the next iteration of an iterative analysis: check its parameters, compute
        this party's contribution at them (the same data, k and disclosure rules) and start afresh."""
        moved = party.next_iteration(local, item.iteration, item.round_offset, item.iteration_params)
        contribution, layout = party.contribution(
            self.data.frame, moved.analysis, moved.current_params, moved.k
        )
        moved = moved.but(rows=contribution.rows, clipped=contribution.clipped)
        self.store.begin(moved, party.start(moved, self.keys, contribution, layout))
        logger.info(
            "iteration started",
            extra={"computation_id": local.computation_id, "iteration": moved.iteration, "rows": moved.rows},
        )
        return moved

    def _catch_up(self, local: LocalComputation, current_round: int) -> LocalComputation:
        if local.posted < local.stepped:
            local = self._post(local, local.stepped)
        while local.stepped < min(current_round, local.round_offset + local.rounds):
            round_number = local.stepped + 1
            inbox = [
                frame
                for r in range(local.round_offset + 1, round_number + 1)
                for frame in self._fetch(local.computation_id, r)
            ]
            state, outgoing = party.step(local, self.keys, self.store.state(local), round_number, inbox)
            local = self.store.commit_step(local, round_number, state, outgoing)
            local = self._post(local, round_number)
        return local

    def _fetch(self, computation_id: str, round_number: int) -> list[framing.Frame]:
        response = self.client.request(
            "GET",
            f"/secure-computations/{computation_id}/rounds/{round_number}/messages",
            params={"recipient": "me"},
        )
        try:
            return framing.decode(response.content)
        except framing.FramingError as exc:
            raise IntegrityError(f"round {round_number} messages arrived damaged: {exc}") from exc

    def _post(self, local: LocalComputation, round_number: int) -> LocalComputation:
        for frame in self.store.outbox(local, round_number):
            params: dict[str, str | int] = {"kind": frame.kind, "sender": local.my_index}
            if frame.recipient != EXCHANGE_INDEX:
                params["recipient"] = frame.recipient
            try:
                self.client.request(
                    "POST",
                    f"/secure-computations/{local.computation_id}/rounds/{round_number}/messages",
                    params=params,
                    content=frame.payload,
                )
            except Refused as exc:
                raise Halt(f"round {round_number} {frame.kind} message refused: {exc}") from exc
        logger.info("round posted", extra={"computation_id": local.computation_id, "round": round_number})
        return self.store.mark_posted(local, round_number)

    # Endings --------------------------------------------------------------------------------------

    def settle(self, local: LocalComputation) -> None:
        """A computation left the active list: record how it ended and drop its secrets."""
        try:
            item = AgentComputationOut.model_validate(
                self.client.get_json(f"/agent/computations/{local.computation_id}")
            )
        except Refused as exc:
            if exc.status_code != 404:
                raise
            self.store.finish(local, status="unknown", halted="the exchange no longer knows this computation")
            return
        if item.status not in FINAL:
            return
        self.store.finish(
            local, status=item.status.value, result_id=item.result_id, halted=item.failure_reason
        )
        logger.info(
            "computation finished",
            extra={"computation_id": local.computation_id, "status": item.status.value}
            | {"result_id": item.result_id, "reason": item.failure_reason},
        )
