"""The whole account life cycle over HTTP, with codes read from mail received by a real SMTP server."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.security.models import AuditEvent
from tests.auth.conftest import NEW_PASSWORD, PASSWORD, Inbox, bearer, registration

EMAIL = "dana@riverside-clinic.org"


async def test_register_verify_login_refresh_logout_change_and_reset(
    client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession
) -> None:
    registered = await client.post("/register", json=registration(EMAIL))
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["role"] == "org_admin"
    assert registered.json()["organization"]["type"] == "clinic"

    unverified = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
    assert unverified.status_code == 403
    assert unverified.json()["error"] == "email_not_verified"
    assert "verify" in unverified.json()["detail"].lower()

    assert len(inbox.to(EMAIL)) == 1
    verified = await client.post("/verify-otp", json={"email": EMAIL, "code": inbox.last_code(EMAIL)})
    assert verified.status_code == 200, verified.text

    # The OAuth2 password form of the original product.
    signed_in = await client.post("/login", data={"username": EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    first = signed_in.json()
    assert first["token_type"] == "bearer"
    assert first["expires_in"] == 15 * 60

    me = await client.get("/me", headers=bearer(first["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    assert me.json()["email_verified"] is True
    assert me.json()["organization"]["name"] == "Riverside Clinic"

    refreshed = await client.post("/refresh-token", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]

    # Replaying the rotated token is taken as theft: the newest token of the family dies too.
    reused = await client.post("/refresh-token", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]
    newest = await client.post("/refresh-token", json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401

    third = (await client.post("/login", json={"email": EMAIL, "password": PASSWORD})).json()
    out = await client.post("/logout", json={"refresh_token": third["refresh_token"]})
    assert out.status_code == 200
    after_logout = await client.post("/refresh-token", json={"refresh_token": third["refresh_token"]})
    assert after_logout.status_code == 401

    fourth = (await client.post("/login", json={"email": EMAIL, "password": PASSWORD})).json()
    changed = await client.post(
        "/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(fourth["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/me", headers=bearer(fourth["access_token"]))).status_code == 401
    stale = await client.post("/refresh-token", json={"refresh_token": fourth["refresh_token"]})
    assert stale.status_code == 401
    old_password = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
    assert old_password.status_code == 401

    forgot = await client.post("/forgot-password", json={"email": EMAIL})
    assert forgot.status_code == 202
    reset_code = inbox.last_code(EMAIL)
    token = await client.post("/verify-reset-otp", json={"email": EMAIL, "code": reset_code})
    assert token.status_code == 200, token.text
    final_password = "Copper Meadow Falcon 7731"
    reset = await client.post(
        "/reset-password", json={"reset_token": token.json()["reset_token"], "new_password": final_password}
    )
    assert reset.status_code == 200, reset.text
    again = await client.post(
        "/reset-password",
        json={"reset_token": token.json()["reset_token"], "new_password": "Another Long Phrase 5501"},
    )
    assert again.status_code == 401

    assert (await client.post("/login", json={"email": EMAIL, "password": NEW_PASSWORD})).status_code == 401
    final = await client.post("/login", json={"email": EMAIL, "password": final_password})
    assert final.status_code == 200
    assert (await client.get("/me", headers=bearer(final.json()["access_token"]))).status_code == 200

    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert {
        "auth.register",
        "auth.otp_sent",
        "auth.otp_verified",
        "auth.login",
        "auth.token_refresh",
        "auth.refresh_reuse",
        "auth.logout",
        "auth.password_change",
        "auth.password_reset",
    } <= actions
    failed = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.outcome == "failure")
        )
    ).all()
    assert {event.details["reason"] for event in failed} >= {"email_not_verified", "wrong_password"}
    secrets = {PASSWORD, NEW_PASSWORD, final_password, reset_code, first["refresh_token"]}
    for event in (await db.scalars(select(AuditEvent))).all():
        text = str(event.details)
        assert not any(secret in text for secret in secrets), event.action
