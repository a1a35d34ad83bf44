"""Integrity of the vault: tampering, wrong keys, crypto-shredding, master key rotation."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from hdx.app import create_app
from hdx.auth.models import Role
from hdx.config import Settings
from hdx.datasets.models import DatasetKey, OrganizationKey
from hdx.security.models import AuditEvent
from tests.conftest import BACKEND, MakeUser
from tests.datasets.conftest import upload


def the_blob(settings: Settings) -> Path:
    [blob] = list((settings.data_dir / "vault").rglob("*.hdx"))
    return blob


async def test_one_flipped_byte_makes_reads_fail_with_an_integrity_error(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    doctor = await make_user(Role.doctor)
    dataset_id = (await upload(client, doctor.headers, diabetes_csv)).json()["id"]
    blob = the_blob(settings)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))

    for path in (f"/uploads/{dataset_id}", f"/uploads/{dataset_id}/export"):
        response = await client.get(path, headers=doctor.headers)
        assert response.status_code == 500
        assert response.json() == {
            "error": "integrity_error",
            "detail": "The dataset's encrypted file failed its integrity check: it was altered or damaged "
            "on disk and must be restored from a backup",
        }
    async with app.state.sessionmaker() as session:
        failures = (await session.scalars(select(AuditEvent).where(AuditEvent.outcome == "failure"))).all()
    assert [(e.action, e.target_id) for e in failures] == [
        ("dataset.read", dataset_id),
        ("dataset.export", dataset_id),
    ]


async def test_a_blob_moved_to_another_dataset_does_not_decrypt(
    settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    doctor = await make_user(Role.doctor)
    first = (await upload(client, doctor.headers, diabetes_csv)).json()["id"]
    second = (await upload(client, doctor.headers, diabetes_csv)).json()["id"]
    folder = settings.data_dir / "vault" / str(doctor.organization_id)
    (folder / f"{second}.v1.hdx").write_bytes((folder / f"{first}.v1.hdx").read_bytes())
    response = await client.get(f"/uploads/{second}", headers=doctor.headers)
    assert response.status_code == 500
    assert response.json()["error"] == "integrity_error"
    assert (await client.get(f"/uploads/{first}", headers=doctor.headers)).status_code == 200


async def test_a_wrong_master_key_fails_cleanly(
    settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    doctor = await make_user(Role.doctor)
    dataset_id = (await upload(client, doctor.headers, diabetes_csv)).json()["id"]
    wrong = settings.model_copy(update={"master_key": SecretStr(os.urandom(32).hex())})
    restarted = create_app(wrong)
    async with LifespanManager(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            response = await other.get(f"/uploads/{dataset_id}", headers=doctor.headers)
            upload_attempt = await upload(other, doctor.headers, diabetes_csv)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert "master key is not the one" in response.json()["detail"]
    assert upload_attempt.status_code == 503


async def test_delete_shreds_the_key_and_removes_the_blob(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    admin = await make_user(Role.org_admin)
    dataset_id = (await upload(client, admin.headers, diabetes_csv)).json()["id"]
    assert the_blob(settings).exists()

    deleted = await client.delete(f"/uploads/{dataset_id}", headers=admin.headers)
    assert deleted.status_code == 204
    for path in (f"/uploads/{dataset_id}", f"/uploads/{dataset_id}/export"):
        assert (await client.get(path, headers=admin.headers)).status_code == 404
    assert (await client.delete(f"/uploads/{dataset_id}", headers=admin.headers)).status_code == 404
    assert list((settings.data_dir / "vault").rglob("*.hdx")) == []
    async with app.state.sessionmaker() as session:
        assert await session.get(DatasetKey, dataset_id) is None
        events = (await session.scalars(select(AuditEvent).where(AuditEvent.target_id == dataset_id))).all()
    assert [(e.action, e.outcome) for e in events] == [
        ("dataset.upload", "success"),
        ("dataset.delete", "success"),
    ]
    assert events[1].details == {"category": "custom", "rows": 442, "key_destroyed": True}


async def test_rotating_the_master_key_rewraps_keys_and_leaves_blobs_untouched(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    diabetes_csv: bytes,
    tmp_path: Path,
) -> None:
    doctor = await make_user(Role.doctor)
    dataset_id = (await upload(client, doctor.headers, diabetes_csv)).json()["id"]
    before = the_blob(settings).read_bytes()
    async with app.state.sessionmaker() as session:
        old_wrap = (await session.get(OrganizationKey, doctor.organization_id)).wrapped_kek  # type: ignore[union-attr]
    new_key = os.urandom(32)
    key_file = tmp_path / "new-master.key"
    key_file.write_text(new_key.hex())

    env = {
        **os.environ,
        "HDX_ENV": "test",
        "HDX_DATA_DIR": str(settings.data_dir),
        "HDX_DATABASE_URL": settings.database_url,
        "HDX_JWT_SECRET": "x" * 48,
    }
    env.pop("HDX_MASTER_KEY", None)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "hdx"),
        "keys",
        "rotate-master",
        "--new-key-file",
        str(key_file),
        cwd=BACKEND,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "re-wrapped 1 organization key" in out.decode()

    assert the_blob(settings).read_bytes() == before
    assert settings.master_key_bytes() == new_key  # the configured key file now holds the new key
    async with app.state.sessionmaker() as session:
        row = await session.get(OrganizationKey, doctor.organization_id, populate_existing=True)
    assert row is not None
    assert row.wrapped_kek != old_wrap
    assert row.rewrapped_at is not None

    restarted = create_app(settings)
    async with LifespanManager(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
            response = await second.get(f"/uploads/{dataset_id}", headers=doctor.headers)
    assert response.status_code == 200, response.text
    assert response.json()["profile"]["rows"] == 442
