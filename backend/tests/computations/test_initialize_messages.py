"""422s from initialize name fields as the client's own body names them, whichever of the two bodies it
sent, and list every accepted value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.computations.conftest import BASE, Org, spec

ACCEPTED = "shamir, secagg, paillier, hybrid, standard (= shamir), homomorphic (= paillier)"


def original(orgs: list[Org], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metric_type": "glucose",
        "participating_orgs": [org.name for org in orgs],
        "security_method": "standard",
        "threshold": 2,
        "min_participants": 2,
    }
    return body | overrides


async def _detail(client: httpx.AsyncClient, org: Org, body: Any) -> list[dict[str, str]]:
    response = await client.post(f"{BASE}/initialize", json=body, headers=org.doctor.headers)
    assert response.status_code == 422, response.text
    detail: list[dict[str, str]] = response.json()["detail"]
    assert isinstance(detail, list), detail
    return detail


@pytest.mark.parametrize("method", ["quantum", 7, None])
async def test_an_unknown_security_method_lists_every_accepted_value(
    client: httpx.AsyncClient, orgs: list[Org], method: Any
) -> None:
    detail = await _detail(client, orgs[0], original(orgs, security_method=method))
    assert [item["field"] for item in detail] == ["security_method"]
    assert ACCEPTED in detail[0]["message"]


async def test_an_unknown_protocol_lists_every_accepted_value(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    detail = await _detail(client, orgs[0], spec(orgs, protocol="quantum"))
    assert [item["field"] for item in detail] == ["protocol"]
    assert "unknown protocol 'quantum'" in detail[0]["message"]
    assert ACCEPTED in detail[0]["message"]


async def test_every_accepted_security_method_is_in_the_schema(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name, field in (("OriginalInitialize", "security_method"), ("ComputationSpec", "protocol")):
        listed = schemas[name]["properties"][field]["enum"]
        assert listed == ["shamir", "secagg", "paillier", "hybrid", "standard", "homomorphic"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"threshold": 1}, "threshold"),
        ({"min_participants": "many"}, "min_participants"),
        ({"participating_orgs": ["North Hospital"]}, "participating_orgs"),
        ({"metric_type": "happiness"}, "metric_type"),
    ],
)
async def test_original_body_errors_name_its_own_fields(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], field: str
) -> None:
    detail = await _detail(client, orgs[0], original(orgs, **overrides))
    assert [item["field"] for item in detail] == [field]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        (
            {"participating_orgs": ["North Hospital", "Nowhere Clinic"]},
            "participating_orgs",
            "Nowhere Clinic",
        ),
        ({"threshold": 4, "min_participants": 3}, "threshold", "between 2 and the number of participants"),
        ({"min_participants": 4}, "min_participants", "at most 3"),
    ],
)
async def test_original_body_refusals_after_validation_name_its_own_fields(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], field: str, fragment: str
) -> None:
    detail = await _detail(client, orgs[0], original(orgs, **overrides))
    assert detail[0]["field"] == field
    assert fragment in detail[0]["message"]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"threshold": 1}, "threshold", "greater than or equal to 2"),
        ({"epsilon": 1.0, "dp_mode": "distributed"}, "dp_mode", "needs delta"),
        ({"dp_mode": "central"}, "dp_mode", "only meaningful with epsilon"),
        (
            {"deadlines": {"acceptance_hours": 5, "expires_hours": 1}},
            "deadlines.expires_hours",
            "must not be shorter than acceptance_hours",
        ),
        ({"params": {"variable": {"name": "age", "lo": 5, "hi": 1}}}, "params.variable", "lo < hi"),
    ],
)
async def test_spec_errors_name_the_field_to_change(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], field: str, fragment: str
) -> None:
    detail = await _detail(client, orgs[0], spec(orgs, **overrides))
    assert [item["field"] for item in detail] == [field]
    assert fragment in detail[0]["message"]


async def test_a_body_that_is_not_an_object_is_named_body(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    detail = await _detail(client, orgs[0], ["mean"])
    assert [item["field"] for item in detail] == ["body"]
