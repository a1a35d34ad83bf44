"""HTTP client of the agent: API key, timeouts, and retries that survive a flaky hospital uplink.

Network errors, 5xx and 429 are retried with exponential backoff and full jitter (429 and 503 wait at
least as long as Retry-After asks). Every other 4xx is the exchange refusing the request: retrying
cannot change the answer, so it is raised at once. Retrying POSTs is safe here because every agent
write is idempotent on the exchange (keys, round messages) or answers 409 when already done.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

import hdx

logger = logging.getLogger("hdx.agent.client")

OCTET_STREAM = "application/octet-stream"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ExchangeError(Exception):
    pass


class Unreachable(ExchangeError):
    """The exchange could not be reached or kept failing after every retry: try again later."""


class Refused(ExchangeError):
    """The exchange answered with an error that retrying would not change."""

    def __init__(self, status_code: int, error: str, detail: Any) -> None:
        self.status_code, self.error, self.detail = status_code, error, detail
        super().__init__(f"{status_code} {error}: {_describe(detail)}")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A Retry-After beyond this is treated as "not now": the caller's loop comes back later.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^attempt)], so agents that failed together
        do not all come back in the same instant."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))


class ExchangeClient:
    def __init__(
        self,
        server: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random()
        self._http = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"X-API-Key": api_key, "User-Agent": f"hdx-agent/{hdx.__version__}"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    def __enter__(self) -> ExchangeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": OCTET_STREAM} if content is not None else None
        last: str = ""
        for attempt in range(self.retry.attempts):
            try:
                response = self._http.request(
                    method, path, params=params, json=json, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                wait = self.retry.backoff(attempt, self._rng)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise _refused(response)
                last = f"HTTP {response.status_code}"
                wait = max(self.retry.backoff(attempt, self._rng), _retry_after(response) or 0.0)
                if wait > self.retry.max_retry_after:
                    raise Unreachable(f"{method} {path}: {last}, asked to retry after {wait:.0f} s")
            if attempt + 1 < self.retry.attempts:
                logger.warning(
                    "request failed, retrying",
                    extra={"method": method, "path": path, "error": last, "retry_in": round(wait, 3)},
                )
                self._sleep(wait)
        raise Unreachable(f"{method} {path}: {last} after {self.retry.attempts} attempts")

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post_json(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds or as an HTTP date (RFC 9110 allows both)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _refused(response: httpx.Response) -> Refused:
    try:
        body = response.json()
    except ValueError:
        return Refused(response.status_code, "http_error", response.text[:500])
    if isinstance(body, dict):
        return Refused(response.status_code, str(body.get("error", "http_error")), body.get("detail"))
    return Refused(response.status_code, "http_error", body)


def _describe(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(_describe(item) for item in detail)
    if isinstance(detail, dict):
        if "field" in detail and "message" in detail:
            return f"{detail['field']}: {detail['message']}"
        return str(detail.get("message", detail))
    return str(detail)
