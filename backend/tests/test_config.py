"""Settings defaults that depend on HDX_ENV: the origins a dashboard in development may call from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from hdx.app import create_app
from hdx.auth.models import Role
from hdx.config import Settings
from tests.conftest import create_user
from tests.kit.serving import served
from tests.realtime.conftest import ws_client

DEV_SERVER = ("http://localhost:3000", "http://127.0.0.1:3000")


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "var", **values)


@pytest.fixture(autouse=True)
def _no_configured_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HDX_CORS_ORIGINS", raising=False)


@pytest.mark.parametrize("env", ["development", "test"])
def test_dashboard_dev_server_is_allowed_under_both_its_names_by_default(env: str, tmp_path: Path) -> None:
    origins = _settings(tmp_path, env=env).cors_origins
    assert set(DEV_SERVER) <= set(origins)
    assert "http://localhost:8000" in origins


def test_production_default_does_not_add_the_loopback_address(tmp_path: Path) -> None:
    production = _settings(tmp_path, env="production", jwt_secret="s" * 40, master_key="ab" * 32)
    assert "http://127.0.0.1:3000" not in production.cors_origins
    assert production.cors_origins == ["http://localhost:3000", "http://localhost:8000"]


def test_configured_origins_replace_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HDX_CORS_ORIGINS", '["https://dashboard.example.org"]')
    assert _settings(tmp_path).cors_origins == ["https://dashboard.example.org"]
    assert _settings(tmp_path, cors_origins=[]).cors_origins == []


async def test_dev_server_at_127_0_0_1_keeps_its_live_connection(
    database_url: str, clean_state: None, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, env="development", database_url=database_url, rate_limit_enabled=False)
    app = create_app(settings)
    async with served(app) as base_url:
        user = await create_user(app.state.sessionmaker, settings, Role.doctor)
        for origin in DEV_SERVER:
            async with httpx.AsyncClient(base_url=base_url) as client:
                preflight = await client.options(
                    "/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
                )
            assert preflight.status_code == 200, origin
            assert preflight.headers["Access-Control-Allow-Origin"] == origin
            ws_base = base_url.replace("http://", "ws://")
            async with ws_client(ws_base, token=user.token, origin=origin) as feed:
                assert (await feed.next_type("ready"))["user_id"] == user.id
