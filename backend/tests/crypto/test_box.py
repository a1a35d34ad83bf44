from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.box import (
    generate_private_key,
    load_private_key,
    load_public_key,
    message_aad,
    open_sealed,
    private_key_bytes,
    public_key_bytes,
    seal,
)
from hdx.crypto.errors import IntegrityError, KeyFormatError, ParameterError

RECIPIENT = generate_private_key()
COMPUTATION = uuid4()
AAD = message_aad(1, COMPUTATION, 1, 2, 3)


@settings(max_examples=40)
@given(st.binary(max_size=300), st.binary(max_size=60))
def test_seal_then_open_round_trips(plaintext: bytes, aad: bytes) -> None:
    assert open_sealed(RECIPIENT, seal(RECIPIENT.public_key(), plaintext, aad), aad) == plaintext


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=100), st.data())
def test_any_flipped_bit_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    sealed = bytearray(seal(RECIPIENT.public_key(), plaintext, AAD))
    sealed[data.draw(st.integers(0, len(sealed) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(IntegrityError):
        open_sealed(RECIPIENT, bytes(sealed), AAD)


@pytest.mark.parametrize(
    "moved",
    [
        message_aad(1, uuid4(), 1, 2, 3),
        message_aad(1, COMPUTATION, 2, 2, 3),
        message_aad(1, COMPUTATION, 1, 4, 3),
        message_aad(1, COMPUTATION, 1, 2, 4),
        message_aad(2, COMPUTATION, 1, 2, 3),
    ],
)
def test_a_box_cannot_move_to_another_context(moved: bytes) -> None:
    sealed = seal(RECIPIENT.public_key(), b"share", AAD)
    with pytest.raises(IntegrityError, match="authentication"):
        open_sealed(RECIPIENT, sealed, moved)


def test_only_the_recipient_opens_a_box() -> None:
    sealed = seal(RECIPIENT.public_key(), b"share", AAD)
    with pytest.raises(IntegrityError):
        open_sealed(generate_private_key(), sealed, AAD)


def test_truncated_boxes_are_rejected() -> None:
    sealed = seal(RECIPIENT.public_key(), b"", AAD)
    for size in range(len(sealed)):
        with pytest.raises(IntegrityError):
            open_sealed(RECIPIENT, sealed[:size], AAD)


def test_every_box_uses_a_fresh_ephemeral_key() -> None:
    assert seal(RECIPIENT.public_key(), b"same", AAD) != seal(RECIPIENT.public_key(), b"same", AAD)


def test_keys_serialize_raw() -> None:
    restored = load_private_key(private_key_bytes(RECIPIENT))
    assert public_key_bytes(restored.public_key()) == public_key_bytes(RECIPIENT.public_key())
    public = load_public_key(public_key_bytes(RECIPIENT.public_key()))
    assert open_sealed(restored, seal(public, b"x", AAD), AAD) == b"x"
    with pytest.raises(KeyFormatError):
        load_public_key(bytes(31))
    with pytest.raises(KeyFormatError):
        load_private_key(bytes(33))


def test_message_aad_is_canonical_and_bounded() -> None:
    assert message_aad(1, COMPUTATION, 1, 2, 3) == AAD
    assert len(AAD) == 32
    with pytest.raises(ParameterError, match="recipient"):
        message_aad(1, COMPUTATION, 1, 2, 1 << 16)
