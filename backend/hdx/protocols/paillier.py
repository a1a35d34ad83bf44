"""The paillier protocol (DESIGN §5.3): the result recipient's key, encrypted inputs, three rounds.

The recipient R is the party of the organization that asked for the computation.

Round 1  R draws a Paillier key pair (KEY_BITS) and posts kind "paillier-key" to the exchange: the public
         key, signed. The private key stays in R's party state and is never sent anywhere. The exchange
         verifies the signature and opens round 2 with R's signed message as the broadcast "paillier-key",
         which every party verifies itself against R's long-term key.
Round 2  every party posts kind "ciphertext": frac_bits | its fixed-point vector, offset to non-negative
         by the largest encoded value the layout allows, packed and encrypted under R's key, signed. The
         exchange multiplies the ciphertexts together (adding the plaintexts; it can decrypt nothing) and
         opens round 3 with the broadcast "aggregate": the contributors | the encrypted sum. A party silent
         in round 2 is left out of the sum.
Round 3  R decrypts, removes the contributors' offsets and posts kind "result" to the exchange: the
         decoded sum (with central differential privacy, noised first), signed. The exchange finalizes it.

Integrity: every message is signed by its sender. The slot bound checked at decryption detects an
aggregate garbled by the relay or a ciphertext under another key; a party that encrypts wrong values of
the right size changes the sum undetected, as in every semi-honest secure sum.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from hdx.analyses import Contribution, Layout
from hdx.crypto import paillier as he
from hdx.crypto import wire
from hdx.crypto.encoding import RING_MODULUS
from hdx.crypto.errors import CryptoError, IntegrityError
from hdx.crypto.wire import MessageType
from hdx.privacy import central, distributed
from hdx.privacy.errors import PrivacyError
from hdx.privacy.modes import DpMode
from hdx.protocols import fixed_point, party_noise, state
from hdx.protocols.base import (
    Aggregate,
    Delivered,
    Envelope,
    ExchangeContext,
    NextRound,
    Outgoing,
    PartyInfo,
    PartySetup,
    ProtocolFailure,
)
from hdx.protocols.messages import (
    Binding,
    announcement,
    open_message,
    pack_indexes,
    sign_message,
    unpack_indexes,
)
from hdx.protocols.shamir import check_layout, check_setup, check_signed, require_quorum

NAME = "paillier"
PAILLIER_KEY = "paillier-key"
CIPHERTEXT = "ciphertext"
AGGREGATE = "aggregate"
RESULT = "result"
EXCHANGE = wire.EXCHANGE_INDEX
# Production keys; tests may lower it to he.MIN_KEY_BITS for speed.
KEY_BITS = he.KEY_BITS
_LENGTH = struct.Struct(">I")


def recipient_of(parties: Sequence[PartyInfo], requester_organization_id: str) -> int:
    """The index of the requesting organization's party, which holds the key and receives the result."""
    for party in parties:
        if requester_organization_id and party.organization_id == requester_organization_id:
            return party.index
    raise ProtocolFailure(
        "the requesting organization is not among the parties: nobody can hold the decryption key"
    )


def packing(plan: fixed_point.EncodingPlan, parties: int) -> he.PackingSpec:
    """Slots sized per element from the plan's public bounds, for sums over every party that accepted:
    every party and the exchange derive the same packing."""
    return he.PackingSpec.for_elements(plan.element_max_abs(), parties)


def key_message(setup: PartySetup, public_key: PaillierPublicKey) -> Outgoing:
    binding = Binding(setup.session, 1, setup.my_index, EXCHANGE)
    body = he.public_key_to_bytes(public_key)
    return Outgoing(
        PAILLIER_KEY, None, sign_message(setup.ed25519_private, MessageType.PAILLIER_KEY, binding, body)
    )


def open_key(verify_key: bytes, cid: UUID, recipient: int, payload: bytes) -> PaillierPublicKey:
    """The recipient's public key from its signed round-1 message."""
    body = open_message(verify_key, MessageType.PAILLIER_KEY, Binding(cid, 1, recipient, EXCHANGE), payload)
    try:
        return he.public_key_from_bytes(body)
    except CryptoError as exc:
        raise IntegrityError(f"party {recipient}'s Paillier key: {exc}") from exc


def open_ciphertext(
    body: bytes,
    public_key: PaillierPublicKey,
    spec: he.PackingSpec,
    length: int,
    what: str,
    bound: int | None = None,
) -> he.PackedCiphertext:
    """A packed ciphertext whose declared slot bound is exactly the one its making implies (by default,
    one party's input)."""
    try:
        packed = he.PackedCiphertext.from_bytes(body, public_key)
    except CryptoError as exc:
        raise IntegrityError(f"{what}: {exc}") from exc
    # A bound below the real one would let additions pass that could carry between slots.
    expected = spec.value_limit if bound is None else bound
    if packed.spec != spec or packed.length != length or packed.bound != expected:
        raise IntegrityError(f"{what} is not packed as this computation's vectors are")
    return packed


def generate_key(setup: PartySetup) -> dict[str, Any]:
    """The recipient's key pair: the private half goes into its party state only."""
    public_key, private_key = he.generate_keypair(KEY_BITS)
    return {
        "paillier_private": state.encode_bytes(he.private_key_to_bytes(private_key)),
        "round1": state.dump_outgoing([key_message(setup, public_key)]),
    }


def private_key(fields: dict[str, Any]) -> PaillierPrivateKey:
    return he.private_key_from_bytes(state.decode_bytes(fields["paillier_private"]))


def noised(
    setup: PartySetup, plan: fixed_point.EncodingPlan, values: NDArray[np.int64]
) -> tuple[NDArray[np.int64], dict[str, Any] | None]:
    """Central differential privacy at the recipient, the first to see the aggregate (hdx.privacy.central).

    The noised values go back onto the fixed-point grid (post-processing: the guarantee is unchanged).
    In distributed mode every contributor noised its own input already: the recipient adds nothing and
    declares the noise the parties' plan calls for."""
    if setup.epsilon is None:
        return values, None
    if setup.dp_mode == DpMode.distributed:
        try:
            return values, distributed.describe(party_noise.noise_plan(setup, plan))
        except PrivacyError as exc:
            raise ProtocolFailure(f"cannot state the parties' noise: {exc}") from exc
    mechanism = central.plan(setup.analysis, setup.params, setup.epsilon, setup.delta)
    noisy = mechanism.release(fixed_point.decode_sum(plan, values))
    return fixed_point.encode_values(plan, noisy.vector), central.describe(noisy.spend)


def result_message(
    setup: PartySetup,
    round_number: int,
    plan: fixed_point.EncodingPlan,
    contributors: list[int],
    values: NDArray[np.int64],
) -> Outgoing:
    values, noise = noised(setup, plan, values)
    described = json.dumps(noise, sort_keys=True).encode()
    body = b"".join(
        [
            bytes([plan.frac_bits]),
            pack_indexes(contributors),
            _LENGTH.pack(len(described)),
            described,
            values.astype("<i8").tobytes(),
        ]
    )
    binding = Binding(setup.session, round_number, setup.my_index, EXCHANGE)
    return Outgoing(
        RESULT, None, sign_message(setup.ed25519_private, MessageType.DECRYPTED_AGGREGATE, binding, body)
    )


def open_result(
    context: ExchangeContext,
    messages: Sequence[Envelope],
    binding: Binding,
    plan: fixed_point.EncodingPlan,
    contributors: list[int],
) -> Aggregate:
    """The recipient's signed result, checked against what the exchange announced and calibrated."""
    body = check_signed(context, messages, MessageType.DECRYPTED_AGGREGATE, binding, RESULT)
    what = f"party {binding.sender}'s result"
    if not body or body[0] != plan.frac_bits:
        raise IntegrityError(f"{what} is encoded with other fractional bits than the computation's")
    summed, offset = unpack_indexes(body, 1)
    if summed != contributors:
        raise IntegrityError(f"{what} covers parties {summed}, not the contributors {contributors}")
    if len(body) < offset + _LENGTH.size:
        raise IntegrityError(f"{what} is truncated")
    (size,) = _LENGTH.unpack_from(body, offset)
    offset += _LENGTH.size
    try:
        noise = json.loads(body[offset : offset + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntegrityError(f"{what} declares its noise unreadably") from exc
    offset += size
    if len(body) - offset != 8 * plan.length:
        raise IntegrityError(f"{what} does not hold {plan.length} values")
    if (noise is None) != (context.epsilon is None) or (noise is not None and not isinstance(noise, dict)):
        raise IntegrityError(f"{what} does not carry the differential privacy the computation asked for")
    values = np.frombuffer(body[offset:], dtype="<i8").astype(np.int64)
    return Aggregate(values, contributors, plan, noise)


def received_key(setup: PartySetup, inbox: Sequence[Envelope], recipient: int) -> PaillierPublicKey:
    """The key the exchange relayed, verified against the recipient's own signature."""
    payload = announcement(inbox, 2, PAILLIER_KEY)
    return open_key(setup.party(recipient).ed25519_public, setup.session, recipient, payload)


class PaillierParty:
    name = NAME

    def rounds(self) -> int:
        return 3

    def start(self, setup: PartySetup, contribution: Contribution, layout: Layout) -> bytes:
        check_setup(setup, NAME)
        recipient = recipient_of(setup.parties, setup.requester_organization_id)
        plan = fixed_point.plan_for(setup, RING_MODULUS)
        check_layout(layout, plan)
        vector = party_noise.input_vector(setup, plan, contribution)
        fields: dict[str, Any] = {
            "recipient": recipient,
            "frac_bits": plan.frac_bits,
            "input": state.encode_bytes(vector.astype("<i8").tobytes()),
            "round1": [],
        }
        if setup.my_index == recipient:
            fields |= generate_key(setup)
        return state.dump(NAME, fields)

    def step(
        self, setup: PartySetup, party_state: bytes, round: int, inbox: Sequence[Envelope]
    ) -> tuple[bytes, list[Outgoing]]:
        fields = state.load(NAME, party_state)
        recipient, me = int(fields["recipient"]), setup.my_index
        if round == 1:
            return party_state, state.load_outgoing(fields["round1"])
        plan = fixed_point.plan_for(setup, RING_MODULUS)
        if round == 2:
            if "round2" not in fields:
                # Encryption draws fresh nonces: encrypt once, then replay the same bytes on a re-run.
                public_key = received_key(setup, inbox, recipient)
                vector = np.frombuffer(state.decode_bytes(fields["input"]), dtype="<i8").astype(np.int64)
                fields["round2"] = state.dump_outgoing([self._ciphertext(setup, plan, public_key, vector)])
            return state.dump(NAME, fields), state.load_outgoing(fields["round2"])
        if round != 3:
            raise ProtocolFailure(f"the paillier protocol has rounds 1 to 3, not {round}")
        if me != recipient:
            return party_state, []
        payload = announcement(inbox, 3, AGGREGATE)
        contributors, offset = unpack_indexes(payload)
        if len(contributors) < setup.threshold:
            raise IntegrityError(
                f"the exchange announced {len(contributors)} contributors, fewer than the threshold "
                f"{setup.threshold}: a sum over so few would expose them"
            )
        key = private_key(fields)
        spec = packing(plan, len(setup.parties))
        packed = open_ciphertext(
            payload[offset:],
            key.public_key,
            spec,
            plan.length,
            "the encrypted aggregate",
            bound=spec.value_limit * len(contributors),
        )
        sums = he.decrypt_vector(key, packed, spec)
        offsets = plan.element_max_abs()
        totals = np.array(he.remove_offset(sums, offsets, len(contributors)), dtype=np.int64)
        return party_state, [result_message(setup, 3, plan, contributors, totals)]

    def _ciphertext(
        self,
        setup: PartySetup,
        plan: fixed_point.EncodingPlan,
        public_key: PaillierPublicKey,
        vector: NDArray[np.int64],
    ) -> Outgoing:
        spec = packing(plan, len(setup.parties))
        packed = he.encrypt_vector(public_key, he.offset_signed(vector, plan.element_max_abs()), spec)
        body = bytes([plan.frac_bits]) + packed.to_bytes()
        binding = Binding(setup.session, 2, setup.my_index, EXCHANGE)
        return Outgoing(
            CIPHERTEXT, None, sign_message(setup.ed25519_private, MessageType.CIPHERTEXT, binding, body)
        )


class PaillierExchange:
    name = NAME

    def modulus(self) -> int:
        return RING_MODULUS

    def waiting_for(
        self, round: int, in_play: Sequence[int], delivered: Sequence[Delivered], recipient: int | None = None
    ) -> list[int]:
        seen = {(d.sender, d.recipient, d.kind) for d in delivered}
        if round == 2:
            return [i for i in sorted(in_play) if (i, EXCHANGE, CIPHERTEXT) not in seen]
        kind = PAILLIER_KEY if round == 1 else RESULT
        # Only the recipient speaks in rounds 1 and 3.
        if recipient is not None and recipient in in_play and (recipient, EXCHANGE, kind) not in seen:
            return [recipient]
        return []

    def complete_round(
        self, context: ExchangeContext, round: int, in_play: Sequence[int], messages: Sequence[Envelope]
    ) -> NextRound | Aggregate:
        recipient = recipient_of(context.parties, context.requester_organization_id)
        require_recipient(recipient, in_play, round)
        cid = context.session
        plan = fixed_point.plan_for(context, RING_MODULUS)
        if round == 1:
            key = check_key(context, messages, recipient)
            return NextRound([Outgoing(PAILLIER_KEY, None, key)])
        if round == 2:
            public_key = open_key(
                context.verify_key(recipient), cid, recipient, announcement(messages, 2, PAILLIER_KEY)
            )
            contributors = sorted(in_play)
            require_quorum(len(contributors), context.threshold, "sent an encrypted input")
            spec = packing(plan, len(context.parties))
            total: he.PackedCiphertext | None = None
            for sender in contributors:
                body = check_signed(
                    context, messages, MessageType.CIPHERTEXT, Binding(cid, 2, sender, EXCHANGE), CIPHERTEXT
                )
                what = f"party {sender}'s encrypted input"
                if not body or body[0] != plan.frac_bits:
                    raise IntegrityError(
                        f"{what} is encoded with other fractional bits than the computation's"
                    )
                packed = open_ciphertext(body[1:], public_key, spec, plan.length, what)
                total = packed if total is None else he.add(total, packed)
            assert total is not None  # the quorum is at least one party
            return NextRound(
                [Outgoing(AGGREGATE, None, pack_indexes(contributors) + total.to_bytes())],
                releases=contributors,
            )
        if round != 3:
            raise ProtocolFailure(f"the paillier protocol has rounds 1 to 3, not {round}")
        contributors, _ = unpack_indexes(announcement(messages, 3, AGGREGATE))
        return open_result(context, messages, Binding(cid, 3, recipient, EXCHANGE), plan, contributors)


def require_recipient(recipient: int, in_play: Sequence[int], round: int) -> None:
    if recipient not in in_play:
        raise ProtocolFailure(
            f"the result recipient (party {recipient}) dropped out in round {round}: nobody else holds "
            "the key that decrypts the aggregate"
        )


def check_key(context: ExchangeContext, messages: Sequence[Envelope], recipient: int) -> bytes:
    """The recipient's signed key message, verified, to be relayed unchanged."""
    cid = context.session
    for message in messages:
        if (message.round, message.sender, message.kind) == (1, recipient, PAILLIER_KEY):
            open_key(context.verify_key(recipient), cid, recipient, message.payload)
            return message.payload
    raise IntegrityError(f"party {recipient}'s Paillier key ('{PAILLIER_KEY}') is missing")
