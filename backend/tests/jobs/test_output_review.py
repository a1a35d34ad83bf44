"""Output review: the administrators of an organization whose review holds a result see the values they
are asked to release, marked as not released; nobody else sees them before every review released it."""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, pooled, status, wait_for


async def _reviewing(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.put(
        "/organizations/me/settings",
        json={"min_cohort_k": 5, "requires_output_review": True},
        headers=org.admin.headers,
    )
    assert response.status_code == 200, response.text


async def _held(client: httpx.AsyncClient, orgs: list[Org], vault: list[str]) -> tuple[str, str]:
    """A mean over the three vault datasets whose result waits for East Laboratory's review."""
    await _reviewing(client, orgs[2])
    cid = (await create(client, orgs[0].doctor, spec(orgs, params={"variable": BP})))["id"]
    for org, dataset_id in zip(orgs, vault, strict=True):
        accepted = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert accepted.status_code == 200, accepted.text
    held = await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["status"] != "running")
    assert held["status"] == "awaiting_release", held["failure_reason"]
    return cid, str(held["result_id"])


async def _result(client: httpx.AsyncClient, headers: dict[str, str], result_id: str) -> dict[str, Any]:
    response = await client.get(f"/result/{result_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _audit(client: httpx.AsyncClient, org: Org, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/security/audit-report", params={"action": action}, headers=org.admin.headers
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]["items"]
    return events


async def test_the_reviewing_admin_sees_the_values_marked_unreleased_and_nobody_else_does(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], diabetes: pl.DataFrame
) -> None:
    north, south, east = orgs
    cid, result_id = await _held(client, orgs, vault)

    review = await _result(client, east.admin.headers, result_id)
    assert (review["status"], review["released"], review["review_copy"]) == ("awaiting_release", False, True)
    assert review["values"]["n"] == diabetes.height
    assert review["values"]["values"]["mean"] == pytest.approx(pooled(diabetes, BP)["mean"], rel=1e-9)
    assert review["waiting_for"] == ["East Laboratory"]

    # The requester, the other party and the reviewing organization's other staff decide nothing: no values.
    for headers in (north.admin.headers, north.doctor.headers, south.admin.headers, east.doctor.headers):
        held = await _result(client, headers, result_id)
        assert (held["values"], held["released"], held["review_copy"]) == (None, False, False)
    # The result path under /secure-computations answers the same.
    nested = (await client.get(f"{BASE}/result/{result_id}", headers=east.admin.headers)).json()
    assert nested["review_copy"] is True

    # Who read the values before release is on the reviewing organization's audit trail.
    reads = await _audit(client, east, "computation.result_review_read")
    assert [(e["actor_email"], e["target_id"], e["details"]) for e in reads] == [
        (east.admin.email, cid, {"result_id": result_id}),
        (east.admin.email, cid, {"result_id": result_id}),
    ]

    released = await client.post(
        f"{BASE}/{cid}/release", json={"decision": "release"}, headers=east.admin.headers
    )
    assert released.status_code == 200, released.text
    assert (released.json()["released"], released.json()["review_copy"]) == (True, False)
    for headers in (north.doctor.headers, south.admin.headers, east.doctor.headers):
        visible = await _result(client, headers, result_id)
        assert (visible["status"], visible["released"], visible["review_copy"]) == ("visible", True, False)
        assert visible["values"] == review["values"]
    (event,) = await _audit(client, east, "computation.result_released")
    assert (event["actor_email"], event["details"]) == (east.admin.email, {"result_id": result_id})


async def test_withholding_is_audited_like_releasing_and_the_values_stay_hidden(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    north, _, east = orgs
    cid, result_id = await _held(client, orgs, vault)

    withheld = await client.post(
        f"{BASE}/{cid}/release",
        json={"decision": "withhold", "reason": "cohort too identifiable"},
        headers=east.admin.headers,
    )

    assert withheld.status_code == 200, withheld.text
    assert (withheld.json()["status"], withheld.json()["values"]) == ("withheld", None)
    for headers in (east.admin.headers, north.admin.headers):
        assert (await _result(client, headers, result_id))["values"] is None
    (event,) = await _audit(client, east, "computation.result_withheld")
    assert (event["actor_email"], event["target_id"], event["details"]) == (
        east.admin.email,
        cid,
        {"result_id": result_id, "reason": "cohort too identifiable"},
    )
