"""Differential privacy at release with vault datasets: every contributing dataset is charged, and an
exhausted budget fails the computation before anything is visible."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, result, status, wait_for


async def _start_noisy(client: httpx.AsyncClient, orgs: list[Org], vault: list[str], protocol: str) -> str:
    body = spec(orgs, protocol=protocol, analysis="mean", params={"variable": BP}, epsilon=1.0, threshold=2)
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


@pytest.mark.parametrize(("protocol", "noised_by"), [("shamir", "exchange"), ("paillier", "party 1")])
async def test_a_noisy_release_charges_every_contributing_dataset(
    client: httpx.AsyncClient,
    orgs: list[Org],
    vault: list[str],
    diabetes: pl.DataFrame,
    protocol: str,
    noised_by: str,
) -> None:
    cid = await _start_noisy(client, orgs, vault, protocol)
    released = await result(client, orgs[0], cid)
    dp = released["protection"]["differential_privacy"]
    assert dp["noised_by"].startswith(noised_by)
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
    for org, dataset_id in zip(orgs, vault, strict=True):
        assert (await _ledger(client, org, dataset_id))["epsilon_spent"] == 0
