"""The agent loop in this process against a real exchange process: invitations answered by policy or
by a person, rounds run to a correct result, and a network failure in mid-round survived."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest

from hdx.agent import diabetes
from hdx.agent.client import RetryPolicy, Unreachable
from hdx.agent.onboarding import Hospital
from hdx.agent.policy import Policy
from hdx.agent.proposals import FINAL, propose, result, status
from hdx.agent.runner import Agent
from hdx.computations.schemas import AgentComputationOut
from tests.agent.conftest import AgentFactory

ACCEPT_ALL = Policy.model_validate(
    {"accept": {"requesters": ["*"], "analyses": ["*"], "protocols": ["*"], "columns": ["*"]}}
)
ACCEPT_ALL_DECLINE_OTHERWISE = ACCEPT_ALL.model_copy(update={"otherwise": "decline"})
BMI = {"variable": {"name": "bmi", "lo": 8, "hi": 120}}
GLUCOSE = {"variable": {"name": "glucose", "lo": 10, "hi": 2000}}


def shares(tmp_path: Path, count: int) -> list[Path]:
    return diabetes.split(diabetes.diabetes(), tmp_path / "data", count)


def drive(agents: Sequence[Agent], done: Callable[[], bool] = lambda: False, polls: int = 30) -> None:
    for _ in range(polls):
        for agent in agents:
            agent.poll()
        if done():
            return
    raise AssertionError(f"not done after {polls} polls of every agent")


def finished(http: httpx.Client, reader: Hospital, computation_id: str) -> Callable[[], bool]:
    return lambda: status(http, reader, computation_id)["status"] in FINAL


def pooled_bmi(paths: Sequence[Path]) -> np.typing.NDArray[np.float64]:
    frame = diabetes.diabetes()
    wanted = {p.name for p in paths}
    kept = [share for share in diabetes.split(frame, paths[0].parent, 3) if share.name in wanted]
    import polars as pl

    return np.concatenate([pl.read_csv(path).get_column("bmi").to_numpy() for path in kept])


def resolution(released: dict[str, object]) -> float:
    protection = released["protection"]
    assert isinstance(protection, dict)
    return float(len(protection["parties"]) * 2.0 ** -protection["frac_bits"])


@pytest.mark.slow
def test_invitations_follow_each_policy_then_a_person_and_the_accepted_parties_compute(
    tmp_path: Path, register: Callable[[int], list[Hospital]], make_agent: AgentFactory, http: httpx.Client
) -> None:
    north, south, east = register(3)
    data = shares(tmp_path, 3)
    declining = Policy.model_validate({"decline": {"analyses": ["mean"]}})
    agents = [
        make_agent(north, data[0], ACCEPT_ALL),
        make_agent(south, data[1], declining),
        make_agent(east, data[2], Policy()),
    ]
    names = [north.name, south.name, east.name]
    computation_id = propose(http, north, names, "mean", BMI, threshold=2, min_participants=2)
    for agent in agents:
        agent.poll()

    parties = {p["organization_name"]: p for p in status(http, north, computation_id)["parties"]}
    assert parties[north.name]["status"] == "accepted"
    assert parties[north.name]["source"] == "agent"
    assert parties[south.name]["status"] == "declined"
    assert parties[south.name]["decline_reason"] == "the policy declines the mean analysis"
    # Without a policy the invitation waits for a person, however often the agent polls.
    agents[2].poll()
    assert parties[east.name]["status"] == "invited"
    assert status(http, north, computation_id)["status"] == "pending_approval"

    approved = http.post(
        f"/secure-computations/{computation_id}/accept", json={"source": "agent"}, headers=east.headers
    )
    assert approved.status_code == 200, approved.text
    drive(agents, finished(http, north, computation_id))

    released = result(http, north, status(http, north, computation_id))
    expected = pooled_bmi([data[0], data[2]])
    assert released["values"]["n"] == expected.size
    assert abs(released["values"]["values"]["mean"] - expected.mean()) <= resolution(released)
    assert sorted(released["protection"]["parties"]) == [1, 3]


@pytest.mark.slow
def test_an_agent_whose_data_cannot_contribute_declines_saying_why_when_its_policy_declines_the_rest(
    tmp_path: Path, register: Callable[[int], list[Hospital]], make_agent: AgentFactory, http: httpx.Client
) -> None:
    north, south, east = register(3)
    full = shares(tmp_path, 3)[0]
    no_glucose = no_glucose_file(tmp_path)
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("patient_id,glucose\np1,90\np2,95\np3,101\n")
    agents = [
        make_agent(north, full, ACCEPT_ALL),
        make_agent(south, no_glucose, ACCEPT_ALL_DECLINE_OTHERWISE),
        make_agent(east, tiny, ACCEPT_ALL_DECLINE_OTHERWISE),
    ]
    computation_id = propose(
        http, north, [north.name, south.name, east.name], "mean", GLUCOSE, threshold=2, min_participants=2
    )
    for agent in agents:
        agent.poll()
    current = status(http, north, computation_id)
    reasons = {p["organization_name"]: p["decline_reason"] for p in current["parties"]}
    assert reasons[south.name] == "the local data cannot contribute: the dataset has no column 'glucose'"
    assert reasons[east.name].startswith("the local data cannot contribute")
    assert "k=5" in reasons[east.name]
    assert current["status"] == "failed"


def no_glucose_file(tmp_path: Path) -> Path:
    path = tmp_path / "no-glucose.csv"
    path.write_text("patient_id,bmi\n" + "".join(f"p{i},{20 + i}\n" for i in range(20)))
    return path


def logged(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == message]


@pytest.mark.slow
def test_an_invitation_the_data_cannot_serve_waits_for_a_person_without_a_policy_or_one_that_waits(
    tmp_path: Path,
    register: Callable[[int], list[Hospital]],
    make_agent: AgentFactory,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    north, south, east = register(3)
    data = no_glucose_file(tmp_path)
    agents = [make_agent(south, data, Policy()), make_agent(east, data, ACCEPT_ALL)]
    computation_id = propose(
        http, north, [north.name, south.name, east.name], "mean", GLUCOSE, threshold=2, min_participants=2
    )
    with caplog.at_level(logging.INFO, logger="hdx.agent"):
        for agent in agents * 2:
            agent.poll()

    current = status(http, north, computation_id)
    assert current["status"] == "pending_approval"
    assert {p["organization_name"]: p["status"] for p in current["parties"]} == {
        north.name: "invited",
        south.name: "invited",
        east.name: "invited",
    }
    waiting = logged(caplog, "invitation left for a person: the local data cannot serve it")
    assert len(waiting) == 2  # once per agent, however often it polls
    assert {record.levelno for record in waiting} == {logging.WARNING}
    assert all("the dataset has no column 'glucose'" in getattr(r, "reason", "") for r in waiting)
    assert not logged(caplog, "invitation declined")


def listed(agent: Agent, computation_id: str) -> AgentComputationOut:
    return next(
        AgentComputationOut.model_validate(item)
        for item in agent.client.get_json("/agent/computations")
        if item["id"] == computation_id
    )


@pytest.mark.slow
def test_an_answer_the_exchange_refuses_is_logged_as_refused_with_its_reason(
    tmp_path: Path,
    register: Callable[[int], list[Hospital]],
    make_agent: AgentFactory,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    north, south, east = register(3)
    data = shares(tmp_path, 3)
    accepting = make_agent(south, data[1], ACCEPT_ALL)
    declining = make_agent(east, data[2], Policy.model_validate({"decline": {"analyses": ["mean"]}}))
    computation_id = propose(
        http, north, [north.name, south.name, east.name], "mean", BMI, threshold=2, min_participants=2
    )
    # Both agents have seen the invitation when a person of each organization answers it first.
    seen_by_south, seen_by_east = listed(accepting, computation_id), listed(declining, computation_id)
    by_person = http.post(
        f"/secure-computations/{computation_id}/decline",
        json={"reason": "not this quarter"},
        headers=south.headers,
    )
    assert by_person.status_code == 200, by_person.text
    by_person = http.post(
        f"/secure-computations/{computation_id}/accept", json={"source": "agent"}, headers=east.headers
    )
    assert by_person.status_code == 200, by_person.text

    with caplog.at_level(logging.INFO, logger="hdx.agent"):
        accepting.handle(seen_by_south)
        declining.handle(seen_by_east)

    assert not logged(caplog, "invitation accepted by policy")
    assert not logged(caplog, "invitation declined")
    south_refused, east_refused = (vars(r) for r in logged(caplog, "the exchange refused the agent's answer"))
    assert (south_refused["answer"], south_refused["status_code"]) == ("accept", 409)
    assert "already answered this invitation (declined)" in south_refused["refusal"]
    assert (east_refused["answer"], east_refused["status_code"]) == ("decline", 409)
    assert "already answered this invitation (accepted)" in east_refused["refusal"]
    assert east_refused["reason"] == "the policy declines the mean analysis"
    parties = {p["organization_name"]: p for p in status(http, north, computation_id)["parties"]}
    assert (parties[south.name]["status"], parties[south.name]["decline_reason"]) == (
        "declined",
        "not this quarter",
    )
    assert parties[east.name]["status"] == "accepted"


class DropSecondMessage(httpx.HTTPTransport):
    """The network dies right after the first protocol message of the agent went out."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.messages += 1
            if self.messages == 2:
                raise httpx.ConnectError("connection reset", request=request)
        return super().handle_request(request)


@pytest.mark.slow
def test_an_agent_restarted_after_a_failure_in_mid_round_resends_the_same_bytes_and_finishes(
    tmp_path: Path, register: Callable[[int], list[Hospital]], make_agent: AgentFactory, http: httpx.Client
) -> None:
    north, south, east = register(3)
    data = shares(tmp_path, 3)
    flaky = make_agent(
        north, data[0], ACCEPT_ALL, retry=RetryPolicy(attempts=1), transport=DropSecondMessage()
    )
    others = [make_agent(south, data[1], ACCEPT_ALL), make_agent(east, data[2], ACCEPT_ALL)]
    computation_id = propose(
        http, north, [north.name, south.name, east.name], "variance", BMI, protocol="shamir"
    )

    with pytest.raises(Unreachable):
        drive([*others, flaky], polls=10)
    interrupted = flaky.store.load(computation_id)
    assert interrupted.posted < interrupted.stepped

    # A new process on the same state directory: the stored round goes out again, then the rest.
    restarted = make_agent(north, data[0], ACCEPT_ALL)
    assert restarted.store.load(computation_id) == interrupted
    drive([restarted, *others], finished(http, north, computation_id))

    released = result(http, north, status(http, north, computation_id))
    values = pooled_bmi(data)
    assert released["values"]["n"] == values.size
    assert abs(released["values"]["values"]["mean"] - values.mean()) <= resolution(released)
    assert abs(released["values"]["values"]["variance"] - values.var(ddof=1)) <= 100 * resolution(released)
    for agent in [restarted, *others]:
        agent.poll()
        local = agent.store.load(computation_id)
        assert (local.finished, local.status) == (True, "completed")
        assert [p.name for p in (agent.store.root / computation_id).iterdir()] == ["meta.json"]
        assert json.loads((agent.store.root / computation_id / "meta.json").read_text())["result_id"]


def test_an_unreachable_exchange_stops_a_single_run_without_touching_state(
    tmp_path: Path, register: Callable[[int], list[Hospital]], make_agent: AgentFactory
) -> None:
    (hospital,) = register(1)
    agent = make_agent(hospital, shares(tmp_path, 1)[0], ACCEPT_ALL)
    agent.client.close()
    from hdx.agent.client import ExchangeClient
    from hdx.agent.localnet import free_port

    agent.client = ExchangeClient(
        f"http://127.0.0.1:{free_port()}", "hdx_key", retry=RetryPolicy(attempts=2, base_delay=0.01)
    )
    with pytest.raises(Unreachable):
        agent.run(poll_seconds=0.01, once=True)
    agent.client.close()
    assert agent.store.all() == []
