"""The shamir protocol (DESIGN §5.3): t-of-n sharing over p = 2^61-1, two party rounds.

Round 1  each party i shares its encoded vector and posts kind "share" to every other party j: the share
         f_i(j), sealed to j's long-term X25519 key (associated data: computation, round 1, i, j), signed.
         It keeps f_i(i). The exchange verifies every signature, then opens round 2 with a broadcast
         "contributors": the parties whose round-1 upload is complete (a party silent or incomplete by the
         deadline is dropped and its shares are ignored by everyone).
Round 2  each contributor opens the shares from every contributor, adds them to its own and posts kind
         "partial" to the exchange: frac_bits | contributors | sum_c f_c(i), signed. The exchange
         interpolates at 0 from t partials and checks that every further partial lies on the same
         polynomial, so a modified share or partial sum fails the computation instead of changing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from hdx.analyses import Contribution, Layout
from hdx.crypto import encoding, shamir, wire
from hdx.crypto.errors import CryptoError, IntegrityError
from hdx.crypto.field import FIELD_PRIME, U64Array, check_field_elements, sum_mod
from hdx.crypto.wire import MessageType
from hdx.protocols import fixed_point, party_noise, state
from hdx.protocols.base import (
    Aggregate,
    Delivered,
    Envelope,
    ExchangeContext,
    NextRound,
    Outgoing,
    PartySetup,
    ProtocolFailure,
)
from hdx.protocols.messages import (
    Binding,
    announcement,
    find,
    open_message,
    open_sealed,
    pack_indexes,
    seal,
    sign_message,
    unpack_indexes,
)

NAME = "shamir"
SHARE = "share"
CONTRIBUTORS = "contributors"
PARTIAL = "partial"
EXCHANGE = wire.EXCHANGE_INDEX


def check_setup(setup: PartySetup, name: str) -> None:
    if setup.protocol != name:
        raise ProtocolFailure(f"this is the {name} protocol, the computation runs {setup.protocol}")
    indexes = [p.index for p in setup.parties]
    if setup.my_index not in indexes or len(set(indexes)) != len(indexes):
        raise ProtocolFailure(f"party {setup.my_index} is not exactly once among the parties {indexes}")
    if not 1 <= setup.threshold <= len(indexes):
        raise ProtocolFailure(f"threshold {setup.threshold} does not fit {len(indexes)} parties")


def check_layout(layout: Layout, plan: fixed_point.EncodingPlan) -> None:
    """The agent's layout must describe the same vector the exchange will decode."""
    if not layout.same_elements(plan.layout):
        raise ProtocolFailure("the contribution's layout is not the one this computation's analysis declares")


def open_vector(body: bytes, length: int, what: str) -> U64Array:
    try:
        vector = wire.unpack_vector(body, length)
        check_field_elements(vector, what)
    except CryptoError as exc:
        raise IntegrityError(f"{what}: {exc}") from exc
    return vector


def share_input(setup: PartySetup, contribution: Contribution, layout: Layout) -> dict[str, Any]:
    """Round 1 of shamir (and hybrid): the sealed, signed shares for the others and the share kept."""
    plan = fixed_point.plan_for(setup, FIELD_PRIME)
    check_layout(layout, plan)
    vector = encoding.to_field(party_noise.input_vector(setup, plan, contribution))
    indexes = sorted(p.index for p in setup.parties)
    # Evaluation points are party indexes, which may have gaps where invited organizations declined.
    shares = shamir.share(vector, setup.threshold, max(indexes))
    cid, me = setup.session, setup.my_index
    messages = []
    for j in indexes:
        if j == me:
            continue
        binding = Binding(cid, 1, me, j)
        sealed = seal(setup.party(j).x25519_public, binding, wire.pack_vector(shares[j - 1]))
        payload = sign_message(setup.ed25519_private, MessageType.SEALED_SHARE, binding, sealed)
        messages.append(Outgoing(SHARE, j, payload))
    return {
        "frac_bits": plan.frac_bits,
        "length": plan.length,
        "own_share": state.encode_bytes(wire.pack_vector(shares[me - 1])),
        # Sealing draws fresh ephemeral keys, so round 1 is sealed once, here, and replayed as is.
        "round1": state.dump_outgoing(messages),
    }


def sum_shares(
    setup: PartySetup, fields: dict[str, Any], contributors: list[int], inbox: Sequence[Envelope]
) -> U64Array:
    """My partial sum: my own share plus the share every other contributor sealed to me."""
    cid, length = setup.session, int(fields["length"])
    vectors = [wire.unpack_vector(state.decode_bytes(fields["own_share"]), length)]
    for sender in contributors:
        if sender != setup.my_index:
            vectors.append(_share(setup, cid, inbox, sender, length))
    return sum_mod(vectors)


def _share(setup: PartySetup, cid: UUID, inbox: Sequence[Envelope], sender: int, length: int) -> U64Array:
    binding = Binding(cid, 1, sender, setup.my_index)
    message = find(inbox, 1, sender, setup.my_index, SHARE)
    if message is None:
        raise IntegrityError(
            f"the exchange lists party {sender} as a contributor but relayed no share from it"
        )
    sealed = open_message(
        setup.party(sender).ed25519_public, MessageType.SEALED_SHARE, binding, message.payload
    )
    return open_vector(open_sealed(setup.x25519_private, binding, sealed), length, binding.describe())


def check_contributors(setup: PartySetup, contributors: list[int]) -> None:
    if len(contributors) < setup.threshold:
        raise IntegrityError(
            f"the exchange announced {len(contributors)} contributors, fewer than the threshold "
            f"{setup.threshold}: a sum over so few would expose them"
        )


class ShamirParty:
    name = NAME

    def rounds(self) -> int:
        return 2

    def start(self, setup: PartySetup, contribution: Contribution, layout: Layout) -> bytes:
        check_setup(setup, NAME)
        return state.dump(NAME, share_input(setup, contribution, layout))

    def step(
        self, setup: PartySetup, party_state: bytes, round: int, inbox: Sequence[Envelope]
    ) -> tuple[bytes, list[Outgoing]]:
        fields = state.load(NAME, party_state)
        if round == 1:
            return party_state, state.load_outgoing(fields["round1"])
        if round != 2:
            raise ProtocolFailure(f"the shamir protocol has rounds 1 and 2, not {round}")
        contributors, _ = unpack_indexes(announcement(inbox, 2, CONTRIBUTORS))
        me = setup.my_index
        if me not in contributors:
            # Dropped in round 1: the others sum without this party's shares and expect nothing from it.
            return party_state, []
        check_contributors(setup, contributors)
        cid = setup.session
        body = (
            bytes([fields["frac_bits"]])
            + pack_indexes(contributors)
            + wire.pack_vector(sum_shares(setup, fields, contributors, inbox))
        )
        payload = sign_message(
            setup.ed25519_private, MessageType.PARTIAL_SUM, Binding(cid, 2, me, EXCHANGE), body
        )
        return party_state, [Outgoing(PARTIAL, None, payload)]


class ShamirExchange:
    name = NAME

    def modulus(self) -> int:
        return FIELD_PRIME

    def waiting_for(
        self, round: int, in_play: Sequence[int], delivered: Sequence[Delivered], recipient: int | None = None
    ) -> list[int]:
        seen = {(d.sender, d.recipient, d.kind) for d in delivered}
        if round == 1:
            owed = {i: [(i, j, SHARE) for j in in_play if j != i] for i in in_play}
        else:
            owed = {i: [(i, EXCHANGE, PARTIAL)] for i in in_play}
        return [i for i in sorted(in_play) if not all(item in seen for item in owed[i])]

    def complete_round(
        self, context: ExchangeContext, round: int, in_play: Sequence[int], messages: Sequence[Envelope]
    ) -> NextRound | Aggregate:
        plan = fixed_point.plan_for(context, FIELD_PRIME)
        cid = context.session
        if round == 1:
            contributors = check_shares(context, in_play, messages)
            return NextRound([Outgoing(CONTRIBUTORS, None, pack_indexes(contributors))])
        contributors, _ = unpack_indexes(announcement(messages, 2, CONTRIBUTORS))
        senders = sorted(in_play)
        require_quorum(len(senders), context.threshold, "sent a partial sum")
        partials = [
            self._partial(context, messages, Binding(cid, 2, i, EXCHANGE), plan, contributors)
            for i in senders
        ]
        total = shamir.reconstruct(senders, partials, threshold=context.threshold)
        return Aggregate(encoding.from_field(total), contributors, plan)

    def _partial(
        self,
        context: ExchangeContext,
        messages: Sequence[Envelope],
        binding: Binding,
        plan: fixed_point.EncodingPlan,
        contributors: list[int],
    ) -> U64Array:
        body = check_signed(context, messages, MessageType.PARTIAL_SUM, binding, PARTIAL)
        what = f"party {binding.sender}'s partial sum"
        if not body or body[0] != plan.frac_bits:
            raise IntegrityError(
                f"{what} is encoded with other fractional bits than the computation's {plan.frac_bits}"
            )
        summed, offset = unpack_indexes(body, 1)
        if summed != contributors:
            raise IntegrityError(
                f"{what} adds the shares of parties {summed}, not of the contributors {contributors}"
            )
        return open_vector(body[offset:], plan.length, what)


def check_shares(context: ExchangeContext, in_play: Sequence[int], messages: Sequence[Envelope]) -> list[int]:
    """Round 1 of shamir (and hybrid): every contributor's share to every other is signed by it."""
    cid = context.session
    contributors = sorted(in_play)
    require_quorum(len(contributors), context.threshold, "completed round 1")
    for sender in contributors:
        for recipient in contributors:
            if recipient != sender:
                check_signed(
                    context, messages, MessageType.SEALED_SHARE, Binding(cid, 1, sender, recipient), SHARE
                )
    return contributors


def require_quorum(count: int, threshold: int, what: str) -> None:
    if count < threshold:
        raise ProtocolFailure(f"only {count} parties {what}, fewer than the threshold of {threshold}")


def check_signed(
    context: ExchangeContext,
    messages: Sequence[Envelope],
    message_type: MessageType,
    binding: Binding,
    kind: str,
) -> bytes:
    message = find(messages, binding.round, binding.sender, binding.recipient, kind)
    if message is None:
        raise IntegrityError(f"{binding.describe()} ('{kind}') is missing")
    return open_message(context.verify_key(binding.sender), message_type, binding, message.payload)
