"""Upload real data, restart the exchange, read the same values back; nothing readable lies on disk."""

from __future__ import annotations

import struct

import httpx
import polars as pl
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from hdx.app import create_app
from hdx.auth.models import Role
from hdx.config import Settings
from hdx.datasets import service
from hdx.datasets.models import Dataset, DatasetKey, OrganizationKey
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser
from tests.datasets.conftest import upload


async def test_upload_reports_and_profiles_the_diabetes_study(
    client: httpx.AsyncClient, make_user: MakeUser, diabetes: pl.DataFrame, diabetes_csv: bytes
) -> None:
    doctor = await make_user(Role.doctor)
    response = await upload(client, doctor.headers, diabetes_csv, name="Diabetes progression")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows"] == 442
    assert body["report"]["rows_read"] == 442
    assert body["report"]["rows_rejected"] == 0
    kinds = {c["name"]: (c["kind"], c["loinc"]) for c in body["columns"]}
    assert kinds["glucose"] == ("number", "2345-7")
    assert kinds["age"] == ("integer", "30525-0")
    assert kinds["progression"] == ("integer", None)  # inferred from its whole values: not a catalog column
    assert kinds["patient_pseudonym"][0] == "pseudonym"

    detail = await client.get(f"/uploads/{body['id']}", headers=doctor.headers)
    assert detail.status_code == 200, detail.text
    profile = {c["name"]: c for c in detail.json()["profile"]["columns"]}
    assert profile["bmi"]["min"] == diabetes["bmi"].min()
    assert profile["bmi"]["max"] == diabetes["bmi"].max()
    assert abs(profile["glucose"]["mean"] - diabetes["glucose"].mean()) < 1e-9
    assert profile["patient_pseudonym"]["distinct"] == 442
    assert profile["age"]["missing"] == 0


async def test_values_survive_a_restart_and_nothing_readable_is_on_disk(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    diabetes: pl.DataFrame,
    diabetes_csv: bytes,
) -> None:
    doctor = await make_user(Role.doctor)
    created = await upload(client, doctor.headers, diabetes_csv)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]

    restarted = create_app(settings)
    async with LifespanManager(restarted):
        async with restarted.state.sessionmaker() as session:
            frame = await service.load_frame(session, settings, doctor.organization_id, dataset_id)
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
            exported = await second.get(f"/uploads/{dataset_id}/export", headers=doctor.headers)
    assert frame.height == 442
    expected = diabetes.drop("patient_id")
    assert frame.drop("patient_pseudonym").with_columns(pl.col("age").cast(pl.Float64)).equals(expected)
    assert exported.status_code == 200
    assert exported.text.splitlines()[0].startswith("patient_pseudonym,age,sex_code,bmi")
    assert len(exported.text.splitlines()) == 443

    [blob] = list((settings.data_dir / "vault").rglob("*.hdx"))
    stored = blob.read_bytes()
    for identifier in diabetes["patient_id"].to_list()[:50]:
        assert identifier.encode() not in stored
    for line in diabetes_csv.splitlines()[1:50]:
        for cell in line.split(b",")[1:]:
            if len(cell) >= 5:
                assert cell not in stored
    for value in diabetes["progression"].to_list()[:50]:
        assert struct.pack("<d", value) not in stored
    assert b"PAR1" not in stored
    assert b"patient" not in stored


async def test_raw_identifiers_are_stored_nowhere(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    doctor = await make_user(Role.doctor)
    created = await upload(client, doctor.headers, diabetes_csv)
    assert created.status_code == 201
    async with app.state.sessionmaker() as session:
        dataset = await session.get(Dataset, created.json()["id"])
        events = (await session.scalars(select(AuditEvent))).all()
        keys = (await session.scalars(select(DatasetKey))).all() + (
            await session.scalars(select(OrganizationKey))
        ).all()
    assert dataset is not None
    persisted = repr(dataset.__dict__) + repr([e.details for e in events]) + repr([k.__dict__ for k in keys])
    assert "MRN-" not in persisted
    export = (await client.get(f"/uploads/{dataset.id}/export", headers=doctor.headers)).text
    assert "MRN-" not in export
    pseudonyms = [line.split(",")[0] for line in export.splitlines()[1:]]
    assert len(set(pseudonyms)) == 442
    assert all(len(p) == 32 for p in pseudonyms)
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert b"MRN-" not in file.read_bytes()
