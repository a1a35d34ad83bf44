from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import OneTimeCode, OtpPurpose, RefreshToken, Role, User
from hdx.db import utcnow
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser
from tests.organizations.conftest import Inbox


async def _actions(db: AsyncSession) -> list[str]:
    return list((await db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all())


async def test_own_organization_and_member_list(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    doctor = await make_user(Role.doctor, org="North Clinic")
    await make_user(Role.doctor, org="South Hospital")

    me = await client.get("/organizations/me", headers=doctor.headers)
    assert me.status_code == 200
    assert me.json()["name"] == "North Clinic"
    assert me.json()["min_cohort_k"] == 5

    listed = await client.get("/organizations/me/users", headers=doctor.headers, params={"size": 1})
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert len(body["items"]) == 1
    second = await client.get(
        "/organizations/me/users", headers=doctor.headers, params={"page": 2, "size": 1}
    )
    emails = {body["items"][0]["email"], second.json()["items"][0]["email"]}
    assert emails == {admin.email, doctor.email}
    assert "password_hash" not in body["items"][0]


async def test_invited_user_sets_password_by_mailed_code_and_logs_in(
    client: httpx.AsyncClient, make_user: MakeUser, inbox: Inbox, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    invited = await client.post(
        "/organizations/me/users",
        headers=admin.headers,
        json={"email": "New.Doctor@north-clinic.example.org", "full_name": "Dr New", "role": "doctor"},
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["role"] == "doctor"
    assert invited.json()["email"] == "new.doctor@north-clinic.example.org"

    message = inbox.to("new.doctor@north-clinic.example.org")[-1]
    assert "invited" in message["Subject"].lower()
    assert "North Clinic" in message["Subject"]
    code = inbox.code_for("new.doctor@north-clinic.example.org")

    # The invitation code lives far longer than an ordinary one-time code.
    stored = await db.scalar(select(User).where(User.email == "new.doctor@north-clinic.example.org"))
    assert stored is not None
    assert stored.organization_id == admin.organization_id
    otp = await db.scalar(select(OneTimeCode).where(OneTimeCode.email == stored.email))
    assert otp is not None
    assert otp.purpose is OtpPurpose.reset_password
    assert (otp.expires_at - otp.created_at).total_seconds() >= 71 * 3600

    # Nobody can log in before the invitee chose a password.
    blocked = await client.post(
        "/login", json={"email": stored.email, "password": "correct horse battery staple 42"}
    )
    assert blocked.status_code == 401

    verified = await client.post("/verify-reset-otp", json={"email": stored.email, "code": code})
    assert verified.status_code == 200, verified.text
    reset = await client.post(
        "/reset-password",
        json={"reset_token": verified.json()["reset_token"], "new_password": "a fresh and long passphrase 7"},
    )
    assert reset.status_code == 200, reset.text
    login = await client.post(
        "/login", json={"email": stored.email, "password": "a fresh and long passphrase 7"}
    )
    assert login.status_code == 200, login.text
    assert "organizations.user_invited" in await _actions(db)


async def test_invite_refuses_duplicates_admin_role_and_non_admins(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    doctor = await make_user(Role.doctor, org="North Clinic")
    body = {"email": doctor.email.upper(), "full_name": "Again", "role": "doctor"}
    duplicate = await client.post("/organizations/me/users", headers=admin.headers, json=body)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "conflict"

    platform = await client.post(
        "/organizations/me/users",
        headers=admin.headers,
        json={"email": "root@north-clinic.example.org", "full_name": "Root", "role": "admin"},
    )
    assert platform.status_code == 422
    assert platform.json()["detail"][0]["field"] == "role"

    denied = await client.post(
        "/organizations/me/users",
        headers=doctor.headers,
        json={"email": "x@north-clinic.example.org", "full_name": "X", "role": "patient"},
    )
    assert denied.status_code == 403


async def test_role_change_is_immediate_and_audited(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    doctor = await make_user(Role.doctor, org="North Clinic")
    assert (await client.get("/organizations/me/api-keys", headers=doctor.headers)).status_code == 403

    changed = await client.patch(
        f"/organizations/me/users/{doctor.id}", headers=admin.headers, json={"role": "org_admin"}
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "org_admin"
    assert (await client.get("/organizations/me/api-keys", headers=doctor.headers)).status_code == 200

    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "organizations.user_updated"))
    assert event is not None
    assert event.actor_user_id == admin.id
    assert event.target_id == doctor.id
    assert event.details["role"] == {"from": "doctor", "to": "org_admin"}


async def test_last_active_org_admin_cannot_remove_themself(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    url = f"/organizations/me/users/{admin.id}"
    for attempt in (
        client.patch(url, headers=admin.headers, json={"role": "doctor"}),
        client.patch(url, headers=admin.headers, json={"active": False}),
        client.delete(url, headers=admin.headers),
    ):
        response = await attempt
        assert response.status_code == 409
        assert "last active org_admin" in response.json()["detail"]
    # Renaming nothing is allowed: keeping the role and staying active is not a removal.
    same = await client.patch(url, headers=admin.headers, json={"role": "org_admin", "active": True})
    assert same.status_code == 200

    second = await make_user(Role.org_admin, org="North Clinic")
    demoted = await client.patch(url, headers=admin.headers, json={"role": "doctor"})
    assert demoted.status_code == 200
    # The remaining admin is now the last one.
    last = await client.delete(f"/organizations/me/users/{second.id}", headers=second.headers)
    assert last.status_code == 409


async def test_deactivation_ends_access_and_refresh_tokens(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    doctor = await make_user(Role.doctor, org="North Clinic")
    now = utcnow()
    db.add(
        RefreshToken(
            user_id=doctor.id,
            family_id="family-1",
            token_hash="f" * 64,
            created_at=now,
            family_started_at=now,
            expires_at=now.replace(year=now.year + 1),
        )
    )
    await db.commit()
    assert (await client.get("/organizations/me", headers=doctor.headers)).status_code == 200

    removed = await client.delete(f"/organizations/me/users/{doctor.id}", headers=admin.headers)
    assert removed.status_code == 204
    assert (await client.get("/organizations/me", headers=doctor.headers)).status_code == 401
    token = await db.scalar(
        select(RefreshToken)
        .where(RefreshToken.user_id == doctor.id)
        .execution_options(populate_existing=True)
    )
    assert token is not None
    assert token.revoked_at is not None

    listed = await client.get("/organizations/me/users", headers=admin.headers)
    state = {item["id"]: item["active"] for item in listed.json()["items"]}
    assert state[doctor.id] is False

    # Reactivation does not revive old access tokens: they were issued for an earlier version.
    back = await client.patch(
        f"/organizations/me/users/{doctor.id}", headers=admin.headers, json={"active": True}
    )
    assert back.status_code == 200
    assert back.json()["active"] is True
    assert (await client.get("/organizations/me", headers=doctor.headers)).status_code == 401
    assert "organizations.user_deactivated" in await _actions(db)


async def test_users_of_another_organization_are_not_found(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin_a = await make_user(Role.org_admin, org="North Clinic")
    doctor_b = await make_user(Role.doctor, org="South Hospital")
    url = f"/organizations/me/users/{doctor_b.id}"
    assert (await client.patch(url, headers=admin_a.headers, json={"role": "patient"})).status_code == 404
    assert (await client.delete(url, headers=admin_a.headers)).status_code == 404
    assert (await client.get("/organizations/me", headers=doctor_b.headers)).status_code == 200


async def test_settings_respect_platform_minimum_and_are_audited(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    doctor = await make_user(Role.doctor, org="North Clinic")
    too_small = await client.put(
        "/organizations/me/settings",
        headers=admin.headers,
        json={"min_cohort_k": 4, "requires_output_review": True},
    )
    assert too_small.status_code == 422
    assert "at least 5" in too_small.json()["detail"]

    denied = await client.put(
        "/organizations/me/settings",
        headers=doctor.headers,
        json={"min_cohort_k": 10, "requires_output_review": True},
    )
    assert denied.status_code == 403

    ok = await client.put(
        "/organizations/me/settings",
        headers=admin.headers,
        json={"min_cohort_k": 11, "requires_output_review": True},
    )
    assert ok.status_code == 200
    assert ok.json()["min_cohort_k"] == 11
    assert ok.json()["requires_output_review"] is True
    assert (await client.get("/organizations/me", headers=doctor.headers)).json()["min_cohort_k"] == 11
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "organizations.settings_changed"))
    assert event is not None
    assert event.details["before"]["min_cohort_k"] == 5
    assert event.details["after"]["min_cohort_k"] == 11


async def test_platform_admin_lists_every_organization_with_user_counts(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    platform = await make_user(Role.admin, org=None)
    await make_user(Role.org_admin, org="North Clinic")
    await make_user(Role.doctor, org="North Clinic")
    doctor_b = await make_user(Role.doctor, org="South Hospital")
    listed = await client.get("/organizations", headers=platform.headers)
    assert listed.status_code == 200
    counts = {item["name"]: item["user_count"] for item in listed.json()["items"]}
    assert counts == {"North Clinic": 2, "South Hospital": 1}
    assert listed.json()["total"] == 2
    assert (await client.get("/organizations", headers=doctor_b.headers)).status_code == 403
    # The platform admin belongs to no organization.
    assert (await client.get("/organizations/me", headers=platform.headers)).status_code == 404
