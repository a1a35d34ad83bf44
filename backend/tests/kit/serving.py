"""An application served by a real uvicorn on a free loopback port, and the log lines it writes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI

from hdx.kit.logging import JsonFormatter


class LogLines(logging.Handler):
    """Every log line of the process, as the JSON the service writes, from the moment it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))

    def at_least(self, level: int, since: int = 0) -> list[dict[str, Any]]:
        names = {name.lower() for name, value in logging.getLevelNamesMapping().items() if value >= level}
        return [line for line in self.lines[since:] if line["level"] in names]


@asynccontextmanager
async def captured_logs() -> AsyncIterator[LogLines]:
    """Attach after create_app (which installs the service's log handler) and before the requests."""
    handler = LogLines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` (lifespan included) on 127.0.0.1 and yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the server stopped before it started")
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
