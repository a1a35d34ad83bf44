"""What every request meets before any endpoint: rate limits and CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from limits.aio.storage import MemoryStorage, RedisStorage

from hdx.app import create_app
from hdx.config import Settings


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_default": "3/minute"})
    )
    await app.state.rate_limiter.reset()
    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            http.app = app  # type: ignore[attr-defined]
            yield http
    await app.state.rate_limiter.reset()


async def test_request_past_the_default_limit_gets_429_with_retry_after(
    limited: httpx.AsyncClient, settings: Settings
) -> None:
    storage = limited.app.state.rate_limiter.storage  # type: ignore[attr-defined]
    assert isinstance(storage, RedisStorage if settings.redis_url else MemoryStorage)
    for _ in range(3):
        assert (await limited.get("/")).status_code == 200
    refused = await limited.get("/")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert "3 per 1 minute" in body["detail"]
    assert refused.headers["X-Request-ID"]
    # Health checks and scrapes are never throttled.
    assert (await limited.get("/health")).status_code == 200
    assert (await limited.get("/metrics")).status_code == 200


async def test_allowed_origin_gets_cors_headers_and_others_do_not(client: httpx.AsyncClient) -> None:
    allowed = await client.get("/", headers={"Origin": "http://localhost:3000"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    other = await client.get("/", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers

    preflight = await client.options(
        "/organizations/me",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    refused = await client.options(
        "/organizations/me",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
