"""The WebSocket hub of one process: its connected clients, what each subscribed to, heartbeats, metrics.

Every client has a bounded queue and its own writer task. Delivering an event only appends to those
queues, so a slow client never slows the hub or the other clients: when its queue is full it is
disconnected (close code 1013) and can reconnect and reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from prometheus_client.process_collector import PROCESS_COLLECTOR
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from hdx.computations.models import ComputationStatus
from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import Unauthorized
from hdx.realtime import repository, service
from hdx.realtime.bus import Event, EventBus, create_bus
from hdx.realtime.schemas import (
    COMMAND,
    GOING_AWAY,
    INTERNAL_ERROR,
    MAX_COMMAND_BYTES,
    MESSAGE_TOO_BIG,
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    Auth,
    ComputationCounts,
    Error,
    EventMessage,
    Metrics,
    Ping,
    Pong,
    ProcessMetrics,
    Ready,
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
)
from hdx.realtime.service import Identity

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("hdx.realtime.hub")

MAX_CHANNELS = 64
CLOSE_TIMEOUT_SECONDS = 2.0
COUNTED = (ComputationStatus.pending_approval, ComputationStatus.running, ComputationStatus.awaiting_release)


@dataclass(frozen=True)
class Endpoint:
    """What one WebSocket path offers: the channel kinds clients may subscribe to, and what comes unasked."""

    path: str
    kinds: frozenset[str]
    system: bool


METRICS = Endpoint("/ws/metrics", frozenset({service.COMPUTATION, service.ORG, service.SYSTEM}), system=True)
FEDERATED = Endpoint("/ws/federated", frozenset({service.FEDERATED}), system=False)


class Connection:
    def __init__(
        self, websocket: WebSocket, identity: Identity, token: str, endpoint: Endpoint, queue_size: int
    ) -> None:
        self.websocket = websocket
        self.identity = identity
        # Checked again like an API request's token on every subscription and every heartbeat.
        self.token = token
        self.endpoint = endpoint
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self.last_heard = time.monotonic()
        self.ended = asyncio.Event()
        # None: the client went away by itself, there is nobody to send a close frame to.
        self.close_code: int | None = None
        self.close_reason = ""

    def send(self, message: BaseModel) -> None:
        self.offer(message.model_dump_json())

    def offer(self, text: str) -> None:
        if self.ended.is_set():
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.end(TRY_AGAIN_LATER, "too slow: messages were not read in time")

    def end(self, code: int | None, reason: str = "") -> None:
        if not self.ended.is_set():
            self.close_code, self.close_reason = code, reason
            self.ended.set()

    def channel_for(self, event: Event) -> str | None:
        """The subscribed channel this event arrives on, if this client may see it at all."""
        if not self.identity.sees_computations:
            return None
        if event.audience is not None and self.identity.organization_id not in event.audience:
            return None
        return next((channel for channel in event.channels if channel in self.channels), None)


class Hub:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.connections: set[Connection] = set()
        self._started = time.monotonic()
        self._metrics_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._metrics_task = asyncio.create_task(self._metrics_loop(), name="hdx-realtime-metrics")

    async def close(self) -> None:
        if self._metrics_task is not None:
            self._metrics_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._metrics_task
        for connection in list(self.connections):
            connection.end(GOING_AWAY, "server shutting down")

    def deliver(self, event: Event) -> None:
        encoded: dict[str, str] = {}
        for connection in list(self.connections):
            channel = connection.channel_for(event)
            if channel is None:
                continue
            if channel not in encoded:
                encoded[channel] = EventMessage(
                    id=event.id, event=event.type, channel=channel, at=event.at, data=event.data
                ).model_dump_json()
            connection.offer(encoded[channel])

    async def serve(self, websocket: WebSocket, identity: Identity, token: str, endpoint: Endpoint) -> None:
        """Run one authenticated client until it leaves or is dropped; returns once it is closed."""
        connection = Connection(websocket, identity, token, endpoint, self.settings.ws_send_queue)
        if endpoint.system:
            connection.channels.update([service.SYSTEM, *service.own_channels(identity)])
        connection.send(
            Ready(
                user_id=identity.user_id,
                organization_id=identity.organization_id,
                channels=sorted(connection.channels),
                heartbeat_seconds=self.settings.ws_heartbeat_seconds,
                expires_at=identity.expires_at.isoformat(),
            )
        )
        self.connections.add(connection)
        tasks = [
            asyncio.create_task(self._guard(connection, self._read(connection))),
            asyncio.create_task(self._guard(connection, self._write(connection))),
            asyncio.create_task(self._guard(connection, self._heartbeat(connection))),
        ]
        try:
            if endpoint.system:
                snapshot = await self._snapshot(_scope_of(identity))
                if snapshot is not None:
                    connection.send(snapshot)
            await connection.ended.wait()
        finally:
            self.connections.discard(connection)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if connection.close_code is not None:
            # A client that stopped reading may never let the close frame out; do not wait for it forever.
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, TimeoutError, OSError):
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await websocket.close(connection.close_code, connection.close_reason)

    async def _guard(self, connection: Connection, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except (WebSocketDisconnect, WebSocketDisconnected):
            connection.end(None)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("WebSocket connection of user %s failed", connection.identity.user_id)
            connection.end(INTERNAL_ERROR, "internal error")

    async def _write(self, connection: Connection) -> None:
        while True:
            text = await connection.queue.get()
            await connection.websocket.send_text(text)

    async def _read(self, connection: Connection) -> None:
        while True:
            message = await connection.websocket.receive()
            if message["type"] == "websocket.disconnect":
                connection.end(None)
                return
            text = message.get("text")
            if text is None:
                connection.send(Error(code="invalid", message="commands are JSON text messages"))
                continue
            if len(text) > MAX_COMMAND_BYTES:
                connection.end(MESSAGE_TOO_BIG, "command too large")
                return
            connection.last_heard = time.monotonic()
            try:
                command = COMMAND.validate_json(text)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(part) for part in problem["loc"]) or "message"
                connection.send(Error(code="invalid", message=f"{where}: {problem['msg']}"))
                continue
            if isinstance(command, Ping):
                connection.send(Pong())
            elif isinstance(command, Subscribe):
                await self._subscribe(connection, command.channel)
            elif isinstance(command, Unsubscribe):
                connection.channels.discard(command.channel)
                connection.send(Unsubscribed(channel=command.channel))
            elif isinstance(command, Auth):
                await self._reauthenticate(connection, command.token)

    async def _subscribe(self, connection: Connection, channel: str) -> None:
        kind = service.channel_kind(channel)
        if kind not in connection.endpoint.kinds:
            offered = ", ".join(f"{k}:<id>" for k in sorted(connection.endpoint.kinds))
            message = f"{connection.endpoint.path} offers {offered}"
            connection.send(Error(code="unknown_channel", message=message, channel=channel))
            return
        if channel not in connection.channels and len(connection.channels) >= MAX_CHANNELS:
            message = f"at most {MAX_CHANNELS} channels per connection"
            connection.send(Error(code="too_many_channels", message=message, channel=channel))
            return
        async with self.sessionmaker() as session:
            if not await self._still_allowed(session, connection):
                return
            refusal = await service.subscription_refusal(session, connection.identity, channel)
        if refusal is not None:
            code, message = refusal
            connection.send(Error(code=code, message=message, channel=channel))
            return
        connection.channels.add(channel)
        connection.send(Subscribed(channel=channel))

    async def _reauthenticate(self, connection: Connection, token: str) -> None:
        """A fresh access token extends the connection past the first one's expiry."""
        try:
            async with self.sessionmaker() as session:
                identity = await service.authenticate(session, self.settings, token)
        except Unauthorized as exc:
            connection.end(POLICY_VIOLATION, exc.message[:100])
            return
        current = connection.identity
        if (identity.user_id, identity.organization_id) != (current.user_id, current.organization_id):
            connection.end(POLICY_VIOLATION, "the token belongs to another account")
            return
        connection.token = token
        _update_identity(connection, identity)

    async def _still_allowed(self, session: AsyncSession, connection: Connection) -> bool:
        """The checks of an API request with the connection's token (account active, token version, sign-in
        live: two indexed lookups); the connection is closed with 1008 when they fail."""
        try:
            identity = await service.authenticate(session, self.settings, connection.token)
        except Unauthorized as exc:
            connection.end(POLICY_VIOLATION, exc.message[:120])
            return False
        _update_identity(connection, identity)
        return True

    async def _heartbeat(self, connection: Connection) -> None:
        while True:
            await asyncio.sleep(self.settings.ws_heartbeat_seconds)
            if utcnow() >= connection.identity.expires_at:
                connection.end(POLICY_VIOLATION, "token expired: reconnect with a fresh token")
                return
            async with self.sessionmaker() as session:
                if not await self._still_allowed(session, connection):
                    return
            pinged = time.monotonic()
            connection.send(Ping())
            await asyncio.sleep(self.settings.ws_heartbeat_timeout_seconds)
            if connection.last_heard < pinged:
                connection.end(GOING_AWAY, "heartbeat timeout: no pong")
                return

    async def _metrics_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ws_metrics_seconds)
            # One count per scope (the platform, each watching organization), not per connection.
            watchers: dict[Scope, list[Connection]] = {}
            for connection in self.connections:
                if service.SYSTEM in connection.channels:
                    watchers.setdefault(_scope_of(connection.identity), []).append(connection)
            for scope, connections in watchers.items():
                snapshot = await self._snapshot(scope)
                if snapshot is None:
                    continue
                text = snapshot.model_dump_json()
                for connection in connections:
                    connection.offer(text)

    async def _snapshot(self, scope: Scope) -> Metrics | None:
        kind, organization_id = scope
        computations = None
        if kind != "none":
            try:
                async with self.sessionmaker() as session:
                    counts = await repository.computation_counts(session, COUNTED, organization_id)
            except (SQLAlchemyError, OSError):
                logger.warning("computation counts unavailable for the metrics feed", exc_info=True)
                return None
            computations = ComputationCounts(**{status.value: count for status, count in counts.items()})
        process = None
        if kind == "platform":
            process = ProcessMetrics(
                connections=len(self.connections),
                rss_bytes=_resident_bytes(),
                uptime_seconds=round(time.monotonic() - self._started, 1),
            )
        return Metrics(at=utcnow().isoformat(), scope=kind, computations=computations, process=process)


Scope = tuple[Literal["platform", "organization", "none"], str | None]


def _scope_of(identity: Identity) -> Scope:
    """Platform admins watch the whole exchange; others their organization, if their role sees computations."""
    if identity.platform_admin:
        return ("platform", None)
    if identity.sees_computations and identity.organization_id is not None:
        return ("organization", identity.organization_id)
    return ("none", None)


def _update_identity(connection: Connection, identity: Identity) -> None:
    """Take the account as it is now: a changed role or organization keeps only what it may still see."""
    previous = connection.identity
    connection.identity = identity
    if identity.sees_computations and identity.organization_id == previous.organization_id:
        return
    connection.channels &= {service.SYSTEM} if connection.endpoint.system else set()
    if connection.endpoint.system:
        connection.channels.update(service.own_channels(identity))


def _resident_bytes() -> int | None:
    for metric in PROCESS_COLLECTOR.collect():
        if metric.name == "process_resident_memory_bytes" and metric.samples:
            return int(metric.samples[0].value)
    return None


@dataclass
class Realtime:
    """The process's bus and hub, created in the app lifespan as `app.state.events`."""

    bus: EventBus
    hub: Hub

    async def close(self) -> None:
        await self.bus.close()
        await self.hub.close()


async def start_realtime(
    settings: Settings, redis: Redis | None, sessionmaker: async_sessionmaker[AsyncSession]
) -> Realtime:
    hub = Hub(settings, sessionmaker)
    bus = create_bus(redis, hub.deliver)
    await bus.start()
    hub.start()
    return Realtime(bus, hub)
