"""Sealed boxes: X25519 ephemeral-static agreement + HKDF-SHA256 + AES-256-GCM with associated data.

Layout: version (1 byte) | ephemeral public key (32) | AES-GCM ciphertext and tag. Every box has
its own ephemeral key, so the derived AES key encrypts exactly one message and the nonce can be
derived alongside it. The associated data (see message_aad) names the computation, round, sender
and recipient: the exchange, which relays boxes, cannot move one into another context.
"""

from __future__ import annotations

import struct
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hdx.crypto.errors import IntegrityError, KeyFormatError, ParameterError

BOX_VERSION = 1
KEY_BYTES = 32
_HEADER = 1 + KEY_BYTES
_TAG_BYTES = 16
_INFO = b"hdx-box-v1"
_AAD_MAGIC = b"hdx-msg\x00"
_U16 = 0xFFFF


def generate_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def private_key_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_private_key(raw: bytes) -> X25519PrivateKey:
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"an X25519 private key is {KEY_BYTES} bytes, got {len(raw)}")
    return X25519PrivateKey.from_private_bytes(raw)


def load_public_key(raw: bytes) -> X25519PublicKey:
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"an X25519 public key is {KEY_BYTES} bytes, got {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def _key_and_nonce(shared: bytes, ephemeral: bytes, recipient: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None, info=_INFO + ephemeral + recipient).derive(
        shared
    )
    return okm[:32], okm[32:]


def seal(recipient: X25519PublicKey, plaintext: bytes, aad: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = public_key_bytes(ephemeral.public_key())
    key, nonce = _key_and_nonce(ephemeral.exchange(recipient), ephemeral_public, public_key_bytes(recipient))
    header = bytes([BOX_VERSION]) + ephemeral_public
    return header + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def open_sealed(recipient: X25519PrivateKey, sealed: bytes, aad: bytes) -> bytes:
    """The plaintext, or IntegrityError if the box was modified, misaddressed or has other aad."""
    if len(sealed) < _HEADER + _TAG_BYTES:
        raise IntegrityError(f"sealed box truncated: {len(sealed)} bytes")
    if sealed[0] != BOX_VERSION:
        raise IntegrityError(f"unknown sealed box version {sealed[0]}")
    header, ephemeral_public = sealed[:_HEADER], sealed[1:_HEADER]
    try:
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError as exc:
        raise IntegrityError("sealed box carries an invalid ephemeral key") from exc
    key, nonce = _key_and_nonce(shared, ephemeral_public, public_key_bytes(recipient.public_key()))
    try:
        return AESGCM(key).decrypt(nonce, sealed[_HEADER:], header + aad)
    except InvalidTag as exc:
        raise IntegrityError(
            "sealed box failed authentication: modified, addressed to another key, or bound to "
            "another computation, round, sender or recipient"
        ) from exc


def message_aad(
    protocol_version: int, computation_id: UUID, round: int, sender: int, recipient: int
) -> bytes:
    """Canonical associated data binding a message to its context (fixed-width big-endian fields)."""
    for name, value in (
        ("protocol_version", protocol_version),
        ("round", round),
        ("sender", sender),
        ("recipient", recipient),
    ):
        if not 0 <= value <= _U16:
            raise ParameterError(f"{name} must be between 0 and {_U16}, got {value}")
    return _AAD_MAGIC + struct.pack(
        ">H16sHHH", protocol_version, computation_id.bytes, round, sender, recipient
    )
