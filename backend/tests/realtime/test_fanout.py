"""Two API processes on one database and one Redis: an event caused by a request to process A reaches
a client connected to process B."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hdx.agent.localnet import Processes, clean_env, free_port, hdx_command
from hdx.auth.models import Role
from hdx.config import Settings
from tests.computations.conftest import BASE
from tests.conftest import BACKEND, MakeUser
from tests.realtime.conftest import ORIGIN, ws_client

pytestmark = pytest.mark.slow


@pytest.fixture
def environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    if not settings.redis_url:
        pytest.skip("set HDX_TEST_REDIS_URL: fan-out across processes needs Redis pub/sub (CI sets it)")
    assert settings.jwt_secret is not None
    return clean_env(
        HDX_ENV="test",
        HDX_DATA_DIR=str(tmp_path / "exchange"),
        HDX_DATABASE_URL=settings.database_url,
        HDX_REDIS_URL=settings.redis_url,
        # One secret: a token issued for the test verifies in both processes.
        HDX_JWT_SECRET=settings.jwt_secret.get_secret_value(),
        HDX_CORS_ORIGINS=f'["{ORIGIN}"]',
        HDX_RATE_LIMIT_ENABLED="false",
        HDX_LOG_LEVEL="WARNING",
    )


@pytest.fixture
def two_processes(environment: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    migrated = subprocess.run(
        hdx_command("migrate"), env=environment, cwd=BACKEND, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    with Processes() as processes:
        urls = []
        for name in ("a", "b"):
            port = free_port()
            process = processes.start(
                f"api {name}",
                [sys.executable, "-m", "uvicorn", "hdx.main:app", "--host", "127.0.0.1", "--port", str(port)],
                env=environment,
                log=tmp_path / f"api-{name}.log",
                cwd=BACKEND,
            )
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, tmp_path / f"api-{name}.log")
            urls.append(url)
        yield urls[0], urls[1]


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not become healthy: {log.read_text(errors='replace')[-2000:]}")


async def test_a_client_on_process_b_receives_an_event_caused_on_process_a(
    two_processes: tuple[str, str], make_user: MakeUser
) -> None:
    a, b = two_processes
    north = await make_user(Role.org_admin, org="North Hospital")
    south = await make_user(Role.org_admin, org="South Clinic")
    async with httpx.AsyncClient(base_url=a, timeout=30) as on_a:
        created = await on_a.post(
            f"{BASE}/initialize",
            json={
                "title": "Mean systolic blood pressure",
                "analysis": "mean",
                "params": {"variable": {"name": "systolic_bp", "lo": 40, "hi": 300}},
                "participants": [north.organization_id, south.organization_id],
                "protocol": "shamir",
                "threshold": 2,
                "min_participants": 2,
            },
            headers=north.headers,
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        async with (
            ws_client(b.replace("http", "ws"), token=south.token) as on_b,
            ws_client(a.replace("http", "ws"), token=north.token) as also_on_a,
        ):
            await on_b.next_type("ready")
            await also_on_a.next_type("ready")
            assert (await on_b.subscribe(f"computation:{cid}"))["type"] == "subscribed"
            for user in (north, south):
                answered = await on_a.post(
                    f"{BASE}/{cid}/accept", json={"source": "agent"}, headers=user.headers
                )
                assert answered.status_code == 200, answered.text
            heard_on_b, heard_on_a = await asyncio.gather(
                on_b.event("computation.status"), also_on_a.event("computation.status")
            )
    assert heard_on_b["channel"] == f"computation:{cid}"
    assert heard_on_a["channel"] == f"org:{north.organization_id}"
    assert heard_on_b["id"] == heard_on_a["id"]
    assert heard_on_b["data"]["to"] == "running"
