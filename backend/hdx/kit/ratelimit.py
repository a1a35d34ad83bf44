"""Rate limits with `limits`: Redis when HDX_REDIS_URL is set, process memory otherwise.

A default limit per client applies to every request (middleware); tighter named limits
(login, OTP, password reset) are route dependencies keyed by client and, where known, account.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from hdx.exceptions import TooManyRequests

# The dashboard's static assets: one page load fetches dozens; they carry no data.
EXEMPT_PATHS = ("/health", "/metrics", "/_next/static/", "/favicon.ico")


class RateLimiter:
    def __init__(self, redis_url: str | None, limits_by_name: dict[str, str], enabled: bool = True) -> None:
        self.storage: Storage = (
            RedisStorage(
                redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1)
            )
            if redis_url
            else MemoryStorage()
        )
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.limits: dict[str, list[RateLimitItem]] = {k: parse_many(v) for k, v in limits_by_name.items()}
        self.enabled = enabled

    async def check(self, name: str, *identifiers: str) -> None:
        """Count one hit against every window of `name`; raise 429 with Retry-After when one is full."""
        if not self.enabled:
            return
        for item in self.limits[name]:
            if not await self.strategy.hit(item, name, *identifiers):
                stats = await self.strategy.get_window_stats(item, name, *identifiers)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                raise TooManyRequests(
                    f"Too many requests: limit is {item}. Try again in {retry} s.", retry_after=retry
                )

    async def reset(self) -> None:
        await self.storage.reset()


class DefaultRateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter_getter: Callable[[], RateLimiter | None]) -> None:
        self.app = app
        self.limiter_getter = limiter_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter_getter()
        if scope["type"] != "http" or limiter is None or scope["path"].startswith(EXEMPT_PATHS):
            await self.app(scope, receive, send)
            return
        client = scope.get("state", {}).get("client_ip", "unknown")
        try:
            await limiter.check("default", client)
        except TooManyRequests as exc:
            body = orjson.dumps({"error": exc.error, "detail": exc.detail})
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def limit(name: str) -> Callable[[Request], Awaitable[None]]:
    """Route dependency applying the named limit per client address."""

    async def dependency(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        await limiter.check(name, getattr(request.state, "client_ip", "unknown"))

    return dependency


async def limit_account(request: Request, name: str, account: str) -> Any:
    """Apply the named limit to one account whatever address the attempts come from."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(name, "account", account.lower())
