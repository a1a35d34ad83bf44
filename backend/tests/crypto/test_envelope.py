"""Envelope encryption: every byte of a sealed value or stream is authenticated, and so is its context."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto import envelope
from hdx.crypto.errors import IntegrityError, KeyFormatError, WireFormatError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = envelope.associated_data("org-1", "dataset-1", "1")

payloads = st.binary(min_size=0, max_size=600)
segment_sizes = st.sampled_from([16, 32, 64, 1024])


def _seal_stream(data: bytes, aad: bytes = AAD, segment_bytes: int = 64) -> bytes:
    sink = io.BytesIO()
    envelope.seal_stream(KEY, io.BytesIO(data), sink, aad, segment_bytes=segment_bytes)
    return sink.getvalue()


def _open_stream(blob: bytes, aad: bytes = AAD, key: bytes = KEY) -> bytes:
    return b"".join(envelope.open_stream(key, io.BytesIO(blob), aad))


@given(payloads, st.binary(max_size=64))
def test_sealed_value_round_trips(plaintext: bytes, aad: bytes) -> None:
    assert envelope.open_sealed(KEY, envelope.seal(KEY, plaintext, aad), aad) == plaintext


@given(payloads, st.data())
def test_any_altered_byte_of_a_sealed_value_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    sealed = bytearray(envelope.seal(KEY, plaintext, AAD))
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises((IntegrityError, WireFormatError)):
        envelope.open_sealed(KEY, bytes(sealed), AAD)


@given(payloads, st.binary(max_size=32))
def test_sealed_value_is_bound_to_its_context_and_key(plaintext: bytes, other_aad: bytes) -> None:
    sealed = envelope.seal(KEY, plaintext, AAD)
    if other_aad != AAD:
        with pytest.raises(IntegrityError, match="failed authentication"):
            envelope.open_sealed(KEY, sealed, other_aad)
    with pytest.raises(IntegrityError, match="failed authentication"):
        envelope.open_sealed(OTHER_KEY, sealed, AAD)


@settings(max_examples=200)
@given(payloads, segment_sizes)
def test_stream_round_trips_for_any_length_and_segment_size(plaintext: bytes, segment_bytes: int) -> None:
    blob = _seal_stream(plaintext, segment_bytes=segment_bytes)
    assert _open_stream(blob) == plaintext
    # A short plaintext can occur in random ciphertext by chance; 8 bytes cannot (in practice).
    assert len(plaintext) < 8 or plaintext not in blob


@settings(max_examples=200)
@given(payloads, st.data())
def test_any_altered_byte_of_a_stream_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(_seal_stream(plaintext))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises((IntegrityError, WireFormatError)):
        _open_stream(bytes(blob))


@given(payloads, st.data())
def test_cutting_a_stream_anywhere_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    blob = _seal_stream(plaintext)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises((IntegrityError, WireFormatError)):
        _open_stream(blob[:cut])


def test_reordered_segments_are_detected() -> None:
    blob = _seal_stream(bytes(range(200)), segment_bytes=16)
    header, sealed = blob[:13], 16 + envelope.TAG_BYTES
    segments = [blob[i : i + sealed] for i in range(13, len(blob), sealed)]
    swapped = header + segments[1] + segments[0] + b"".join(segments[2:])
    with pytest.raises(IntegrityError, match="segment 0 failed authentication"):
        _open_stream(swapped)


@given(payloads)
def test_stream_is_bound_to_its_context_and_key(plaintext: bytes) -> None:
    blob = _seal_stream(plaintext)
    moved = envelope.associated_data("org-1", "dataset-2", "1")
    with pytest.raises(IntegrityError, match="failed authentication"):
        _open_stream(blob, aad=moved)
    with pytest.raises(IntegrityError, match="failed authentication"):
        _open_stream(blob, key=OTHER_KEY)


def test_associated_data_is_unambiguous() -> None:
    assert envelope.associated_data("ab", "c") != envelope.associated_data("a", "bc")


def test_keys_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(KeyFormatError):
        envelope.seal(b"short", b"x", b"")
    with pytest.raises(KeyFormatError):
        envelope.key_id(b"\x00" * 16)


def test_key_id_tells_keys_apart_without_revealing_them() -> None:
    assert envelope.key_id(KEY) == envelope.key_id(KEY)
    assert envelope.key_id(KEY) != envelope.key_id(OTHER_KEY)
    assert KEY.hex()[:16] not in envelope.key_id(KEY)
