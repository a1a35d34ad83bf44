from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.datasets.models import Dataset
from hdx.organizations.models import Organization
from hdx.security.models import AuditEvent
from tests.computations.conftest import BASE, Org, accept_all, create, running, spec


async def test_three_organizations_take_a_computation_to_running(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    north, south, east = orgs
    created = await create(client, north.doctor, spec(orgs, min_participants=3))
    assert created["status"] == "pending_approval"
    assert [p["party_index"] for p in created["parties"]] == [1, 2, 3]
    assert {p["status"] for p in created["parties"]} == {"invited"}
    assert created["current_round"] == 0

    inbox = (await client.get(f"{BASE}/inbox", headers=south.doctor.headers)).json()
    assert [item["computation_id"] for item in inbox] == [created["id"]]
    assert inbox[0]["party_index"] == 2
    assert inbox[0]["requester_organization_name"] == "North Hospital"
    assert inbox[0]["organizations"] == ["North Hospital", "South Clinic", "East Laboratory"]

    after_two = await accept_all(client, [north, south], created["id"])
    assert after_two["status"] == "pending_approval"
    assert [p["status"] for p in after_two["parties"]] == ["accepted", "accepted", "invited"]
    assert (await client.get(f"{BASE}/inbox", headers=south.admin.headers)).json() == []

    final = await accept_all(client, [east], created["id"])
    assert final["status"] == "running"
    assert final["current_round"] == 1
    assert final["deadlines"]["round_at"] is not None
    assert final["started_at"] is not None

    status = (await client.get(f"{BASE}/{created['id']}/status", headers=east.doctor.headers)).json()
    assert status["status"] == "running"
    assert [p["source"] for p in status["parties"]] == ["agent", "agent", "agent"]

    actions = (
        await db.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == created["id"]).order_by(AuditEvent.seq)
        )
    ).all()
    assert actions[:2] == ["computation.created", "computation.pending_approval"]
    assert actions.count("computation.accepted") == 3
    assert actions[-2:] == ["computation.running", "computation.round_started"]


async def test_k_is_the_largest_of_request_exchange_and_every_party(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    east = await db.get(Organization, orgs[2].id)
    assert east is not None
    east.min_cohort_k = 25
    await db.commit()
    assert (await create(client, orgs[0].doctor, spec(orgs)))["k"] == 25
    assert (await create(client, orgs[0].doctor, spec(orgs, k=40)))["k"] == 40
    assert (await create(client, orgs[0].doctor, spec(orgs[:2], k=2)))["k"] == 5


async def test_decline_leaves_enough_parties_then_runs(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    north, south, east = orgs
    created = await create(client, north.doctor, spec(orgs, min_participants=2))
    declined = await client.post(
        f"{BASE}/{created['id']}/decline",
        json={"reason": "no ethics approval yet"},
        headers=east.admin.headers,
    )
    assert declined.status_code == 200
    assert declined.json()["parties"][2]["decline_reason"] == "no ethics approval yet"
    assert declined.json()["status"] == "pending_approval"
    started = await accept_all(client, [north, south], created["id"])
    assert started["status"] == "running"
    assert [p["status"] for p in started["parties"]] == ["accepted", "accepted", "declined"]


async def test_computation_fails_once_acceptances_cannot_reach_the_minimum(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    north, south, east = orgs
    created = await create(client, north.doctor, spec(orgs, min_participants=3))
    await accept_all(client, [north], created["id"])
    response = await client.post(f"{BASE}/{created['id']}/decline", json={}, headers=south.admin.headers)
    body = response.json()
    assert body["status"] == "failed"
    assert "3 are required" in body["failure_reason"]
    late = await client.post(
        f"{BASE}/{created['id']}/accept", json={"source": "agent"}, headers=east.admin.headers
    )
    assert late.status_code == 409
    assert "failed" in late.json()["detail"]


async def test_answering_twice_is_a_conflict(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    await accept_all(client, [orgs[1]], created["id"])
    again = await client.post(f"{BASE}/{created['id']}/decline", json={}, headers=orgs[1].admin.headers)
    assert again.status_code == 409
    assert "already answered" in again.json()["detail"]


async def test_only_org_admins_answer_invitations(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    response = await client.post(
        f"{BASE}/{created['id']}/accept", json={"source": "agent"}, headers=orgs[1].doctor.headers
    )
    assert response.status_code == 403


async def test_accept_needs_exactly_one_data_source(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    url = f"{BASE}/{created['id']}/accept"
    neither = await client.post(url, json={}, headers=orgs[1].admin.headers)
    both = await client.post(url, json={"source": "agent", "dataset_id": "x"}, headers=orgs[1].admin.headers)
    foreign = await client.post(url, json={"dataset_id": "not-ours"}, headers=orgs[1].admin.headers)
    assert (neither.status_code, both.status_code, foreign.status_code) == (422, 422, 422)
    assert foreign.json()["detail"][0]["field"] == "dataset_id"


async def test_cancel_by_requester_then_illegal_transitions_are_409(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    north, south, _ = orgs
    created = await create(client, north.doctor, spec(orgs))
    by_partner = await client.post(f"{BASE}/{created['id']}/cancel", headers=south.doctor.headers)
    assert by_partner.status_code == 403
    cancelled = await client.post(f"{BASE}/{created['id']}/cancel", headers=north.doctor.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["failure_reason"] == f"cancelled by {north.doctor.email}"

    again = await client.post(f"{BASE}/{created['id']}/cancel", headers=north.admin.headers)
    assert again.status_code == 409
    assert again.json()["detail"]["message"] == "A computation that is cancelled cannot become cancelled"
    assert again.json()["detail"]["allowed"] == []
    compute = await client.post(f"{BASE}/{created['id']}/compute", headers=north.doctor.headers)
    assert compute.status_code == 409


async def test_list_filters_by_status_and_organizations_lists_partners(
    client: httpx.AsyncClient, orgs: list[Org], outsider: Org
) -> None:
    north = orgs[0]
    started = await running(client, orgs)
    pending = await create(client, north.doctor, spec(orgs))
    everything = (await client.get(BASE, headers=orgs[2].doctor.headers)).json()
    assert everything["total"] == 2
    assert {item["id"] for item in everything["items"]} == {started["id"], pending["id"]}
    only_running = (await client.get(BASE, params={"status": "running"}, headers=north.doctor.headers)).json()
    assert [item["id"] for item in only_running["items"]] == [started["id"]]
    assert (await client.get(BASE, headers=outsider.doctor.headers)).json()["total"] == 0
    original_path = await client.get(f"{BASE}/", headers=north.doctor.headers)
    assert (original_path.status_code, original_path.json()["total"]) == (200, 2)

    partners = (await client.get(f"{BASE}/organizations", headers=north.doctor.headers)).json()
    names = [item["name"] for item in partners["items"]]
    assert names == ["East Laboratory", "South Clinic", "West Pharmacy"]
    assert partners["items"][0]["type"] == "hospital"


async def test_another_organization_sees_nothing(
    client: httpx.AsyncClient, orgs: list[Org], outsider: Org
) -> None:
    computation = await running(client, orgs)
    cid = computation["id"]
    user = outsider.admin.headers
    for method, path in [
        ("GET", f"{BASE}/{cid}/status"),
        ("GET", f"{BASE}/{cid}/parties"),
        ("POST", f"{BASE}/{cid}/cancel"),
        ("POST", f"{BASE}/{cid}/compute"),
    ]:
        response = await client.request(method, path, headers=user)
        assert response.status_code == 404, (method, path)
    for path, body in [(f"{BASE}/{cid}/accept", {"source": "agent"}), (f"{BASE}/{cid}/decline", {})]:
        assert (await client.post(path, json=body, headers=user)).status_code == 404
    release = await client.post(f"{BASE}/{cid}/release", json={"decision": "release"}, headers=user)
    assert release.status_code == 404
    agent = outsider.agent
    assert (await client.get(f"/agent/computations/{cid}", headers=agent)).status_code == 404
    assert (await client.get(f"/agent/computations/{cid}/parties", headers=agent)).status_code == 404
    posted = await client.post(
        f"{BASE}/{cid}/rounds/1/messages",
        params={"kind": "share"},
        content=b"x",
        headers={**agent, "Content-Type": "application/octet-stream"},
    )
    assert posted.status_code == 404
    assert (await client.get(f"{BASE}/{cid}/rounds/1/messages", headers=agent)).status_code == 404
    assert (await client.get("/agent/computations", headers=agent)).json() == []
    assert (await client.get(f"{BASE}/inbox", headers=user)).json() == []


async def test_accepting_with_a_vault_dataset_needs_one_of_our_own(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    def dataset(org: Org) -> Dataset:
        return Dataset(
            organization_id=org.id,
            name="vitals 2030",
            category="vitals",
            rows=120,
            upload_bytes=4000,
            stored_bytes=4100,
            delimiter=",",
            columns=[{"name": "systolic_bp", "label": "Systolic blood pressure", "kind": "number"}],
            report={},
        )

    ours, theirs = dataset(orgs[1]), dataset(orgs[2])
    db.add_all([ours, theirs])
    await db.commit()
    created = await create(client, orgs[0].doctor, spec(orgs))
    url = f"{BASE}/{created['id']}/accept"
    foreign = await client.post(url, json={"dataset_id": theirs.id}, headers=orgs[1].admin.headers)
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["message"] == "no dataset with this id belongs to your organization"
    accepted = await client.post(url, json={"dataset_id": ours.id}, headers=orgs[1].admin.headers)
    assert accepted.status_code == 200
    party = accepted.json()["parties"][1]
    assert (party["source"], party["dataset_id"]) == ("vault", ours.id)
