"""Choosing where the differential-privacy noise comes from: `dp_mode` in the initialize spec, refused
(422, naming why) where it cannot be sound, and shown with the computation as what protects its result."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest

from hdx.analyses import get_analysis
from hdx.crypto import encoding as ring
from hdx.crypto import paillier as he
from hdx.crypto import wire
from hdx.privacy.distributed import for_computation
from hdx.protocols import paillier, state
from hdx.protocols.fixed_point import decode_sum, plan, plan_for
from hdx.protocols.registry import EXCHANGE_PROTOCOLS
from tests.analyses.federation import diabetes, split
from tests.computations.conftest import BASE, Org, accept_all, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.computations.test_protocols_http import _result, _rounds

MEAN = {"variable": {"name": "systolic_bp", "lo": 40, "hi": 300}}


async def _status(client: httpx.AsyncClient, org: Org, cid: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{cid}/status", headers=org.doctor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_epsilon_alone_means_central_noise_by_the_exchange(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs, epsilon=0.5))
    assert created["dp_mode"] == "central"
    dp = (await _status(client, orgs[1], created["id"]))["differential_privacy"]
    assert {k: dp[k] for k in ("mode", "mechanism", "epsilon", "delta")} == {
        "mode": "central",
        "mechanism": "laplace",
        "epsilon": 0.5,
        "delta": 0.0,
    }
    assert dp["noised_by"].startswith("the exchange")
    assert dp["noise_scale"] > 0
    assert dp["honest_parties"] is None


@pytest.mark.parametrize("protocol", ["shamir", "secagg", "paillier", "hybrid"])
async def test_distributed_mode_is_planned_for_the_parties_and_shown(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str
) -> None:
    body = spec(orgs, protocol=protocol, epsilon=1.0, delta=1e-6, dp_mode="distributed", threshold=2)
    created = await create(client, orgs[0].doctor, body)
    assert (created["dp_mode"], created["epsilon"], created["delta"]) == ("distributed", 1.0, 1e-6)
    dp = created["differential_privacy"]
    assert (dp["mode"], dp["mechanism"]) == ("distributed", "distributed_discrete_gaussian")
    assert dp["noised_by"].startswith("each contributing party")
    # The shares of any two parties (the threshold) carry the whole guarantee.
    assert dp["honest_parties"] == 2
    # The parties' own plan: one element per value on the wire, for the three parties invited.
    modulus = EXCHANGE_PROTOCOLS[protocol].modulus()
    encoding = plan("mean", MEAN, 3, modulus, limbs=1)
    parties = for_computation("mean", MEAN, 1.0, 1e-6, parties=3, threshold=2, frac_bits=encoding.frac_bits)
    assert dp["noise_scale"] == parties.spend.scale
    inbox = (await client.get(f"{BASE}/inbox", headers=orgs[1].admin.headers)).json()
    invitation = next(item for item in inbox if item["computation_id"] == created["id"])
    assert (invitation["dp_mode"], invitation["epsilon"], invitation["delta"]) == ("distributed", 1.0, 1e-6)


async def test_the_original_product_body_still_creates_a_computation_without_noise(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    body = {
        "metric_type": "blood_pressure",
        "participating_orgs": [org.name for org in orgs],
        "security_method": "standard",
        "threshold": 2,
        "min_participants": 2,
    }
    created = await create(client, orgs[0].doctor, body)
    assert (created["epsilon"], created["dp_mode"], created["differential_privacy"]) == (None, None, None)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"dp_mode": "distributed"}, "dp_mode is only meaningful with epsilon"),
        ({"epsilon": 1.0, "dp_mode": "distributed"}, "needs delta"),
        ({"epsilon": 1.0, "delta": 1e-6, "dp_mode": "local"}, "Input should be 'central' or 'distributed'"),
    ],
)
async def test_unsound_settings_are_refused_by_the_spec(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], fragment: str
) -> None:
    response = await client.post(
        f"{BASE}/initialize", json=spec(orgs, **overrides), headers=orgs[0].doctor.headers
    )
    assert response.status_code == 422, response.text
    assert fragment in str(response.json()["detail"])


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        # Counts move by whole units: a large epsilon asks for less noise than one party's share can
        # carry on the integer grid (Proposition 14 needs each share's parameter >= 1/2).
        (
            {
                "analysis": "histogram",
                "params": {"variable": {"name": "age", "lo": 0, "hi": 100}, "bins": 4},
                "epsilon": 10.0,
                "threshold": 3,
                "min_participants": 3,
            },
            "too fine for the fixed-point grid",
        ),
        # Noise on the grid must fit one element per value beside the aggregate: these bounds need limbs.
        (
            {"params": {"variable": {"name": "glucose", "lo": 0, "hi": 1e12}}},
            "distributed noise needs every value in one element",
        ),
    ],
)
async def test_unsound_distributed_plans_are_refused_at_creation(
    client: httpx.AsyncClient, orgs: list[Org], overrides: dict[str, Any], fragment: str
) -> None:
    body = spec(orgs, **({"epsilon": 1.0, "delta": 1e-6, "dp_mode": "distributed"} | overrides))
    response = await client.post(f"{BASE}/initialize", json=body, headers=orgs[0].doctor.headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["field"] == "dp_mode"
    assert detail[0]["message"].startswith("distributed differential privacy cannot protect this computation")
    assert fragment in detail[0]["message"]


@pytest.mark.parametrize("protocol", ["secagg", "paillier"])
async def test_a_distributed_release_is_exactly_the_sum_of_the_noised_inputs(
    client: httpx.AsyncClient, orgs: list[Org], protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)
    pooled = diabetes()
    agents = [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(orgs, split(pooled, 3), strict=True)
    ]
    params = {"variable": {"name": "bp", "lo": 40, "hi": 140}}
    body = spec(
        orgs,
        protocol=protocol,
        analysis="mean",
        params=params,
        epsilon=1.0,
        delta=1e-6,
        dp_mode="distributed",
    )
    cid = (await create(client, orgs[0].doctor, body))["id"]
    assert (await accept_all(client, orgs, cid))["status"] == "running"
    for agent in agents:
        await agent.join(cid)
    await _rounds(agents, range(1, 4))
    released = await _result(client, orgs[2], cid)

    # What the parties' own states say they sent, noise included, summed and finalized here: exactly the
    # released values, so neither the exchange nor the recipient added anything.
    setup = agents[0].setup
    assert setup is not None
    encoding = plan_for(setup, EXCHANGE_PROTOCOLS[protocol].modulus())
    noised = sum(_sent_input(protocol, agent.state, encoding.length) for agent in agents)
    analysis = get_analysis("mean")
    expected = analysis.finalize(decode_sum(encoding, noised), analysis.parse(params), k=setup.k)
    assert released["values"]["values"] == expected.values
    assert released["values"]["values"]["mean"] != pytest.approx(float(pooled["bp"].mean()), rel=1e-9)
    dp = released["protection"]["differential_privacy"]
    assert (dp["mode"], dp["honest_parties"], dp["not_charged"]) == ("distributed", 2, [1, 2, 3])


def _sent_input(protocol: str, party_state: bytes, length: int) -> np.ndarray:
    raw = state.decode_bytes(state.load(protocol, party_state)["input"])
    if protocol == "secagg":
        return ring.from_ring(wire.unpack_vector(raw, length))
    return np.frombuffer(raw, dtype="<i8").astype(np.int64)
