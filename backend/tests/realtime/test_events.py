"""Computation events reach the organizations taking part, after the commit, and nobody else."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta
from typing import Annotated

import httpx
import polars as pl
import pytest
from fastapi import FastAPI, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role
from hdx.computations.models import Computation
from hdx.computations.tasks import sweep_deadlines
from hdx.db import SessionDep
from hdx.exceptions import Conflict
from hdx.realtime import service as realtime
from tests.analyses.federation import diabetes, split
from tests.computations.conftest import BASE, Org, accept_all, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.conftest import MakeUser
from tests.realtime.conftest import ws_client


async def test_a_participant_receives_lifecycle_events_after_the_commit(
    server: str, client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    north, south, east = orgs
    created = await create(client, north.doctor, spec(orgs, min_participants=3))
    cid = created["id"]
    async with ws_client(server, token=south.doctor.token) as feed:
        await feed.next_type("ready")
        assert await feed.subscribe(f"computation:{cid}") == {
            "type": "subscribed",
            "channel": f"computation:{cid}",
        }
        await accept_all(client, [north, south], cid)
        last_answer = asyncio.create_task(accept_all(client, [east], cid))

        running = await feed.event("computation.status")
        # Published after the commit: another session already reads the new state when the event arrives.
        stored = await db.scalar(select(Computation.status).where(Computation.id == cid))
        assert stored == "running"
        await last_answer
        assert running["channel"] == f"computation:{cid}"
        assert running["data"] == {
            "computation_id": cid,
            "from": "pending_approval",
            "to": "running",
            "round": 0,
        }
        started = await feed.event("computation.round_started")
        assert started["data"]["round"] == 1
        assert datetime.fromisoformat(started["data"]["deadline"]) > datetime.fromisoformat(started["at"])

        secret = b"\x01share-for-party-2\x02" * 8
        response = await client.post(
            f"{BASE}/{cid}/rounds/1/messages",
            params={"kind": "share", "recipient": 2},
            content=secret,
            headers={**north.agent, "Content-Type": "application/octet-stream"},
        )
        assert response.status_code == 201, response.text
        progress = await feed.event("computation.message_received")
        assert progress["data"] == {
            "computation_id": cid,
            "round": 1,
            "sender": 1,
            "submitted": [1],
            "waiting": [2, 3],
        }
        # Subscribed to both the computation and its organization's channel: each event arrives once.
        assert len({json.loads(raw)["id"] for raw in feed.received if '"type":"event"' in raw}) == sum(
            '"type":"event"' in raw for raw in feed.received
        )
        for raw in feed.received:
            assert base64.b64encode(secret).decode() not in raw
            assert secret.hex() not in raw


async def test_another_organization_can_neither_subscribe_nor_overhear(
    server: str, client: httpx.AsyncClient, orgs: list[Org], outsider: Org
) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    cid = created["id"]
    async with (
        ws_client(server, token=outsider.doctor.token) as stranger,
        ws_client(server, token=orgs[1].doctor.token) as member,
    ):
        await stranger.next_type("ready")
        await member.next_type("ready")
        refused = await stranger.subscribe(f"computation:{cid}")
        assert refused["type"] == "error"
        assert refused["code"] == "forbidden"
        # Unknown ids get the same answer: the refusal does not reveal that a computation exists.
        missing = await stranger.subscribe("computation:00000000-0000-0000-0000-000000000000")
        assert (missing["code"], missing["message"]) == (refused["code"], refused["message"])
        assert (await stranger.subscribe(f"org:{orgs[0].id}"))["code"] == "forbidden"
        assert (await stranger.subscribe(f"federated:{cid}"))["code"] == "unknown_channel"

        await accept_all(client, orgs, cid)
        # The member hears about it on its organization's channel without subscribing to anything.
        heard = await member.event("computation.status")
        assert heard["channel"] == f"org:{orgs[1].id}"
        assert heard["data"]["to"] == "running"
        assert await stranger.events_for(1.0) == []


async def test_a_doctor_and_a_patient_of_a_participant_see_events_but_only_for_reading_roles(
    server: str, client: httpx.AsyncClient, orgs: list[Org], make_user: MakeUser
) -> None:
    patient = await make_user(Role.patient, org=orgs[1].name)
    created = await create(client, orgs[0].doctor, spec(orgs))
    async with ws_client(server, token=patient.token) as feed:
        assert (await feed.next_type("ready"))["channels"] == sorted(["system", f"org:{orgs[1].id}"])
        assert (await feed.subscribe(f"computation:{created['id']}"))["type"] == "subscribed"


@pytest.fixture
def add_publishing_route(app: FastAPI) -> None:
    """A route that queues an event on the caller's organization channel and then fails or succeeds."""

    async def publish_then_maybe_fail(
        session: SessionDep, org: str, n: int, fail: Annotated[bool, Query()] = False
    ) -> dict[str, int]:
        realtime.publish(session, "test.note", {"n": n}, channels=[f"org:{org}"], audience=[org])
        if fail:
            raise Conflict("refused after the event was queued")
        return {"n": n}

    app.add_api_route("/realtime-test/publish", publish_then_maybe_fail, methods=["POST"])


@pytest.mark.usefixtures("add_publishing_route")
async def test_nothing_is_published_when_the_request_fails(
    server: str, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor, org="North Hospital")
    async with ws_client(server, token=user.token) as feed:
        await feed.next_type("ready")
        failed = await client.post(
            "/realtime-test/publish", params={"org": user.organization_id, "n": 1, "fail": True}
        )
        assert failed.status_code == 409
        done = await client.post("/realtime-test/publish", params={"org": user.organization_id, "n": 2})
        assert done.status_code == 200
        # Events of one connection arrive in order: had the failed request published, n=1 came first.
        first = await feed.event("test.note")
        assert first["data"] == {"n": 2}
        assert await feed.events_for(0.5) == []


async def test_the_federated_feed_delivers_only_to_the_event_audience(
    server: str, app: FastAPI, client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    # Federated training runs inside a computation that both organizations take part in.
    created = await create(client, orgs[0].doctor, spec(orgs[:2]))
    north, south = orgs[0].doctor, orgs[1].doctor
    assert north.organization_id is not None
    channel = f"federated:{created['id']}"
    async with (
        ws_client(server, path="/ws/federated", token=north.token) as north_feed,
        ws_client(server, path="/ws/federated", token=south.token) as south_feed,
    ):
        for feed in (north_feed, south_feed):
            assert (await feed.next_type("ready"))["channels"] == []
            assert (await feed.subscribe(channel))["type"] == "subscribed"
            assert (await feed.subscribe("computation:x"))["code"] == "unknown_channel"
        # Nothing publishes federated events yet; a committed transaction of a future trainer looks like this.
        async with app.state.sessionmaker() as session:
            realtime.publish(
                session, "federated.round", {"round": 3}, channels=[channel], audience=[north.organization_id]
            )
            await session.commit()
            await realtime.publish_committed(session, app.state.events)
        heard = await north_feed.event("federated.round")
        assert (heard["channel"], heard["data"]) == (channel, {"round": 3})
        assert await south_feed.events_for(1.0) == []


async def test_dropouts_found_by_the_deadline_sweep_are_announced(
    server: str, app: FastAPI, client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs, threshold=2))
    cid = created["id"]
    started = await accept_all(client, orgs, cid)
    async with ws_client(server, token=orgs[0].doctor.token) as feed:
        await feed.next_type("ready")
        deadline = datetime.fromisoformat(started["deadlines"]["round_at"])
        await sweep_deadlines(
            app.state.sessionmaker, deadline + timedelta(seconds=1), events=app.state.events
        )
        first = await feed.event("computation.party_dropped")
        second = await feed.event("computation.party_dropped")
        assert [first["data"]["party_index"], second["data"]["party_index"]] == [1, 2]
        assert "round 1" in first["data"]["reason"]
        failed = await feed.event("computation.status")
        assert (failed["data"]["from"], failed["data"]["to"]) == ("running", "failed")
        assert "fewer than the threshold of 2" in failed["data"]["reason"]


async def test_a_whole_run_streams_its_progress_and_never_a_payload_or_a_value(
    server: str, client: httpx.AsyncClient, orgs: list[Org], outsider: Org
) -> None:
    four = [*orgs, outsider]
    frames: list[pl.DataFrame] = split(diabetes(), 4)
    agents = [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(four, frames, strict=True)
    ]
    body = spec(
        four,
        analysis="mean",
        params={"variable": {"name": "bp", "lo": 40, "hi": 140}},
        threshold=3,
        min_participants=3,
    )
    created = await create(client, four[0].doctor, body)
    cid = created["id"]
    async with ws_client(server, token=four[0].doctor.token) as feed:
        await feed.next_type("ready")
        await accept_all(client, four, cid)
        for agent in agents:
            await agent.join(cid)
        for round_number in (1, 2):
            for agent in agents:
                await agent.play(round_number)
        seen = [await feed.event("computation.status")]
        while seen[-1]["event"] != "computation.status" or seen[-1]["data"]["to"] != "completed":
            seen.append(await feed.next(lambda m: m["type"] == "event"))

    names = [e["event"] for e in seen]
    assert names[:2] == ["computation.status", "computation.round_started"]
    assert names[-2:] == ["computation.result_recorded", "computation.status"]
    assert names.count("computation.round_started") == 2
    progress = [e["data"] for e in seen if e["event"] == "computation.message_received"]
    assert progress[0]["submitted"] == [1]
    assert progress[0]["waiting"] == [2, 3, 4]
    assert {p["round"] for p in progress} == {1, 2}
    recorded = seen[-2]["data"]
    assert set(recorded) == {"computation_id", "result_id", "status"}
    assert recorded["status"] == "visible"

    result = (
        await client.get(f"{BASE}/result/{recorded['result_id']}", headers=four[1].doctor.headers)
    ).json()
    mean = result["values"]["values"]["mean"]
    for raw in feed.received:
        assert repr(mean) not in raw
        for agent in agents:
            for payload in agent.posted:
                assert base64.b64encode(payload[:48]).decode() not in raw
                assert payload[:24].hex() not in raw
