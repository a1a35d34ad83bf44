"""The hosted agent's keys: one X25519/Ed25519 pair per organization, made on first use.

The public halves are a PartyKey marked `hosted`, so every party sees and pins them like any agent's
keys; the private halves are sealed under a key derived from the organization's vault KEK. A
self-hosted agent of the same organization keeps its own PartyKey: a party is bound to the hosted
keys when it accepts with a vault dataset and to the agent's keys when it accepts with `source:
agent`, so the keys a party is bound to are always those of whoever signs for it.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.agent import keystore
from hdx.agent.keystore import AgentKeys
from hdx.computations.models import PartyKey
from hdx.config import Settings
from hdx.crypto import envelope
from hdx.crypto.errors import CryptoError
from hdx.datasets import vault
from hdx.hosted import repository
from hdx.hosted.models import HostedPartyKey
from hdx.security import audit


def sealing_key(kek: bytes) -> bytes:
    """A key for the hosted agent's secrets only, so they never share a key with the vault's data keys."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"hdx hosted agent v1").derive(kek)


def _key_context(organization_id: str, party_key_id: str) -> bytes:
    return envelope.associated_data("hdx.hosted-key", organization_id, party_key_id)


async def secret_key(session: AsyncSession, settings: Settings, organization_id: str) -> bytes:
    return sealing_key(await vault.organization_kek(session, settings, organization_id, create=True))


async def ensure(
    session: AsyncSession, settings: Settings, organization_id: str, *, now: datetime
) -> PartyKey:
    """The organization's hosted-agent public keys, generated (and their private halves sealed) if new."""
    found = await repository.hosted_key(session, organization_id)
    if found is not None:
        return found[0]
    keys = keystore.generate()
    key = PartyKey(
        organization_id=organization_id,
        api_key_id=None,
        x25519_public=keys.x25519_public,
        ed25519_public=keys.ed25519_public,
        x25519_fingerprint=keys.x25519_fingerprint,
        ed25519_fingerprint=keys.ed25519_fingerprint,
        created_at=now,
        hosted=True,
    )
    session.add(key)
    await session.flush()
    sealed = envelope.seal(
        await secret_key(session, settings, organization_id),
        keys.x25519_private + keys.ed25519_private,
        _key_context(organization_id, key.id),
    )
    session.add(
        HostedPartyKey(
            party_key_id=key.id, organization_id=organization_id, sealed_private=sealed, created_at=now
        )
    )
    await session.flush()
    audit.record(
        session,
        "hosted_agent.keys_created",
        actor=audit.Actor(organization_id=organization_id),
        target_type="party_key",
        target_id=key.id,
        details={
            "x25519_fingerprint": key.x25519_fingerprint,
            "ed25519_fingerprint": key.ed25519_fingerprint,
        },
    )
    return key


async def private(
    session: AsyncSession, settings: Settings, organization_id: str, party_key_id: str
) -> AgentKeys | None:
    """The hosted private keys behind `party_key_id`, or None when that key is not a hosted one."""
    row = await repository.sealed_private(session, party_key_id)
    if row is None or row.organization_id != organization_id:
        return None
    try:
        raw = envelope.open_sealed(
            await secret_key(session, settings, organization_id),
            row.sealed_private,
            _key_context(organization_id, party_key_id),
        )
    except CryptoError as exc:
        raise vault.IntegrityFailure("The hosted agent's keys failed their integrity check") from exc
    half = len(raw) // 2
    return AgentKeys(x25519_private=raw[:half], ed25519_private=raw[half:])
