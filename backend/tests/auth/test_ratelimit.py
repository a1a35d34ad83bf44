"""Sign-in attempts are limited per client address and per account."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from hdx.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_login": "3/minute"})


async def test_login_is_rate_limited(client: httpx.AsyncClient) -> None:
    body = {"email": "someone@riverside-clinic.org", "password": "Not The Password 123"}
    for _ in range(3):
        assert (await client.post("/login", json=body)).status_code == 401
    limited = await client.post("/login", json=body)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] == "rate_limited"


async def test_account_limit_holds_across_addresses(client: httpx.AsyncClient, app: FastAPI) -> None:
    body = {"email": "target@riverside-clinic.org", "password": "Not The Password 123"}
    statuses = []
    for number in range(4):
        # A different client address each time: only the per-account limit can stop the 4th.
        transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{number + 1}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            statuses.append((await other.post("/login", json=body)).status_code)
    assert statuses == [401, 401, 401, 429]
