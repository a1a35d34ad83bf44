from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role
from hdx.db import utcnow
from tests.conftest import MakeUser, UserHandle


async def _make_key(client: httpx.AsyncClient, admin: UserHandle, name: str) -> None:
    response = await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": name})
    assert response.status_code == 201


async def test_org_admin_sees_own_organization_platform_admin_sees_all(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin_a = await make_user(Role.org_admin, org="North Clinic")
    admin_b = await make_user(Role.org_admin, org="South Hospital")
    platform = await make_user(Role.admin, org=None)
    await _make_key(client, admin_a, "a")
    await _make_key(client, admin_b, "b1")
    await _make_key(client, admin_b, "b2")

    own = await client.get("/security/audit-report", headers=admin_a.headers)
    assert own.status_code == 200
    body = own.json()
    assert body["scope"] == "organization"
    assert body["chain"] == {"intact": True, "events": 3, "first_bad_seq": None, "reason": None}
    assert body["events"]["total"] == 1
    assert {e["organization_id"] for e in body["events"]["items"]} == {admin_a.organization_id}

    everything = await client.get("/security/audit-report", headers=platform.headers)
    assert everything.json()["scope"] == "all"
    # Reading the report is no event, so still three.
    assert everything.json()["events"]["total"] == 3
    seqs = [e["seq"] for e in everything.json()["events"]["items"]]
    assert seqs == sorted(seqs, reverse=True)


async def test_roles_without_audit_access_are_refused_and_the_refusal_is_audited(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.doctor, org="North Clinic")
    admin = await make_user(Role.org_admin, org="North Clinic")
    denied = await client.get("/security/audit-report", headers=doctor.headers)
    assert denied.status_code == 403
    report = await client.get(
        "/security/audit-report", headers=admin.headers, params={"action": "auth.permission_denied"}
    )
    items = report.json()["events"]["items"]
    assert len(items) == 1
    assert items[0]["actor_user_id"] == doctor.id
    assert items[0]["outcome"] == "denied"
    assert items[0]["details"]["path"] == "/security/audit-report"


async def test_filters_by_action_prefix_dates_and_pages(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    past = utcnow() - timedelta(days=10)
    with time_machine.travel(past, tick=False):
        # Its token is issued in the past too, so that it is valid there.
        await _make_key(client, await make_user(Role.org_admin, org="North Clinic"), "old")
    for name in ("new1", "new2"):
        await _make_key(client, admin, name)
    key_id = (await client.get("/organizations/me/api-keys", headers=admin.headers)).json()[0]["id"]
    await client.delete(f"/organizations/me/api-keys/{key_id}", headers=admin.headers)

    def query(**params: str | int) -> dict[str, object]:
        return {"action": "organizations.", **params}

    everything = await client.get("/security/audit-report", headers=admin.headers, params=query())
    assert everything.json()["events"]["total"] == 4
    created = await client.get(
        "/security/audit-report",
        headers=admin.headers,
        params=query(action="organizations.api_key_created"),
    )
    assert created.json()["events"]["total"] == 3

    today = utcnow().date().isoformat()
    recent = await client.get(
        "/security/audit-report", headers=admin.headers, params=query(start_date=today, end_date=today)
    )
    assert recent.json()["events"]["total"] == 3
    old_day = past.date().isoformat()
    old = await client.get(
        "/security/audit-report", headers=admin.headers, params=query(start_date=old_day, end_date=old_day)
    )
    assert [e["details"]["name"] for e in old.json()["events"]["items"]] == ["old"]
    instant = (past + timedelta(seconds=1)).isoformat()
    until = await client.get("/security/audit-report", headers=admin.headers, params=query(end_date=instant))
    assert until.json()["events"]["total"] == 1

    page = await client.get("/security/audit-report", headers=admin.headers, params=query(page=2, size=3))
    assert page.json()["events"]["page"] == 2
    assert len(page.json()["events"]["items"]) == 1


async def test_bad_dates_are_clear_422(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    bad = await client.get(
        "/security/audit-report", headers=admin.headers, params={"start_date": "last week"}
    )
    assert bad.status_code == 422
    assert "start_date" in bad.json()["detail"]
    reversed_period = await client.get(
        "/security/audit-report",
        headers=admin.headers,
        params={"start_date": "2025-02-01", "end_date": "2025-01-01"},
    )
    assert reversed_period.status_code == 422


async def test_report_shows_a_broken_chain(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    for name in ("k1", "k2", "k3"):
        await _make_key(client, admin, name)
    await db.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2"))
    await db.commit()
    report = await client.get("/security/audit-report", headers=admin.headers)
    assert report.json()["chain"]["intact"] is False
    assert report.json()["chain"]["first_bad_seq"] == 2
