"""The secagg protocol (Bonawitz et al. 2017, semi-honest; DESIGN §5.3): masked sums mod 2^64, three rounds.

Round 1  party i draws a per-computation X25519 mask key (sk_i, pk_i) and a self-mask seed b_i, posts kind
         "keys" (pk_i, signed) to the exchange, and kind "keyshare" to every other party j: its Shamir shares
         (t-of-n over 2^127-1) of b_i and sk_i, sealed to j's long-term key and signed. The exchange opens
         round 2 with the broadcast "roster": U1 (parties whose round-1 upload is complete) and their signed
         "keys" messages, which every party verifies itself.
Round 2  party i posts kind "masked": frac_bits | U1 | x_i + PRG(b_i) + sum_j +-PRG(s_ij) mod 2^64, signed.
         The exchange opens round 3 with the broadcast "survivors": U2, the parties whose masked input came.
Round 3  each survivor posts kind "reveal": U2 | for every v in U1 its share of b_v if v survived, else its
         share of sk_v; never both for one party, so the exchange never holds what would unmask a single
         input. The exchange reconstructs the b_v and dropouts' sk_v (checking extra shares and the
         advertised pk_v), removes the masks and obtains the sum over U2.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from hdx.analyses import Contribution, Layout
from hdx.crypto import box, encoding, masking, prg, shamir, wire
from hdx.crypto.encoding import RING_MODULUS
from hdx.crypto.errors import CryptoError, IntegrityError
from hdx.crypto.field import U64Array
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
from hdx.protocols.shamir import check_layout, check_setup, check_signed, require_quorum

NAME = "secagg"
KEYS = "keys"
KEYSHARE = "keyshare"
ROSTER = "roster"
MASKED = "masked"
SURVIVORS = "survivors"
REVEAL = "reveal"
EXCHANGE = wire.EXCHANGE_INDEX
SECRET_BYTES = 32
# A 32-byte secret is shared as three elements of 2^127-1, 16 bytes each.
SHARE_BYTES = 48
SEED_SHARE, KEY_SHARE = 0, 1
_ENTRY = struct.Struct(">HB")
_LENGTH = struct.Struct(">H")


def _check_key(raw: bytes, what: str) -> bytes:
    if len(raw) != box.KEY_BYTES:
        raise IntegrityError(f"{what} is not a {box.KEY_BYTES}-byte X25519 key")
    return raw


def parse_roster(context_verify: dict[int, bytes], cid: UUID, data: bytes) -> dict[int, bytes]:
    """U1 and each member's mask public key, every advertisement checked against its sender's signature."""
    members, offset = unpack_indexes(data)
    keys: dict[int, bytes] = {}
    for member in members:
        if member not in context_verify:
            raise IntegrityError(f"the roster names party {member}, which is not in this computation")
        if len(data) < offset + _LENGTH.size:
            raise IntegrityError("the roster is truncated")
        (size,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        advertisement = data[offset : offset + size]
        offset += size
        binding = Binding(cid, 1, member, EXCHANGE)
        raw = open_message(context_verify[member], MessageType.KEY_ADVERTISEMENT, binding, advertisement)
        keys[member] = _check_key(raw, f"party {member}'s mask key")
    if offset != len(data):
        raise IntegrityError("the roster has trailing bytes")
    return keys


def pack_roster(members: Sequence[int], advertisements: dict[int, bytes]) -> bytes:
    parts = [pack_indexes(members)]
    for member in sorted(members):
        parts += [_LENGTH.pack(len(advertisements[member])), advertisements[member]]
    return b"".join(parts)


def _shares(setup: PartySetup, cid: UUID, inbox: Sequence[Envelope], sender: int) -> tuple[bytes, bytes]:
    """Party `sender`'s shares (of its self-mask seed, of its mask key) addressed to me."""
    me = setup.my_index
    binding = Binding(cid, 1, sender, me)
    message = find(inbox, 1, sender, me, KEYSHARE)
    if message is None:
        raise IntegrityError(
            f"the exchange lists party {sender} in the roster but relayed no key shares from it"
        )
    sealed = open_message(
        setup.party(sender).ed25519_public, MessageType.SEALED_KEY_SHARES, binding, message.payload
    )
    plain = open_sealed(setup.x25519_private, binding, sealed)
    if len(plain) != 2 * SHARE_BYTES:
        raise IntegrityError(f"{binding.describe()} does not hold two secret shares")
    return plain[:SHARE_BYTES], plain[SHARE_BYTES:]


class SecaggParty:
    name = NAME

    def rounds(self) -> int:
        return 3

    def start(self, setup: PartySetup, contribution: Contribution, layout: Layout) -> bytes:
        check_setup(setup, NAME)
        plan = fixed_point.plan_for(setup, RING_MODULUS)
        check_layout(layout, plan)
        vector = encoding.to_ring(party_noise.input_vector(setup, plan, contribution))
        mask_key = box.generate_private_key()
        mask_private = box.private_key_bytes(mask_key)
        self_seed = prg.random_seed()
        indexes = sorted(p.index for p in setup.parties)
        seed_shares = shamir.share_bytes(self_seed, setup.threshold, max(indexes))
        key_shares = shamir.share_bytes(mask_private, setup.threshold, max(indexes))
        cid, me = setup.session, setup.my_index
        keys = box.public_key_bytes(mask_key.public_key())
        messages = [
            Outgoing(
                KEYS,
                None,
                sign_message(
                    setup.ed25519_private, MessageType.KEY_ADVERTISEMENT, Binding(cid, 1, me, EXCHANGE), keys
                ),
            )
        ]
        for j in indexes:
            if j == me:
                continue
            binding = Binding(cid, 1, me, j)
            sealed = seal(setup.party(j).x25519_public, binding, seed_shares[j - 1] + key_shares[j - 1])
            payload = sign_message(setup.ed25519_private, MessageType.SEALED_KEY_SHARES, binding, sealed)
            messages.append(Outgoing(KEYSHARE, j, payload))
        return state.dump(
            NAME,
            {
                "frac_bits": plan.frac_bits,
                "input": state.encode_bytes(wire.pack_vector(vector)),
                "mask_private": state.encode_bytes(mask_private),
                "self_seed": state.encode_bytes(self_seed),
                "own_shares": state.encode_bytes(seed_shares[me - 1] + key_shares[me - 1]),
                # Sealing draws fresh ephemeral keys, so round 1 is sealed once, here, and replayed as is.
                "round1": state.dump_outgoing(messages),
            },
        )

    def step(
        self, setup: PartySetup, party_state: bytes, round: int, inbox: Sequence[Envelope]
    ) -> tuple[bytes, list[Outgoing]]:
        fields = state.load(NAME, party_state)
        if round == 1:
            return party_state, state.load_outgoing(fields["round1"])
        if round not in (2, 3):
            raise ProtocolFailure(f"the secagg protocol has rounds 1 to 3, not {round}")
        cid, me = setup.session, setup.my_index
        verify = {p.index: p.ed25519_public for p in setup.parties}
        mask_keys = parse_roster(verify, cid, announcement(inbox, 2, ROSTER))
        members = sorted(mask_keys)
        if me not in members:
            # Dropped in round 1: the others leave this party out of every mask.
            return party_state, []
        own_key = box.load_private_key(state.decode_bytes(fields["mask_private"]))
        if mask_keys[me] != box.public_key_bytes(own_key.public_key()):
            raise IntegrityError("the roster advertises another mask key for this party than the one it drew")
        self._check_quorum(setup, len(members), "round-1 parties")
        if round == 2:
            return party_state, [self._masked(setup, fields, cid, inbox, mask_keys)]
        announced = announcement(inbox, 3, SURVIVORS)
        survivors, end = unpack_indexes(announced)
        if end != len(announced) or not set(survivors) <= set(members):
            raise IntegrityError("the survivors announced are not a subset of the round-1 parties")
        if me not in survivors:
            return party_state, []
        self._check_quorum(setup, len(survivors), "survivors")
        return party_state, [self._reveal(setup, fields, cid, inbox, members, survivors)]

    def _check_quorum(self, setup: PartySetup, count: int, what: str) -> None:
        if count < setup.threshold:
            raise IntegrityError(
                f"the exchange announced {count} {what}, fewer than the threshold {setup.threshold}: "
                "unmasking a sum over so few would expose them"
            )

    def _masked(
        self,
        setup: PartySetup,
        fields: dict[str, Any],
        cid: UUID,
        inbox: Sequence[Envelope],
        mask_keys: dict[int, bytes],
    ) -> Outgoing:
        me = setup.my_index
        own = X25519PrivateKey.from_private_bytes(state.decode_bytes(fields["mask_private"]))
        seeds = {}
        for peer, public in mask_keys.items():
            if peer == me:
                continue
            # Checked now so a missing or tampered share stops this party before it reveals anything.
            _shares(setup, cid, inbox, peer)
            seeds[peer] = masking.pair_seed(own, X25519PublicKey.from_public_bytes(public), cid, me, peer)
        vector = wire.unpack_vector(state.decode_bytes(fields["input"]))
        masked = masking.mask(vector, me, seeds, state.decode_bytes(fields["self_seed"]))
        frac_bits = int(fields["frac_bits"])
        body = bytes([frac_bits]) + pack_indexes(mask_keys) + wire.pack_vector(masked)
        payload = sign_message(
            setup.ed25519_private, MessageType.MASKED_INPUT, Binding(cid, 2, me, EXCHANGE), body
        )
        return Outgoing(MASKED, None, payload)

    def _reveal(
        self,
        setup: PartySetup,
        fields: dict[str, Any],
        cid: UUID,
        inbox: Sequence[Envelope],
        members: list[int],
        survivors: list[int],
    ) -> Outgoing:
        me = setup.my_index
        own = state.decode_bytes(fields["own_shares"])
        entries = [pack_indexes(survivors)]
        for member in members:
            seed_share, key_share = (
                (own[:SHARE_BYTES], own[SHARE_BYTES:]) if member == me else _shares(setup, cid, inbox, member)
            )
            # One share per party, chosen by the announced survivors: a seed share of a dropout or a key
            # share of a survivor would let the exchange strip the masks off a single input.
            if member in survivors:
                entries += [_ENTRY.pack(member, SEED_SHARE), seed_share]
            else:
                entries += [_ENTRY.pack(member, KEY_SHARE), key_share]
        body = b"".join(entries)
        payload = sign_message(
            setup.ed25519_private, MessageType.UNMASKING_SHARES, Binding(cid, 3, me, EXCHANGE), body
        )
        return Outgoing(REVEAL, None, payload)


class SecaggExchange:
    name = NAME

    def modulus(self) -> int:
        return RING_MODULUS

    def waiting_for(
        self, round: int, in_play: Sequence[int], delivered: Sequence[Delivered], recipient: int | None = None
    ) -> list[int]:
        seen = {(d.sender, d.recipient, d.kind) for d in delivered}
        kind = {2: MASKED, 3: REVEAL}.get(round, KEYS)
        owed = {i: [(i, EXCHANGE, kind)] for i in in_play}
        if round == 1:
            for i in in_play:
                owed[i] += [(i, j, KEYSHARE) for j in in_play if j != i]
        return [i for i in sorted(in_play) if not all(item in seen for item in owed[i])]

    def complete_round(
        self, context: ExchangeContext, round: int, in_play: Sequence[int], messages: Sequence[Envelope]
    ) -> NextRound | Aggregate:
        plan = fixed_point.plan_for(context, RING_MODULUS)
        cid = context.session
        present = sorted(in_play)
        if round == 1:
            require_quorum(len(present), context.threshold, "completed round 1")
            advertisements = {}
            for i in present:
                check_signed(
                    context, messages, MessageType.KEY_ADVERTISEMENT, Binding(cid, 1, i, EXCHANGE), KEYS
                )
                advertisements[i] = _payload(messages, 1, i, EXCHANGE, KEYS)
                for j in present:
                    if j != i:
                        check_signed(
                            context, messages, MessageType.SEALED_KEY_SHARES, Binding(cid, 1, i, j), KEYSHARE
                        )
            return NextRound([Outgoing(ROSTER, None, pack_roster(present, advertisements))])
        verify = {p.index: p.ed25519_public for p in context.parties}
        mask_keys = parse_roster(verify, cid, announcement(messages, 2, ROSTER))
        if round == 2:
            require_quorum(len(present), context.threshold, "sent a masked input")
            for i in present:
                self._masked(context, messages, cid, i, plan, sorted(mask_keys))
            return NextRound([Outgoing(SURVIVORS, None, pack_indexes(present))])
        survivors, _ = unpack_indexes(announcement(messages, 3, SURVIVORS))
        require_quorum(len(present), context.threshold, "revealed their shares")
        masked = [self._masked(context, messages, cid, i, plan, sorted(mask_keys)) for i in survivors]
        seeds, keys = self._reconstruct(context, messages, cid, present, sorted(mask_keys), survivors)
        for dropout, key in keys.items():
            if box.public_key_bytes(key.public_key()) != mask_keys[dropout]:
                raise IntegrityError(
                    f"the shares of party {dropout}'s mask key rebuild another key than it advertised"
                )
        total = masking.unmask(
            masking.sum_vectors(masked),
            cid,
            seeds,
            keys,
            {i: X25519PublicKey.from_public_bytes(k) for i, k in mask_keys.items()},
        )
        return Aggregate(encoding.from_ring(total), survivors, plan)

    def _masked(
        self,
        context: ExchangeContext,
        messages: Sequence[Envelope],
        cid: UUID,
        sender: int,
        plan: fixed_point.EncodingPlan,
        members: list[int],
    ) -> U64Array:
        body = check_signed(
            context, messages, MessageType.MASKED_INPUT, Binding(cid, 2, sender, EXCHANGE), MASKED
        )
        what = f"party {sender}'s masked input"
        if not body or body[0] != plan.frac_bits:
            raise IntegrityError(
                f"{what} is encoded with other fractional bits than the computation's {plan.frac_bits}"
            )
        masked_over, offset = unpack_indexes(body, 1)
        if masked_over != members:
            raise IntegrityError(f"{what} is masked for parties {masked_over}, not for the roster {members}")
        try:
            return wire.unpack_vector(body[offset:], plan.length)
        except CryptoError as exc:
            raise IntegrityError(f"{what}: {exc}") from exc

    def _reconstruct(
        self,
        context: ExchangeContext,
        messages: Sequence[Envelope],
        cid: UUID,
        revealers: list[int],
        members: list[int],
        survivors: list[int],
    ) -> tuple[dict[int, bytes], dict[int, X25519PrivateKey]]:
        """Self-mask seeds of survivors and mask keys of dropouts, each from every revealer's share."""
        shares: dict[int, list[bytes]] = {member: [] for member in members}
        for revealer in revealers:
            binding = Binding(cid, 3, revealer, EXCHANGE)
            body = check_signed(context, messages, MessageType.UNMASKING_SHARES, binding, REVEAL)
            announced, offset = unpack_indexes(body)
            if announced != survivors:
                raise IntegrityError(
                    f"party {revealer} revealed shares for survivors {announced}, not {survivors}"
                )
            for member in members:
                if len(body) < offset + _ENTRY.size + SHARE_BYTES:
                    raise IntegrityError(f"party {revealer}'s revealed shares are truncated")
                index, which = _ENTRY.unpack_from(body, offset)
                expected = SEED_SHARE if member in survivors else KEY_SHARE
                if (index, which) != (member, expected):
                    raise IntegrityError(f"party {revealer} revealed the wrong share for party {member}")
                offset += _ENTRY.size
                shares[member].append(body[offset : offset + SHARE_BYTES])
                offset += SHARE_BYTES
            if offset != len(body):
                raise IntegrityError(f"party {revealer}'s revealed shares have trailing bytes")
        secrets = {}
        for member in members:
            what = "self-mask seed" if member in survivors else "mask key"
            try:
                secrets[member] = shamir.reconstruct_bytes(
                    revealers, shares[member], SECRET_BYTES, threshold=context.threshold
                )
            except IntegrityError as exc:
                # Same class (InconsistentSharesError stays one), with the party named.
                raise type(exc)(f"the revealed shares of party {member}'s {what}: {exc}") from exc
        seeds = {m: secrets[m] for m in survivors}
        keys = {m: box.load_private_key(secrets[m]) for m in members if m not in survivors}
        return seeds, keys


def _payload(messages: Sequence[Envelope], round: int, sender: int, recipient: int, kind: str) -> bytes:
    message = find(messages, round, sender, recipient, kind)
    if message is None:
        raise IntegrityError(f"party {sender}'s '{kind}' message of round {round} is missing")
    return message.payload
