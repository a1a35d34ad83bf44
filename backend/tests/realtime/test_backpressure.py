"""A client that stops reading is disconnected; the hub and the other clients carry on at full speed."""

from __future__ import annotations

import asyncio
import base64
import os
import time

import pytest
from fastapi import FastAPI

from hdx.auth.models import Role
from hdx.config import Settings
from hdx.realtime.bus import Event
from hdx.realtime.hub import Hub
from tests.conftest import MakeUser
from tests.realtime.conftest import ws_client

QUEUE = 16
EVENTS = 400


def _incompressible() -> str:
    # Random text: permessage-deflate must not shrink the backlog to nothing.
    return base64.b64encode(os.urandom(48 * 1024)).decode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ws_send_queue": QUEUE})


async def test_a_slow_client_is_disconnected_without_holding_up_the_others(
    server: str, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor, org="North Hospital")
    hub: Hub = app.state.events.hub
    channel = f"org:{user.organization_id}"
    # Room for one frame: once it is taken the slow client stops reading from its socket.
    async with ws_client(server, token=user.token, max_queue=1) as slow:
        await slow.next_type("ready")
        (slow_connection,) = hub.connections
        async with ws_client(server, token=user.token) as fast:
            await fast.next_type("ready")
            received = 0

            async def keep_reading() -> None:
                nonlocal received
                while received < EVENTS:
                    received += (await fast.recv())["type"] == "event"

            reader = asyncio.create_task(keep_reading())
            for n in range(EVENTS):
                event = Event(
                    type="test.bulk",
                    channels=(channel,),
                    audience=None,
                    data={"n": n, "fill": _incompressible()},
                )
                await app.state.events.bus.publish(event)
                await asyncio.sleep(0.005)
            await asyncio.wait_for(reader, 30)
            assert received == EVENTS
            deadline = time.monotonic() + 10
            while slow_connection in hub.connections and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert slow_connection not in hub.connections
            assert (slow_connection.close_code, slow_connection.close_reason) == (
                1013,
                "too slow: messages were not read in time",
            )
            assert len(hub.connections) == 1
