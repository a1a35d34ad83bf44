"""Sign-in: answers that reveal nothing about which accounts exist, verification, rate limits."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.security.models import AuditEvent
from tests.auth.conftest import PASSWORD, Inbox, register_verified
from tests.conftest import TEST_PASSWORD, MakeUser

EMAIL = "login@riverside-clinic.org"


async def test_unknown_email_and_wrong_password_look_the_same(
    client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession
) -> None:
    await register_verified(client, inbox, EMAIL)
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    answers = {}
    for _ in range(3):
        for kind, email in (("unknown", "stranger@riverside-clinic.org"), ("wrong", EMAIL)):
            started = time.perf_counter()
            response = await client.post("/login", json={"email": email, "password": "Not The Password 123"})
            timings[kind].append(time.perf_counter() - started)
            answers[kind] = (response.status_code, response.json(), response.headers.get("www-authenticate"))
    assert answers["unknown"] == answers["wrong"]
    assert answers["wrong"][0] == 401
    assert answers["wrong"][1] == {"error": "unauthorized", "detail": "Incorrect email or password"}
    # Both paths run one argon2 verification; the unknown-email path must not be markedly faster.
    assert min(timings["unknown"]) > 0.5 * min(timings["wrong"])

    # Failed sign-ins stay in the audit trail although their requests failed.
    reasons = [
        event.details["reason"]
        for event in (
            await db.scalars(
                select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.outcome == "failure")
            )
        ).all()
    ]
    assert reasons.count("unknown_email") == 3
    assert reasons.count("wrong_password") == 3


async def test_email_is_case_insensitive(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    response = await client.post(
        "/login", json={"email": "  LOGIN@Riverside-Clinic.org", "password": PASSWORD}
    )
    assert response.status_code == 200


async def test_login_body_errors_are_clear(client: httpx.AsyncClient) -> None:
    malformed = await client.post(
        "/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    missing = await client.post("/login", json={"email": EMAIL})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "password"
    wrong_type = await client.post("/login", content=b"email=x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415


async def test_disabled_account_cannot_sign_in(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    from hdx.auth.models import User

    handle = await make_user()
    user = await db.get(User, handle.id)
    assert user is not None
    user.active = False
    await db.commit()
    response = await client.post("/login", json={"email": handle.email, "password": TEST_PASSWORD})
    assert response.status_code == 403
