"""The binary framing of protocol messages sent as application/octet-stream.

A message is a 32-byte big-endian header followed by exactly `payload_length` payload bytes:

    magic "HDXM" (4) | version (1) | message type (1) | round (2) | computation id (16)
    | sender index (2) | recipient index (2, 0 = the exchange) | payload length (4)

Vectors travel as little-endian uint64 words.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from hdx.crypto.errors import ParameterError, WireFormatError

MAGIC = b"HDXM"
WIRE_VERSION = 1
EXCHANGE_INDEX = 0
_FORMAT = struct.Struct(">4sBBH16sHHI")
HEADER_BYTES = _FORMAT.size
MAX_PAYLOAD_BYTES = (1 << 32) - 1


class MessageType(IntEnum):
    SEALED_SHARE = 1
    PARTIAL_SUM = 2
    KEY_ADVERTISEMENT = 3
    SEALED_KEY_SHARES = 4
    MASKED_INPUT = 5
    UNMASKING_SHARES = 6
    CIPHERTEXT = 7
    PAILLIER_KEY = 8
    DECRYPTED_AGGREGATE = 9


@dataclass(frozen=True)
class Header:
    message_type: MessageType
    computation_id: UUID
    round: int
    sender: int
    recipient: int
    payload_length: int

    def __post_init__(self) -> None:
        for name in ("round", "sender", "recipient"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFFFF:
                raise ParameterError(f"header {name} must be between 0 and 65535, got {value}")
        if not 0 <= self.payload_length <= MAX_PAYLOAD_BYTES:
            raise ParameterError(f"payload length {self.payload_length} does not fit the header")


def pack_header(header: Header) -> bytes:
    return _FORMAT.pack(
        MAGIC,
        WIRE_VERSION,
        header.message_type,
        header.round,
        header.computation_id.bytes,
        header.sender,
        header.recipient,
        header.payload_length,
    )


def unpack_header(data: bytes) -> Header:
    """The header at the start of `data`, validated field by field."""
    if len(data) < HEADER_BYTES:
        raise WireFormatError(f"message truncated: {len(data)} bytes, the header alone is {HEADER_BYTES}")
    magic, version, kind, round_, computation, sender, recipient, length = _FORMAT.unpack_from(data)
    if magic != MAGIC:
        raise WireFormatError(f"not an HDX protocol message (magic {magic!r})")
    if version != WIRE_VERSION:
        raise WireFormatError(f"unsupported wire version {version}, this build speaks {WIRE_VERSION}")
    try:
        message_type = MessageType(kind)
    except ValueError as exc:
        raise WireFormatError(f"unknown message type {kind}") from exc
    return Header(message_type, UUID(bytes=computation), round_, sender, recipient, length)


def pack_message(
    message_type: MessageType, computation_id: UUID, round: int, sender: int, recipient: int, payload: bytes
) -> bytes:
    header = Header(message_type, computation_id, round, sender, recipient, len(payload))
    return pack_header(header) + payload


def unpack_message(data: bytes) -> tuple[Header, bytes]:
    """Header and payload; the message must hold exactly the declared payload length."""
    header = unpack_header(data)
    actual = len(data) - HEADER_BYTES
    if actual != header.payload_length:
        raise WireFormatError(f"header declares a {header.payload_length}-byte payload, got {actual} bytes")
    return header, bytes(data[HEADER_BYTES:])


def pack_vector(vector: NDArray[np.uint64]) -> bytes:
    if vector.dtype != np.uint64 or vector.ndim != 1:
        raise ParameterError(f"only 1-dimensional uint64 vectors are packed, got {vector.dtype}")
    return vector.astype("<u8", copy=False).tobytes()


def unpack_vector(payload: bytes, length: int | None = None) -> NDArray[np.uint64]:
    """A uint64 vector from its payload; `length` (elements), when known, is enforced."""
    if len(payload) % 8:
        raise WireFormatError(f"a uint64 vector payload is a multiple of 8 bytes, got {len(payload)}")
    if length is not None and len(payload) != 8 * length:
        raise WireFormatError(f"expected a vector of {length} elements, got {len(payload) // 8}")
    return np.frombuffer(payload, dtype="<u8").astype(np.uint64)
