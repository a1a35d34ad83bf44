"""With paillier and hybrid the requester's party decrypts the exact aggregate before suppression, output
review and central noise: central differential privacy and participants that require output review are
refused at initialize, and distributed noise, which every party adds before encrypting, still runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.computations.conftest import BASE, Org, create, spec

HOMOMORPHIC = ["paillier", "hybrid", "homomorphic"]


async def _refused(client: httpx.AsyncClient, org: Org, body: dict[str, Any]) -> dict[str, str]:
    response = await client.post(f"{BASE}/initialize", json=body, headers=org.doctor.headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert len(detail) == 1, detail
    problem: dict[str, str] = detail[0]
    return problem


async def _require_review(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.put(
        "/organizations/me/settings",
        json={"min_cohort_k": 5, "requires_output_review": True},
        headers=org.admin.headers,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("protocol", HOMOMORPHIC)
@pytest.mark.parametrize("privacy", [{"epsilon": 1.0}, {"epsilon": 1.0, "delta": 1e-6, "dp_mode": "central"}])
async def test_central_noise_is_refused_where_the_requesters_party_decrypts_the_aggregate(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str, privacy: dict[str, Any]
) -> None:
    problem = await _refused(client, orgs[0], spec(orgs, protocol=protocol, **privacy))
    assert problem["field"] == "dp_mode"
    assert "decrypts the exact aggregate" in problem["message"]
    assert 'use dp_mode "distributed"' in problem["message"]


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
async def test_distributed_noise_still_runs_with_paillier_and_hybrid(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str
) -> None:
    body = spec(orgs, protocol=protocol, epsilon=1.0, delta=1e-6, dp_mode="distributed")
    created = await create(client, orgs[0].doctor, body)
    assert (created["protocol"], created["dp_mode"]) == (protocol, "distributed")


@pytest.mark.parametrize("protocol", HOMOMORPHIC)
async def test_a_participant_requiring_output_review_is_not_bypassed_by_paillier_or_hybrid(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str
) -> None:
    await _require_review(client, orgs[2])
    problem = await _refused(client, orgs[0], spec(orgs, protocol=protocol))
    assert problem["field"] == "protocol"
    assert problem["message"].startswith(f"{orgs[2].name} requires output review")
    assert "use shamir or secagg" in problem["message"]


async def test_every_organization_requiring_review_is_named(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    for org in orgs[1:]:
        await _require_review(client, org)
    problem = await _refused(
        client, orgs[0], spec(orgs, protocol="hybrid", epsilon=1.0, delta=1e-6, dp_mode="distributed")
    )
    assert problem["message"].startswith(f"{orgs[1].name}, {orgs[2].name} require output review")


@pytest.mark.parametrize("protocol", ["shamir", "secagg"])
async def test_output_review_stays_available_with_shamir_and_secagg(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str
) -> None:
    await _require_review(client, orgs[2])
    created = await create(client, orgs[0].doctor, spec(orgs, protocol=protocol, epsilon=1.0))
    assert (created["protocol"], created["dp_mode"]) == (protocol, "central")
