import struct
from uuid import UUID

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import ParameterError, WireFormatError
from hdx.crypto.wire import (
    HEADER_BYTES,
    MessageType,
    pack_message,
    pack_vector,
    unpack_header,
    unpack_message,
    unpack_vector,
)

u16 = st.integers(0, 0xFFFF)
COMPUTATION = UUID("12345678-1234-5678-1234-567812345678")


@settings(max_examples=60)
@given(st.sampled_from(MessageType), st.uuids(), u16, u16, u16, st.binary(max_size=100))
def test_messages_round_trip(
    kind: MessageType, computation: UUID, round_: int, sender: int, recipient: int, payload: bytes
) -> None:
    header, body = unpack_message(pack_message(kind, computation, round_, sender, recipient, payload))
    assert (header.message_type, header.computation_id, header.round) == (kind, computation, round_)
    assert (header.sender, header.recipient, header.payload_length, body) == (
        sender,
        recipient,
        len(payload),
        payload,
    )


MESSAGE = pack_message(MessageType.PARTIAL_SUM, COMPUTATION, 2, 1, 0, b"payload!")


@settings(max_examples=40)
@given(st.integers(0, len(MESSAGE) - 1))
def test_truncated_messages_are_rejected(size: int) -> None:
    with pytest.raises(WireFormatError):
        unpack_message(MESSAGE[:size])


@pytest.mark.parametrize(
    ("offset", "value", "reason"),
    [(0, b"X", "magic"), (4, b"\x02", "version"), (5, b"\x00", "message type"), (5, b"\x63", "message type")],
)
def test_garbled_headers_are_rejected(offset: int, value: bytes, reason: str) -> None:
    garbled = MESSAGE[:offset] + value + MESSAGE[offset + 1 :]
    with pytest.raises(WireFormatError, match=reason):
        unpack_header(garbled)


def test_payload_length_must_match() -> None:
    with pytest.raises(WireFormatError, match="8-byte payload"):
        unpack_message(MESSAGE + b"x")
    lying = MESSAGE[: HEADER_BYTES - 4] + struct.pack(">I", 7) + MESSAGE[HEADER_BYTES:]
    with pytest.raises(WireFormatError):
        unpack_message(lying)


def test_header_fields_are_bounded() -> None:
    with pytest.raises(ParameterError, match="sender"):
        pack_message(MessageType.SEALED_SHARE, COMPUTATION, 1, 1 << 16, 0, b"")


@settings(max_examples=40)
@given(st.lists(st.integers(0, (1 << 64) - 1), max_size=50))
def test_vectors_round_trip_little_endian(values: list[int]) -> None:
    vector = np.array(values, dtype=np.uint64)
    payload = pack_vector(vector)
    assert payload == b"".join(v.to_bytes(8, "little") for v in values)
    assert np.array_equal(unpack_vector(payload, len(values)), vector)


def test_bad_vector_payloads_are_rejected() -> None:
    with pytest.raises(WireFormatError, match="multiple of 8"):
        unpack_vector(bytes(12))
    with pytest.raises(WireFormatError, match="3 elements"):
        unpack_vector(bytes(16), 3)
    with pytest.raises(ParameterError):
        pack_vector(np.zeros(2, dtype=np.int64))
