"""Errors no endpoint expected: a JSON body, the request id and security headers, and one log line each."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hdx.app import create_app
from hdx.config import Settings
from hdx.kit.middleware import SECURITY_HEADERS
from tests.kit.serving import captured_logs, served

REQUEST_ID = "trace-0123456789"
SECRET = "password=hunter2 at /srv/hdx/secret.py"


def _app_with_a_failing_route(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    return app


def _assert_carries_request_context(response: httpx.Response) -> None:
    assert response.headers["X-Request-ID"] == REQUEST_ID
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"


async def test_unhandled_error_is_a_json_500_with_request_id_logged_once(
    settings: Settings, clean_state: None
) -> None:
    app = _app_with_a_failing_route(settings)
    async with captured_logs() as logs, served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            since = len(logs.lines)
            response = await client.get(
                "/boom", headers={"X-Request-ID": REQUEST_ID, "Origin": "http://localhost:3000"}
            )
            # The same connection keeps serving.
            after = await client.get("/", headers={"X-Request-ID": REQUEST_ID})
            errors = logs.at_least(logging.WARNING, since)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": "internal_error",
        "detail": "The server could not complete this request; it has been logged.",
    }
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    _assert_carries_request_context(response)
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert after.status_code == 200

    assert len(errors) == 1, errors
    [line] = errors
    assert line["level"] == "error"
    assert line["logger"] == "hdx.errors"
    assert line["request_id"] == REQUEST_ID
    assert line["method"] == "GET"
    assert line["path"] == "/boom"
    assert SECRET in line["exception"]


async def test_unhandled_error_over_asgi_does_not_escape_the_application(
    settings: Settings, clean_state: None
) -> None:
    app = _app_with_a_failing_route(settings)
    transport = httpx.ASGITransport(app=app)  # raises whatever the application lets escape
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/boom", headers={"X-Request-ID": REQUEST_ID})
        assert response.status_code == 405  # a known route, the wrong method: not an error
        response = await client.get("/boom", headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    _assert_carries_request_context(response)


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgresql+asyncpg://hdx:hdx@127.0.0.1:9/hdx", id="closed-port"),
        pytest.param("sqlite+aiosqlite:////nonexistent-directory/hdx.db", id="unopenable-file"),
    ],
)
async def test_unreachable_database_is_503_with_retry_after_logged_once(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    broken = settings.model_copy(update={"database_url": database_url, "data_dir": tmp_path / "var"})
    app = create_app(broken)
    async with captured_logs() as logs, served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            since = len(logs.lines)
            login = await client.post(
                "/login",
                json={"email": "admin@cityhospital.org", "password": "a long unusual passphrase"},
                headers={"X-Request-ID": REQUEST_ID},
            )
            problems = logs.at_least(logging.WARNING, since)
            # Routes that need no database still answer; /health names the problem.
            assert (await client.get("/")).status_code == 200
            health = await client.get("/health")

    assert login.status_code == 503, login.text
    assert login.json()["error"] == "service_unavailable"
    assert "database" in login.json()["detail"].lower()
    assert 1 <= int(login.headers["Retry-After"]) <= 60
    _assert_carries_request_context(login)
    assert len(problems) == 1, problems
    [line] = problems
    assert line["level"] == "warning"
    assert line["request_id"] == REQUEST_ID
    assert "database" in line["message"]
    assert "exception" not in line  # an outage, not a bug: no stack trace per request

    assert health.status_code == 503
    assert 1 <= int(health.headers["Retry-After"]) <= 60


async def test_health_names_the_drivers_error_when_the_database_is_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    broken = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://hdx:hdx@127.0.0.1:9/hdx", "data_dir": tmp_path / "var"}
    )
    app = create_app(broken)
    async with served(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        health = await client.get("/health")
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == {"status": "error", "detail": "ConnectionRefusedError"}
