"""n parties and the exchange side of a protocol, run in memory exactly as agents and coordinator run them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from hdx.analyses import Contribution, get_analysis
from hdx.crypto import box, signing
from hdx.protocols import Envelope, Outgoing, PartyInfo, PartySetup, party_protocol, protocol_layout
from hdx.protocols.base import Aggregate, Delivered, ExchangeContext, NextRound
from hdx.protocols.fixed_point import EncodingPlan, decode_sum, plan_for
from hdx.protocols.registry import EXCHANGE_PROTOCOLS

# Rewrites a message on its way through the relay: (message) -> replacement.
Tamper = Callable[[Envelope], Envelope]


@dataclass
class Keys:
    x25519: bytes
    ed25519: bytes

    @classmethod
    def generate(cls) -> Keys:
        return cls(
            box.private_key_bytes(box.generate_private_key()),
            signing.signing_key_bytes(signing.generate_signing_key()),
        )

    def info(self, index: int) -> PartyInfo:
        x = box.public_key_bytes(box.load_private_key(self.x25519).public_key())
        ed = signing.verify_key_bytes(signing.load_signing_key(self.ed25519).public_key())
        return PartyInfo(index, f"org-{index}", x, ed)


@dataclass
class Simulation:
    protocol: str
    analysis: str
    params: dict[str, Any]
    indexes: list[int]
    threshold: int
    k: int = 5
    # The requesting organization's party (paillier and hybrid send it the result): the first by default.
    recipient: int | None = None
    epsilon: float | None = None
    delta: float | None = None
    dp_mode: str | None = None
    computation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    keys: dict[int, Keys] = field(init=False)
    messages: list[Envelope] = field(default_factory=list)
    states: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys = {i: Keys.generate() for i in self.indexes}
        if self.recipient is None:
            self.recipient = self.indexes[0]

    @property
    def requester(self) -> str:
        return f"org-{self.recipient}"

    @property
    def parties(self) -> tuple[PartyInfo, ...]:
        return tuple(self.keys[i].info(i) for i in self.indexes)

    def setup(self, index: int) -> PartySetup:
        return PartySetup(
            computation_id=self.computation_id,
            protocol=self.protocol,
            threshold=self.threshold,
            my_index=index,
            parties=self.parties,
            x25519_private=self.keys[index].x25519,
            ed25519_private=self.keys[index].ed25519,
            analysis=self.analysis,
            params=self.params,
            k=self.k,
            requester_organization_id=self.requester,
            epsilon=self.epsilon,
            delta=self.delta,
            dp_mode=self.dp_mode,
        )

    def context(self) -> ExchangeContext:
        return ExchangeContext(
            self.computation_id,
            self.threshold,
            self.parties,
            self.analysis,
            self.params,
            requester_organization_id=self.requester,
            epsilon=self.epsilon,
            delta=self.delta,
            dp_mode=self.dp_mode,
        )

    def plan(self) -> EncodingPlan:
        return plan_for(self.context(), EXCHANGE_PROTOCOLS[self.protocol].modulus())

    def contributions(self, frames: Sequence[pl.DataFrame]) -> dict[int, Contribution]:
        analysis = get_analysis(self.analysis)
        params = analysis.parse(self.params)
        return {i: analysis.local(f, params, k=self.k) for i, f in zip(self.indexes, frames, strict=True)}

    def inbox(self, index: int, round_number: int) -> list[Envelope]:
        return [
            m
            for m in self.messages
            if m.round <= round_number and (m.recipient == index or (m.sender == 0 and m.recipient is None))
        ]

    def run(
        self,
        contributions: dict[int, Contribution],
        *,
        silent: dict[int, int] | None = None,
        tamper: Tamper | None = None,
    ) -> Aggregate:
        """Every party plays every round; silent maps a party to the first round it no longer speaks in."""
        silent = silent or {}
        party = party_protocol(self.protocol)
        exchange = EXCHANGE_PROTOCOLS[self.protocol]
        layout = protocol_layout(self.analysis, self.params)
        states = self.states = {i: party.start(self.setup(i), c, layout) for i, c in contributions.items()}
        in_play = sorted(states)
        for round_number in range(1, party.rounds() + 1):
            for i in list(in_play):
                if silent.get(i, party.rounds() + 1) <= round_number:
                    in_play.remove(i)
                    continue
                states[i], out = party.step(
                    self.setup(i), states[i], round_number, self.inbox(i, round_number)
                )
                self.messages += [self._relay(round_number, i, m, tamper) for m in out]
            delivered = [
                Delivered(m.sender, m.recipient or 0, m.kind)
                for m in self.messages
                if m.round == round_number
            ]
            assert exchange.waiting_for(round_number, in_play, delivered, self.recipient) == []
            outcome = exchange.complete_round(self.context(), round_number, in_play, self.messages)
            if isinstance(outcome, NextRound):
                self.messages += [
                    Envelope(round_number + 1, 0, None, b.kind, b.payload) for b in outcome.broadcasts
                ]
            else:
                return outcome
        raise AssertionError("the protocol ran out of rounds without a result")

    def _relay(self, round_number: int, sender: int, message: Outgoing, tamper: Tamper | None) -> Envelope:
        envelope = Envelope(round_number, sender, message.recipient, message.kind, message.payload)
        return tamper(envelope) if tamper else envelope

    def finalize(self, aggregate: Aggregate) -> Any:
        analysis = get_analysis(self.analysis)
        params = analysis.parse(self.params)
        return analysis.finalize(decode_sum(self.plan(), aggregate.values), params, k=self.k)


def pooled_vector(contributions: dict[int, Contribution], members: Sequence[int]) -> np.ndarray:
    return np.sum([contributions[i].vector for i in members], axis=0)


def flip(payload: bytes, at: int) -> bytes:
    """The payload with one bit changed at byte `at` (negative: from the end)."""
    data = bytearray(payload)
    data[at] ^= 0x01
    return bytes(data)
