"""Accepting with a vault dataset that cannot serve the analysis is refused at once, naming what is
missing, instead of failing the computation later with a reason only one party's status shows."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.suitability import schema_of
from hdx.config import Settings
from hdx.datasets import repository as datasets
from hdx.datasets.service import load_frame
from tests.computations.conftest import BASE, Org, create, spec
from tests.datasets.conftest import upload

PATIENTS = pl.DataFrame(
    {
        "patient_id": [f"MRN-{i}" for i in range(40)],
        "age": [30 + i % 40 for i in range(40)],
        "sex": ["F" if i % 2 else "M" for i in range(40)],
        "glucose": [80.0 + i for i in range(40)],
        "event": [i % 3 == 0 for i in range(40)],
        "ward": [f"ward {i % 4}" for i in range(40)],
    }
)


async def _dataset(client: httpx.AsyncClient, org: Org, frame: pl.DataFrame = PATIENTS) -> str:
    response = await upload(client, org.doctor.headers, frame.write_csv().encode(), name="patients")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _accept(client: httpx.AsyncClient, org: Org, cid: str, dataset_id: str) -> httpx.Response:
    return await client.post(
        f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
    )


async def _status(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{BASE}/{cid}/status", headers=org.doctor.headers)).json()
    return body


async def test_the_stored_schema_is_what_analyses_read(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession, settings: Settings
) -> None:
    dataset_id = await _dataset(client, orgs[0])
    stored = await datasets.dataset(db, orgs[0].id, dataset_id)
    assert stored is not None
    frame = await load_frame(db, settings, orgs[0].id, dataset_id)
    assert schema_of(stored) == dict(frame.schema)


async def test_a_dataset_without_the_analysed_column_is_refused_naming_it(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    params = {
        "variable": {"name": "systolic_bp", "lo": 40, "hi": 300},
        "filters": [{"column": "smoker", "op": "==", "value": 1}, {"column": "age", "op": ">=", "value": 18}],
    }
    cid = (await create(client, orgs[0].doctor, spec(orgs, params=params)))["id"]
    dataset_id = await _dataset(client, orgs[1])

    response = await _accept(client, orgs[1], cid, dataset_id)

    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["field"] == "dataset_id"
    assert detail["missing_columns"] == ["systolic_bp", "smoker"]
    assert "has no column 'systolic_bp', 'smoker'" in detail["message"]
    # Nothing changed: the organization may still accept with another dataset or its agent, or decline.
    parties = (await _status(client, orgs[1], cid))["parties"]
    assert [p["status"] for p in parties] == ["invited", "invited", "invited"]


@pytest.mark.parametrize(
    ("analysis", "params", "fragment"),
    [
        ("mean", {"variable": {"name": "ward", "lo": 0, "hi": 1}}, "column 'ward' is String, not numeric"),
        (
            "mean",
            {"variable": {"name": "glucose", "level": "F", "lo": 0, "hi": 1}},
            "column 'glucose' is Float64, not a category",
        ),
        (
            "crosstab",
            {
                "row": {"name": "sex", "categories": [1, 2]},
                "column": {"name": "ward", "categories": ["ward 1"]},
            },
            "column 'sex' is String, but its categories are integer",
        ),
        (
            "kaplan_meier",
            {"time": {"name": "age", "lo": 0, "hi": 120}, "event": "ward", "bins": 4},
            "event column 'ward' is String, not 0/1",
        ),
        (
            "count",
            {"filters": [{"column": "sex", "op": ">=", "value": 1}]},
            "filter '>=' on 'sex' needs a numeric column",
        ),
    ],
)
async def test_a_dataset_with_columns_of_the_wrong_kind_is_refused(
    client: httpx.AsyncClient, orgs: list[Org], analysis: str, params: dict[str, Any], fragment: str
) -> None:
    cid = (await create(client, orgs[0].doctor, spec(orgs, analysis=analysis, params=params)))["id"]
    dataset_id = await _dataset(client, orgs[2])

    response = await _accept(client, orgs[2], cid, dataset_id)

    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["field"] == "dataset_id"
    assert fragment in detail["message"]


async def test_a_dataset_that_serves_the_analysis_is_accepted(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    params = {
        "time": {"name": "age", "lo": 0, "hi": 120},
        "event": "event",
        "bins": 4,
        "filters": [{"column": "sex", "op": "==", "value": "F"}],
    }
    cid = (await create(client, orgs[0].doctor, spec(orgs, analysis="kaplan_meier", params=params)))["id"]
    dataset_id = await _dataset(client, orgs[1])

    response = await _accept(client, orgs[1], cid, dataset_id)

    assert response.status_code == 200, response.text
    assert response.json()["parties"][1]["status"] == "accepted"
