"""The hosted agent: organizations that answer with a vault dataset are played by the exchange's job
runner with the agent's own protocol code; nothing it keeps is stored in plaintext."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import polars as pl
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.models import Computation
from hdx.config import Settings
from hdx.hosted import keys as hosted_keys
from hdx.hosted.models import HostedPartyState
from hdx.hosted.service import open_state
from hdx.models import Model
from tests.computations.conftest import BASE, Org, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.jobs.conftest import BP, GLUCOSE, pooled, result, status, wait_for


async def _accept(client: httpx.AsyncClient, org: Org, cid: str, body: dict[str, str]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/{cid}/accept", json=body, headers=org.admin.headers)
    assert response.status_code == 200, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


@pytest.mark.parametrize(
    ("protocol", "analysis", "variable"), [("shamir", "mean", BP), ("secagg", "variance", GLUCOSE)]
)
async def test_vault_parties_are_run_by_the_embedded_job_runner(
    client: httpx.AsyncClient,
    orgs: list[Org],
    vault: list[str],
    diabetes: pl.DataFrame,
    protocol: str,
    analysis: str,
    variable: dict[str, Any],
) -> None:
    body = spec(orgs, protocol=protocol, analysis=analysis, params={"variable": variable}, threshold=2)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    for org, dataset_id in zip(orgs, vault, strict=True):
        started = await _accept(client, org, cid, {"dataset_id": dataset_id})
    assert started["status"] == "running"
    assert [p["hosted"] for p in started["parties"]] == [True, True, True]

    # No agent and no further request: the job runner plays every round.
    values = (await result(client, orgs[1], cid))["values"]
    assert values["n"] == diabetes.height
    for key, expected in pooled(diabetes, variable).items():
        if key in values["values"]:
            assert values["values"][key] == pytest.approx(expected, rel=1e-9)
    assert ("variance" in values["values"]) == (analysis == "variance")


async def _database_text(session: AsyncSession) -> list[bytes]:
    """Every value of every table, as bytes, to search for secrets."""
    found: list[bytes] = []
    for table in Model.metadata.sorted_tables:
        for row in (await session.execute(select(table))).all():
            for value in row:
                if isinstance(value, bytes):
                    found.append(value)
                elif value is not None:
                    found.append(str(value).encode())
    return found


def _forms(secret: bytes) -> list[bytes]:
    return [secret, secret.hex().encode(), base64.b64encode(secret), base64.urlsafe_b64encode(secret)]


async def test_a_hosted_party_plays_beside_two_self_hosted_agents_and_keeps_no_plaintext(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    db: AsyncSession,
    orgs: list[Org],
    vault: list[str],
    thirds: list[pl.DataFrame],
    diabetes: pl.DataFrame,
) -> None:
    # North Hospital also runs its own agent: its registered keys stay its agent's, the hosted party
    # gets the hosted agent's keys.
    own = await register_keys(client, orgs[0])
    agents = [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(orgs[1:], thirds[1:], strict=True)
    ]
    body = spec(orgs, protocol="shamir", analysis="variance", params={"variable": BP}, threshold=2)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    await _accept(client, orgs[0], cid, {"dataset_id": vault[0]})
    for agent in agents:
        started = await _accept(client, agent.org, cid, {"source": "agent"})
    assert started["status"] == "running"

    listed = (await client.get(f"{BASE}/{cid}/parties", headers=orgs[0].doctor.headers)).json()
    assert [p["hosted"] for p in listed] == [True, False, False]
    hosted_public = base64.b64decode(listed[0]["keys"]["x25519_public"])
    assert hosted_public != own.info(0).x25519_public

    for agent in agents:
        await agent.join(cid)
        await agent.play(1)
    # The hosted party posts its round 1 on its own; round 2 opens once it has.
    await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["current_round"] == 2)

    # Mid-run, the hosted party's private keys and protocol state exist only sealed.
    db.expire_all()
    state = await db.scalar(select(HostedPartyState).where(HostedPartyState.computation_id == cid))
    assert state is not None
    assert state.party_index == 1
    computation = await db.get(Computation, cid)
    assert computation is not None
    assert state.organization_id == computation.requester_organization_id
    private = await hosted_keys.private(db, settings, orgs[0].id, listed[0]["keys"]["id"])
    assert private is not None
    assert private.x25519_public == hosted_public
    secret = await hosted_keys.secret_key(db, settings, orgs[0].id)
    plaintext_state = open_state(secret, state)
    assert b'"protocol"' in plaintext_state
    stored = await _database_text(db)
    for needle in (
        *_forms(private.x25519_private),
        *_forms(private.ed25519_private),
        *_forms(plaintext_state),
        b'"protocol": "shamir"',
    ):
        assert not any(needle in value for value in stored), needle[:16]

    for agent in agents:
        await agent.play(2)
    values = (await result(client, orgs[2], cid))["values"]
    assert values["n"] == diabetes.height
    for key, expected in pooled(diabetes, BP).items():
        assert values["values"][key] == pytest.approx(expected, rel=1e-9)
    # The computation is over: the hosted party's state is gone.
    db.expire_all()
    assert (await db.scalar(select(HostedPartyState).where(HostedPartyState.computation_id == cid))) is None


async def test_a_vault_dataset_below_k_drops_its_hosted_party_at_once(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], thirds: list[pl.DataFrame]
) -> None:
    cid = (await create(client, orgs[0].doctor, spec(orgs, params={"variable": BP}, threshold=2, k=1000)))[
        "id"
    ]
    for org, dataset_id in zip(orgs, vault, strict=True):
        await _accept(client, org, cid, {"dataset_id": dataset_id})
    failed = await wait_for(lambda: status(client, orgs[0], cid), lambda s: s["status"] != "running")
    assert failed["status"] == "failed"
    dropped = [p["dropped_reason"] for p in failed["parties"] if p["status"] == "dropped"]
    assert dropped
    assert all(
        reason.startswith("the hosted agent stopped: the dataset cannot contribute") for reason in dropped
    )
