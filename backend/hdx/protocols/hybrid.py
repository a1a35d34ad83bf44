"""The hybrid protocol (DESIGN §5.3): shamir sharing, partial sums encrypted under the recipient's key.

The recipient R is the party of the organization that asked for the computation.

Round 1  as shamir: each party posts its sealed, signed shares (kind "share") to every other party. R also
         posts kind "paillier-key" (its Paillier public key, signed; the private key stays in R's state).
         The exchange verifies every signature and opens round 2 with the broadcasts "contributors" and
         "paillier-key" (R's signed message, which every party verifies itself).
Round 2  each contributor adds the shares addressed to it and posts kind "partial": frac_bits |
         contributors | its partial sum (residues mod p = 2^61-1) packed and encrypted under R's key,
         signed. The exchange takes t partials, multiplies each by its Lagrange coefficient (a residue
         mod p) and adds them under encryption: it learns nothing. With more than t partials it builds a
         second combination from another t-subset. To each combination it adds an encryption of p * r,
         r fresh and uniform per slot (see MASK_BITS), and opens round 3 with the broadcast "aggregate":
         contributors | each combination with its t-subset.
Round 3  R decrypts every combination and reduces it mod p. Two combinations must agree: a modified share
         or partial shifts them by different multiples of the error (different Lagrange coefficients), so
         R refuses instead of releasing a wrong sum. R decodes, noises the values if the computation uses
         differential privacy, and posts kind "result" (signed); the exchange finalizes it.

An individual input is exposed only if t parties collude (they hold t shares of it); the exchange sees
ciphertexts only.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np
from phe.paillier import PaillierPublicKey

from hdx.analyses import Contribution, Layout
from hdx.crypto import encoding, wire
from hdx.crypto import paillier as he
from hdx.crypto.errors import IntegrityError
from hdx.crypto.field import FIELD_PRIME, lagrange_coefficients
from hdx.crypto.wire import MessageType
from hdx.protocols import fixed_point, state
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
    pack_indexes,
    sign_message,
    unpack_indexes,
)
from hdx.protocols.paillier import (
    PAILLIER_KEY,
    RESULT,
    check_key,
    generate_key,
    open_ciphertext,
    open_key,
    open_result,
    private_key,
    received_key,
    recipient_of,
    require_recipient,
    result_message,
)
from hdx.protocols.shamir import (
    CONTRIBUTORS,
    SHARE,
    check_contributors,
    check_setup,
    check_shares,
    check_signed,
    require_quorum,
    share_input,
    sum_shares,
)

NAME = "hybrid"
PARTIAL = "partial"
AGGREGATE = "aggregate"
EXCHANGE = wire.EXCHANGE_INDEX
FIELD_BITS = he.FIELD_BITS
# Decrypting sum(lambda_i * s_i) over the integers would show R the quotient q of that sum by p, a value
# that depends on the individual partial sums, not only on their sum mod p. The exchange therefore adds
# p * r with r uniform below 2^(61 + MASK_BITS): q < t * p, so R's view of q + r is within 2^-40 of
# uniform. Slots are sized for it (field_combination_spec leaves no such headroom): values up to
# 2^(61 + MASK_BITS), which the partials (below p) and the mask r share, scalars up to p, and t + 1 terms.
STATISTICAL_BITS = 40
_COUNT = struct.Struct(">H")
_SIZE = struct.Struct(">I")


def mask_bits(threshold: int) -> int:
    return STATISTICAL_BITS + (threshold - 1).bit_length()


def packing(threshold: int) -> he.PackingSpec:
    return he.PackingSpec(
        value_bits=FIELD_BITS + mask_bits(threshold), max_parties=threshold + 1, scalar_bits=FIELD_BITS
    )


def combination_bound(spec: he.PackingSpec, points: Sequence[int]) -> int:
    """The slot bound of sum(lambda_i * partial_i) + p * r, as the exchange's arithmetic declares it."""
    return spec.value_limit * (sum(lagrange_coefficients(points)) + FIELD_PRIME)


def _plan(setup_or_context: PartySetup | ExchangeContext) -> fixed_point.EncodingPlan:
    item = setup_or_context
    return fixed_point.plan_for(item, FIELD_PRIME)


def pack_combinations(contributors: Sequence[int], combinations: Sequence[tuple[list[int], bytes]]) -> bytes:
    parts = [pack_indexes(contributors), _COUNT.pack(len(combinations))]
    for points, packed in combinations:
        parts += [pack_indexes(points), _SIZE.pack(len(packed)), packed]
    return b"".join(parts)


def unpack_combinations(data: bytes) -> tuple[list[int], list[tuple[list[int], bytes]]]:
    contributors, offset = unpack_indexes(data)
    if len(data) < offset + _COUNT.size:
        raise IntegrityError("the aggregate announcement is truncated")
    (count,) = _COUNT.unpack_from(data, offset)
    offset += _COUNT.size
    combinations = []
    for _ in range(count):
        points, offset = unpack_indexes(data, offset)
        if len(data) < offset + _SIZE.size:
            raise IntegrityError("the aggregate announcement is truncated")
        (size,) = _SIZE.unpack_from(data, offset)
        offset += _SIZE.size
        combinations.append((points, data[offset : offset + size]))
        offset += size
    if offset != len(data):
        raise IntegrityError("the aggregate announcement has trailing bytes")
    return contributors, combinations


class HybridParty:
    name = NAME

    def rounds(self) -> int:
        return 3

    def start(self, setup: PartySetup, contribution: Contribution, layout: Layout) -> bytes:
        check_setup(setup, NAME)
        recipient = recipient_of(setup.parties, setup.requester_organization_id)
        fields = share_input(setup, contribution, layout) | {"recipient": recipient}
        if setup.my_index == recipient:
            key = generate_key(setup)
            fields["paillier_private"] = key["paillier_private"]
            fields["round1"] = fields["round1"] + key["round1"]
        return state.dump(NAME, fields)

    def step(
        self, setup: PartySetup, party_state: bytes, round: int, inbox: Sequence[Envelope]
    ) -> tuple[bytes, list[Outgoing]]:
        fields = state.load(NAME, party_state)
        recipient, me = int(fields["recipient"]), setup.my_index
        if round == 1:
            return party_state, state.load_outgoing(fields["round1"])
        if round == 2:
            contributors, _ = unpack_indexes(announcement(inbox, 2, CONTRIBUTORS))
            if me not in contributors:
                return party_state, []
            check_contributors(setup, contributors)
            if "round2" not in fields:
                # Encryption draws fresh nonces: encrypt once, then replay the same bytes on a re-run.
                public_key = received_key(setup, inbox, recipient)
                partial = sum_shares(setup, fields, contributors, inbox)
                fields["round2"] = state.dump_outgoing(
                    [self._partial(setup, contributors, public_key, partial)]
                )
            return state.dump(NAME, fields), state.load_outgoing(fields["round2"])
        if round != 3:
            raise ProtocolFailure(f"the hybrid protocol has rounds 1 to 3, not {round}")
        if me != recipient:
            return party_state, []
        return party_state, [self._result(setup, fields, inbox)]

    def _partial(
        self, setup: PartySetup, contributors: list[int], public_key: PaillierPublicKey, partial: Any
    ) -> Outgoing:
        plan = _plan(setup)
        packed = he.encrypt_vector(public_key, partial, packing(setup.threshold))
        body = bytes([plan.frac_bits]) + pack_indexes(contributors) + packed.to_bytes()
        binding = Binding(setup.session, 2, setup.my_index, EXCHANGE)
        return Outgoing(
            PARTIAL, None, sign_message(setup.ed25519_private, MessageType.CIPHERTEXT, binding, body)
        )

    def _result(self, setup: PartySetup, fields: dict[str, Any], inbox: Sequence[Envelope]) -> Outgoing:
        plan = _plan(setup)
        announced, _ = unpack_indexes(announcement(inbox, 2, CONTRIBUTORS))
        contributors, combinations = unpack_combinations(announcement(inbox, 3, AGGREGATE))
        if contributors != announced:
            raise IntegrityError(
                f"the aggregate covers parties {contributors}, the exchange announced contributors {announced}"
            )
        check_contributors(setup, contributors)
        if not 1 <= len(combinations) <= 2:
            raise IntegrityError(f"the exchange sent {len(combinations)} combinations, not one or two")
        key = private_key(fields)
        spec = packing(setup.threshold)
        sums = []
        for points, data in combinations:
            if len(points) != setup.threshold or not set(points) <= set(contributors):
                raise IntegrityError(
                    f"the combination of parties {points} is not a t-subset of the contributors"
                )
            packed = open_ciphertext(
                data,
                key.public_key,
                spec,
                plan.length,
                f"the combination of parties {points}",
                bound=combination_bound(spec, points),
            )
            sums.append([value % FIELD_PRIME for value in he.decrypt_vector(key, packed, spec)])
        if len(combinations) == 2:
            if combinations[0][0] == combinations[1][0]:
                raise IntegrityError("the exchange combined the same partial sums twice")
            if sums[0] != sums[1]:
                raise IntegrityError(
                    f"the partial sums of parties {combinations[0][0]} and {combinations[1][0]} do not lie "
                    "on one polynomial: a share or a partial sum was modified"
                )
        total = encoding.from_field(np.array(sums[0], dtype=np.uint64))
        return result_message(setup, 3, plan, contributors, total)


class HybridExchange:
    name = NAME

    def modulus(self) -> int:
        return FIELD_PRIME

    def waiting_for(
        self, round: int, in_play: Sequence[int], delivered: Sequence[Delivered], recipient: int | None = None
    ) -> list[int]:
        seen = {(d.sender, d.recipient, d.kind) for d in delivered}
        owed: dict[int, list[tuple[int, int, str]]]
        if round == 1:
            owed = {i: [(i, j, SHARE) for j in in_play if j != i] for i in in_play}
            if recipient in owed:
                owed[recipient].append((recipient, EXCHANGE, PAILLIER_KEY))
        elif round == 2:
            owed = {i: [(i, EXCHANGE, PARTIAL)] for i in in_play}
        else:
            owed = {}
            if recipient is not None and recipient in in_play:
                owed[recipient] = [(recipient, EXCHANGE, RESULT)]
        return [i for i in sorted(owed) if not all(item in seen for item in owed[i])]

    def complete_round(
        self, context: ExchangeContext, round: int, in_play: Sequence[int], messages: Sequence[Envelope]
    ) -> NextRound | Aggregate:
        recipient = recipient_of(context.parties, context.requester_organization_id)
        require_recipient(recipient, in_play, round)
        cid = context.session
        if round == 1:
            contributors = check_shares(context, in_play, messages)
            key = check_key(context, messages, recipient)
            return NextRound(
                [
                    Outgoing(CONTRIBUTORS, None, pack_indexes(contributors)),
                    Outgoing(PAILLIER_KEY, None, key),
                ]
            )
        plan = _plan(context)
        contributors, _ = unpack_indexes(announcement(messages, 2, CONTRIBUTORS))
        if round == 2:
            return self._combine(context, cid, recipient, plan, contributors, sorted(in_play), messages)
        if round != 3:
            raise ProtocolFailure(f"the hybrid protocol has rounds 1 to 3, not {round}")
        return open_result(context, messages, Binding(cid, 3, recipient, EXCHANGE), plan, contributors)

    def _combine(
        self,
        context: ExchangeContext,
        cid: UUID,
        recipient: int,
        plan: fixed_point.EncodingPlan,
        contributors: list[int],
        senders: list[int],
        messages: Sequence[Envelope],
    ) -> NextRound:
        threshold = context.threshold
        require_quorum(len(senders), threshold, "sent a partial sum")
        public_key = open_key(
            context.verify_key(recipient), cid, recipient, announcement(messages, 2, PAILLIER_KEY)
        )
        spec = packing(threshold)
        partials = {}
        for sender in senders:
            body = check_signed(
                context, messages, MessageType.CIPHERTEXT, Binding(cid, 2, sender, EXCHANGE), PARTIAL
            )
            what = f"party {sender}'s partial sum"
            if not body or body[0] != plan.frac_bits:
                raise IntegrityError(f"{what} is encoded with other fractional bits than the computation's")
            summed, offset = unpack_indexes(body, 1)
            if summed != contributors:
                raise IntegrityError(
                    f"{what} adds the shares of parties {summed}, not of the contributors {contributors}"
                )
            partials[sender] = open_ciphertext(body[offset:], public_key, spec, plan.length, what)
        subsets = [senders[:threshold]]
        if len(senders) > threshold:
            # A second t-subset lets the recipient check the partials lie on one polynomial.
            subsets.append(senders[-threshold:])
        combinations = []
        for points in subsets:
            combined = _masked(public_key, spec, plan.length)
            for point, coefficient in zip(points, lagrange_coefficients(points), strict=True):
                combined = he.add(combined, he.scalar_multiply(partials[point], coefficient))
            combinations.append((points, combined.to_bytes()))
        return NextRound(
            [Outgoing(AGGREGATE, None, pack_combinations(contributors, combinations))], releases=contributors
        )


def _masked(public_key: PaillierPublicKey, spec: he.PackingSpec, length: int) -> he.PackedCiphertext:
    """An encryption of p * r, r uniform below 2^value_bits per slot (see STATISTICAL_BITS)."""
    masks = [secrets.randbits(spec.value_bits) for _ in range(length)]
    return he.scalar_multiply(he.encrypt_vector(public_key, masks, spec), FIELD_PRIME)
