from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.app import create_app
from hdx.auth import tokens
from hdx.computations.models import Computation, ComputationStatus
from hdx.computations.tasks import sweep_deadlines
from hdx.config import Settings
from hdx.security.models import AuditEvent
from tests.computations.conftest import BASE, Org, accept_all, create, post_message, spec
from tests.conftest import UserHandle

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def fresh(settings: Settings, user: UserHandle) -> dict[str, str]:
    """Access tokens last minutes; after jumping hours ahead a user needs a new one."""
    token, _ = tokens.encode(
        settings, subject=user.id, token_type="access", lifetime=timedelta(minutes=15), version=0
    )
    return {"Authorization": f"Bearer {token}"}


async def _status(db: AsyncSession, computation_id: str) -> Computation:
    db.expire_all()
    found = await db.scalar(select(Computation).where(Computation.id == computation_id))
    assert found is not None
    return found


async def test_acceptance_deadline_expires_the_computation(
    clock: time_machine.Coordinates,
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    orgs: list[Org],
    db: AsyncSession,
) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs, deadlines={"acceptance_hours": 1}))
    await accept_all(client, orgs[:1], created["id"])
    assert await sweep_deadlines(app.state.sessionmaker) == []

    clock.shift(timedelta(minutes=61))
    late = await client.post(
        f"{BASE}/{created['id']}/accept", json={"source": "agent"}, headers=fresh(settings, orgs[1].admin)
    )
    assert late.status_code == 410
    assert await sweep_deadlines(app.state.sessionmaker) == [created["id"]]
    expired = await _status(db, created["id"])
    assert expired.status is ComputationStatus.expired
    assert expired.failure_reason == (
        "acceptance deadline passed with 1 of 3 organizations accepted; no answer from parties [2, 3]"
    )
    assert await sweep_deadlines(app.state.sessionmaker) == []
    event = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.target_id == created["id"], AuditEvent.action == "computation.expired"
        )
    )
    assert event is not None
    assert event.details["from"] == "pending_approval"


@pytest.mark.usefixtures("paillier_unavailable")
async def test_round_deadline_without_a_coordinator_fails_with_the_silent_parties(
    clock: time_machine.Coordinates,
    app: FastAPI,
    client: httpx.AsyncClient,
    orgs: list[Org],
    db: AsyncSession,
) -> None:
    body = spec(orgs, protocol="paillier", deadlines={"round_minutes": 30})
    created = await create(client, orgs[0].doctor, body)
    await accept_all(client, orgs, created["id"])
    assert (await post_message(client, orgs[1], created["id"], b"share")).status_code == 201
    clock.shift(timedelta(minutes=29))
    assert await sweep_deadlines(app.state.sessionmaker) == []
    clock.shift(timedelta(minutes=2))
    assert await sweep_deadlines(app.state.sessionmaker) == [created["id"]]
    failed = await _status(db, created["id"])
    assert failed.status is ComputationStatus.failed
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith("round 1 deadline passed")
    assert failed.failure_reason.endswith("parties [1, 3] sent nothing")
    assert failed.round_deadline_at is None


async def test_overall_expiry_ends_a_running_computation(
    clock: time_machine.Coordinates,
    app: FastAPI,
    client: httpx.AsyncClient,
    orgs: list[Org],
    db: AsyncSession,
) -> None:
    deadlines = {"acceptance_hours": 1, "round_minutes": 600, "expires_hours": 2}
    created = await create(client, orgs[0].doctor, spec(orgs, deadlines=deadlines))
    started = await accept_all(client, orgs, created["id"])
    assert started["deadlines"]["round_at"] == started["deadlines"]["expires_at"]
    clock.shift(timedelta(hours=2, seconds=1))
    await sweep_deadlines(app.state.sessionmaker)
    expired = await _status(db, created["id"])
    assert expired.status is ComputationStatus.expired
    assert expired.failure_reason is not None
    assert "in round 1" in expired.failure_reason


async def test_a_restarted_exchange_resumes_from_the_database(
    clock: time_machine.Coordinates,
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    orgs: list[Org],
    db: AsyncSession,
) -> None:
    doomed = await create(client, orgs[0].doctor, spec(orgs, deadlines={"acceptance_hours": 1}))
    alive = await create(client, orgs[0].doctor, spec(orgs, deadlines={"round_minutes": 180}))
    await accept_all(client, orgs, alive["id"])
    share = b"sealed share from party 2"
    assert (await post_message(client, orgs[1], alive["id"], share, recipient=1)).status_code == 201

    clock.shift(timedelta(hours=2))
    restarted = create_app(settings)
    async with LifespanManager(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
            headers = fresh(settings, orgs[2].doctor)
            gone = (await second.get(f"{BASE}/{doomed['id']}/status", headers=headers)).json()
            assert gone["status"] == "expired"
            assert "acceptance deadline passed" in gone["failure_reason"]

            kept = (await second.get(f"{BASE}/{alive['id']}/status", headers=headers)).json()
            assert (kept["status"], kept["current_round"]) == ("running", 1)
            assert [p["status"] for p in kept["parties"]] == ["accepted", "submitted", "accepted"]
            assert (
                kept["deadlines"]
                == (
                    await client.get(f"{BASE}/{alive['id']}/status", headers=fresh(settings, orgs[0].doctor))
                ).json()["deadlines"]
            )

            replay = await post_message(second, orgs[1], alive["id"], share, recipient=1)
            assert replay.status_code == 200
            inbox = await second.get(f"{BASE}/{alive['id']}/rounds/1/messages", headers=orgs[0].agent)
            assert inbox.headers["X-HDX-Message-Count"] == "1"
