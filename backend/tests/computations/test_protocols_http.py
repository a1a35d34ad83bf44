"""shamir and secagg through the real API: four organizations, each party's steps run by hdx.protocols."""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.app import create_app
from hdx.computations.models import RoundMessage
from hdx.computations.tasks import sweep_deadlines
from hdx.config import Settings
from hdx.crypto import encoding, wire
from hdx.models import Model
from hdx.protocols import Outgoing
from hdx.protocols.fixed_point import encode_contribution, plan
from tests.analyses.federation import diabetes, split
from tests.computations.conftest import BASE, Org, accept_all, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys

BP = {"name": "bp", "lo": 40, "hi": 140}
PARAMS: dict[str, dict[str, Any]] = {
    "mean": {"variable": BP},
    "variance": {"variable": BP},
    "histogram": {"variable": {"name": "age", "lo": 19, "hi": 79}, "bins": 6},
}
ROUNDS = {"shamir": 2, "secagg": 3}


@pytest.fixture
def frames() -> list[pl.DataFrame]:
    return split(diabetes(), 4)


@pytest.fixture
async def four(orgs: list[Org], outsider: Org) -> list[Org]:
    return [*orgs, outsider]


@pytest.fixture
async def agents(client: httpx.AsyncClient, four: list[Org], frames: list[pl.DataFrame]) -> list[HttpAgent]:
    return [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(four, frames, strict=True)
    ]


async def _start(
    client: httpx.AsyncClient,
    four: list[Org],
    agents: list[HttpAgent],
    protocol: str,
    analysis: str,
    threshold: int,
) -> str:
    body = spec(
        four,
        protocol=protocol,
        analysis=analysis,
        params=PARAMS[analysis],
        threshold=threshold,
        min_participants=threshold,
    )
    computation = await create(client, four[0].doctor, body)
    assert (await accept_all(client, four, computation["id"]))["status"] == "running"
    for agent in agents:
        await agent.join(computation["id"])
    return str(computation["id"])


async def _rounds(agents: Sequence[HttpAgent], rounds: Sequence[int]) -> None:
    for round_number in rounds:
        for agent in agents:
            await agent.play(round_number)


async def _status(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{cid}/status", headers=org.doctor.headers)
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


async def _result(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    status = await _status(client, org, cid)
    assert status["status"] == "completed", status["failure_reason"]
    result: dict[str, Any] = (
        await client.get(f"{BASE}/result/{status['result_id']}", headers=org.doctor.headers)
    ).json()
    return result


async def _pass_deadline(app: FastAPI, client: httpx.AsyncClient, org: Org, cid: str) -> None:
    deadline = datetime.fromisoformat((await _status(client, org, cid))["deadlines"]["round_at"])
    assert await sweep_deadlines(app.state.sessionmaker, deadline + timedelta(seconds=1)) == [cid]


def _pooled(analysis: str, frame: pl.DataFrame) -> dict[str, Any]:
    values = frame.get_column(PARAMS[analysis]["variable"]["name"]).to_numpy()
    if analysis == "histogram":
        variable = PARAMS[analysis]["variable"]
        edges = np.linspace(variable["lo"], variable["hi"], PARAMS[analysis]["bins"] + 1)
        return {"counts": np.histogram(values, bins=edges)[0].tolist()}
    return {"mean": values.mean()} | ({"variance": values.var(ddof=1)} if analysis == "variance" else {})


def _check(result: dict[str, Any], analysis: str, frame: pl.DataFrame) -> None:
    assert result["values"]["n"] == frame.height
    for key, expected in _pooled(analysis, frame).items():
        assert result["values"]["values"][key] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("protocol", ["shamir", "secagg"])
@pytest.mark.parametrize("analysis", ["mean", "variance", "histogram"])
async def test_results_equal_the_pooled_numpy_values(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent], protocol: str, analysis: str
) -> None:
    cid = await _start(client, four, agents, protocol, analysis, threshold=3)
    await _rounds(agents, range(1, ROUNDS[protocol] + 1))
    result = await _result(client, four[1], cid)
    _check(result, analysis, diabetes())
    protection = result["protection"]
    assert (protection["protocol"], protection["threshold"], protection["parties"]) == (
        protocol,
        3,
        [1, 2, 3, 4],
    )
    assert (protection["k"], protection["clipped"], protection["suppressed"]) == (5, 0, [])
    # Histogram counts are integers and travel exactly; real sums get fractional bits.
    assert protection["frac_bits"] == 0 if analysis == "histogram" else protection["frac_bits"] >= 8


@pytest.mark.parametrize("protocol", ["shamir", "secagg"])
async def test_the_database_holds_no_party_input_in_any_form(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent], db: AsyncSession, protocol: str
) -> None:
    cid = await _start(client, four, agents, protocol, "variance", threshold=2)
    await _rounds(agents, range(1, ROUNDS[protocol] + 1))
    await _result(client, four[0], cid)
    stored = b"".join([await _table_bytes(db, table) for table in Model.metadata.sorted_tables])
    assert (await db.scalars(select(RoundMessage).where(RoundMessage.computation_id == cid))).all()
    for agent in agents:
        assert agent.contribution is not None
        assert agent.setup is not None
        encoded = encode_contribution(
            plan("variance", PARAMS["variance"], 4, 1 << 64 if protocol == "secagg" else (1 << 61) - 1),
            agent.contribution,
        )
        forms = [wire.pack_vector(encoding.to_field(encoded)), wire.pack_vector(encoding.to_ring(encoded))]
        for value, scaled in zip(agent.contribution.vector[1:3], encoded[1:3], strict=True):
            forms += [struct.pack("<d", value), repr(float(value)).encode(), struct.pack("<q", int(scaled))]
            forms += [wire.pack_vector(encoding.to_field(np.array([scaled], dtype=np.int64)))]
        leaked = [form for form in forms if form in stored]
        assert leaked == [], f"party {agent.setup.my_index}'s input is stored in the exchange's database"


async def _table_bytes(db: AsyncSession, table: Any) -> bytes:
    parts = []
    for row in (await db.execute(select(table))).all():
        for value in row:
            if isinstance(value, bytes):
                parts.append(value)
            elif isinstance(value, dict | list):
                parts.append(json.dumps(value).encode())
            else:
                parts.append(str(value).encode())
    return b"\n".join(parts)


async def test_shamir_party_killed_after_its_round_one_upload_does_not_stop_the_run(
    app: FastAPI, client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, four, agents, "shamir", "mean", threshold=3)
    await _rounds(agents, [1])
    await _rounds(agents[:3], [2])
    await _pass_deadline(app, client, four[0], cid)
    result = await _result(client, four[0], cid)
    # Its shares went out in round 1, so its rows are in the sum.
    _check(result, "mean", diabetes())
    assert result["protection"]["parties"] == [1, 2, 3, 4]
    parties = (await _status(client, four[0], cid))["parties"]
    assert [p["status"] for p in parties] == ["submitted", "submitted", "submitted", "dropped"]


async def test_shamir_below_the_threshold_fails_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, four, agents, "shamir", "mean", threshold=4)
    await _rounds(agents, [1])
    await _rounds(agents[:3], [2])
    await _pass_deadline(app, client, four[0], cid)
    status = await _status(client, four[0], cid)
    assert status["status"] == "failed"
    assert status["failure_reason"] == (
        "round 2 has 3 parties left in play, fewer than the threshold of 4; dropped: "
        "party 4 (West Pharmacy): had not sent all its round 2 messages by the deadline"
    )
    assert status["result_id"] is None


async def test_secagg_party_killed_before_its_masked_input_does_not_stop_the_run(
    app: FastAPI,
    client: httpx.AsyncClient,
    four: list[Org],
    agents: list[HttpAgent],
    frames: list[pl.DataFrame],
) -> None:
    cid = await _start(client, four, agents, "secagg", "variance", threshold=3)
    await _rounds(agents, [1])
    await _rounds(agents[:3], [2])
    await _pass_deadline(app, client, four[0], cid)
    await _rounds(agents[:3], [3])
    result = await _result(client, four[2], cid)
    _check(result, "variance", pl.concat(frames[:3]))
    assert result["protection"]["parties"] == [1, 2, 3]


async def test_secagg_below_the_threshold_fails_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, four, agents, "secagg", "mean", threshold=3)
    await _rounds(agents, [1])
    await _rounds(agents[:2], [2])
    await _pass_deadline(app, client, four[0], cid)
    status = await _status(client, four[0], cid)
    assert status["status"] == "failed"
    assert "fewer than the threshold of 3" in status["failure_reason"]


def _flip_last(kind: str) -> Any:
    def rewrite(round_number: int, message: Outgoing) -> Outgoing:
        if message.kind != kind:
            return message
        data = bytearray(message.payload)
        data[-80] ^= 1
        return replace(message, payload=bytes(data))

    return rewrite


@pytest.mark.parametrize(
    ("protocol", "kind", "reason"),
    [
        ("shamir", "share", "round 1: round 1 message from party 2 to party 1 failed verification"),
        ("shamir", "partial", "round 2: round 2 message from party 2 to the exchange failed verification"),
        ("secagg", "masked", "round 2: round 2 message from party 2 to the exchange failed verification"),
        ("secagg", "keyshare", "round 1: round 1 message from party 2 to party 1 failed verification"),
    ],
)
async def test_a_modified_message_fails_the_computation(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent], protocol: str, kind: str, reason: str
) -> None:
    cid = await _start(client, four, agents, protocol, "mean", threshold=2)
    agents[1].rewrite = _flip_last(kind)
    for round_number in range(1, ROUNDS[protocol] + 1):
        if (await _status(client, four[0], cid))["status"] != "running":
            break
        await _rounds(agents, [round_number])
    status = await _status(client, four[0], cid)
    assert status["status"] == "failed"
    assert status["failure_reason"].startswith(reason)
    assert status["result_id"] is None


async def test_a_share_replayed_into_another_computation_is_refused(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    first = await _start(client, four, agents, "shamir", "mean", threshold=2)
    await _rounds(agents, [1])
    old = {(m.kind, m.recipient): m.payload for m in (await agents[0].inbox(1)) if m.sender == 2}
    assert old
    second = await _start(client, four, agents, "shamir", "mean", threshold=2)
    assert first != second

    def replay(round_number: int, message: Outgoing) -> Outgoing:
        # Party 2 posts, as its share for party 1, the one it sent party 1 in the first computation.
        if (message.kind, message.recipient) == ("share", 1):
            return replace(message, payload=old[("share", 1)])
        return message

    agents[1].rewrite = replay
    await _rounds(agents, [1])
    status = await _status(client, four[0], second)
    assert status["status"] == "failed"
    assert "signed for another context" in status["failure_reason"]


async def test_a_message_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, four, agents, "shamir", "mean", threshold=2)
    await _rounds(agents, [1])
    impostor = agents[1].keys
    agents[2].keys = impostor
    assert agents[2].setup is not None
    agents[2].setup = replace(agents[2].setup, ed25519_private=impostor.ed25519)
    await _rounds(agents, [2])
    status = await _status(client, four[0], cid)
    assert status["status"] == "failed"
    assert status["failure_reason"].startswith(
        "round 2: round 2 message from party 3 to the exchange failed verification: signature does not verify"
    )


@pytest.fixture
async def restarted(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second exchange process on the same database, with nothing carried over in memory."""
    application = create_app(settings)
    async with LifespanManager(application):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://testserver"
        ) as http:
            yield http


@pytest.mark.parametrize("protocol", ["shamir", "secagg"])
async def test_an_exchange_restarted_between_rounds_completes_the_computation(
    client: httpx.AsyncClient,
    four: list[Org],
    agents: list[HttpAgent],
    settings: Settings,
    protocol: str,
) -> None:
    cid = await _start(client, four, agents, protocol, "mean", threshold=3)
    await _rounds(agents, [1])
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
            for agent in agents:
                agent.client = fresh
            await _rounds(agents, range(2, ROUNDS[protocol] + 1))
            _check(await _result(fresh, four[3], cid), "mean", diabetes())
