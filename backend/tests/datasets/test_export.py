"""CSV export writes every column in its stored type: the file a hospital uploaded comes back as it was
written (integers without a decimal point, numbers as stored, dates and date-times in ISO 8601), with
the patient identifier replaced by its pseudonym."""

from __future__ import annotations

import httpx

from hdx.auth.models import Role
from tests.conftest import MakeUser
from tests.datasets.conftest import upload

UPLOADED = """\
patient_id,age,bmi,visits,balance,event,sampled_at,measured_at,sex
MRN-1,36,23.4,3,-2,1,2024-01-05,2024-01-05T08:30:00,F
MRN-2,71,30.0,12,4,0,2023-12-31,2024-02-29T23:59:59,M
MRN-3,5,18.25,0,-7.5,1,2022-06-01,2024-03-01T00:00:00,F
"""

# `visits` holds whole numbers only, so it is stored as an integer column like `age`; `balance` has a
# fraction, so it is a number column and keeps its decimal point. `sampled_at` holds dates only.
EXPORTED = """\
age,bmi,visits,balance,event,sampled_at,measured_at,sex
36,23.4,3,-2.0,1,2024-01-05,2024-01-05T08:30:00,F
71,30.0,12,4.0,0,2023-12-31,2024-02-29T23:59:59,M
5,18.25,0,-7.5,1,2022-06-01,2024-03-01T00:00:00,F
"""


async def test_an_export_writes_each_column_in_its_stored_type(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.doctor)
    created = await upload(client, doctor.headers, UPLOADED.encode(), name="Clinic follow-up")
    assert created.status_code == 201, created.text
    kinds = {c["name"]: c["kind"] for c in created.json()["columns"]}
    assert (kinds["age"], kinds["visits"], kinds["balance"], kinds["bmi"]) == (
        "integer",
        "integer",
        "number",
        "number",
    )

    exported = await client.get(f"/uploads/{created.json()['id']}/export", headers=doctor.headers)
    assert exported.status_code == 200, exported.text
    lines = exported.text.splitlines()
    pseudonyms = [line.split(",", 1)[0] for line in lines]
    assert pseudonyms[0] == "patient_pseudonym"
    assert len(set(pseudonyms[1:])) == 3
    assert not any("MRN" in p for p in pseudonyms)
    assert "\n".join(line.split(",", 1)[1] for line in lines) + "\n" == EXPORTED
