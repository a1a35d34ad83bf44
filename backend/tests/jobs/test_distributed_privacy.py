"""Distributed differential privacy with vault datasets: the hosted agent noises each party's input, the
release says so, and each contributing dataset is charged exactly once."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, result


async def _ledger(client: httpx.AsyncClient, org: Org, dataset_id: str) -> dict[str, Any]:
    response = await client.get(f"/datasets/{dataset_id}/privacy-budget", headers=org.admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("protocol", ["secagg", "hybrid"])
async def test_a_distributed_release_is_noised_by_the_parties_and_charged_once(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], diabetes: pl.DataFrame, protocol: str
) -> None:
    body = spec(
        orgs,
        protocol=protocol,
        analysis="mean",
        params={"variable": BP},
        epsilon=0.5,
        delta=1e-6,
        dp_mode="distributed",
        threshold=2,
    )
    cid = str((await create(client, orgs[0].doctor, body))["id"])
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text

    released = await result(client, orgs[0], cid)
    dp = released["protection"]["differential_privacy"]
    assert (dp["mode"], dp["mechanism"], dp["epsilon"], dp["delta"]) == (
        "distributed",
        "distributed_discrete_gaussian",
        0.5,
        1e-6,
    )
    assert dp["noised_by"].startswith("each of the 3 contributing parties")
    assert dp["honest_parties"] == 2
    # Three shares where two carry the guarantee: 3/2 of the variance.
    assert dp["released_scale"] == pytest.approx(dp["scale"] * (3 / 2) ** 0.5)
    assert dp["charged"] == dict.fromkeys(vault, 0.5)
    exact = float(diabetes.get_column(BP["name"]).mean())  # type: ignore[arg-type]
    assert released["values"]["values"]["mean"] != pytest.approx(exact, rel=1e-12)
    # Mean of 442 pressures with a per-record bound of 140 at epsilon 0.5: the noise is a few units.
    assert released["values"]["values"]["mean"] == pytest.approx(exact, abs=25)
    for org, dataset_id in zip(orgs, vault, strict=True):
        ledger = await _ledger(client, org, dataset_id)
        assert ledger["epsilon_spent"] == pytest.approx(0.5)
        assert ledger["delta_spent"] == pytest.approx(1e-6)
        assert [entry["reference"] for entry in ledger["ledger"]["items"]] == [f"computation:{cid}"]
