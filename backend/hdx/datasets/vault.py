"""The key hierarchy and the encrypted files of the vault.

master key (settings) --wraps--> organization KEK (table organization_keys)
    --wraps--> dataset DEK (table dataset_keys) --encrypts--> Parquet blob (data_dir/vault/<org>/<id>.v<n>.hdx)
The KEK also derives the organization's pseudonymization key, so re-wrapping KEKs under a new master
key changes no pseudonym and touches no blob.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.config import Settings
from hdx.crypto import envelope
from hdx.crypto.errors import CryptoError
from hdx.datasets import repository
from hdx.db import utcnow
from hdx.exceptions import HdxError, ServiceUnavailable

PSEUDONYM_BYTES = 16  # HMAC-SHA256 truncated to 128 bits: collision-free at any realistic population


class IntegrityFailure(HdxError):
    status_code = 500
    error = "integrity_error"


class MasterKeyMismatch(ServiceUnavailable):
    pass


def kek_context(organization_id: str) -> bytes:
    return envelope.associated_data("hdx.kek", organization_id)


def dek_context(organization_id: str, dataset_id: str, version: int) -> bytes:
    return envelope.associated_data("hdx.dek", organization_id, dataset_id, str(version))


def blob_context(organization_id: str, dataset_id: str, version: int) -> bytes:
    return envelope.associated_data("hdx.dataset", organization_id, dataset_id, str(version))


def blob_path(settings: Settings, organization_id: str, dataset_id: str, version: int) -> Path:
    return settings.data_dir / "vault" / organization_id / f"{dataset_id}.v{version}.hdx"


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "tmp"


async def organization_kek(
    session: AsyncSession, settings: Settings, organization_id: str, *, create: bool
) -> bytes:
    """The organization's KEK, unwrapped; created on first use when `create`."""
    master = settings.master_key_bytes()
    row = await repository.organization_key(session, organization_id)
    if row is None:
        if not create:
            raise IntegrityFailure("The organization's vault key is missing; its datasets cannot be read")
        kek = envelope.generate_key()
        await repository.insert_organization_key_if_absent(
            session,
            organization_id,
            envelope.seal(master, kek, kek_context(organization_id)),
            envelope.key_id(master),
        )
        row = await repository.organization_key(session, organization_id)
        assert row is not None
    if row.master_key_id != envelope.key_id(master):
        raise MasterKeyMismatch(
            "The configured master key is not the one that protects this organization's vault keys; "
            "the server must be started with the right HDX_MASTER_KEY (or master key file)"
        )
    try:
        return envelope.open_sealed(master, row.wrapped_kek, kek_context(organization_id))
    except CryptoError as exc:
        raise IntegrityFailure("The organization's vault key failed its integrity check") from exc


def unwrap_dek(kek: bytes, wrapped: bytes, organization_id: str, dataset_id: str, version: int) -> bytes:
    try:
        return envelope.open_sealed(kek, wrapped, dek_context(organization_id, dataset_id, version))
    except CryptoError as exc:
        raise IntegrityFailure("The dataset's key failed its integrity check") from exc


def pseudonym_key(kek: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"hdx pseudonym key v1").derive(kek)


def pseudonymize(key: bytes, identifiers: list[str]) -> list[str]:
    """HMAC-SHA256 of each identifier (stripped), as hex. Callers pass each distinct identifier once."""
    return [digest.hex() for digest in Pseudonymizer(key).digests(identifiers)]


class Pseudonymizer:
    """The truncated HMAC-SHA256 of identifiers (stripped) under one organization's key."""

    def __init__(self, key: bytes) -> None:
        self._base = hmac.HMAC(key, hashes.SHA256())

    def digests(self, identifiers: list[str]) -> list[bytes]:
        base, out = self._base, []
        for identifier in identifiers:
            mac = base.copy()
            mac.update(identifier.strip().encode())
            out.append(mac.finalize()[:PSEUDONYM_BYTES])
        return out


def read_blob(path: Path, dek: bytes, context: bytes) -> bytes:
    """Decrypt a stored blob; any damage, move or wrong key is an IntegrityFailure."""
    try:
        with path.open("rb") as source:
            return b"".join(envelope.open_stream(dek, source, context))
    except FileNotFoundError as exc:
        raise IntegrityFailure("The dataset's encrypted file is missing from the vault") from exc
    except CryptoError as exc:
        raise IntegrityFailure(
            "The dataset's encrypted file failed its integrity check: it was altered or damaged "
            "on disk and must be restored from a backup"
        ) from exc


def when_rolled_back(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` if the request's transaction is rolled back (undo files written for it).

    Disarmed by a commit, so that a later rollback on the same session cannot undo committed work.
    """
    armed = [True]

    def on_rollback(*_: Any) -> None:
        if armed[0]:
            armed[0] = False
            action()

    def on_commit(*_: Any) -> None:
        armed[0] = False

    event.listen(session.sync_session, "after_rollback", on_rollback)
    event.listen(session.sync_session, "after_commit", on_commit, once=True)


def when_committed(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` once the request's transaction has committed (remove files it made obsolete)."""
    _once(session, "after_commit", action)


def _once(session: AsyncSession, name: str, action: Callable[[], None]) -> None:
    def listener(*_: Any) -> None:
        action()

    event.listen(session.sync_session, name, listener, once=True)


def remove_file(path: Path) -> Callable[[], None]:
    return lambda: path.unlink(missing_ok=True)


async def rotate_master_key(session: AsyncSession, old_master: bytes, new_master: bytes) -> int:
    """Re-wrap every organization KEK under `new_master`; returns how many were re-wrapped.

    KEKs already under the new key are skipped, so an interrupted rotation can simply be run again.
    """
    old_id, new_id = envelope.key_id(old_master), envelope.key_id(new_master)
    rewrapped = 0
    for row in await repository.all_organization_keys(session):
        if row.master_key_id == new_id:
            continue
        if row.master_key_id != old_id:
            raise MasterKeyMismatch(
                f"Organization {row.organization_id}'s key is wrapped by neither the current nor the new "
                "master key; nothing was changed"
            )
        context = kek_context(row.organization_id)
        kek = envelope.open_sealed(old_master, row.wrapped_kek, context)
        row.wrapped_kek = envelope.seal(new_master, kek, context)
        row.master_key_id = new_id
        row.rewrapped_at = utcnow()
        rewrapped += 1
    await session.flush()
    return rewrapped


def install_master_key(path: Path, key: bytes) -> None:
    """Atomically replace the master key file (mode 0600)."""
    staging = path.with_name(path.name + ".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
