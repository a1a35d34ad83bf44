"""Party agents' long-term public keys: X25519 to receive sealed shares, Ed25519 to sign messages."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import repository
from hdx.computations.models import PartyKey
from hdx.crypto import box, signing
from hdx.crypto.errors import KeyFormatError
from hdx.exceptions import Unprocessable
from hdx.security import audit

KEY_BYTES = 32


def decode_public_key(field: str, text: str) -> bytes:
    """32 raw bytes given as hex or base64 (standard or URL-safe, padding optional)."""
    value = text.strip()
    raw: bytes | None = None
    if len(value) == 2 * KEY_BYTES:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            padded = value + "=" * (-len(value) % 4)
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_BYTES:
        raise Unprocessable(
            f"{field} must be a {KEY_BYTES}-byte public key in hex or base64",
            detail=[{"field": field, "message": f"expected {KEY_BYTES} bytes as hex or base64"}],
        )
    return raw


def _check_points(x25519: bytes, ed25519: bytes) -> None:
    # An all-zero X25519 key yields an all-zero shared secret: anyone could open shares sealed to it.
    if x25519 == bytes(KEY_BYTES):
        raise Unprocessable(
            "x25519_public is the all-zero key", detail=[{"field": "x25519_public", "message": "weak key"}]
        )
    try:
        box.load_public_key(x25519)
        signing.load_verify_key(ed25519)
    except KeyFormatError as exc:
        raise Unprocessable(str(exc), detail=[{"field": "public keys", "message": str(exc)}]) from exc


async def register(
    session: AsyncSession,
    *,
    organization_id: str,
    api_key_id: str,
    x25519_text: str,
    ed25519_text: str,
    now: datetime,
) -> tuple[PartyKey, bool]:
    """Register the agent's keys; the same keys again return the existing record (created=False)."""
    x25519 = decode_public_key("x25519_public", x25519_text)
    ed25519 = decode_public_key("ed25519_public", ed25519_text)
    _check_points(x25519, ed25519)
    current = await repository.current_party_key(session, organization_id)
    if current is not None and current.x25519_public == x25519 and current.ed25519_public == ed25519:
        return current, False
    await repository.supersede_party_keys(session, organization_id, now)
    key = PartyKey(
        organization_id=organization_id,
        api_key_id=api_key_id,
        x25519_public=x25519,
        ed25519_public=ed25519,
        x25519_fingerprint=signing.fingerprint(x25519),
        ed25519_fingerprint=signing.fingerprint(ed25519),
        created_at=now,
    )
    session.add(key)
    await session.flush()
    audit.record(
        session,
        "agent.keys_registered",
        actor=audit.Actor(organization_id=organization_id),
        target_type="party_key",
        target_id=key.id,
        details={
            "api_key_id": api_key_id,
            "x25519_fingerprint": key.x25519_fingerprint,
            "ed25519_fingerprint": key.ed25519_fingerprint,
            "replaced": current.id if current is not None else None,
        },
    )
    return key, True
