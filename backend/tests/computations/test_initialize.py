from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role
from hdx.organizations.models import Organization
from tests.computations.conftest import BASE, Org, create, spec
from tests.conftest import MakeUser


async def test_original_body_by_names_becomes_a_secure_mean(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    body = {
        "metric_type": "blood_pressure",
        "participating_orgs": [org.name for org in orgs],
        "security_method": "hybrid",
        "threshold": 2,
        "min_participants": 3,
    }
    created = await create(client, orgs[0].doctor, body)
    assert created["analysis"] == "mean"
    assert created["params"]["variable"] == {"name": "systolic_bp", "lo": 40.0, "hi": 300.0}
    assert created["protocol"] == "hybrid"
    assert (created["threshold"], created["min_participants"]) == (2, 3)
    assert [p["organization_name"] for p in created["parties"]] == [org.name for org in orgs]
    assert created["status"] == "pending_approval"


@pytest.mark.parametrize(
    ("metric", "method", "variable", "protocol"),
    [
        ("glucose", "standard", "glucose", "shamir"),
        ("Cholesterol", "homomorphic", "total_cholesterol", "paillier"),
        ("heart_rate", "secagg", "heart_rate", "secagg"),
    ],
)
async def test_original_metrics_and_methods_map(
    client: httpx.AsyncClient, orgs: list[Org], metric: str, method: str, variable: str, protocol: str
) -> None:
    body = {
        "metric_type": metric,
        "participating_orgs": [org.id for org in orgs],
        "security_method": method,
        "threshold": 2,
        "min_participants": 2,
    }
    created = await create(client, orgs[0].doctor, body)
    assert created["params"]["variable"]["name"] == variable
    assert created["protocol"] == protocol


async def test_original_body_with_unknown_metric_is_422(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    body = {
        "metric_type": "happiness",
        "participating_orgs": [org.id for org in orgs],
        "threshold": 2,
        "min_participants": 2,
    }
    response = await client.post(f"{BASE}/initialize", json=body, headers=orgs[0].doctor.headers)
    assert response.status_code == 422
    assert "unknown metric_type" in response.json()["detail"][0]["message"]


async def test_rich_spec_keeps_deadlines_and_privacy(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    body = spec(
        orgs,
        analysis="histogram",
        params={"variable": {"name": "age", "lo": 0, "hi": 100}, "bins": 10},
        epsilon=1.0,
        delta=1e-6,
        deadlines={"acceptance_hours": 2, "round_minutes": 15, "expires_hours": 48},
    )
    created = await create(client, orgs[0].doctor, body)
    assert (created["epsilon"], created["delta"]) == (1.0, 1e-6)
    deadlines = created["deadlines"]
    made = datetime.fromisoformat(created["created_at"])
    assert round((datetime.fromisoformat(deadlines["acceptance_at"]) - made).total_seconds()) == 7200
    assert round((datetime.fromisoformat(deadlines["expires_at"]) - made).total_seconds()) == 48 * 3600
    assert deadlines["round_at"] is None


def _field(response: httpx.Response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return str(detail[0]["field"])


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"threshold": 4}, "threshold", "between 2 and the number of participants (3)"),
        ({"threshold": 1}, "threshold", "greater than or equal to 2"),
        ({"threshold": 3, "min_participants": 2}, "min_participants", "at least the threshold (3)"),
        ({"min_participants": 4}, "min_participants", "at most 3"),
        ({"analysis": "regression_tree"}, "analysis", "unknown analysis"),
        ({"params": {"variable": {"name": "age", "lo": 5, "hi": 1}}}, "params.variable", "lo < hi"),
        ({"protocol": "magic"}, "protocol", "unknown protocol 'magic'"),
        ({"delta": 1e-5}, "delta", "delta is only meaningful with epsilon"),
        (
            {
                "protocol": "shamir",
                "analysis": "variance",
                "params": {"variable": {"name": "glucose", "lo": 0, "hi": 3e13}},
            },
            "params",
            "fractional bits",
        ),
    ],
)
async def test_invalid_specs_are_422_with_the_field(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], field: str, fragment: str
) -> None:
    response = await client.post(
        f"{BASE}/initialize", json=spec(orgs, **overrides), headers=orgs[0].doctor.headers
    )
    assert response.status_code == 422, response.text
    assert _field(response) == field
    assert fragment in str(response.json()["detail"])


async def test_participants_must_exist_be_distinct_active_and_include_the_requester(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    north, south, east = orgs
    headers = north.doctor.headers
    url = f"{BASE}/initialize"

    unknown = await client.post(
        url, json=spec(orgs, participants=[north.id, "Nowhere Clinic"]), headers=headers
    )
    assert unknown.status_code == 422
    assert "Nowhere Clinic" in unknown.json()["detail"][0]["message"]

    twice = await client.post(
        url, json=spec(orgs, participants=[north.id, north.name, south.id]), headers=headers
    )
    assert twice.status_code == 422
    assert "more than once" in twice.json()["detail"][0]["message"]

    without_me = await client.post(url, json=spec([south, east]), headers=headers)
    assert without_me.status_code == 422
    assert "requesting organization" in without_me.json()["detail"][0]["message"]

    stored = await db.get(Organization, east.id)
    assert stored is not None
    stored.active = False
    await db.commit()
    inactive = await client.post(url, json=spec(orgs), headers=headers)
    assert inactive.status_code == 422
    assert "not active: East Laboratory" in inactive.json()["detail"][0]["message"]


async def test_at_most_fifty_parties(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    participants = [orgs[0].id, *(f"org-{i}" for i in range(50))]
    response = await client.post(
        f"{BASE}/initialize", json=spec(orgs, participants=participants), headers=orgs[0].doctor.headers
    )
    assert response.status_code == 422
    assert _field(response) == "participants"


async def test_patients_cannot_propose(
    client: httpx.AsyncClient, orgs: list[Org], make_user: MakeUser
) -> None:
    patient = await make_user(Role.patient, org=orgs[0].name)
    response = await client.post(f"{BASE}/initialize", json=spec(orgs), headers=patient.headers)
    assert response.status_code == 403
    assert (await client.get(BASE, headers=patient.headers)).status_code == 200
