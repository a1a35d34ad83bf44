from __future__ import annotations

import hashlib
import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role
from hdx.organizations.models import ApiKey
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser

KEY_FORMAT = re.compile(r"^hdxk_([0-9a-f]{12})_([A-Za-z0-9_-]{43,})$")


async def test_key_is_shown_once_stored_hashed_and_identifies_the_agent(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    created = await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": "agent 1"})
    assert created.status_code == 201
    raw = created.json()["key"]
    match = KEY_FORMAT.match(raw)
    assert match, raw
    assert created.json()["prefix"] == match.group(1)

    stored = await db.scalar(select(ApiKey).where(ApiKey.id == created.json()["id"]))
    assert stored is not None
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (stored.key_hash, stored.prefix, stored.name)

    listed = await client.get("/organizations/me/api-keys", headers=admin.headers)
    assert listed.status_code == 200
    assert [item["prefix"] for item in listed.json()] == [match.group(1)]
    assert raw not in listed.text
    assert "key_hash" not in listed.text
    assert listed.json()[0]["last_used_at"] is None

    who = await client.get("/agent/whoami", headers={"X-API-Key": raw})
    assert who.status_code == 200
    assert who.json() == {
        "organization_id": admin.organization_id,
        "api_key_id": stored.id,
        "prefix": match.group(1),
    }
    used = await client.get("/organizations/me/api-keys", headers=admin.headers)
    assert used.json()[0]["last_used_at"] is not None

    events = (
        await db.scalars(select(AuditEvent).where(AuditEvent.action.startswith("organizations.api_key")))
    ).all()
    assert [e.action for e in events] == ["organizations.api_key_created"]
    assert raw not in str(events[0].details)


async def test_revoked_or_unknown_key_gets_401(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    keep = (
        await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": "keep"})
    ).json()
    drop = (
        await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": "drop"})
    ).json()

    revoked = await client.delete(f"/organizations/me/api-keys/{drop['id']}", headers=admin.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert "key" not in revoked.json()

    refused = await client.get("/agent/whoami", headers={"X-API-Key": drop["key"]})
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    assert (await client.get("/agent/whoami", headers={"X-API-Key": keep["key"]})).status_code == 200
    assert (await client.get("/agent/whoami", headers={"X-API-Key": keep["key"] + "x"})).status_code == 401
    assert (await client.get("/agent/whoami")).status_code == 401
    # A user's bearer token is not an agent credential.
    assert (await client.get("/agent/whoami", headers=admin.headers)).status_code == 401

    again = await client.delete(f"/organizations/me/api-keys/{drop['id']}", headers=admin.headers)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    actions = (
        await db.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith("organizations.api_key"))
        )
    ).all()
    assert sorted(actions) == sorted(
        ["organizations.api_key_created"] * 2 + ["organizations.api_key_revoked"]
    )


async def test_keys_are_scoped_to_their_organization(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin_a = await make_user(Role.org_admin, org="North Clinic")
    admin_b = await make_user(Role.org_admin, org="South Hospital")
    key_b = (
        await client.post("/organizations/me/api-keys", headers=admin_b.headers, json={"name": "b"})
    ).json()

    assert (await client.get("/organizations/me/api-keys", headers=admin_a.headers)).json() == []
    stolen = await client.delete(f"/organizations/me/api-keys/{key_b['id']}", headers=admin_a.headers)
    assert stolen.status_code == 404
    who = await client.get("/agent/whoami", headers={"X-API-Key": key_b["key"]})
    assert who.json()["organization_id"] == admin_b.organization_id


async def test_only_org_admins_manage_keys(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    for role in (Role.doctor, Role.lab_technician, Role.pharmacist, Role.patient, Role.admin):
        user = await make_user(role, org="North Clinic")
        response = await client.post("/organizations/me/api-keys", headers=user.headers, json={"name": "x"})
        assert response.status_code == 403, role
