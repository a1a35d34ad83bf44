"""Differencing two overlapping filters, and what stops it: each filter passes the per-query rule, yet two
exact sums differ by one patient's value at another organization. An organization that requires
differential privacy refuses such exact queries, and once its data's budget is spent every query on it
stops."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import GLUCOSE, result, status, wait_for

# Exactly one patient of the study is 70, and South Clinic holds that record.
WIDE = [{"column": "age", "op": "between", "value": [30, 70]}]
NARROW = [{"column": "age", "op": "between", "value": [30, 69]}]


def _query(orgs: list[Org], filters: list[dict[str, Any]], **privacy: Any) -> dict[str, Any]:
    return spec(
        orgs,
        title="Glucose total",
        analysis="sum",
        params={"variable": GLUCOSE, "filters": filters},
        **privacy,
    )


async def _run(client: httpx.AsyncClient, orgs: list[Org], vault: list[str], body: dict[str, Any]) -> str:
    cid = str((await create(client, orgs[0].doctor, body))["id"])
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text
    return cid


async def _require_privacy(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.put(
        "/organizations/me/settings",
        json={"min_cohort_k": 5, "requires_output_review": False, "require_differential_privacy": True},
        headers=org.admin.headers,
    )
    assert response.status_code == 200, response.text


async def test_two_overlapping_filters_single_out_a_patient_when_nobody_requires_privacy(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], diabetes: pl.DataFrame
) -> None:
    """The per-query rule alone: both filters pass it and their difference is one record's value."""
    target = diabetes.filter(pl.col("age") == 70)
    assert target.height == 1
    wide = await result(client, orgs[0], await _run(client, orgs, vault, _query(orgs, WIDE)))
    narrow = await result(client, orgs[0], await _run(client, orgs, vault, _query(orgs, NARROW)))
    difference = wide["values"]["values"]["sum"] - narrow["values"]["values"]["sum"]
    assert difference == pytest.approx(target.get_column("glucose")[0], abs=1e-6)


async def test_an_organization_requiring_privacy_refuses_the_exact_differencing_queries(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    await _require_privacy(client, orgs[1])
    for filters in (WIDE, NARROW):
        response = await client.post(
            f"{BASE}/initialize", json=_query(orgs, filters), headers=orgs[0].doctor.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["message"].startswith("South Clinic requires differential")


async def test_once_the_budget_is_spent_every_query_on_the_data_stops(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    south = orgs[1]
    await _require_privacy(client, south)
    budget = await client.put(
        "/organizations/me/privacy-budget", json={"dataset_epsilon": 1.0}, headers=south.admin.headers
    )
    assert budget.status_code == 200, budget.text

    spent = await result(client, orgs[0], await _run(client, orgs, vault, _query(orgs, WIDE, epsilon=1.0)))
    assert spent["protection"]["differential_privacy"]["charged"][vault[1]] == 1.0
    ledger = await client.get(f"/datasets/{vault[1]}/privacy-budget", headers=south.admin.headers)
    assert ledger.json()["epsilon_remaining"] == 0

    # The next noisy query fails at release, charging nothing ...
    cid = await _run(client, orgs, vault, _query(orgs, NARROW, epsilon=1.0))
    finished = await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["status"] != "running")
    assert finished["status"] == "failed"
    assert finished["failure_reason"].startswith("privacy budget exhausted (429)")
    # ... and the same query without epsilon is refused outright, so no exact answer is left to take.
    exact = await client.post(f"{BASE}/initialize", json=_query(orgs, NARROW), headers=orgs[0].doctor.headers)
    assert exact.status_code == 422, exact.text
    assert exact.json()["detail"][0]["field"] == "epsilon"


async def test_the_protection_record_says_how_many_parties_were_hosted(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    released = await result(client, orgs[0], await _run(client, orgs, vault, _query(orgs, WIDE)))
    assert released["protection"]["hosted"] == {"parties": 3, "recipient": False, "reach_threshold": True}


async def test_a_hosted_paillier_recipient_is_recorded(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    body = _query(orgs, WIDE, protocol="paillier")
    released = await result(client, orgs[0], await _run(client, orgs, vault, body))
    assert released["protection"]["hosted"] == {"parties": 3, "recipient": True, "reach_threshold": True}
