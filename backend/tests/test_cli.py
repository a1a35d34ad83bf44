"""The `hdx` command run as operators run it: a separate process on the same database."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role, User
from hdx.config import Settings
from tests.conftest import TEST_PASSWORD, MakeUser


async def _hdx(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HDX_ENV": "test",
        "HDX_DATABASE_URL": settings.database_url,
        "HDX_DATA_DIR": str(settings.data_dir),
        "HDX_JWT_SECRET": "test-secret-" + "x" * 40,
    }
    command = [sys.executable, "-c", "from hdx.cli import main; main()", *args]
    result = await anyio.run_process(command, env=env, check=False)
    return subprocess.CompletedProcess(
        command, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


async def _audited(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    for name in ("one", "two", "three"):
        response = await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": name})
        assert response.status_code == 201


async def test_audit_verify_exits_0_when_intact_and_1_when_tampered(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, db: AsyncSession
) -> None:
    await _audited(client, make_user)
    intact = await _hdx(settings, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 events" in intact.stdout

    await db.execute(text("UPDATE audit_events SET actor_email = 'someone@else.org' WHERE seq = 2"))
    await db.commit()
    broken = await _hdx(settings, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at event 2" in broken.stderr


async def test_admin_create_makes_a_platform_admin_who_can_log_in(
    client: httpx.AsyncClient, settings: Settings, db: AsyncSession
) -> None:
    created = await _hdx(
        settings,
        "admin",
        "create",
        "--email",
        "ops@hdx.example.org",
        "--password",
        TEST_PASSWORD,
        "--full-name",
        "Ops",
    )
    assert created.returncode == 0, created.stderr
    user = await db.scalar(select(User).where(User.email == "ops@hdx.example.org"))
    assert user is not None
    assert (user.role, user.organization_id, user.active) == (Role.admin, None, True)
    assert TEST_PASSWORD not in user.password_hash

    login = await client.post("/login", json={"email": "ops@hdx.example.org", "password": TEST_PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    listed = await client.get("/organizations", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200

    again = await _hdx(
        settings, "admin", "create", "--email", "ops@hdx.example.org", "--password", TEST_PASSWORD
    )
    assert again.returncode == 1
    assert "error" in again.stderr


async def test_admin_create_refuses_a_weak_password(settings: Settings, db: AsyncSession) -> None:
    weak = await _hdx(settings, "admin", "create", "--email", "weak@hdx.example.org", "--password", "short")
    assert weak.returncode == 1
    assert "12" in weak.stderr
    assert await db.scalar(select(User).where(User.email == "weak@hdx.example.org")) is None
