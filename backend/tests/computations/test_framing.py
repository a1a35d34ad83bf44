from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdx.computations.framing import Frame, FramingError, decode, encode

frames = st.lists(
    st.builds(
        Frame,
        round=st.integers(0, 2**32 - 1),
        sender=st.integers(0, 2**16 - 1),
        recipient=st.integers(0, 2**16 - 1),
        kind=st.from_regex(r"[a-z0-9_.-]{1,32}", fullmatch=True),
        payload=st.binary(max_size=300),
    ),
    max_size=6,
)


@given(frames)
def test_round_trip(items: list[Frame]) -> None:
    assert decode(encode(items)) == items


def test_a_changed_payload_byte_is_detected() -> None:
    data = bytearray(encode([Frame(1, 2, 3, "share", b"sealed bytes")]))
    data[-1] ^= 0x01
    with pytest.raises(FramingError, match="does not match its digest"):
        decode(bytes(data))


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_truncated_or_padded_streams_are_refused(cut: int) -> None:
    data = encode([Frame(1, 2, 3, "share", b"0123456789")])
    with pytest.raises(FramingError):
        decode(data[:-cut])
    with pytest.raises(FramingError, match="trailing"):
        decode(data + b"\x00")


def test_other_magic_is_refused() -> None:
    with pytest.raises(FramingError, match="not an HDX message stream"):
        decode(b"HDXM\x01\x00\x00\x00\x00")
