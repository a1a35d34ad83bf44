"""When a computation fails because parties dropped out, its failure reason says which and why."""

from __future__ import annotations

import httpx

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import BP, status, wait_for


async def test_the_failure_reason_names_each_dropped_party_and_its_reason(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str]
) -> None:
    # Every third of the study is below k: the hosted parties stop one after the other.
    body = spec(orgs, params={"variable": BP}, threshold=2, k=1000)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text

    failed = await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["status"] != "running")

    assert failed["status"] == "failed"
    reason = failed["failure_reason"]
    assert "fewer than the threshold of 2" in reason
    dropped = [p for p in failed["parties"] if p["status"] == "dropped"]
    assert len(dropped) >= 2
    for party in dropped:
        assert "fewer than k=1000" in party["dropped_reason"]
        assert (
            f"party {party['party_index']} ({party['organization_name']}): {party['dropped_reason']}"
            in reason
        )
