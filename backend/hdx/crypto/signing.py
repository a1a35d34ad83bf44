"""Ed25519 signatures over domain-separated canonical bytes, and key fingerprints for display.

A signature covers `hdx-sig-v1 | len(context) | context | message`, so a signature made for one
kind of message (say a round-1 share) never verifies as another kind (a partial sum).
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from hdx.crypto.errors import KeyFormatError, ParameterError, SignatureError

KEY_BYTES = 32
SIGNATURE_BYTES = 64
_DOMAIN = b"hdx-sig-v1\x00"


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signing_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def verify_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_signing_key(raw: bytes) -> Ed25519PrivateKey:
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"an Ed25519 private key is {KEY_BYTES} bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_verify_key(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"an Ed25519 public key is {KEY_BYTES} bytes, got {len(raw)}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise KeyFormatError("not a valid Ed25519 public key") from exc


def _signed_bytes(context: str, message: bytes) -> bytes:
    encoded = context.encode("utf-8")
    if not encoded or len(encoded) > 255:
        raise ParameterError("a signature context must be 1 to 255 bytes of UTF-8")
    return _DOMAIN + struct.pack(">B", len(encoded)) + encoded + message


def sign(key: Ed25519PrivateKey, context: str, message: bytes) -> bytes:
    return key.sign(_signed_bytes(context, message))


def verify(key: Ed25519PublicKey, context: str, message: bytes, signature: bytes) -> None:
    """Return quietly if the signature is valid, else raise SignatureError."""
    try:
        key.verify(signature, _signed_bytes(context, message))
    except InvalidSignature as exc:
        raise SignatureError(f"signature does not verify for context {context!r}") from exc


def fingerprint(key: Ed25519PublicKey | X25519PublicKey | bytes) -> str:
    """SHA-256 of the raw public key in 16 groups of 4 hex digits, for people to compare."""
    raw = (
        key
        if isinstance(key, bytes)
        else key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))
