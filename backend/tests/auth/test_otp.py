"""Emailed codes: hashed, single use, short-lived, locked after a few wrong tries, replaced by newer ones."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import OneTimeCode, OtpPurpose
from hdx.auth.otp import issue_code
from hdx.config import Settings
from hdx.db import utcnow
from hdx.security import audit
from hdx.security.models import AuditEvent
from tests.auth.conftest import Inbox, registration

EMAIL = "otp@riverside-clinic.org"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def _register(client: httpx.AsyncClient) -> None:
    assert (await client.post("/register", json=registration(EMAIL))).status_code == 201


async def test_code_is_stored_hashed_only(client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession) -> None:
    await _register(client)
    code = inbox.last_code(EMAIL)
    stored = (await db.scalars(select(OneTimeCode.code_hash))).all()
    assert len(stored) == 1
    assert code not in stored[0]
    assert len(stored[0]) == 64


async def test_wrong_codes_lock_the_code(
    client: httpx.AsyncClient, inbox: Inbox, settings: Settings, db: AsyncSession
) -> None:
    await _register(client)
    code = inbox.last_code(EMAIL)
    for attempt in range(settings.otp_max_attempts):
        wrong = await client.post("/verify-otp", json={"email": EMAIL, "code": _wrong(code)})
        assert wrong.status_code == 400, attempt
        assert wrong.json()["error"] == "invalid_code"
    assert "no attempts left" in wrong.json()["detail"]
    locked = await client.post("/verify-otp", json={"email": EMAIL, "code": code})
    assert locked.status_code == 423
    assert "locked" in locked.json()["detail"]
    failures = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.otp_failed"))).all()
    assert [event.details["reason"] for event in failures].count("wrong_code") == settings.otp_max_attempts

    # A new code replaces the locked one and works.
    assert (await client.post("/send-otp", json={"email": EMAIL})).status_code == 202
    fresh = inbox.last_code(EMAIL)
    assert (await client.post("/verify-otp", json={"email": EMAIL, "code": fresh})).status_code == 200


async def test_expired_code_is_refused(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    code = inbox.last_code(EMAIL)
    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=1), tick=False):
        response = await client.post("/verify-otp", json={"email": EMAIL, "code": code})
    assert response.status_code == 400
    assert response.json()["error"] == "code_expired"


async def test_code_works_once(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    code = inbox.last_code(EMAIL)
    assert (await client.post("/verify-otp", json={"email": EMAIL, "code": code})).status_code == 200
    again = await client.post("/verify-otp", json={"email": EMAIL, "code": code})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_code"


async def test_new_code_invalidates_the_previous_one(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    first = inbox.last_code(EMAIL)
    assert (await client.post("/send-otp", json={"email": EMAIL})).status_code == 202
    second = inbox.last_code(EMAIL)
    assert len(inbox.to(EMAIL)) == 2
    if first != second:
        old = await client.post("/verify-otp", json={"email": EMAIL, "code": first})
        assert old.status_code == 400
    assert (await client.post("/verify-otp", json={"email": EMAIL, "code": second})).status_code == 200


async def test_send_otp_does_not_reveal_accounts(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    known = await client.post("/send-otp", json={"email": EMAIL})
    unknown = await client.post("/send-otp", json={"email": "nobody@riverside-clinic.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert inbox.to("nobody@riverside-clinic.org") == []


async def test_forgot_password_answers_alike_for_unknown_accounts(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await _register(client)
    known = await client.post("/forgot-password", json={"email": EMAIL})
    unknown = await client.post("/forgot-password", json={"email": "ghost@riverside-clinic.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert inbox.to("ghost@riverside-clinic.org") == []
    assert "reset" in inbox.to(EMAIL)[-1]["Subject"].lower()


async def test_reset_with_email_and_code(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    await client.post("/forgot-password", json={"email": EMAIL})
    code = inbox.last_code(EMAIL)
    weak = await client.post("/reset-password", json={"email": EMAIL, "code": code, "new_password": "short"})
    assert weak.status_code == 422
    # The refused password did not use the code up.
    new_password = "Granite Willow Sparrow 404"
    done = await client.post(
        "/reset-password", json={"email": EMAIL, "code": code, "new_password": new_password}
    )
    assert done.status_code == 200, done.text
    # Receiving the code proved the address, so sign-in works without a separate verification.
    assert (await client.post("/login", json={"email": EMAIL, "password": new_password})).status_code == 200
    reused = await client.post(
        "/reset-password", json={"email": EMAIL, "code": code, "new_password": new_password}
    )
    assert reused.status_code == 400


async def test_verify_email_code_cannot_reset_a_password(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await _register(client)
    code = inbox.last_code(EMAIL)
    response = await client.post("/verify-reset-otp", json={"email": EMAIL, "code": code})
    assert response.status_code == 400


async def test_issue_code_for_other_domains(
    app: FastAPI, inbox: Inbox, db: AsyncSession, settings: Settings
) -> None:
    await issue_code(
        db,
        app.state.mailer,
        email="Invitee@Lakeside-Lab.org",
        purpose=OtpPurpose.login,
        subject="You are invited to HDX",
        intro="Lakeside Lab invited you.",
        ttl_minutes=60,
    )
    await audit.commit_with_trail(db)
    mail = inbox.to("invitee@lakeside-lab.org")[-1]
    assert mail["Subject"] == "You are invited to HDX"
    assert "Lakeside Lab invited you." in mail.get_payload()
    assert "60 minutes" in mail.get_payload()
    row = await db.scalar(select(OneTimeCode).where(OneTimeCode.email == "invitee@lakeside-lab.org"))
    assert row is not None
    assert row.expires_at - row.created_at == timedelta(minutes=60)
