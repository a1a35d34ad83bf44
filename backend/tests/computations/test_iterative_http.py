"""Logistic regression by federated Newton iterations through the real API: one computation runs one
secure sum per iteration until convergence, for every protocol, and equals statsmodels on the pooled
breast-cancer data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx
import numpy as np
import pytest
import statsmodels.api as sm
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.app import create_app
from hdx.computations.models import ComputationResult
from hdx.config import Settings
from hdx.crypto import paillier as he
from hdx.protocols import Outgoing, paillier
from hdx.security.models import AuditEvent
from tests.analyses.federation import split
from tests.analyses.test_logistic import CANCER, FEATURES
from tests.computations.conftest import BASE, Org, accept_all, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.computations.test_protocols_http import _pass_deadline, _status

PARAMS: dict[str, Any] = {
    "outcome": "target",
    "covariates": [{"name": name, "lo": -8, "hi": 8} for name in FEATURES],
}
ROUNDS = {"shamir": 2, "secagg": 3, "paillier": 3, "hybrid": 3}


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1024-bit Paillier keys (one per iteration) keep the suite fast.
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


@pytest.fixture(scope="module")
def pooled_fit() -> Any:
    x = sm.add_constant(CANCER.select(FEATURES).to_numpy())
    return sm.Logit(CANCER.get_column("target").to_numpy(), x).fit(disp=0, tol=1e-12)


@pytest.fixture
async def agents(client: httpx.AsyncClient, orgs: list[Org]) -> list[HttpAgent]:
    frames = split(CANCER, 3, seed=3)
    return [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(orgs, frames, strict=True)
    ]


async def _start(
    client: httpx.AsyncClient, orgs: list[Org], agents: list[HttpAgent], protocol: str, **extra: Any
) -> str:
    body = spec(orgs, protocol=protocol, analysis="logistic", params=PARAMS, threshold=2, **extra)
    computation = await create(client, orgs[0].doctor, body)
    assert (await accept_all(client, orgs, computation["id"]))["status"] == "running"
    for agent in agents:
        await agent.join(computation["id"])
    return str(computation["id"])


async def _drive(
    client: httpx.AsyncClient, org: Org, agents: Sequence[HttpAgent], cid: str, *, until_iteration: int = 0
) -> dict[str, Any]:
    """Every agent plays the current round until the computation leaves `running` (or reaches the
    iteration `until_iteration`); returns its status then."""
    for _ in range(500):
        status = await _status(client, org, cid)
        if status["status"] != "running" or (until_iteration and status["iteration"] >= until_iteration):
            return status
        for agent in agents:
            await agent.play(status["current_round"])
    raise AssertionError("the computation did not finish in 500 rounds")


async def _result(client: httpx.AsyncClient, org: Org, status: dict[str, Any]) -> dict[str, Any]:
    assert status["status"] == "completed", status["failure_reason"]
    response = await client.get(f"{BASE}/result/{status['result_id']}", headers=org.doctor.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _check(values: dict[str, Any], reference: Any) -> None:
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    np.testing.assert_allclose(values["odds_ratios"], np.exp(reference.params), rtol=1e-6)
    assert values["log_likelihood"] == pytest.approx(reference.llf, rel=1e-9)
    assert values["converged"] is True
    assert values["terms"] == ["const", *FEATURES]


@pytest.mark.parametrize("protocol", ["shamir", "secagg", "paillier", "hybrid"])
async def test_logistic_regression_equals_statsmodels_on_the_pooled_data(
    client: httpx.AsyncClient,
    orgs: list[Org],
    agents: list[HttpAgent],
    db: AsyncSession,
    pooled_fit: Any,
    protocol: str,
) -> None:
    cid = await _start(client, orgs, agents, protocol)
    second = await _drive(client, orgs[0], agents, cid, until_iteration=2)
    # The first iteration's aggregate moved the coefficients; nothing was released.
    assert (second["status"], second["iteration"], second["current_round"]) == (
        "running",
        2,
        ROUNDS[protocol] + 1,
    )
    assert second["result_id"] is None
    assert await db.scalar(select(func.count()).select_from(ComputationResult)) == 0
    announced = (await client.get(f"/agent/computations/{cid}", headers=orgs[1].agent)).json()
    assert announced["round_offset"] == ROUNDS[protocol]
    assert announced["params"] == {**announced["iteration_params"], "beta": None}
    assert len(announced["iteration_params"]["beta"]) == len(FEATURES) + 1

    ended = await _drive(client, orgs[0], agents, cid)
    result = await _result(client, orgs[2], ended)
    values = result["values"]["values"]
    _check(values, pooled_fit)
    assert 1 < values["iterations"] == ended["iteration"] < 20
    assert ended["current_round"] == values["iterations"] * ROUNDS[protocol]
    assert result["values"]["n"] == CANCER.height
    assert result["protection"]["parties"] == [1, 2, 3]
    opened = await db.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.action == "computation.iteration_started", AuditEvent.target_id == cid)
        .order_by(AuditEvent.seq)
    )
    assert [d["iteration"] for d in opened] == list(range(2, values["iterations"] + 1))


async def test_a_message_of_iteration_1_replayed_into_iteration_2_is_refused(
    client: httpx.AsyncClient, orgs: list[Org], agents: list[HttpAgent]
) -> None:
    cid = await _start(client, orgs, agents, "shamir")
    await _drive(client, orgs[0], agents, cid, until_iteration=2)
    first = {(m.kind, m.recipient): m.payload for m in await agents[0].inbox(1) if m.sender == 2}
    assert first

    def replay(round_number: int, message: Outgoing) -> Outgoing:
        # Party 2 posts, as its share for party 1 in iteration 2, the one it sent in iteration 1.
        if (message.kind, message.recipient) == ("share", 1):
            return replace(message, payload=first[("share", 1)])
        return message

    agents[1].rewrite = replay
    ended = await _drive(client, orgs[0], agents, cid)
    assert ended["status"] == "failed"
    assert ended["failure_reason"].startswith(
        "iteration 2, round 1: round 1 message from party 2 to party 1 was signed for another context"
    )
    assert ended["result_id"] is None


async def test_an_exchange_restarted_between_iterations_finishes_the_computation(
    client: httpx.AsyncClient,
    orgs: list[Org],
    agents: list[HttpAgent],
    settings: Settings,
    pooled_fit: Any,
) -> None:
    cid = await _start(client, orgs, agents, "secagg")
    await _drive(client, orgs[0], agents, cid, until_iteration=3)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
            for agent in agents:
                agent.client = fresh
            ended = await _drive(fresh, orgs[0], agents, cid)
            _check((await _result(fresh, orgs[1], ended))["values"]["values"], pooled_fit)


async def test_a_party_lost_in_an_iteration_fails_the_computation(
    app: FastAPI, client: httpx.AsyncClient, orgs: list[Org], agents: list[HttpAgent]
) -> None:
    """secagg goes on without a party silent before its masked input, but the sum would then cover
    other records than the earlier iterations': the computation stops instead."""
    cid = await _start(client, orgs, agents, "secagg")
    await _drive(client, orgs[0], agents, cid, until_iteration=2)
    for agent in agents:
        await agent.play(4)
    for agent in agents[:2]:
        await agent.play(5)
    await _pass_deadline(app, client, orgs[0], cid)
    for agent in agents[:2]:
        await agent.play(6)
    status = await _status(client, orgs[0], cid)
    assert status["status"] == "failed"
    assert status["failure_reason"] == (
        "parties [3] are missing from the sum of iteration 2: an iterative analysis needs every party's "
        "data in every iteration, so it stops rather than mix different records; dropped: "
        "party 3 (East Laboratory): had not sent all its round 5 messages by the deadline"
    )
    assert status["result_id"] is None


async def test_a_party_dropped_after_a_complete_sum_stops_before_the_next_iteration(
    app: FastAPI, client: httpx.AsyncClient, orgs: list[Org], agents: list[HttpAgent]
) -> None:
    """shamir: party 3's shares went out in round 1, so iteration 1's sum covers it even though it sent no
    partial sum; it could not take part in iteration 2, so that iteration never starts."""
    cid = await _start(client, orgs, agents, "shamir")
    for agent in agents:
        await agent.play(1)
    for agent in agents[:2]:
        await agent.play(2)
    await _pass_deadline(app, client, orgs[0], cid)
    status = await _status(client, orgs[0], cid)
    assert (status["status"], status["iteration"]) == ("failed", 1)
    assert status["failure_reason"] == (
        "parties [3] dropped out in iteration 1: the next iteration would sum over other records than "
        "this one, so the computation stops; dropped: "
        "party 3 (East Laboratory): had not sent all its round 2 messages by the deadline"
    )


async def test_differential_privacy_is_refused_for_an_iterative_analysis(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    body = spec(orgs, analysis="logistic", params=PARAMS, epsilon=1.0)
    response = await client.post(f"{BASE}/initialize", json=body, headers=orgs[0].doctor.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "field": "epsilon",
            "message": "differential privacy is not available for logistic: it runs one secure sum per "
            "iteration and the noise is calibrated to a single release; leave epsilon out",
        }
    ]


async def test_a_run_that_does_not_converge_in_max_iterations_fails_with_a_reason(
    client: httpx.AsyncClient, orgs: list[Org], agents: list[HttpAgent]
) -> None:
    body = spec(
        orgs, protocol="shamir", analysis="logistic", params={**PARAMS, "max_iterations": 2}, threshold=2
    )
    cid = (await create(client, orgs[0].doctor, body))["id"]
    await accept_all(client, orgs, cid)
    for agent in agents:
        await agent.join(cid)
    ended = await _drive(client, orgs[0], agents, cid)
    assert (ended["status"], ended["iteration"]) == ("failed", 2)
    assert ended["failure_reason"] == "iteration 2: logistic regression did not converge in 2 iterations"
