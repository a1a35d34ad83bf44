"""The job runners: embedded asyncio tasks (the default), or a taskiq Redis broker for `hdx worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdx.config import Settings
from hdx.jobs import work
from hdx.realtime.hub import Realtime

if TYPE_CHECKING:
    # taskiq and Redis are imported only when the taskiq runner is configured (start_jobs).
    from taskiq import AsyncBroker

logger = logging.getLogger("hdx.jobs")


class JobRunner(Protocol):
    async def hosted_step(self, computation_id: str) -> None: ...

    async def close(self) -> None: ...


class EmbeddedJobs:
    """Jobs as tasks of the API process: a sweep every `sweep_interval_seconds` and hosted steps.

    Steps of one computation run one at a time, and a request for a step while one waits to start is
    already served by it.
    """

    def __init__(
        self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], events: Realtime | None
    ) -> None:
        self.context = work.JobContext(settings, sessionmaker, events, self)
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="hdx-sweep")

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.context.settings.sweep_interval_seconds)
            try:
                await work.sweep(self.context)
            except Exception:
                logger.exception("deadline sweep failed; retrying at the next interval")

    async def hosted_step(self, computation_id: str) -> None:
        if computation_id in self._waiting:
            return
        self._waiting.add(computation_id)
        task = asyncio.create_task(self._hosted(computation_id), name=f"hdx-hosted-{computation_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hosted(self, computation_id: str) -> None:
        lock = self._locks.setdefault(computation_id, asyncio.Lock())
        try:
            async with lock:
                self._waiting.discard(computation_id)
                await work.hosted_step(self.context, computation_id)
        except Exception:
            logger.exception(
                "hosted step failed; the sweep retries it", extra={"computation_id": computation_id}
            )
        finally:
            if not lock.locked() and computation_id not in self._waiting:
                self._locks.pop(computation_id, None)

    async def close(self) -> None:
        # A step cut short rolls back; the next start's sweep enqueues it again.
        pending = [*self._tasks, *([self._sweeper] if self._sweeper else [])]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class QueuedJobs:
    """The API side with a broker: hosted steps are enqueued for the `hdx worker` processes, which
    also run the periodic sweep."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def hosted_step(self, computation_id: str) -> None:
        from hdx.jobs.broker import HOSTED_STEP

        await self.broker.find_task(HOSTED_STEP).kiq(computation_id)  # type: ignore[union-attr]

    async def close(self) -> None:
        await self.broker.shutdown()


async def start_jobs(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], events: Realtime | None
) -> JobRunner:
    if settings.job_runner == "taskiq":
        from hdx.jobs.broker import create_broker

        assert settings.redis_url is not None
        broker = create_broker(settings.redis_url)
        await broker.startup()
        return QueuedJobs(broker)
    jobs = EmbeddedJobs(settings, sessionmaker, events)
    jobs.start()
    return jobs
