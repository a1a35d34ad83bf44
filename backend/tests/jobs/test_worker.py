"""With Redis, the API only enqueues: a separate `hdx worker` process runs the hosted agent's steps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest

from hdx.config import Settings
from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, pooled, result

pytestmark = pytest.mark.skipif(
    not os.environ.get("HDX_TEST_REDIS_URL"),
    reason="needs Redis for the taskiq broker: set HDX_TEST_REDIS_URL (CI does)",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs": "taskiq", "sweep_interval_seconds": 0.5})


@pytest.fixture
def worker(settings: Settings, app: object) -> Iterator[subprocess.Popen[bytes]]:
    """`hdx worker` on the test database, Redis and vault (the app has created the master key); its
    output is in the test's data directory, worker.log."""
    env = os.environ | {
        "HDX_ENV": "test",
        "HDX_DATA_DIR": str(settings.data_dir),
        "HDX_DATABASE_URL": settings.database_url,
        "HDX_REDIS_URL": str(settings.redis_url),
        "HDX_SWEEP_INTERVAL_SECONDS": "0.5",
    }
    log = Path(settings.data_dir) / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", "from hdx.cli import main; main()", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_hdx_worker_runs_the_hosted_steps_the_api_enqueues(
    client: httpx.AsyncClient,
    orgs: list[Org],
    vault: list[str],
    diabetes: pl.DataFrame,
    worker: subprocess.Popen[bytes],
) -> None:
    body = spec(orgs, protocol="secagg", analysis="mean", params={"variable": BP}, threshold=2)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text
    values = (await result(client, orgs[0], cid))["values"]
    assert worker.poll() is None, "the worker exited"
    assert values["n"] == diabetes.height
    assert values["values"]["mean"] == pytest.approx(pooled(diabetes, BP)["mean"], rel=1e-9)
