"""Optional TOTP second factor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import httpx
import pyotp
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import User
from tests.auth.conftest import PASSWORD, Inbox, bearer, login, register_verified

EMAIL = "totp@riverside-clinic.org"


async def test_enrol_sign_in_with_code_and_disable(
    client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession
) -> None:
    start = (int(time.time()) // 30) * 30 + 15.0
    with time_machine.travel(start, tick=False) as clock:
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
        live = {pyotp.TOTP(secret).at(start + step) for step in (-30, 0, 30)}
        never = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in live)
        bad = await client.post("/auth/totp/enable", json={"code": never}, headers=headers)
        assert bad.status_code == 400
        code = pyotp.TOTP(secret).at(start)
        enabled = await client.post("/auth/totp/enable", json={"code": code}, headers=headers)
        assert enabled.status_code == 200

        clock.move_to(start + 30)
        code = pyotp.TOTP(secret).at(start + 30)
        missing = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
        assert missing.status_code == 401
        assert missing.json()["error"] == "totp_required"
        wrong_code = f"{(int(code) + 500_000) % 1_000_000:06d}"
        wrong = await client.post(
            "/login", json={"email": EMAIL, "password": PASSWORD, "totp_code": wrong_code}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_totp"
        form = await client.post("/login", data={"username": EMAIL, "password": PASSWORD, "totp_code": code})
        assert form.status_code == 200

        clock.move_to(start + 60)
        code = pyotp.TOTP(secret).at(start + 60)
        refused = await client.post(
            "/auth/totp/disable", json={"password": "Wrong Password 12345", "code": code}, headers=headers
        )
        assert refused.status_code == 400
        off = await client.post(
            "/auth/totp/disable", json={"password": PASSWORD, "code": code}, headers=headers
        )
        assert off.status_code == 200
        assert (await client.post("/login", json={"email": EMAIL, "password": PASSWORD})).status_code == 200


async def _enrolled(client: httpx.AsyncClient, inbox: Inbox, at: float) -> str:
    """Register, sign in and turn two-factor on with the code of the step holding `at`; the secret."""
    await register_verified(client, inbox, EMAIL)
    headers = bearer((await login(client, EMAIL))["access_token"])
    secret: str = (await client.post("/auth/totp/setup", headers=headers)).json()["secret"]
    enabled = await client.post(
        "/auth/totp/enable", json={"code": pyotp.TOTP(secret).at(at)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    return secret


def _sign_in(client: httpx.AsyncClient, code: str) -> Awaitable[httpx.Response]:
    return client.post("/login", json={"email": EMAIL, "password": PASSWORD, "totp_code": code})


async def test_a_code_signs_in_once(client: httpx.AsyncClient, inbox: Inbox) -> None:
    # The middle of a 30-second step, so that the steps used below are exactly the ones meant.
    start = (int(time.time()) // 30) * 30 + 15.0
    with time_machine.travel(start, tick=False) as clock:
        secret = await _enrolled(client, inbox, start)
        totp = pyotp.TOTP(secret)
        # The code that turned two-factor on was used up by it.
        enabling = await _sign_in(client, totp.at(start))
        assert enabling.status_code == 401
        assert enabling.json()["error"] == "invalid_totp"
        assert "already used" in enabling.json()["detail"]

        clock.move_to(start + 30)
        assert (await _sign_in(client, totp.at(start + 30))).status_code == 200
        replayed = await _sign_in(client, totp.at(start + 30))
        assert replayed.status_code == 401
        assert replayed.json()["error"] == "invalid_totp"
        for odd in ("１２３４５６", "é" * 6, "12 34 5"):
            assert (await _sign_in(client, odd)).status_code == 401
        # A code of an earlier step is refused too, although it is still inside the drift window.
        clock.move_to(start + 45)
        assert (await _sign_in(client, totp.at(start))).status_code == 401

        clock.move_to(start + 60)
        assert (await _sign_in(client, totp.at(start + 60))).status_code == 200
        # The next step's code, one step of clock drift ahead, still works once.
        assert (await _sign_in(client, totp.at(start + 90))).status_code == 200
        assert (await _sign_in(client, totp.at(start + 60))).status_code == 401


async def test_two_simultaneous_sign_ins_with_one_code_let_one_in(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    start = (int(time.time()) // 30) * 30 + 15.0
    with time_machine.travel(start, tick=False) as clock:
        secret = await _enrolled(client, inbox, start)
        clock.move_to(start + 30)
        code = pyotp.TOTP(secret).at(start + 30)
        answers = await asyncio.gather(*(_sign_in(client, code) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [200, 401, 401, 401], [a.text for a in answers]


async def test_disable_and_enrol_again_starts_afresh(client: httpx.AsyncClient, inbox: Inbox) -> None:
    start = (int(time.time()) // 30) * 30 + 15.0
    with time_machine.travel(start, tick=False) as clock:
        secret = await _enrolled(client, inbox, start)
        clock.move_to(start + 30)
        tokens = (await _sign_in(client, pyotp.TOTP(secret).at(start + 30))).json()
        headers = bearer(tokens["access_token"])
        clock.move_to(start + 60)
        off = await client.post(
            "/auth/totp/disable",
            json={"password": PASSWORD, "code": pyotp.TOTP(secret).at(start + 60)},
            headers=headers,
        )
        assert off.status_code == 200, off.text
        # A new secret within the same step: its first code turns two-factor on again.
        fresh = (await client.post("/auth/totp/setup", headers=headers)).json()["secret"]
        again = await client.post(
            "/auth/totp/enable", json={"code": pyotp.TOTP(fresh).at(start + 60)}, headers=headers
        )
        assert again.status_code == 200, again.text
