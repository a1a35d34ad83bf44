"""Ending a sign-in ends its access tokens at once; other sign-ins of the same account go on."""

from __future__ import annotations

import httpx

from tests.auth.conftest import NEW_PASSWORD, PASSWORD, Inbox, bearer, login, register_verified

EMAIL = "sessions@riverside-clinic.org"


async def _me(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get("/me", headers=bearer(access_token))).status_code


async def test_logout_ends_the_access_token_of_that_sign_in_only(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await register_verified(client, inbox, EMAIL)
    laptop = await login(client, EMAIL)
    phone = await login(client, EMAIL)
    assert await _me(client, laptop["access_token"]) == 200

    out = await client.post("/logout", json={"refresh_token": laptop["refresh_token"]})
    assert out.status_code == 200

    ended = await client.get("/me", headers=bearer(laptop["access_token"]))
    assert ended.status_code == 401
    assert "signed out" in ended.json()["detail"]
    assert await _me(client, phone["access_token"]) == 200
    refreshed = await client.post("/refresh-token", json={"refresh_token": phone["refresh_token"]})
    assert refreshed.status_code == 200
    assert await _me(client, refreshed.json()["access_token"]) == 200


async def test_reusing_a_retired_refresh_token_ends_every_access_token_of_its_family(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await register_verified(client, inbox, EMAIL)
    stolen = await login(client, EMAIL)
    other = await login(client, EMAIL)
    rotated = (await client.post("/refresh-token", json={"refresh_token": stolen["refresh_token"]})).json()
    assert await _me(client, rotated["access_token"]) == 200

    reused = await client.post("/refresh-token", json={"refresh_token": stolen["refresh_token"]})
    assert reused.status_code == 401

    # Both the first access token of the sign-in and the one its refresh returned stop working.
    assert await _me(client, stolen["access_token"]) == 401
    assert await _me(client, rotated["access_token"]) == 401
    assert await _me(client, other["access_token"]) == 200


async def test_a_password_change_still_ends_every_sign_in(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    first = await login(client, EMAIL)
    second = await login(client, EMAIL)
    changed = await client.post(
        "/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    assert await _me(client, first["access_token"]) == 401
    assert await _me(client, second["access_token"]) == 401
    fresh = await login(client, EMAIL, NEW_PASSWORD)
    assert await _me(client, fresh["access_token"]) == 200
