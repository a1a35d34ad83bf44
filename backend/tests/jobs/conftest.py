"""Three organizations whose diabetes data (a third each) is in the vault, and an embedded job runner
that sweeps deadlines every 0.2 s."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import polars as pl
import pytest
from sklearn.datasets import load_diabetes

from hdx.config import Settings
from tests.analyses.federation import split
from tests.computations.conftest import BASE, ORGS, Org, _org
from tests.conftest import MakeUser
from tests.datasets.conftest import DIABETES_COLUMNS, upload

BP = {"name": "mean_arterial_pressure", "lo": 40, "hi": 140}
GLUCOSE = {"name": "glucose", "lo": 40, "hi": 140}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs": "embedded", "sweep_interval_seconds": 0.2})


@pytest.fixture
async def orgs(client: httpx.AsyncClient, make_user: MakeUser) -> list[Org]:
    return [await _org(client, make_user, name) for name in ORGS]


@pytest.fixture(scope="session")
def diabetes() -> pl.DataFrame:
    frame = pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame).rename(DIABETES_COLUMNS)
    ids = pl.Series("patient_id", [f"MRN-{100_000 + i}" for i in range(frame.height)])
    return frame.insert_column(0, ids)


@pytest.fixture(scope="session")
def thirds(diabetes: pl.DataFrame) -> list[pl.DataFrame]:
    return split(diabetes, 3)


async def upload_dataset(client: httpx.AsyncClient, org: Org, frame: pl.DataFrame) -> str:
    response = await upload(client, org.doctor.headers, frame.write_csv().encode(), name="diabetes study")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def vault(client: httpx.AsyncClient, orgs: list[Org], thirds: list[pl.DataFrame]) -> list[str]:
    """Each organization's third of the study, uploaded to the vault; their dataset ids."""
    return [await upload_dataset(client, org, frame) for org, frame in zip(orgs, thirds, strict=True)]


def pooled(frame: pl.DataFrame, variable: dict[str, Any]) -> dict[str, float]:
    values = frame.get_column(variable["name"]).to_numpy()
    return {"mean": float(values.mean()), "variance": float(values.var(ddof=1))}


async def status(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{cid}/status", headers=org.doctor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for(
    probe: Callable[[], Awaitable[dict[str, Any]]],
    done: Callable[[dict[str, Any]], bool],
    seconds: float = 60,
) -> dict[str, Any]:
    """Poll without sending anything that moves the computation: only the job runner may."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        seen = await probe()
        if done(seen) or asyncio.get_running_loop().time() > deadline:
            return seen
        await asyncio.sleep(0.05)


async def result(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    finished = await wait_for(lambda: status(client, org, cid), lambda s: s["status"] != "running")
    assert finished["status"] == "completed", (finished["status"], finished["failure_reason"])
    response = await client.get(f"{BASE}/result/{finished['result_id']}", headers=org.doctor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
