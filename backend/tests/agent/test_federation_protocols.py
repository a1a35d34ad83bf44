"""Real agent processes through a histogram, dropouts and an exchange restart.

Shares the session's federation (tests/agent/conftest.py): the exchange and three `hdx agent run`
processes with a third of the diabetes data each. Every test runs its own computations and leaves all
three agents running when it ends, whatever happened.

Round deadlines are applied by the exchange's deadline sweep, which runs when the exchange starts and
then periodically; this federation's exchange has the periodic sweep pushed out of reach (see
tests/agent/conftest.py), so only a start applies them (neither `compute` nor a status read does). A
party that went silent is dropped here the way a restarted deployment drops it: its round deadline
passes, the exchange restarts, and the sweep at start drops it and moves the computation on. Nothing
else can act on the seconds-long deadlines these tests set, however slowly a busy machine runs them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from hdx.agent.federation import AGENT_START_SECONDS, Federation, Member
from hdx.agent.localnet import start_agent, start_exchange, stop_exchange
from hdx.agent.proposals import FINAL, ComputationFailed, propose, result, status
from hdx.agent.store import ComputationStore

pytestmark = pytest.mark.slow

WAIT = 90.0  # seconds; the machine may be busy with other work
SHORT_ROUNDS = {"round_minutes": 0.05}  # 3 s: only the sweep at start applies it, see the module docstring
BMI = {"variable": {"name": "bmi", "lo": 8, "hi": 120}}


# Following a computation ----------------------------------------------------------------------------


def start(fed: Federation, analysis: str, params: dict[str, Any], protocol: str, **options: Any) -> str:
    participants = [member.hospital.name for member in fed.members]
    return propose(fed.http, fed.requester, participants, analysis, params, protocol=protocol, **options)


def current(fed: Federation, computation_id: str) -> dict[str, Any]:
    return status(fed.http, fed.requester, computation_id)


def wait_until(
    fed: Federation, computation_id: str, done: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        now = current(fed, computation_id)
        if done(now):
            return now
        if now["status"] in FINAL:
            pytest.fail(f"{what}: the computation ended {now['status']} ({now['failure_reason']})")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {now['status']} in round {now['current_round']}\n{fed.agent_logs()}")
        time.sleep(0.05)


def finished(fed: Federation, computation_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while (now := current(fed, computation_id))["status"] not in FINAL:
        if time.monotonic() > deadline:
            pytest.fail(f"still {now['status']} in round {now['current_round']}\n{fed.agent_logs()}")
        time.sleep(0.1)
    return now


def released(fed: Federation, computation: dict[str, Any]) -> dict[str, Any]:
    try:
        return result(fed.http, fed.requester, computation)
    except ComputationFailed as exc:
        pytest.fail(f"{exc}\n{fed.agent_logs()}")


def party(computation: dict[str, Any], member: Member) -> dict[str, Any]:
    found: dict[str, Any] = next(
        p for p in computation["parties"] if p["organization_id"] == member.hospital.organization_id
    )
    return found


def resolution(outcome: dict[str, Any]) -> float:
    """Each party rounds each element once: at most half a unit in the last place of the fixed point."""
    protection = outcome["protection"]
    return float(len(protection["parties"]) * 2.0 ** -(protection["frac_bits"] + 1))


# Holding agents at a round boundary -----------------------------------------------------------------


def posted(member: Member, computation_id: str) -> int:
    """The last round whose messages the agent has all delivered, from its own state directory."""
    store = ComputationStore(member.state_dir)
    return store.load(computation_id).posted if store.exists(computation_id) else 0


def stop_agents(fed: Federation, members: list[Member]) -> None:
    """Stop these members' agent processes (their state stays on disk): from now on they act only when
    the test runs them for one poll."""
    for member in members:
        fed.processes.stop(member.process)


def poll_once(fed: Federation, members: list[Member]) -> None:
    """One poll of each member's agent, all at once (`hdx agent run --once`): each handles what is
    pending at that moment (answers an invitation, posts the messages of the open round) and exits."""
    started = [
        start_agent(fed.processes, m.state_dir, m.data, fed.policy, poll_seconds=fed.poll_seconds, once=True)
        for m in members
    ]
    for member, process in zip(members, started, strict=True):
        member.process = process
        try:
            code = process.wait(AGENT_START_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{member.hospital.name}: one poll took over {AGENT_START_SECONDS:.0f} s")
        assert code == 0, f"{member.hospital.name}'s agent exited with {code}\n{fed.agent_logs()}"


def deliver_round_1_only(fed: Federation, computation_id: str, members: list[Member]) -> dict[str, Any]:
    """Members whose agents are stopped answer the invitation, then, once every party accepted, post
    their round-1 messages, each step one poll of their agent. Nothing of theirs runs in between or
    afterwards, so none of them can send anything of round 2, however fast or slow the rest goes (an
    agent stopped with a signal once it had posted round 1 could reach round 2 first on a busy
    machine). Returns the computation as the exchange then sees it."""
    poll_once(fed, members)
    wait_until(fed, computation_id, lambda now: now["status"] == "running", "every party's acceptance")
    poll_once(fed, members)
    now = current(fed, computation_id)
    assert now["status"] == "running", now["failure_reason"]
    for member in members:
        assert posted(member, computation_id) == 1, fed.agent_logs()
    return now


@contextmanager
def agents_restored(fed: Federation) -> Iterator[None]:
    """Whatever the test did to the agents, every one runs again, started, when it ends."""
    try:
        yield
    finally:
        for member in fed.members:
            if member.process.poll() is not None:
                fed.restart_agent(member)
        fed.wait_ready()


def restart_after_round_deadline(fed: Federation, computation: dict[str, Any], dead: list[Member]) -> None:
    """Let the round deadline pass, restart the exchange (whose sweep at start drops the silent parties),
    then start the dead parties' agents again: dropped, they sit the rest of this computation out."""
    deadline = datetime.fromisoformat(computation["deadlines"]["round_at"])
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
    sweep_seconds = fed.exchange.sweep_seconds
    fed.restart_exchange()
    # Restarted with the same long sweep interval: still only a start applies the deadlines.
    assert sweep_seconds is not None
    assert fed.exchange.sweep_seconds == sweep_seconds
    swept = current(fed, computation["id"])
    for member in dead:
        assert party(swept, member)["status"] == "dropped", swept
        assert party(swept, member)["dropped_reason"] == (
            f"had not sent all its round {computation['current_round']} messages by the deadline"
        )
        # Starting takes a while: let it overlap with the survivors finishing the computation.
        fed.restart_agent(member)


def shares(members: Iterable[Member]) -> pl.DataFrame:
    return pl.concat([pl.read_csv(member.data) for member in members])


# Tests ----------------------------------------------------------------------------------------------


def expected_histogram(values: np.ndarray[Any, Any], edges: np.ndarray[Any, Any], k: int) -> list[int | None]:
    """numpy's counts with the analysis' disclosure rule applied: cells counting 1 to k-1 people are
    withheld, and when that is a single cell, the smallest other cell too (else the total gives it)."""
    counts, _ = np.histogram(values, bins=edges)
    hidden = (counts > 0) & (counts < k)
    if hidden.sum() == 1:
        others = np.flatnonzero(~hidden)
        hidden[others[np.argmin(counts[others])]] = True
    return [None if hide else int(count) for hide, count in zip(hidden, counts, strict=True)]


def test_secure_histogram_equals_numpy_with_small_cells_suppressed(fed: Federation) -> None:
    """t = 2 of 3: the exchange interpolates from two partial sums and checks the third against them."""
    params = {"variable": {"name": "bmi", "lo": 15, "hi": 45}, "bins": 12}
    computation_id = start(fed, "histogram", params, "shamir", threshold=2)
    outcome = released(fed, finished(fed, computation_id))

    bmi = fed.pooled.get_column("bmi").to_numpy()
    edges = np.linspace(15, 45, 13)
    expected = expected_histogram(bmi, edges, outcome["protection"]["k"])
    values = outcome["values"]
    assert outcome["protection"]["k"] == 5
    assert values["n"] == bmi.size == 442
    assert values["clipped"] == 0
    assert values["values"]["edges"] == pytest.approx(edges.tolist())
    assert values["values"]["counts"] == expected
    # The pooled data has one cell of 2 people (withheld with an empty cell) and one of exactly 5 (shown).
    assert expected.count(None) == 2
    assert 5 in expected
    assert values["suppressed"] == [f"count[{i}]" for i, count in enumerate(expected) if count is None]
    assert outcome["protection"]["parties"] == [1, 2, 3]


def test_the_computation_completes_across_an_exchange_restart_between_rounds(fed: Federation) -> None:
    params = {"variable": {"name": "age", "lo": 0, "hi": 100}, "bins": 10}
    with agents_restored(fed):
        stop_agents(fed, fed.members)
        computation_id = start(fed, "histogram", params, "secagg")
        # Every agent stops right after its round-1 upload, so the exchange stops between rounds 1 and 2.
        between = deliver_round_1_only(fed, computation_id, fed.members)
        assert (between["status"], between["current_round"]) == ("running", 2)
        assert {p["status"] for p in between["parties"]} == {"accepted"}
        stop_exchange(fed.processes, fed.exchange)
        # The agents find the exchange gone: their client retries, and their loop backs off and comes back.
        for member in fed.members:
            fed.restart_agent(member)
        fed.wait_ready()
        fed.exchange = start_exchange(
            fed.processes,
            fed.exchange.data_dir.parent,
            port=fed.exchange.port,
            migrate=False,
            sweep_seconds=fed.exchange.sweep_seconds,
        )
        outcome = released(fed, finished(fed, computation_id))

    age = fed.pooled.get_column("age").to_numpy()
    assert outcome["values"]["values"]["counts"] == expected_histogram(age, np.linspace(0, 100, 11), 5)
    assert outcome["protection"]["parties"] == [1, 2, 3]
    assert all(member.process.poll() is None for member in fed.members), fed.agent_logs()


def lost_after_round_1(
    fed: Federation, protocol: str, dead: Member, survivors_sent: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A secure mean of BMI (t = 2) in which `dead` posts its round-1 message and never runs again, as
    if killed there; once the others have sent round 2 the exchange restarts after the round deadline.
    Returns the computation as it stalled, as it ended, and its released result."""
    alive = [member for member in fed.members if member is not dead]
    with agents_restored(fed):
        stop_agents(fed, [dead])
        computation_id = start(fed, "mean", BMI, protocol, threshold=2, deadlines=SHORT_ROUNDS)
        deliver_round_1_only(fed, computation_id, [dead])
        stalled = wait_until(
            fed,
            computation_id,
            lambda now: (
                now["current_round"] == 2
                and all(party(now, member)["status"] == "submitted" for member in alive)
            ),
            survivors_sent,
        )
        restart_after_round_deadline(fed, stalled, [dead])
        ended = finished(fed, computation_id)
        return stalled, ended, released(fed, ended)


def test_shamir_party_killed_after_its_round_1_upload_is_still_counted(fed: Federation) -> None:
    """Its shares went to the others in round 1, so their partial sums include its data: the result is
    the mean over all 442 patients, from the 2 = t partials of the parties still there."""
    dead = fed.members[2]
    stalled, ended, outcome = lost_after_round_1(
        fed, "shamir", dead, "the partial sums of the surviving parties"
    )

    assert party(stalled, dead)["status"] == "accepted"
    assert party(ended, dead)["status"] == "dropped"
    bmi = fed.pooled.get_column("bmi").to_numpy()
    assert outcome["protection"]["parties"] == [1, 2, 3]
    assert outcome["values"]["n"] == bmi.size == 442
    assert outcome["values"]["values"]["mean"] == pytest.approx(
        bmi.mean(), rel=1e-13, abs=resolution(outcome) / bmi.size
    )


def test_secagg_party_killed_before_its_masked_input_is_left_out(fed: Federation) -> None:
    """Round 1 shared its key and seed; it died before round 2, so the survivors reveal its mask key's
    shares and the sum covers the two others' patients only."""
    dead = fed.members[2]
    alive = fed.members[:2]
    stalled, ended, outcome = lost_after_round_1(
        fed, "secagg", dead, "the masked inputs of the surviving parties"
    )

    assert party(stalled, dead)["status"] == "accepted"
    assert party(ended, dead)["status"] == "dropped"
    survivors = sorted(party(ended, member)["party_index"] for member in alive)
    assert outcome["protection"]["parties"] == survivors
    bmi = shares(alive).get_column("bmi").to_numpy()
    assert outcome["values"]["n"] == bmi.size < fed.pooled.height
    assert outcome["values"]["values"]["mean"] == pytest.approx(
        bmi.mean(), rel=1e-13, abs=resolution(outcome) / bmi.size
    )


def test_secagg_below_the_threshold_fails_with_a_reason_and_releases_nothing(fed: Federation) -> None:
    dead = fed.members[1:]
    with agents_restored(fed):
        stop_agents(fed, dead)
        computation_id = start(fed, "mean", BMI, "secagg", threshold=2, deadlines=SHORT_ROUNDS)
        deliver_round_1_only(fed, computation_id, dead)
        stalled = wait_until(
            fed,
            computation_id,
            lambda now: now["current_round"] == 2 and party(now, fed.members[0])["status"] == "submitted",
            "the masked input of the one surviving party",
        )
        restart_after_round_deadline(fed, stalled, dead)
        ended = finished(fed, computation_id)

    assert ended["status"] == "failed"
    assert ended["result_id"] is None
    reason = ended["failure_reason"]
    assert reason.startswith("round 2 has 1 party left in play, fewer than the threshold of 2; dropped: ")
    # Each party that dropped is named with its own reason.
    for member in dead:
        assert f"party {party(ended, member)['party_index']} (" in reason
    assert [party(ended, member)["status"] for member in dead] == ["dropped", "dropped"]
    with pytest.raises(ComputationFailed, match="fewer than the threshold"):
        result(fed.http, fed.requester, ended)
