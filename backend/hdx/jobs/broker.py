"""The taskiq Redis broker and its tasks; `hdx worker` runs them (hdx.jobs.worker) with the context
built at the worker's start, while the API only enqueues."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Annotated

from redis.asyncio import Redis
from taskiq import AsyncBroker, Context, TaskiqDepends, TaskiqEvents, TaskiqState
from taskiq_redis import ListQueueBroker

from hdx.config import get_settings
from hdx.db import create_engine, create_sessionmaker
from hdx.jobs import work
from hdx.kit.logging import configure_logging
from hdx.realtime.hub import start_realtime

logger = logging.getLogger("hdx.jobs")

HOSTED_STEP = "hdx.hosted_step"
QUEUE = "hdx:jobs"


async def _hosted_step(computation_id: str, context: Annotated[Context, TaskiqDepends()]) -> None:
    await work.hosted_step(context.state.jobs, computation_id)


def create_broker(redis_url: str) -> AsyncBroker:
    broker = ListQueueBroker(redis_url, queue_name=QUEUE)
    broker.register_task(_hosted_step, task_name=HOSTED_STEP)
    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, functools.partial(_worker_startup, broker))
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, _worker_shutdown)
    return broker


async def _worker_startup(broker: AsyncBroker, state: TaskiqState) -> None:
    from hdx.jobs.runner import QueuedJobs

    settings = get_settings()
    configure_logging(settings.log_level)
    settings.master_key_bytes()  # a worker that cannot open the vault must not start taking jobs
    state.engine = create_engine(settings.database_url)
    state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    sessionmaker = create_sessionmaker(state.engine)
    state.events = await start_realtime(settings, state.redis, sessionmaker)
    # Steps that open rounds for other hosted parties enqueue them on this same broker.
    state.jobs = work.JobContext(settings, sessionmaker, state.events, QueuedJobs(broker))
    state.sweeper = asyncio.create_task(_sweep_forever(state.jobs))


async def _sweep_forever(context: work.JobContext) -> None:
    while True:
        try:
            await work.sweep(context)
        except Exception:
            logger.exception("deadline sweep failed; retrying at the next interval")
        await asyncio.sleep(context.settings.sweep_interval_seconds)


async def _worker_shutdown(state: TaskiqState) -> None:
    state.sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await state.sweeper
    await state.events.close()
    await state.engine.dispose()
    if state.redis is not None:
        await state.redis.aclose()
