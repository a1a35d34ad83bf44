"""Heartbeats and token expiry on open connections."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from hdx.auth import tokens
from hdx.auth.models import Role
from hdx.config import Settings
from tests.conftest import MakeUser
from tests.realtime.conftest import Feed, ws_client

HEARTBEAT = 0.3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ws_heartbeat_seconds": HEARTBEAT, "ws_heartbeat_timeout_seconds": HEARTBEAT}
    )


async def _answer_pings(feed: Feed, seconds: float) -> int:
    answered = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            await feed.next_type("ping", timeout=left)
        except TimeoutError:
            break
        answered += 1
    return answered


async def test_a_client_that_answers_pings_stays_connected(server: str, make_user: MakeUser) -> None:
    user = await make_user(Role.doctor)
    async with ws_client(server, token=user.token) as feed:
        ready = await feed.next_type("ready")
        assert ready["heartbeat_seconds"] == HEARTBEAT
        assert await _answer_pings(feed, HEARTBEAT * 8) >= 3
        await feed.send({"type": "ping"})
        assert (await feed.next_type("pong"))["type"] == "pong"


async def test_a_client_that_never_answers_is_dropped(server: str, make_user: MakeUser) -> None:
    user = await make_user(Role.doctor)
    async with ws_client(server, token=user.token) as feed:
        started = time.monotonic()
        code, reason = await feed.closed(answer_pings=False)
    assert (code, reason) == (1001, "heartbeat timeout: no pong")
    assert time.monotonic() - started < HEARTBEAT * 2 + 2


async def test_an_open_connection_ends_when_its_token_expires_unless_refreshed(
    server: str, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user(Role.doctor)
    short, _ = tokens.encode(
        settings, subject=user.id, token_type="access", lifetime=timedelta(seconds=2), version=0
    )
    async with ws_client(server, token=short) as refreshed, ws_client(server, token=short) as lapsed:
        await refreshed.next_type("ready")
        await lapsed.next_type("ready")
        await refreshed.send({"type": "auth", "token": user.token})
        closed, _ = await asyncio.gather(lapsed.closed(), _answer_pings(refreshed, 4.0))
        assert closed == (1008, "token expired: reconnect with a fresh token")
        await refreshed.send({"type": "ping"})
        await refreshed.next_type("pong")


async def test_a_fresh_token_of_another_account_ends_the_connection(server: str, make_user: MakeUser) -> None:
    first = await make_user(Role.doctor)
    second = await make_user(Role.doctor)
    async with ws_client(server, token=first.token) as feed:
        await feed.next_type("ready")
        await feed.send({"type": "auth", "token": second.token})
        assert await feed.closed() == (1008, "the token belongs to another account")
