"""The event bus: how an event published by one API process reaches the hub of every process.

`MemoryBus` serves the embedded single-process deployment. `RedisBus` publishes to one Redis pub/sub
channel that every process listens to, so a client connected to any replica sees every event. Pub/sub is
at-most-once: an event published while a listener is reconnecting is lost, which is why clients reload
state over the REST API when they (re)connect and use events only to stay current.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from hdx.db import new_id, utcnow

if TYPE_CHECKING:
    # Imported by the code that makes the client, and only when Redis is configured.
    from redis.asyncio import Redis

logger = logging.getLogger("hdx.realtime.bus")

PUBLISH_TIMEOUT_SECONDS = 2.0
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
RECONNECT_SECONDS = 1.0


@dataclass(frozen=True)
class Event:
    """One thing that happened, for every client subscribed to one of `channels`.

    `audience` lists the organizations allowed to see it (None: every signed-in user). The hub checks it
    on delivery as well as at subscription, so a channel name alone never grants access.
    """

    type: str
    channels: tuple[str, ...]
    audience: frozenset[str] | None
    data: dict[str, Any]
    id: str = field(default_factory=new_id)
    at: str = field(default_factory=lambda: utcnow().isoformat())

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "channels": self.channels,
                "audience": None if self.audience is None else sorted(self.audience),
                "data": self.data,
                "at": self.at,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> Event:
        body = orjson.loads(raw)
        audience = body["audience"]
        return cls(
            type=str(body["type"]),
            channels=tuple(str(c) for c in body["channels"]),
            audience=None if audience is None else frozenset(str(o) for o in audience),
            data=dict(body["data"]),
            id=str(body["id"]),
            at=str(body["at"]),
        )


Deliver = Callable[[Event], None]


class EventBus(ABC):
    """Publishes events and hands every event published anywhere to `deliver` in this process."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    @abstractmethod
    async def publish(self, event: Event) -> None: ...

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class MemoryBus(EventBus):
    async def publish(self, event: Event) -> None:
        self._deliver(event)


class RedisBus(EventBus):
    def __init__(self, redis: Redis, deliver: Deliver) -> None:
        super().__init__(deliver)
        self._redis = redis
        # Pub/sub ignores the database number: deployments sharing a Redis server on different databases
        # would hear each other's events unless the channel names the database.
        database = redis.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"hdx:{database}:realtime"
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self, event: Event) -> None:
        # A Redis that does not answer must not hold up the request that caused the event.
        async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
            await self._redis.publish(self.channel, event.encode())

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="hdx-realtime-redis")
        # Wait for the subscription so that a process that answers requests also hears every event
        # published from then on; an unreachable Redis delays the start, it does not prevent it.
        try:
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.error(
                "Redis pub/sub unreachable at start; events from other processes are missed until it is"
            )

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self) -> None:
        from redis.exceptions import RedisError

        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        self._dispatch(message)
            except (RedisError, OSError):
                logger.warning("Redis pub/sub connection lost; reconnecting", exc_info=True)
            await asyncio.sleep(RECONNECT_SECONDS)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        try:
            event = Event.decode(message["data"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            logger.warning("ignored a malformed event on %s", self.channel)
            return
        try:
            self._deliver(event)
        except Exception:
            # One bad delivery must not end the listener, or this process would go deaf to every event.
            logger.exception("delivering event %s failed", event.id)


def create_bus(redis: Redis | None, deliver: Deliver) -> EventBus:
    return RedisBus(redis, deliver) if redis is not None else MemoryBus(deliver)
