"""Optional TOTP second factor."""

from __future__ import annotations

import time

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import User
from tests.auth.conftest import PASSWORD, Inbox, bearer, login, register_verified

EMAIL = "totp@riverside-clinic.org"


async def test_enrol_sign_in_with_code_and_disable(
    client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession
) -> None:
    await register_verified(client, inbox, EMAIL)
    headers = bearer((await login(client, EMAIL))["access_token"])

    setup = await client.post("/auth/totp/setup", headers=headers)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    user = await db.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    assert user.totp_secret_encrypted is not None
    assert secret not in user.totp_secret_encrypted

    # Not on until confirmed with a code.
    assert (await client.post("/login", json={"email": EMAIL, "password": PASSWORD})).status_code == 200
    live = {pyotp.TOTP(secret).at(time.time() + step) for step in (-30, 0, 30)}
    never = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in live)
    bad = await client.post("/auth/totp/enable", json={"code": never}, headers=headers)
    assert bad.status_code == 400
    code = pyotp.TOTP(secret).now()
    assert (await client.post("/auth/totp/enable", json={"code": code}, headers=headers)).status_code == 200

    missing = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
    assert missing.status_code == 401
    assert missing.json()["error"] == "totp_required"
    wrong_code = f"{(int(code) + 500_000) % 1_000_000:06d}"
    wrong = await client.post("/login", json={"email": EMAIL, "password": PASSWORD, "totp_code": wrong_code})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_totp"
    form = await client.post("/login", data={"username": EMAIL, "password": PASSWORD, "totp_code": code})
    assert form.status_code == 200

    refused = await client.post(
        "/auth/totp/disable", json={"password": "Wrong Password 12345", "code": code}, headers=headers
    )
    assert refused.status_code == 400
    off = await client.post("/auth/totp/disable", json={"password": PASSWORD, "code": code}, headers=headers)
    assert off.status_code == 200
    assert (await client.post("/login", json={"email": EMAIL, "password": PASSWORD})).status_code == 200
