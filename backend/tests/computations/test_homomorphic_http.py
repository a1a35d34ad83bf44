"""paillier and hybrid through the real API: four organizations, each party's steps run by hdx.protocols."""

from __future__ import annotations

import struct

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.crypto import encoding, wire
from hdx.crypto import paillier as he
from hdx.models import Model
from hdx.protocols import paillier, state
from hdx.protocols.fixed_point import encode_contribution, plan
from tests.analyses.federation import diabetes, split
from tests.computations.conftest import Org, accept_all, create
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.computations.test_protocols_http import (
    PARAMS,
    _check,
    _pass_deadline,
    _result,
    _rounds,
    _start,
    _status,
    _table_bytes,
)

ROUNDS = range(1, 4)


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1024-bit keys keep the suite fast; tests/protocols runs one computation with a 2048-bit key.
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


@pytest.fixture
async def four(orgs: list[Org], outsider: Org) -> list[Org]:
    return [*orgs, outsider]


@pytest.fixture
async def agents(client: httpx.AsyncClient, four: list[Org]) -> list[HttpAgent]:
    frames = split(diabetes(), 4)
    return [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(four, frames, strict=True)
    ]


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
async def test_results_equal_the_pooled_numpy_values(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent], protocol: str
) -> None:
    cid = await _start(client, four, agents, protocol, "variance", threshold=2)
    await _rounds(agents, ROUNDS)
    result = await _result(client, four[2], cid)
    _check(result, "variance", diabetes())
    protection = result["protection"]
    assert (protection["protocol"], protection["parties"]) == (protocol, [1, 2, 3, 4])
    assert "differential_privacy" not in protection


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
async def test_the_database_holds_nothing_the_exchange_can_decrypt(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent], db: AsyncSession, protocol: str
) -> None:
    cid = await _start(client, four, agents, protocol, "variance", threshold=2)
    await _rounds(agents, ROUNDS)
    await _result(client, four[0], cid)
    stored = b"".join([await _table_bytes(db, table) for table in Model.metadata.sorted_tables])
    recipient = agents[0]
    fields = state.load(protocol, recipient.state)
    secret = he.private_key_from_bytes(state.decode_bytes(fields["paillier_private"]))
    for prime in (secret.p, secret.q):
        assert prime.to_bytes((prime.bit_length() + 7) // 8, "big") not in stored
        assert str(prime).encode() not in stored
    modulus = (1 << 64) if protocol == "paillier" else (1 << 61) - 1
    for agent in agents:
        assert agent.contribution is not None
        assert agent.setup is not None
        encoded = encode_contribution(plan("variance", PARAMS["variance"], 4, modulus), agent.contribution)
        forms = [wire.pack_vector(encoding.to_field(encoded)), encoded.astype("<i8").tobytes()]
        for value, scaled in zip(agent.contribution.vector[1:3], encoded[1:3], strict=True):
            forms += [struct.pack("<d", value), repr(float(value)).encode(), struct.pack("<q", int(scaled))]
            forms += [struct.pack(">q", int(scaled)), str(int(scaled)).encode()]
        leaked = [form for form in forms if form in stored]
        assert leaked == [], f"party {agent.setup.my_index}'s input is stored in the exchange's database"


async def test_the_original_hybrid_request_runs_end_to_end(
    client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    body = {
        "metric_type": "blood_pressure",
        "participating_orgs": [org.name for org in four],
        "security_method": "hybrid",
        "threshold": 2,
        "min_participants": 3,
    }
    created = await create(client, four[0].doctor, body)
    assert created["protocol"] == "hybrid"
    assert (await accept_all(client, four, created["id"]))["status"] == "running"
    for agent in agents:
        agent.frame = agent.frame.rename({"bp": "systolic_bp"})
        await agent.join(created["id"])
    await _rounds(agents, ROUNDS)
    result = await _result(client, four[1], created["id"])
    pooled = diabetes()
    assert result["values"]["n"] == pooled.height
    assert result["values"]["values"]["mean"] == pytest.approx(pooled["bp"].mean(), rel=1e-9)


async def test_the_recipient_dropping_out_fails_the_computation(
    app: FastAPI, client: httpx.AsyncClient, four: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, four, agents, "paillier", "mean", threshold=2)
    await _rounds(agents, [1])
    await _rounds(agents[1:], [2])
    await _pass_deadline(app, client, four[0], cid)
    status = await _status(client, four[0], cid)
    assert status["status"] == "failed"
    assert "the result recipient (party 1) dropped out in round 2" in status["failure_reason"]
    assert status["result_id"] is None
