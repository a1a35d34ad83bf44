"""Access and refresh token checks: every forged, stale or misused token is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import jwt
import pytest
import time_machine
from fastapi import FastAPI

from hdx.config import Settings
from hdx.db import utcnow
from tests.auth.conftest import Inbox, bearer, login, register_verified
from tests.conftest import MakeUser

EMAIL = "tokens@riverside-clinic.org"


def _claims(settings: Settings, subject: str, **changes: object) -> dict[str, object]:
    now = int(utcnow().timestamp())
    claims: dict[str, object] = {
        "sub": subject,
        "typ": "access",
        "jti": "a" * 32,
        "ver": 0,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    claims.update(changes)
    return claims


async def test_valid_token_is_accepted(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user()
    token = jwt.encode(_claims(settings, user.id), settings.jwt_key(), algorithm="HS256")
    assert (await client.get("/me", headers=bearer(token))).status_code == 200


async def test_alg_none_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user()
    token = jwt.encode(_claims(settings, user.id), None, algorithm="none")
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_tampered_payload_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    victim = await make_user(org="Other Hospital")
    attacker = await make_user()
    header, payload, signature = attacker.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = victim.id
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await client.get("/me", headers=bearer(f"{header}.{forged_payload}.{signature}"))
    assert response.status_code == 401


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user()
    token = jwt.encode(_claims(settings, user.id), "some-other-secret-" + "y" * 40, algorithm="HS256")
    assert (await client.get("/me", headers=bearer(token))).status_code == 401


async def test_wrong_audience_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user()
    token = jwt.encode(
        _claims(settings, user.id, aud="another-service"), settings.jwt_key(), algorithm="HS256"
    )
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert "not meant for this service" in response.json()["detail"]


async def test_expired_access_token_is_refused(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    assert (await client.get("/me", headers=user.headers)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        response = await client.get("/me", headers=user.headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_refresh_token_is_not_an_access_token(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    tokens = await login(client, EMAIL)
    response = await client.get("/me", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 401
    assert "access token is required" in response.json()["detail"]
    # and the other way round
    swapped = await client.post("/refresh-token", json={"refresh_token": tokens["access_token"]})
    assert swapped.status_code == 401


async def test_refresh_token_expires_after_idle_time(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        tokens = await login(client, EMAIL)
        clock.move_to(start + timedelta(minutes=29))
        kept = await client.post("/refresh-token", json={"refresh_token": tokens["refresh_token"]})
        assert kept.status_code == 200
        clock.move_to(start + timedelta(minutes=29 + 31))
        idle = await client.post("/refresh-token", json={"refresh_token": kept.json()["refresh_token"]})
    assert idle.status_code == 401


async def test_refresh_family_ends_twelve_hours_after_sign_in(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await register_verified(client, inbox, EMAIL)
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        refresh = (await login(client, EMAIL))["refresh_token"]
        minutes = 0
        while minutes + 29 < 12 * 60:
            minutes += 29
            clock.move_to(start + timedelta(minutes=minutes))
            response = await client.post("/refresh-token", json={"refresh_token": refresh})
            assert response.status_code == 200, (minutes, response.text)
            refresh = response.json()["refresh_token"]
            assert response.json()["refresh_expires_in"] <= (12 * 60 - minutes) * 60
        clock.move_to(start + timedelta(minutes=minutes + 29))
        late = await client.post("/refresh-token", json={"refresh_token": refresh})
    assert minutes == 696
    assert late.status_code == 401


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def test_refresh_cookie_for_the_dashboard(browser: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(browser, inbox, EMAIL)
    signed_in = await browser.post("/login", json={"email": EMAIL, "password": "Tidal-Basin-Orchid-1987"})
    cookies = signed_in.headers.get_list("set-cookie")
    assert len(cookies) == 2
    for header in cookies:
        lowered = header.lower()
        assert "httponly" in lowered
        assert "samesite=strict" in lowered
        assert "secure" in lowered
    assert {h.split("Path=")[1].split(";")[0] for h in cookies} == {"/refresh-token", "/logout"}

    # Ordinary API calls do not carry the cookie.
    me = await browser.get("/me", headers=bearer(signed_in.json()["access_token"]))
    assert "hdx_refresh" not in me.request.headers.get("cookie", "")

    refreshed = await browser.post("/refresh-token")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] != signed_in.json()["refresh_token"]

    out = await browser.post("/logout")
    assert out.status_code == 200
    assert not browser.cookies.get("hdx_refresh", path="/refresh-token")
    missing = await browser.post("/refresh-token")
    assert missing.status_code == 400
    revoked = await browser.post("/refresh-token", json={"refresh_token": refreshed.json()["refresh_token"]})
    assert revoked.status_code == 401
