"""A real uvicorn server in the test's event loop serving the test app, and a WebSocket client for it.

Serving the fixture's own app (lifespan already running) lets HTTP requests through the in-process
client and WebSocket clients over a real socket share one database, bus and hub.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

from hdx.config import Settings
from hdx.realtime.schemas import PROTOCOL
from tests.computations.conftest import orgs, outsider

__all__ = ["orgs", "outsider"]

ORIGIN = "http://localhost:3000"
WAIT = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ws_auth_timeout_seconds": 1.0})


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[str]:
    """ws:// base URL of uvicorn serving `app` on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(instance.serve(sockets=[sock]))
    deadline = time.monotonic() + WAIT
    while not instance.started:
        if task.done() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"uvicorn did not start: {task.exception() if task.done() else 'timeout'}")
        await asyncio.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await asyncio.wait_for(task, WAIT)
        sock.close()


class Feed:
    """A WebSocket client that keeps every text it received, for assertions on what was (not) sent."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[str] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(raw, str)
        self.received.append(raw)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def next(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        """The next message matching `predicate`, answering server pings on the way."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.recv(max(0.01, deadline - time.monotonic()))
            if message["type"] == "ping":
                await self.send({"type": "pong"})
            if predicate(message):
                return message

    async def next_type(self, kind: str, timeout: float = WAIT) -> dict[str, Any]:
        return await self.next(lambda m: m["type"] == kind, timeout)

    async def event(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        return await self.next(lambda m: m["type"] == "event" and m["event"] == name, timeout)

    async def events_for(self, seconds: float) -> list[dict[str, Any]]:
        """Every event that arrives within `seconds`."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.recv(left)
            except TimeoutError:
                break
            if message["type"] == "event":
                found.append(message)
        return found

    async def subscribe(self, channel: str) -> dict[str, Any]:
        await self.send({"type": "subscribe", "channel": channel})
        return await self.next(lambda m: m["type"] in ("subscribed", "error") and m.get("channel") == channel)

    async def _read_until(self, deadline: float, answer_pings: bool) -> None:
        while True:
            message = await self.recv(max(0.01, deadline - time.monotonic()))
            if answer_pings and message["type"] == "ping":
                await self.send({"type": "pong"})

    async def closed(self, timeout: float = WAIT, *, answer_pings: bool = True) -> tuple[int, str]:
        """Read until the server closes; the close code and reason it sent."""
        with pytest.raises(ConnectionClosed) as closed:
            await self._read_until(time.monotonic() + timeout, answer_pings)
        assert closed.value.rcvd is not None, "the connection ended without a close frame"
        return closed.value.rcvd.code, closed.value.rcvd.reason


@asynccontextmanager
async def ws_client(
    base: str,
    *,
    path: str = "/ws/metrics",
    token: str | None = None,
    origin: str | None = ORIGIN,
    query: str = "",
    **options: Any,
) -> AsyncIterator[Feed]:
    """Connect like the dashboard: the token rides in the subprotocol list, never in the URL."""
    protocols = [Subprotocol(PROTOCOL)] + ([Subprotocol(f"bearer.{token}")] if token else [])
    url = f"{base}{path}" + (f"?{query}" if query else "")
    async with connect(
        url,
        subprotocols=protocols,
        origin=Origin(origin) if origin else None,
        open_timeout=WAIT,
        close_timeout=2,
        **options,
    ) as ws:
        yield Feed(ws)
