"""The client address that rate limits key on: the proxy's view only when the proxy is trusted."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from hdx.app import create_app
from hdx.config import Settings


async def _statuses(settings: Settings, forwarded_for: list[str]) -> list[int]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [
                (await client.get("/", headers={"X-Forwarded-For": ip})).status_code for ip in forwarded_for
            ]


async def test_trusted_proxy_limits_each_client_separately(settings: Settings, clean_state: None) -> None:
    settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_default": "2/minute",
            "trusted_proxies": ["10.0.0.0/8"],
        }
    )
    statuses = await _statuses(settings, ["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.1"])
    assert statuses == [200, 200, 200, 429]


async def test_untrusted_sender_cannot_spoof_its_address(settings: Settings, clean_state: None) -> None:
    settings = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_default": "2/minute"})
    statuses = await _statuses(settings, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])
    assert statuses == [200, 200, 429]


async def test_dashboard_assets_do_not_count_against_the_limit(settings: Settings, clean_state: None) -> None:
    settings = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_default": "2/minute"})
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assets = [(await client.get(f"/_next/static/chunk-{i}.js")).status_code for i in range(5)]
            pages = [(await client.get("/")).status_code for _ in range(3)]
    assert 429 not in assets
    assert pages == [200, 200, 429]
