"""Bad uploads get a precise 4xx or a precise per-row report, and never leave anything half-stored."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from hdx.auth.models import Role
from hdx.config import Settings
from hdx.datasets.models import Dataset, DatasetKey
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser
from tests.datasets.conftest import upload, vault_files

VITALS_HEADER = b"patient_id,measured_at,systolic_bp,diastolic_bp,heart_rate\n"


def vitals(rows: int, bad: dict[int, bytes] | None = None) -> bytes:
    lines = [VITALS_HEADER]
    for i in range(rows):
        line = f"P{i:05d},2024-03-01T08:{i % 60:02d}:00,{110 + i % 40},{70 + i % 20},{60 + i % 30}\n".encode()
        lines.append((bad or {}).get(i, line))
    return b"".join(lines)


async def assert_nothing_stored(app: FastAPI, settings: Settings) -> None:
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Dataset)) == 0
        assert await session.scalar(select(func.count()).select_from(DatasetKey)) == 0
    assert vault_files(settings) == []


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        pytest.param(b"", 422, "The file is empty", id="empty"),
        pytest.param(b"  \n\n", 422, "The file is empty", id="blank"),
        pytest.param(VITALS_HEADER, 422, "header but no data rows", id="header-only"),
        pytest.param(VITALS_HEADER + b"\n\n", 422, "header but no data rows", id="header-and-blank-lines"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, 415, "PNG image", id="png"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 300, 415, "ZIP archive", id="xlsx"),
        pytest.param(b"patient_id,heart_rate\n\x00\x01\x02\x03", 415, "NUL bytes", id="binary"),
        pytest.param(
            b"patient_id|systolic_bp|diastolic_bp\nP1|120|80\n",
            422,
            "read as one single column",
            id="wrong-delimiter",
        ),
        pytest.param(
            b"measured_at,systolic_bp,diastolic_bp\n2024-01-01,120,80\n",
            422,
            "Missing required column 'patient_id'",
            id="missing-required-column",
        ),
        pytest.param(
            b"patient_id,measured_at,ward\nP1,2024-01-01,east\n",
            422,
            "No measurement column for category 'vitals'",
            id="no-measurement",
        ),
        pytest.param(
            b"patient_id,systolic_bp,SBP\nP1,120,121\n",
            422,
            "'systolic_bp' and 'SBP' both mean 'systolic_bp'",
            id="aliased-twice",
        ),
        pytest.param(
            b"patient_id,heart_rate,Heart Rate\nP1,60,61\n",
            422,
            "column 'Heart Rate' twice",
            id="duplicated-header",
        ),
        pytest.param(b"x" * (1024 * 1024), 422, "Line 1 is longer than 65,536 bytes", id="1mb-single-line"),
        pytest.param(
            VITALS_HEADER + b"P1,2024-01-01T08:00:00,120,80,60\nP2,2024-01-01T08:00:00,12\xe9,80,60\n",
            422,
            "not valid UTF-8 text (first invalid byte on line 3)",
            id="latin-1",
        ),
        pytest.param(b"\xff\xfep\x00i\x00d\x00", 422, "UTF-16", id="utf-16"),
        pytest.param(
            VITALS_HEADER + b"P1,2024-01-01T08:00:00,120,80,60,99\n",
            422,
            "more fields than the header",
            id="ragged-row",
        ),
    ],
)
async def test_structural_problems_are_refused_precisely(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    content: bytes,
    status: int,
    message: str,
) -> None:
    user = await make_user(Role.lab_technician)
    response = await upload(client, user.headers, content, "vitals")
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] in ("validation_error", "unsupported_media_type")
    assert message in str(body["detail"])
    await assert_nothing_stored(app, settings)
    async with app.state.sessionmaker() as session:
        refused = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "dataset.upload"))
        ).all()
    assert [(e.outcome, e.details["status"]) for e in refused] == [("rejected", status)]


async def test_a_few_bad_rows_are_reported_line_by_line_and_the_rest_kept(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    bad = {
        10: b"P00010,2024-03-01T08:10:00,abc,80,60\n",
        20: b"P00020,2024-03-01T08:20:00,120,80,900\n",
        30: b",2024-03-01T08:30:00,120,80,60\n",
        40: b"P00040,03/01/2024,120,80,60\n",
        50: b"P00050,2024-03-01T08:50:00,120,=1+2,60\n",
    }
    response = await upload(client, user.headers, vitals(200, bad), "vitals")
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (200, 195, 5)
    assert report["problems"] == [
        {"line": 12, "column": "systolic_bp", "reason": "not a number"},
        {"line": 22, "column": "heart_rate", "reason": "outside the plausible range 20 to 300 /min"},
        {"line": 32, "column": "patient_id", "reason": "required value is missing"},
        {
            "line": 42,
            "column": "measured_at",
            "reason": "not a date-time in this column's format (%Y-%m-%dT%H:%M:%S)",
        },
        {"line": 52, "column": "diastolic_bp", "reason": "not a number"},
    ]
    stored = await client.get(f"/uploads/{response.json()['id']}", headers=user.headers)
    assert stored.json()["report"] == report
    assert stored.json()["profile"]["rows"] == 195


async def test_too_many_bad_rows_reject_the_whole_upload_with_its_report(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    bad = {i: f"P{i:05d},2024-03-01T08:00:00,{400 + i},80,60\n".encode() for i in range(0, 200, 10)}
    response = await upload(client, user.headers, vitals(200, bad), "vitals")
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "nothing was stored" in detail["message"]
    assert detail["report"]["rows_rejected"] == 20
    assert detail["report"]["problem_counts"] == [
        {"column": "systolic_bp", "reason": "outside the plausible range 40 to 300 mm[Hg]", "rows": 20}
    ]
    assert [p["line"] for p in detail["report"]["problems"]] == list(range(2, 202, 10))
    await assert_nothing_stored(app, settings)


async def test_only_the_first_hundred_problems_are_listed(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    settings.max_invalid_share = 0.5
    user = await make_user(Role.doctor)
    bad = {i: f"P{i:05d},2024-03-01T08:00:00,120,80,1000\n".encode() for i in range(150)}
    response = await upload(client, user.headers, vitals(400, bad), "vitals")
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert report["rows_rejected"] == 150
    assert len(report["problems"]) == 100
    assert report["problems"][-1]["line"] == 101


async def test_formula_cells_are_rejected_per_row(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(Role.pharmacist)
    rows = [b"patient_id,medication,dose_mg\n"] + [f"P{i},metformin,500\n".encode() for i in range(60)]
    rows[5] = b'P5,"=HYPERLINK(""http://evil.example"",""x"")",500\n'
    rows[9] = b"P9,@SUM(A1:A9),500\n"
    response = await upload(client, user.headers, b"".join(rows), "medications")
    assert response.status_code == 201, response.text
    problems = response.json()["report"]["problems"]
    reason = "starts with '=', '+', '-' or '@', which a spreadsheet would run as a formula"
    assert problems == [
        {"line": 6, "column": "medication", "reason": reason},
        {"line": 10, "column": "medication", "reason": reason},
    ]
    export = await client.get(f"/uploads/{response.json()['id']}/export", headers=user.headers)
    assert "HYPERLINK" not in export.text
    assert "SUM(" not in export.text


async def test_an_upload_above_the_size_limit_is_refused_while_streaming(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    settings.max_upload_bytes = 10_000
    user = await make_user(Role.doctor)
    response = await upload(client, user.headers, vitals(2_000), "vitals")
    assert response.status_code == 413
    assert "10,000-byte upload limit" in response.json()["detail"]
    await assert_nothing_stored(app, settings)


async def test_the_category_must_be_one_of_the_catalog(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    response = await upload(client, user.headers, vitals(3), "x-rays")
    assert response.status_code == 422
    assert "Unknown category 'x-rays'" in response.json()["detail"]
    missing = await client.post(
        "/upload", headers=user.headers, files={"file": ("a.csv", vitals(3), "text/csv")}
    )
    assert missing.status_code == 422
    assert "'category' is required" in missing.json()["detail"]
    json_body = await client.post("/upload", headers=user.headers, json={"category": "vitals"})
    assert json_body.status_code == 415


async def test_semicolons_tabs_bom_and_decimal_commas_are_understood(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    semicolon = "\ufeffPatient ID;Temperature;Heart Rate\r\nP1;36,6;61\r\nP2;37,2;72\r\n".encode()
    response = await upload(client, user.headers, semicolon, "vitals")
    assert response.status_code == 201, response.text
    assert response.json()["report"]["delimiter"] == "semicolon"
    detail = (await client.get(f"/uploads/{response.json()['id']}", headers=user.headers)).json()
    temperature = next(c for c in detail["profile"]["columns"] if c["name"] == "temperature")
    assert (temperature["min"], temperature["max"]) == (36.6, 37.2)
    tab = b"mrn\tglucose\tHbA1c\tsex\nP1\t95\t5.4\tfemale\nP2\t140\t7.1\tM\n"
    response = await upload(client, user.headers, tab, "blood_test")
    assert response.status_code == 201, response.text
    assert response.json()["report"]["delimiter"] == "tab"
    assert [c["name"] for c in response.json()["columns"]] == ["patient_pseudonym", "glucose", "hba1c", "sex"]
