"""Differential privacy at release with vault datasets: every contributing dataset is charged, and an
exhausted budget fails the computation before anything is visible."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, result, status, wait_for

# Central noise for shamir; paillier and hybrid take distributed noise only (the requester's party decrypts
# the exact aggregate there, so central noise would not protect it from the requester).
PRIVACY: dict[str, dict[str, Any]] = {
    "shamir": {"epsilon": 1.0},
    "hybrid": {"epsilon": 1.0, "delta": 1e-6, "dp_mode": "distributed"},
}


async def _start_noisy(client: httpx.AsyncClient, orgs: list[Org], vault: list[str], protocol: str) -> str:
    privacy = PRIVACY[protocol]
    body = spec(orgs, protocol=protocol, analysis="mean", params={"variable": BP}, threshold=2, **privacy)
    cid = str((await create(client, orgs[0].doctor, body))["id"])
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text
    return cid


async def _ledger(client: httpx.AsyncClient, org: Org, dataset_id: str) -> dict[str, Any]:
    response = await client.get(f"/datasets/{dataset_id}/privacy-budget", headers=org.admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_noisy_release_charges_every_contributing_dataset(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], diabetes: pl.DataFrame
) -> None:
    cid = await _start_noisy(client, orgs, vault, "shamir")
    released = await result(client, orgs[0], cid)
    dp = released["protection"]["differential_privacy"]
    assert dp["noised_by"].startswith("exchange")
    assert (dp["mechanism"], dp["epsilon"], dp["delta"]) == ("laplace", 1.0, 0.0)
    assert dp["scale"] > 0
    assert dp["charged"] == dict.fromkeys(vault, 1.0)
    assert dp["not_charged"] == []
    exact = float(diabetes.get_column(BP["name"]).mean())  # type: ignore[arg-type]
    assert released["values"]["values"]["mean"] != pytest.approx(exact, rel=1e-12)
    for org, dataset_id in zip(orgs, vault, strict=True):
        assert (await _ledger(client, org, dataset_id))["epsilon_spent"] == pytest.approx(1.0)


@pytest.mark.parametrize("protocol", ["shamir", "hybrid"])
async def test_an_exhausted_budget_fails_the_computation_without_a_result(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], protocol: str
) -> None:
    response = await client.put(
        "/organizations/me/privacy-budget", json={"dataset_epsilon": 0.5}, headers=orgs[2].admin.headers
    )
    assert response.status_code == 200, response.text
    cid = await _start_noisy(client, orgs, vault, protocol)
    finished = await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["status"] != "running")
    assert finished["status"] == "failed"
    assert finished["failure_reason"].startswith("privacy budget exhausted (429)")
    assert finished["result_id"] is None
    # Every party reads the reason: it names the organization whose budget ran out, never its dataset.
    for org in orgs:
        reason = (await status(client, org, cid))["failure_reason"]
        assert f"the privacy budget of {orgs[2].name}'s dataset is exhausted" in reason
        assert all(dataset_id not in reason for dataset_id in vault)
    for org, dataset_id in zip(orgs, vault, strict=True):
        assert (await _ledger(client, org, dataset_id))["epsilon_spent"] == 0
