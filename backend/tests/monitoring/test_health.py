from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hdx.app import create_app
from hdx.config import Settings


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgresql+asyncpg://hdx:hdx@127.0.0.1:9/hdx", id="closed-port"),
        pytest.param("sqlite+aiosqlite:////nonexistent-directory/hdx.db", id="unopenable-file"),
    ],
)
async def test_health_is_503_when_the_database_is_unreachable(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    broken = settings.model_copy(update={"database_url": database_url, "data_dir": tmp_path / "var"})
    app = create_app(broken)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/health")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["database"]["status"] == "error"
            # The rest of the service still answers.
            assert (await client.get("/")).status_code == 200


async def test_health_is_200_and_reports_redis(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    expected = "ok" if settings.redis_url else "not_configured"
    assert response.json()["checks"]["redis"]["status"] == expected
