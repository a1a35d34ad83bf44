"""Secrets never reach the service's own log: not from URLs, not from SQL parameters."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hdx.app import create_app
from hdx.config import Settings
from hdx.db import create_engine
from tests.kit.serving import captured_logs, served

CLIENT_LOGGERS = ("httpx", "httpcore", "websockets")
SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl"


async def test_the_access_log_never_writes_query_values(settings: Settings) -> None:
    app = create_app(settings)
    async with served(app) as base, captured_logs() as logs:
        async with httpx.AsyncClient(base_url=base) as http:
            for query in (
                f"access_token={SECRET}",
                f"TOKEN={SECRET}",
                f"refresh_token={SECRET}&code={SECRET}",
                f"page=2&Password={SECRET}&api_key={SECRET}&key={SECRET}&secret={SECRET}",
                f"email={SECRET}",
            ):
                await http.get(f"/me?{query}")
        ws_base = base.replace("http://", "ws://")
        with pytest.raises(ConnectionClosed):
            async with connect(f"{ws_base}/ws/metrics?access_token={SECRET}", open_timeout=10) as ws:
                await ws.recv()
    access = [line for line in logs.lines if line["logger"] in ("uvicorn.access", "uvicorn.error")]
    assert any("GET /me?access_token=" in line["message"] for line in access), access
    assert any("/ws/metrics?access_token=" in line["message"] for line in access), access
    assert any("GET /me?page=...&Password=...&api_key=..." in line["message"] for line in access), access
    # The test's own clients log what they send; the service logs nothing of it.
    service = [line for line in logs.lines if not line["logger"].startswith(CLIENT_LOGGERS)]
    assert not [line for line in service if SECRET in str(line)]


async def test_a_failing_statement_is_logged_without_its_parameters(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    logger = logging.getLogger("hdx.tests.sql")
    try:
        async with captured_logs() as logs, engine.connect() as connection:
            try:
                await connection.execute(
                    text("SELECT CAST(:pseudonym AS TEXT), 1 / 0"), {"pseudonym": SECRET}
                )
            except Exception:
                logger.exception("statement failed")
    finally:
        await engine.dispose()
    [line] = [line for line in logs.lines if line["logger"] == "hdx.tests.sql"]
    assert "SELECT CAST" in line["exception"]
    assert SECRET not in str(line)
