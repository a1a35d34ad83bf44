"""Organization isolation, opt-outs, the catalog and CSV export."""

from __future__ import annotations

import uuid

import httpx
import polars as pl
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hdx.auth.models import Role
from hdx.auth.permissions import Action, allowed
from hdx.config import Settings
from hdx.datasets import service
from hdx.datasets.models import PatientOptOut
from tests.conftest import MakeUser
from tests.datasets.conftest import upload


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin])
async def test_another_organization_cannot_see_or_touch_a_dataset_whatever_its_role(
    client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes, role: Role
) -> None:
    owner = await make_user(Role.org_admin, org="Hospital A")
    dataset_id = (await upload(client, owner.headers, diabetes_csv)).json()["id"]
    other = await make_user(role, org="Clinic B")
    unknown = str(uuid.uuid4())
    calls = [
        ("GET", "/uploads/{}", Action.dataset_read),
        ("GET", "/uploads/{}/export", Action.dataset_export),
        ("DELETE", "/uploads/{}", Action.dataset_delete),
    ]
    for method, path, action in calls:
        theirs = await client.request(method, path.format(dataset_id), headers=other.headers)
        missing = await client.request(method, path.format(unknown), headers=other.headers)
        # Same answer as for a dataset that does not exist: existence is not revealed.
        assert theirs.status_code == missing.status_code == (404 if allowed(role, action) else 403)
    listing = await client.get("/uploads", headers=other.headers)
    if allowed(role, Action.dataset_read):
        assert listing.json()["items"] == []
        assert listing.json()["total"] == 0
    assert (await client.get(f"/uploads/{dataset_id}", headers=owner.headers)).status_code == 200


async def test_listing_is_paginated_and_filtered_by_category(
    client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    user = await make_user(Role.doctor)
    for _ in range(3):
        assert (await upload(client, user.headers, diabetes_csv)).status_code == 201
    vitals = b"patient_id,heart_rate\nP1,60\nP2,70\n"
    assert (await upload(client, user.headers, vitals, "vitals")).status_code == 201
    page = (await client.get("/uploads?page=1&size=2", headers=user.headers)).json()
    assert (page["total"], len(page["items"]), page["page"], page["size"]) == (4, 2, 1, 2)
    only = (await client.get("/uploads?category=vitals", headers=user.headers)).json()
    assert [item["category"] for item in only["items"]] == ["vitals"]
    assert (await client.get("/uploads?category=x", headers=user.headers)).status_code == 422


async def test_opted_out_patients_are_excluded_from_every_read(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    diabetes: pl.DataFrame,
    diabetes_csv: bytes,
) -> None:
    admin = await make_user(Role.org_admin)
    dataset_id = (await upload(client, admin.headers, diabetes_csv)).json()["id"]
    leaving = ["MRN-100000", "MRN-100001", "MRN-100441", "MRN-100001"]
    recorded = await client.post("/datasets/opt-outs", headers=admin.headers, json={"patient_ids": leaving})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json() == {"recorded": 3, "already_recorded": 0, "total": 3}
    again = await client.post(
        "/datasets/opt-outs", headers=admin.headers, json={"patient_ids": [" MRN-100000 "]}
    )
    assert again.json() == {"recorded": 0, "already_recorded": 1, "total": 3}

    detail = (await client.get(f"/uploads/{dataset_id}", headers=admin.headers)).json()
    assert detail["profile"]["rows"] == 439
    export = (await client.get(f"/uploads/{dataset_id}/export", headers=admin.headers)).text
    assert len(export.splitlines()) == 1 + 439
    async with app.state.sessionmaker() as session:
        frame = await service.load_frame(session, settings, str(admin.organization_id), dataset_id)
        stored = (await session.scalars(select(PatientOptOut.pseudonym))).all()
    remaining = diabetes.filter(~pl.col("patient_id").is_in(leaving))
    assert frame["glucose"].to_list() == remaining["glucose"].to_list()
    assert not set(stored) & set(leaving)
    assert all(len(p) == 32 for p in stored)
    assert not set(stored) & set(frame["patient_pseudonym"].to_list())

    doctor = await make_user(Role.doctor)
    refused = await client.post("/datasets/opt-outs", headers=doctor.headers, json={"patient_ids": ["MRN-1"]})
    assert refused.status_code == 403


async def test_opt_outs_can_be_checked_and_withdrawn_and_the_rows_count_again(
    client: httpx.AsyncClient, make_user: MakeUser, diabetes_csv: bytes
) -> None:
    admin = await make_user(Role.org_admin)
    dataset_id = (await upload(client, admin.headers, diabetes_csv)).json()["id"]
    leaving = ["MRN-100000", "MRN-100001", "MRN-100002"]
    await client.post("/datasets/opt-outs", headers=admin.headers, json={"patient_ids": leaving})

    check = await client.post(
        "/datasets/opt-outs/check", headers=admin.headers, json={"patient_ids": ["MRN-100001", "MRN-100005"]}
    )
    assert check.status_code == 200, check.text
    assert check.json() == {"opted_out": ["MRN-100001"], "not_opted_out": ["MRN-100005"], "total": 3}

    withdrawn = await client.post(
        "/datasets/opt-outs/withdraw",
        headers=admin.headers,
        json={"patient_ids": ["MRN-100001", "MRN-100005"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json() == {"withdrawn": 1, "not_recorded": 1, "total": 2}
    detail = (await client.get(f"/uploads/{dataset_id}", headers=admin.headers)).json()
    assert detail["profile"]["rows"] == 442 - 2

    # Another organization's objections are its own: the same identifiers there are untouched.
    other = await make_user(Role.org_admin, org="Clinic B")
    elsewhere = await client.post(
        "/datasets/opt-outs/check", headers=other.headers, json={"patient_ids": leaving}
    )
    assert elsewhere.json()["opted_out"] == []
    doctor = await make_user(Role.doctor)
    for path in ("/datasets/opt-outs/check", "/datasets/opt-outs/withdraw"):
        refused = await client.post(path, headers=doctor.headers, json={"patient_ids": ["MRN-1"]})
        assert refused.status_code == 403
    assert (
        await client.post("/datasets/opt-outs/withdraw", headers=admin.headers, json={"patient_ids": []})
    ).status_code == 422
    trail = (await client.get("/security/audit-report", headers=admin.headers)).json()
    assert "dataset.opt_out_withdrawn" in str(trail)


async def test_the_catalog_lists_categories_with_loinc_codes_units_and_ranges(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.lab_technician)
    response = await client.get("/datasets/catalog", headers=user.headers)
    assert response.status_code == 200
    categories = {c["category"]: {col["name"]: col for col in c["columns"]} for c in response.json()}
    assert set(categories) == {"blood_test", "vitals", "lab_results", "medications", "diagnoses", "custom"}
    systolic = categories["vitals"]["systolic_bp"]
    assert (systolic["loinc"], systolic["unit"], systolic["minimum"], systolic["maximum"]) == (
        "8480-6",
        "mm[Hg]",
        40,
        300,
    )
    loincs = {col["name"]: col["loinc"] for cols in categories.values() for col in cols.values()}
    assert (loincs["hba1c"], loincs["creatinine"], loincs["bmi"]) == ("4548-4", "2160-0", "39156-5")
    assert categories["diagnoses"]["event"]["kind"] == "flag"
    assert categories["vitals"]["patient_id"]["required"] is True


def test_export_neutralizes_formula_text() -> None:
    frame = pl.DataFrame({"note": ["=1+2", "+33", "-x", "@A1", "\tcmd", "plain", None], "n": [-1.0] * 7})
    out = service.neutralize_formulas(frame)
    assert out["note"].to_list() == ["'=1+2", "'+33", "'-x", "'@A1", "'\tcmd", "plain", None]
    assert out["n"].to_list() == [-1.0] * 7


async def test_lab_results_are_range_checked_by_loinc_code(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.lab_technician)
    rows = [b"patient_id,loinc_code,value,unit\n"] + [
        f"P{i},2345-7,{90 + i},mg/dL\n".encode() for i in range(40)
    ]
    rows[3] = b"P2,2345-7,5000,mg/dL\n"
    rows[4] = b"P3,12345678-9,1,x\n"
    response = await upload(client, user.headers, b"".join(rows), "lab_results")
    assert response.status_code == 201, response.text
    assert response.json()["report"]["problems"] == [
        {"line": 4, "column": "value", "reason": "outside the plausible range for its LOINC code"},
        {"line": 5, "column": "loinc_code", "reason": "not a valid LOINC code of the test"},
    ]
