"""The embedded job runner sweeps deadlines periodically: an overdue computation expires untouched."""

from __future__ import annotations

import httpx

from tests.computations.conftest import Org, create, spec
from tests.jobs.conftest import status, wait_for


async def test_the_periodic_sweep_expires_an_overdue_computation_without_any_request(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    # Two seconds to answer; one organization never does.
    created = await create(client, orgs[0].doctor, spec(orgs, deadlines={"acceptance_hours": 2 / 3600}))
    assert created["status"] == "pending_approval"
    expired = await wait_for(
        lambda: status(client, orgs[0], created["id"]),
        lambda s: s["status"] != "pending_approval",
        seconds=15,
    )
    assert expired["status"] == "expired"
    assert expired["failure_reason"].startswith(
        "acceptance deadline passed with 0 of 3 organizations accepted"
    )
