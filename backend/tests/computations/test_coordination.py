"""The coordinator interface, driven by a two-round protocol written against it in this file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import coordination, lifecycle, relay, repository
from hdx.computations.models import Computation, ProtocolName
from hdx.db import utcnow
from hdx.organizations.models import Organization
from tests.computations.conftest import BASE, Org, accept_all, create, post_message, spec


class EchoSum:
    """Round 1 and 2: every party posts a decimal number to the exchange; the result is the round-2 sum."""

    def __init__(self) -> None:
        self.completed_rounds: list[int] = []

    async def waiting_for(self, session: AsyncSession, computation: Computation) -> list[int]:
        messages = await relay.round_messages(session, computation, computation.current_round)
        delivered = {m.sender_index for m in messages if m.kind == "value"}
        parties = await repository.participants(session, computation.id)
        return [
            p.party_index for p in parties if p.status in lifecycle.IN_PLAY and p.party_index not in delivered
        ]

    async def on_round_complete(self, session: AsyncSession, computation: Computation) -> None:
        self.completed_rounds.append(computation.current_round)
        if computation.current_round == 1:
            await relay.publish(
                session, computation, kind="ack", payload=b"round 1 closed", recipient=None, now=utcnow()
            )
            await lifecycle.start_round(session, computation, 2, now=utcnow())
            return
        messages = await relay.round_messages(session, computation, computation.current_round)
        total = sum(int(m.payload) for m in messages)
        protection = {
            "protocol": computation.protocol.value,
            "threshold": computation.threshold,
            "k": computation.k,
        }
        await relay.record_result(session, computation, {"sum": total}, protection, now=utcnow())

    async def on_round_deadline(self, session: AsyncSession, computation: Computation, now: datetime) -> None:
        for party in relay.silent_parties(await repository.participants(session, computation.id)):
            await lifecycle.drop_party(
                session, computation, party, reason="missed the round deadline", now=now
            )


@pytest.fixture
def protocol() -> Iterator[EchoSum]:
    coordinator = EchoSum()
    # The real secagg coordinator is registered at import; stand in for it, then put it back.
    real = coordination.coordinator_for(ProtocolName.secagg)
    coordination.register(ProtocolName.secagg, coordinator)
    try:
        yield coordinator
    finally:
        coordination.unregister(ProtocolName.secagg)
        if real is not None:
            coordination.register(ProtocolName.secagg, real)


async def _round(
    client: httpx.AsyncClient, orgs: list[Org], cid: str, round_number: int, values: list[int]
) -> None:
    for org, value in zip(orgs, values, strict=True):
        response = await post_message(
            client, org, cid, str(value).encode(), round_number=round_number, kind="value"
        )
        assert response.status_code == 201, response.text


@pytest.mark.usefixtures("paillier_unavailable")
async def test_compute_without_a_registered_protocol_is_409(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    computation = await create(client, orgs[0].doctor, spec(orgs, protocol="paillier"))
    assert (await accept_all(client, orgs, computation["id"]))["status"] == "running"
    response = await client.post(f"{BASE}/{computation['id']}/compute", headers=orgs[0].doctor.headers)
    assert response.status_code == 409
    assert response.json()["detail"] == "protocol paillier is not available on this exchange"


async def test_rounds_advance_when_the_coordinator_has_everything_and_compute_says_who_is_missing(
    client: httpx.AsyncClient, orgs: list[Org], protocol: EchoSum
) -> None:
    north = orgs[0]
    computation = await create(client, north.doctor, spec(orgs, protocol="secagg"))
    for org in orgs:
        await client.post(
            f"{BASE}/{computation['id']}/accept", json={"source": "agent"}, headers=org.admin.headers
        )
    cid = computation["id"]
    compute_url = f"{BASE}/{cid}/compute"

    await _round(client, orgs[:2], cid, 1, [1, 2])
    note = await post_message(client, orgs[2], cid, b"not the value yet", kind="note")
    assert note.status_code == 201
    waiting = (await client.post(compute_url, headers=north.doctor.headers)).json()
    assert (waiting["round"], waiting["round_complete"], waiting["advanced"]) == (1, False, False)
    assert [(w["party_index"], w["organization_name"]) for w in waiting["waiting_for"]] == [
        (3, "East Laboratory")
    ]
    assert protocol.completed_rounds == []
    assert (await client.post(compute_url, headers=orgs[1].doctor.headers)).status_code == 403

    await _round(client, orgs[2:], cid, 1, [3])
    status = (await client.get(f"{BASE}/{cid}/status", headers=north.doctor.headers)).json()
    assert (status["status"], status["current_round"]) == ("running", 2)
    assert {p["status"] for p in status["parties"]} == {"accepted"}
    assert protocol.completed_rounds == [1]
    broadcast = await client.get(
        f"{BASE}/{cid}/rounds/1/messages", params={"kind": "ack"}, headers=orgs[2].agent
    )
    assert broadcast.headers["X-HDX-Message-Count"] == "1"
    next_round = (await client.post(compute_url, headers=north.doctor.headers)).json()
    assert [w["party_index"] for w in next_round["waiting_for"]] == [1, 2, 3]

    await _round(client, orgs, cid, 2, [10, 20, 12])
    assert protocol.completed_rounds == [1, 2]
    status = (await client.get(f"{BASE}/{cid}/status", headers=orgs[2].doctor.headers)).json()
    assert status["status"] == "completed"
    result = (await client.get(f"{BASE}/result/{status['result_id']}", headers=orgs[2].doctor.headers)).json()
    assert result["status"] == "visible"
    assert result["values"] == {"sum": 42}
    assert result["protection"]["protocol"] == "secagg"
    # The original product's top-level path serves the same result.
    top_level = await client.get(f"/result/{status['result_id']}", headers=orgs[2].doctor.headers)
    assert top_level.json() == result
    finished = await client.post(compute_url, headers=north.doctor.headers)
    assert finished.status_code == 409


async def test_output_review_holds_the_result_until_released(
    client: httpx.AsyncClient, orgs: list[Org], protocol: EchoSum, db: AsyncSession, outsider: Org
) -> None:
    east = await db.get(Organization, orgs[2].id)
    assert east is not None
    east.requires_output_review = True
    await db.commit()
    computation = await create(client, orgs[0].doctor, spec(orgs, protocol="secagg"))
    cid = computation["id"]
    for org in orgs:
        await client.post(f"{BASE}/{cid}/accept", json={"source": "agent"}, headers=org.admin.headers)
    for round_number in (1, 2):
        await _round(client, orgs, cid, round_number, [1, 2, 3])

    status = (await client.get(f"{BASE}/{cid}/status", headers=orgs[0].doctor.headers)).json()
    assert status["status"] == "awaiting_release"
    result_url = f"{BASE}/result/{status['result_id']}"
    held = (await client.get(result_url, headers=orgs[0].doctor.headers)).json()
    assert (held["status"], held["values"], held["waiting_for"]) == (
        "awaiting_release",
        None,
        ["East Laboratory"],
    )
    assert (await client.get(result_url, headers=outsider.admin.headers)).status_code == 404

    release_url = f"{BASE}/{cid}/release"
    not_reviewer = await client.post(release_url, json={"decision": "release"}, headers=orgs[0].admin.headers)
    assert not_reviewer.status_code == 403
    doctor = await client.post(release_url, json={"decision": "release"}, headers=orgs[2].doctor.headers)
    assert doctor.status_code == 403
    cancel = await client.post(f"{BASE}/{cid}/cancel", headers=orgs[0].doctor.headers)
    assert cancel.status_code == 409

    released = await client.post(release_url, json={"decision": "release"}, headers=orgs[2].admin.headers)
    assert released.status_code == 200
    assert (released.json()["status"], released.json()["values"]) == ("visible", {"sum": 6})
    final = (await client.get(f"{BASE}/{cid}/status", headers=orgs[1].doctor.headers)).json()
    assert final["status"] == "completed"


async def test_withholding_fails_the_computation_without_showing_values(
    client: httpx.AsyncClient, orgs: list[Org], protocol: EchoSum, db: AsyncSession
) -> None:
    south = await db.get(Organization, orgs[1].id)
    assert south is not None
    south.requires_output_review = True
    await db.commit()
    cid = (await create(client, orgs[0].doctor, spec(orgs, protocol="secagg")))["id"]
    for org in orgs:
        await client.post(f"{BASE}/{cid}/accept", json={"source": "agent"}, headers=org.admin.headers)
    for round_number in (1, 2):
        await _round(client, orgs, cid, round_number, [5, 5, 5])
    withheld = await client.post(
        f"{BASE}/{cid}/release",
        json={"decision": "withhold", "reason": "cohort too identifiable"},
        headers=orgs[1].admin.headers,
    )
    assert withheld.status_code == 200
    assert (withheld.json()["status"], withheld.json()["values"]) == ("withheld", None)
    status = (await client.get(f"{BASE}/{cid}/status", headers=orgs[0].doctor.headers)).json()
    assert status["status"] == "failed"
    assert status["failure_reason"] == "result withheld at output review: cohort too identifiable"


async def test_round_deadline_hands_over_to_the_coordinator_which_drops_parties(
    client: httpx.AsyncClient, orgs: list[Org], protocol: EchoSum, db: AsyncSession
) -> None:
    cid = (await create(client, orgs[0].doctor, spec(orgs, protocol="secagg", threshold=2)))["id"]
    for org in orgs:
        await client.post(f"{BASE}/{cid}/accept", json={"source": "agent"}, headers=org.admin.headers)
    await _round(client, orgs[:1], cid, 1, [1])
    computation = await repository.computation(db, cid)
    assert computation is not None
    assert computation.round_deadline_at is not None
    await lifecycle.expire_overdue(db, computation.round_deadline_at)
    await db.flush()
    parties = await repository.participants(db, cid)
    assert [p.status.value for p in parties] == ["submitted", "dropped", "dropped"]
    assert computation.status.value == "failed"
    assert computation.failure_reason == (
        "round 1 has 1 party left in play, fewer than the threshold of 2; dropped: "
        "party 2 (South Clinic): missed the round deadline; party 3 (East Laboratory): missed the round deadline"
    )
    await db.rollback()
