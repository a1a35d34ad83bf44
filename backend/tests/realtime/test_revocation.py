"""An open connection keeps the rights of an API request: sign-out and deactivation end it."""

from __future__ import annotations

import time

import httpx
import pytest

from hdx.auth.models import Role
from hdx.config import Settings
from hdx.realtime.schemas import POLICY_VIOLATION
from tests.conftest import TEST_PASSWORD, MakeUser, UserHandle
from tests.realtime.conftest import ws_client

# Identity is checked again with every heartbeat.
HEARTBEAT = 0.3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ws_heartbeat_seconds": HEARTBEAT, "ws_heartbeat_timeout_seconds": 5.0}
    )


async def _sign_in(client: httpx.AsyncClient, user: UserHandle) -> dict[str, str]:
    response = await client.post("/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.text
    signed_in: dict[str, str] = response.json()
    return signed_in


async def test_signing_out_closes_the_open_connection_within_a_heartbeat(
    server: str, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    signed_in = await _sign_in(client, user)
    async with ws_client(server, token=signed_in["access_token"]) as feed:
        await feed.next_type("ready")
        logout = await client.post("/logout", json={"refresh_token": signed_in["refresh_token"]})
        assert logout.status_code == 200, logout.text
        started = time.monotonic()
        code, reason = await feed.closed()
    assert code == POLICY_VIOLATION
    assert "signed out" in reason
    assert time.monotonic() - started < HEARTBEAT * 2 + 2


async def test_deactivating_a_member_closes_their_open_connection(
    server: str, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.org_admin)
    member = await make_user(Role.doctor)
    async with ws_client(server, token=member.token) as feed:
        await feed.next_type("ready")
        response = await client.delete(f"/organizations/me/users/{member.id}", headers=admin.headers)
        assert response.status_code == 204, response.text
        code, reason = await feed.closed()
    assert code == POLICY_VIOLATION
    assert reason in ("Account is not active", "Token was revoked; sign in again")
