"""The contract between a protocol's party side (run by agents) and its exchange side (run by coordinators).

Pure: numpy, hdx.crypto and hdx.analyses only. A party's state is opaque bytes that hold its secrets
(its input, its shares, its mask keys): the agent must store it readable by its own user only (mode 0600)
and delete it once the computation is finished.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from hdx.analyses import Contribution, Layout
from hdx.crypto.errors import CryptoError
from hdx.protocols.fixed_point import EncodingPlan


class ProtocolFailure(CryptoError):
    """The computation cannot go on (too few parties left, an announcement a party must refuse)."""


def session_id(computation_id: str, iteration: int) -> UUID:
    """What every message of one secure sum is bound to (its header and a sealed body's associated data).

    The computation id for the first secure sum of a computation (the only one, except for iterative
    analyses); for iteration i > 1 of an iterative analysis, the first 16 bytes of
    SHA-256("hdx-iteration" | 0 | computation id | i), so a message of one iteration is refused in any
    other exactly as a message of another computation is."""
    computation = UUID(computation_id)
    if iteration < 1:
        raise ValueError(f"iterations count from 1, got {iteration}")
    if iteration == 1:
        return computation
    digest = hashlib.sha256(b"hdx-iteration\x00" + computation.bytes + iteration.to_bytes(4, "big")).digest()
    return UUID(bytes=digest[:16])


@dataclass(frozen=True)
class PartyInfo:
    index: int  # 1..n, as assigned by the exchange
    organization_id: str
    x25519_public: bytes  # 32 raw bytes (long-term key registered via POST /agent/keys)
    ed25519_public: bytes  # 32 raw bytes


@dataclass(frozen=True)
class Envelope:
    """One relayed message, as the agent fetched it from the exchange."""

    round: int
    sender: int  # 0 = the exchange
    recipient: int | None  # None = broadcast / to the exchange
    kind: str
    payload: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message a party (or the exchange, as a broadcast) posts in the current round."""

    kind: str
    recipient: int | None  # None = to the exchange (stored as recipient 0), or a broadcast from it
    payload: bytes


@dataclass(frozen=True)
class PartySetup:
    computation_id: str
    protocol: str  # "shamir" | "secagg" | "paillier" | "hybrid"
    threshold: int
    my_index: int
    # Every party that accepted (including any dropped since, and me): the encoding depends on their number.
    parties: tuple[PartyInfo, ...]
    x25519_private: bytes  # my long-term keys (32 raw bytes each)
    ed25519_private: bytes
    analysis: str
    params: dict[str, Any]
    k: int
    # The organization that asked for the computation: its party receives the result of paillier and
    # hybrid, and (central differential privacy) noises it before anyone else sees it.
    requester_organization_id: str = ""
    epsilon: float | None = None
    delta: float | None = None
    # "central" or "distributed" (hdx.privacy.modes) with an epsilon; distributed: I noise my own input.
    dp_mode: str | None = None
    # Which secure sum of the computation this is (iterative analyses run several; `params` are its own).
    iteration: int = 1

    @property
    def session(self) -> UUID:
        return session_id(self.computation_id, self.iteration)

    def party(self, index: int) -> PartyInfo:
        for info in self.parties:
            if info.index == index:
                return info
        raise KeyError(f"party {index} is not among the parties of computation {self.computation_id}")


class PartyProtocol(Protocol):
    name: str

    def start(self, setup: PartySetup, contribution: Contribution, layout: Layout) -> bytes:
        """Initial party state, serialized (the agent stores it, mode 0600, to resume after a crash).

        Every random choice is made here, so re-running a step re-creates identical bytes."""
        ...

    def step(
        self, setup: PartySetup, state: bytes, round: int, inbox: Sequence[Envelope]
    ) -> tuple[bytes, list[Outgoing]]:
        """Messages to post for `round`, given every message of rounds 1..round addressed to me or broadcast.

        Deterministic given state + inbox. Raises hdx.crypto.errors.IntegrityError on a bad signature, a
        tampered or replayed message, or an exchange announcement the protocol must refuse."""
        ...

    def rounds(self) -> int: ...


@dataclass(frozen=True)
class ExchangeContext:
    """What the exchange knows about a running computation; enough to check and combine its messages."""

    computation_id: str
    threshold: int
    parties: tuple[PartyInfo, ...]  # every party that accepted, as in PartySetup
    analysis: str
    params: dict[str, Any]
    requester_organization_id: str = ""
    epsilon: float | None = None
    delta: float | None = None
    dp_mode: str | None = None
    iteration: int = 1

    @property
    def session(self) -> UUID:
        return session_id(self.computation_id, self.iteration)

    def verify_key(self, index: int) -> bytes:
        for info in self.parties:
            if info.index == index:
                return info.ed25519_public
        raise KeyError(f"no party {index}")


@dataclass(frozen=True)
class Delivered:
    """A stored message's identity, without its payload: enough to tell who still owes what."""

    sender: int
    recipient: int  # 0 = the exchange
    kind: str


@dataclass(frozen=True)
class NextRound:
    """Open the next round, publishing these broadcasts in it."""

    broadcasts: list[Outgoing]
    # Set when these broadcasts let the result recipient decrypt the aggregate: the parties whose data it
    # covers. With differential privacy their budgets are charged before the broadcasts are published,
    # since from then on the (noised) values can be known.
    releases: list[int] | None = None


@dataclass(frozen=True)
class Aggregate:
    """The summed wire vector of `contributors`, as signed integers in the fixed-point encoding `encoding`
    (hdx.protocols.fixed_point.decode_sum turns it into reals)."""

    values: NDArray[np.int64]
    contributors: list[int]
    encoding: EncodingPlan
    # Set when the recipient already noised the aggregate (paillier, hybrid with differential privacy):
    # mechanism, epsilon, delta and scale, as the recipient signed them.
    noise: dict[str, Any] | None = None

    @property
    def frac_bits(self) -> int:
        return self.encoding.frac_bits


class ExchangeProtocol(Protocol):
    name: str

    def modulus(self) -> int: ...

    def waiting_for(
        self, round: int, in_play: Sequence[int], delivered: Sequence[Delivered], recipient: int | None = None
    ) -> list[int]:
        """Parties in play that have not yet posted everything `round` asks of them.

        `recipient` is the requesting organization's party (None if it takes no part), which alone
        speaks in some rounds of paillier and hybrid."""
        ...

    def complete_round(
        self, context: ExchangeContext, round: int, in_play: Sequence[int], messages: Sequence[Envelope]
    ) -> NextRound | Aggregate:
        """Check the messages of rounds 1..round (parties' and the exchange's own) and move on.

        Raises IntegrityError (naming the party) when a message fails verification, and CryptoError when
        the computation cannot go on; the caller fails the computation with that reason."""
        ...


class UnknownProtocol(LookupError):
    """No protocol of that name runs in this build."""


def party_protocol(name: str) -> PartyProtocol:
    """The party side of protocol `name`; unknown names raise UnknownProtocol saying which exist."""
    # Imported here because the protocol modules themselves import this one.
    from hdx.protocols.registry import PARTY_PROTOCOLS

    try:
        return PARTY_PROTOCOLS[name]
    except KeyError:
        known = ", ".join(sorted(PARTY_PROTOCOLS))
        raise UnknownProtocol(f"unknown protocol {name!r}; this build runs {known}") from None
