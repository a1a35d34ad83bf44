"""Who may connect: a valid access token (subprotocol header or first message, never the URL) from an
allowed origin; everything else is closed with 1008."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import tokens
from hdx.auth.models import Role, User
from hdx.config import Settings
from hdx.db import utcnow
from tests.conftest import TEST_PASSWORD, MakeUser
from tests.realtime.conftest import ws_client

pytestmark = pytest.mark.usefixtures("server")

POLICY_VIOLATION = 1008


def expired_token(settings: Settings, user_id: str) -> str:
    token, _ = tokens.encode(
        settings,
        subject=user_id,
        token_type="access",
        lifetime=timedelta(minutes=15),
        version=0,
        now=utcnow() - timedelta(hours=1),
    )
    return token


async def test_a_connection_without_a_token_is_closed_with_1008_after_the_auth_timeout(server: str) -> None:
    async with ws_client(server) as feed:
        code, reason = await feed.closed()
    assert code == POLICY_VIOLATION
    assert "authenticate first" in reason


async def test_a_first_message_that_is_not_auth_is_closed_with_1008(server: str, make_user: MakeUser) -> None:
    async with ws_client(server) as feed:
        await feed.send({"type": "subscribe", "channel": "system"})
        code, _ = await feed.closed()
    assert code == POLICY_VIOLATION


async def test_a_token_in_the_url_only_is_refused_with_1008(server: str, make_user: MakeUser) -> None:
    user = await make_user(Role.doctor)
    for query in (f"token={user.token}", f"access_token={user.token}"):
        async with ws_client(server, query=query) as feed:
            code, reason = await feed.closed()
        assert code == POLICY_VIOLATION
        assert reason == "tokens are not accepted in the URL"


@pytest.mark.parametrize("via", ["subprotocol", "first message"])
async def test_an_expired_token_is_refused_with_1008(
    server: str, make_user: MakeUser, settings: Settings, via: str
) -> None:
    user = await make_user(Role.doctor)
    token = expired_token(settings, user.id)
    async with ws_client(server, token=token if via == "subprotocol" else None) as feed:
        if via == "first message":
            await feed.send({"type": "auth", "token": token})
        code, reason = await feed.closed()
    assert code == POLICY_VIOLATION
    assert reason == "Token has expired"


async def test_a_forged_or_revoked_token_is_refused_with_1008(
    server: str, make_user: MakeUser, db: AsyncSession
) -> None:
    user = await make_user(Role.doctor)
    async with ws_client(server, token=user.token[:-4] + "AAAA") as feed:
        assert await feed.closed() == (POLICY_VIOLATION, "Token is invalid")
    stored = await db.get(User, user.id)
    assert stored is not None
    stored.token_version += 1
    await db.commit()
    async with ws_client(server, token=user.token) as feed:
        assert await feed.closed() == (POLICY_VIOLATION, "Token was revoked; sign in again")


async def test_a_foreign_origin_is_refused_with_1008_even_with_a_valid_token(
    server: str, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    for origin in ("https://attacker.example", "null", "http://localhost:3001"):
        async with ws_client(server, token=user.token, origin=origin) as feed:
            assert await feed.closed() == (POLICY_VIOLATION, "origin not allowed")


async def test_a_browser_from_an_allowed_origin_connects_with_the_token_in_the_subprotocol(
    server: str, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor, org="North Hospital")
    async with ws_client(server, token=user.token) as feed:
        # The server picks hdx.v1 and never echoes the bearer entry into a response header.
        assert feed.ws.subprotocol == "hdx.v1"
        assert feed.ws.response is not None
        assert user.token not in str(feed.ws.response.headers)
        ready = await feed.next_type("ready")
        assert ready["user_id"] == user.id
        assert ready["organization_id"] == user.organization_id
        assert ready["channels"] == sorted(["system", f"org:{user.organization_id}"])
        metrics = await feed.next_type("metrics")
        assert metrics["scope"] == "organization"
        assert set(metrics["computations"]) == {"pending_approval", "running", "awaiting_release"}
        assert metrics["process"] is None


async def test_the_dashboard_served_by_the_exchange_itself_connects_from_its_own_address(
    server: str, make_user: MakeUser
) -> None:
    # Not in the configured origins: allowed because it names the host and port the browser asked.
    user = await make_user(Role.doctor)
    own = server.replace("ws://", "http://")
    async with ws_client(server, token=user.token, origin=own) as feed:
        assert (await feed.next_type("ready"))["user_id"] == user.id
    other_port = own.rsplit(":", 1)[0] + ":1"
    async with ws_client(server, token=user.token, origin=other_port) as feed:
        assert await feed.closed() == (POLICY_VIOLATION, "origin not allowed")


async def test_a_client_without_origin_authenticates_with_its_first_message(
    server: str, make_user: MakeUser
) -> None:
    user = await make_user(Role.pharmacist)
    async with ws_client(server, origin=None) as feed:
        await feed.send({"type": "auth", "token": user.token})
        ready = await feed.next_type("ready")
        assert ready["user_id"] == user.id
        await feed.send({"type": "ping"})
        await feed.next_type("pong")


async def test_a_platform_admin_gets_system_metrics_but_no_organization_channel(
    server: str, make_user: MakeUser
) -> None:
    admin = await make_user(Role.admin)
    async with ws_client(server, token=admin.token) as feed:
        assert (await feed.next_type("ready"))["channels"] == ["system"]
        metrics = await feed.next_type("metrics")
        assert metrics["scope"] == "platform"
        assert set(metrics["computations"]) == {"pending_approval", "running", "awaiting_release"}
        assert metrics["process"]["connections"] >= 1
        assert metrics["process"]["rss_bytes"] > 0
        refused = await feed.subscribe("computation:00000000-0000-0000-0000-000000000000")
        assert (refused["type"], refused["code"]) == ("error", "forbidden")


async def test_a_token_of_a_signed_out_sign_in_is_refused_with_1008(
    server: str, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)

    async def sign_in() -> dict[str, str]:
        response = await client.post("/login", json={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 200, response.text
        tokens: dict[str, str] = response.json()
        return tokens

    ended, other = await sign_in(), await sign_in()
    async with ws_client(server, token=ended["access_token"]) as feed:
        assert (await feed.next_type("ready"))["user_id"] == user.id
    assert (await client.post("/logout", json={"refresh_token": ended["refresh_token"]})).status_code == 200
    async with ws_client(server, token=ended["access_token"]) as feed:
        code, reason = await feed.closed()
    assert code == POLICY_VIOLATION
    assert "signed out" in reason
    async with ws_client(server, token=other["access_token"]) as feed:
        assert (await feed.next_type("ready"))["user_id"] == user.id
