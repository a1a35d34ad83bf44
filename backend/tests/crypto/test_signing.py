import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import KeyFormatError, ParameterError, SignatureError
from hdx.crypto.signing import (
    fingerprint,
    generate_signing_key,
    load_signing_key,
    load_verify_key,
    sign,
    signing_key_bytes,
    verify,
    verify_key_bytes,
)

KEY = generate_signing_key()
PUBLIC = KEY.public_key()


@settings(max_examples=40)
@given(st.binary(max_size=200), st.text(min_size=1, max_size=20))
def test_signatures_verify(message: bytes, context: str) -> None:
    verify(PUBLIC, context, message, sign(KEY, context, message))


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=100), st.data())
def test_a_flipped_bit_in_message_or_signature_fails(message: bytes, data: st.DataObject) -> None:
    signature = sign(KEY, "share", message)
    tampered = bytearray(message)
    tampered[data.draw(st.integers(0, len(message) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(SignatureError):
        verify(PUBLIC, "share", bytes(tampered), signature)
    bad = bytearray(signature)
    bad[data.draw(st.integers(0, len(bad) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(SignatureError):
        verify(PUBLIC, "share", message, bytes(bad))


def test_context_and_key_are_bound() -> None:
    signature = sign(KEY, "round-1", b"payload")
    with pytest.raises(SignatureError, match="round-2"):
        verify(PUBLIC, "round-2", b"payload", signature)
    with pytest.raises(SignatureError):
        verify(generate_signing_key().public_key(), "round-1", b"payload", signature)
    # The context is length-prefixed, so moving bytes between context and message breaks it.
    with pytest.raises(SignatureError):
        verify(PUBLIC, "round-1p", b"ayload", signature)
    with pytest.raises(ParameterError):
        sign(KEY, "", b"payload")


def test_keys_serialize_raw() -> None:
    restored = load_signing_key(signing_key_bytes(KEY))
    verify(load_verify_key(verify_key_bytes(PUBLIC)), "c", b"m", sign(restored, "c", b"m"))
    with pytest.raises(KeyFormatError):
        load_verify_key(bytes(31))


def test_fingerprints_are_grouped_sha256() -> None:
    shown = fingerprint(PUBLIC)
    assert re.fullmatch(r"([0-9a-f]{4} ){15}[0-9a-f]{4}", shown)
    assert shown == fingerprint(verify_key_bytes(PUBLIC))
    assert shown != fingerprint(generate_signing_key().public_key())
