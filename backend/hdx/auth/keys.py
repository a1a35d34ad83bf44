"""Purpose-bound keys derived from the master key, so no secret is used for two different jobs."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hdx.config import Settings


def derive_key(settings: Settings, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hdx-auth-v1", info=purpose.encode()).derive(
        settings.master_key_bytes()
    )
