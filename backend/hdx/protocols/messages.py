"""Signed, context-bound protocol messages shared by every protocol.

    payload = wire message (hdx.crypto.wire header | body) | Ed25519 signature (64 bytes)

The signature covers the header, so it binds computation, round, sender and recipient; a recipient checks
those against where it found the message, so a message replayed into another computation, round or
recipient is refused even before a sealed body's associated data would refuse it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from hdx.crypto import box, signing, wire
from hdx.crypto.errors import IntegrityError, SignatureError, WireFormatError
from hdx.crypto.wire import MessageType
from hdx.protocols.base import Envelope

PROTOCOL_VERSION = 1
_U16 = struct.Struct(">H")


@dataclass(frozen=True)
class Binding:
    computation_id: UUID
    round: int
    sender: int
    recipient: int  # 0 = the exchange

    def aad(self) -> bytes:
        return box.message_aad(PROTOCOL_VERSION, self.computation_id, self.round, self.sender, self.recipient)

    def describe(self) -> str:
        to = "the exchange" if self.recipient == wire.EXCHANGE_INDEX else f"party {self.recipient}"
        return f"round {self.round} message from party {self.sender} to {to}"


def _context(message_type: MessageType) -> str:
    return f"hdx-protocol-v{PROTOCOL_VERSION}:{message_type.name}"


def sign_message(signing_key: bytes, message_type: MessageType, binding: Binding, body: bytes) -> bytes:
    message = wire.pack_message(
        message_type, binding.computation_id, binding.round, binding.sender, binding.recipient, body
    )
    return message + signing.sign(signing.load_signing_key(signing_key), _context(message_type), message)


def open_message(verify_key: bytes, message_type: MessageType, binding: Binding, payload: bytes) -> bytes:
    """The body of a message signed by the sender of `binding` and bound to exactly that context."""
    what = binding.describe()
    if len(payload) < wire.HEADER_BYTES + signing.SIGNATURE_BYTES:
        raise IntegrityError(f"{what} is truncated")
    message, signature = payload[: -signing.SIGNATURE_BYTES], payload[-signing.SIGNATURE_BYTES :]
    try:
        signing.verify(signing.load_verify_key(verify_key), _context(message_type), message, signature)
    except SignatureError as exc:
        raise SignatureError(f"{what} failed verification: {exc}") from exc
    try:
        header, body = wire.unpack_message(message)
    except WireFormatError as exc:
        raise IntegrityError(f"{what} is malformed: {exc}") from exc
    found = Binding(header.computation_id, header.round, header.sender, header.recipient)
    if header.message_type is not message_type or found != binding:
        raise IntegrityError(
            f"{what} was signed for another context ({header.message_type.name}, computation "
            f"{header.computation_id}, {found.describe()}): a replayed or misdirected message"
        )
    return body


def seal(recipient_public: bytes, binding: Binding, plaintext: bytes) -> bytes:
    return box.seal(box.load_public_key(recipient_public), plaintext, binding.aad())


def open_sealed(own_private: bytes, binding: Binding, sealed: bytes) -> bytes:
    try:
        return box.open_sealed(box.load_private_key(own_private), sealed, binding.aad())
    except IntegrityError as exc:
        raise IntegrityError(f"{binding.describe()}: {exc}") from exc


def pack_indexes(indexes: Iterable[int]) -> bytes:
    ordered = sorted(set(indexes))
    return _U16.pack(len(ordered)) + b"".join(_U16.pack(i) for i in ordered)


def unpack_indexes(data: bytes, offset: int = 0) -> tuple[list[int], int]:
    """A sorted list of distinct party indexes at `offset`, and the offset after it."""
    if len(data) < offset + _U16.size:
        raise IntegrityError("party list truncated")
    (count,) = _U16.unpack_from(data, offset)
    end = offset + _U16.size * (count + 1)
    if len(data) < end:
        raise IntegrityError("party list truncated")
    indexes = [_U16.unpack_from(data, offset + _U16.size * (i + 1))[0] for i in range(count)]
    if indexes != sorted(set(indexes)) or (indexes and indexes[0] < 1):
        raise IntegrityError("party list is not a sorted list of distinct party indexes")
    return indexes, end


def find(messages: Iterable[Envelope], round: int, sender: int, recipient: int, kind: str) -> Envelope | None:
    """The message with this identity; a recipient of None and of 0 both mean the exchange (or everyone)."""
    for message in messages:
        to = message.recipient or wire.EXCHANGE_INDEX
        if (message.round, message.sender, to, message.kind) == (round, sender, recipient, kind):
            return message
    return None


def announcement(messages: Iterable[Envelope], round: int, kind: str) -> bytes:
    """What the exchange broadcast when it opened `round`; the round cannot be played without it."""
    message = find(messages, round, wire.EXCHANGE_INDEX, wire.EXCHANGE_INDEX, kind)
    if message is None:
        raise IntegrityError(f"the exchange's '{kind}' announcement for round {round} is missing")
    return message.payload
