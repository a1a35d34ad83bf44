"""Sign-in attempts are limited per client address and per account."""

from __future__ import annotations

import inspect
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from hdx.config import Settings
from tests.auth.conftest import registration
from tests.route_catalog import DISCOVERY_APP

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_enabled": True, "rate_limit_login": "3/minute", "rate_limit_otp": "2/minute"}
    )


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


def _limit_names(dependant: Dependant) -> set[str]:
    names = set()
    for sub in dependant.dependencies:
        if getattr(sub.call, "__qualname__", "") == "limit.<locals>.dependency":
            names.add(inspect.getclosurevars(sub.call).nonlocals["name"])
        names |= _limit_names(sub)
    return names


def _named_limits() -> dict[str, set[str]]:
    """Each path with a named per-address limit, and the names, as the routes' dependencies say."""
    found: dict[str, set[str]] = {}
    for context in iter_route_contexts(DISCOVERY_APP.routes):
        if isinstance(context.original_route, APIRoute) and (names := _limit_names(context.dependant)):
            found.setdefault(context.path_format, set()).update(names)
    return found


def test_every_limited_route_is_in_the_operations_guide() -> None:
    text = OPERATIONS.read_text()
    section = text[text.index("## Rate limits") :]
    section = section[: section.index("\n## ", 1)]
    limited = _named_limits()
    assert {"/register", "/login", "/send-otp", "/verify-otp"} <= set(limited)
    for path, names in limited.items():
        line = next((line for line in section.splitlines() if f"`{path}`" in line), None)
        assert line is not None, f"{path} is not in the rate-limit list of docs/operations.md"
        for name in names:
            assert f"`{name}`" in line, (path, name, line)


async def test_register_shares_the_code_limit_with_send_and_verify(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # The code limit is 2/minute here: a registration, then one send-otp, fill it.
    assert (await client.post("/register", json=registration("a@riverside-clinic.org"))).status_code == 201
    sent = await client.post("/send-otp", json={"email": "a@riverside-clinic.org"})
    assert sent.status_code == 202
    limited = await client.post("/verify-otp", json={"email": "a@riverside-clinic.org", "code": "123456"})
    assert limited.status_code == 429
    also = await client.post("/register", json=registration("b@riverside-clinic.org", "Other Clinic"))
    assert also.status_code == 429
