"""Invitations decided by the local policy file: accept, decline with a reason, or wait for a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from hdx.agent.policy import Invitation, Policy, PolicyError, Verdict, columns_of, decide, load

POLICY = """
otherwise = "wait"

[accept]
requesters = ["North Hospital"]
analyses = ["mean", "variance"]
protocols = ["shamir", "secagg"]
columns = ["age", "bmi"]
min_k = 10
max_epsilon = 1.0

[decline]
requesters = ["Data Broker Ltd"]
analyses = ["logistic"]
columns = ["hiv_status"]
min_k = 3
"""


def invitation(**changes: object) -> Invitation:
    fields: dict[str, object] = {
        "computation_id": "c1",
        "requester_id": "org-north",
        "requester_name": "North Hospital",
        "analysis": "mean",
        "protocol": "shamir",
        "k": 10,
        "epsilon": None,
        "columns": ("bmi",),
    }
    return Invitation(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return load(path)


def test_an_invitation_meeting_every_accept_rule_is_accepted(policy: Policy) -> None:
    assert decide(policy, invitation()).verdict is Verdict.accept
    assert decide(policy, invitation(requester_name="north hospital")).verdict is Verdict.accept
    assert decide(policy, invitation(epsilon=0.5, columns=("age", "bmi"))).verdict is Verdict.accept


def test_anything_else_waits_with_every_reason(policy: Policy) -> None:
    decision = decide(
        policy,
        invitation(
            requester_name="South Clinic",
            analysis="histogram",
            protocol="paillier",
            k=5,
            columns=("glucose",),
        ),
    )
    assert decision.verdict is Verdict.wait
    assert decision.reasons == (
        "requester South Clinic is not in accept.requesters",
        "analysis histogram is not in accept.analyses",
        "protocol paillier is not in accept.protocols",
        "column(s) glucose not in accept.columns",
        "minimum cohort k=5 is below accept.min_k=10",
    )


def test_epsilon_above_the_maximum_waits(policy: Policy) -> None:
    decision = decide(policy, invitation(epsilon=2.0))
    assert decision.verdict is Verdict.wait
    assert decision.reason == "epsilon=2 exceeds accept.max_epsilon=1"


def test_what_the_decline_table_names_is_declined_with_the_reason(policy: Policy) -> None:
    broker = decide(policy, invitation(requester_name="Data Broker Ltd"))
    assert broker.verdict is Verdict.decline
    assert broker.reason == "the policy declines requests from Data Broker Ltd"
    columns = decide(policy, invitation(columns=("bmi", "hiv_status")))
    assert (columns.verdict, columns.reason) == (
        Verdict.decline,
        "the policy does not allow the column(s) hiv_status",
    )
    small = decide(policy, invitation(k=2))
    assert (small.verdict, small.reason) == (Verdict.decline, "minimum cohort k=2 is below the policy's 3")


def test_otherwise_decline_turns_waiting_into_declining(tmp_path: Path) -> None:
    path = tmp_path / "strict.toml"
    path.write_text('otherwise = "decline"\n[accept]\nrequesters = ["*"]\nanalyses = ["count"]\n')
    decision = decide(load(path), invitation(columns=()))
    assert decision.verdict is Verdict.decline
    assert decision.reasons == (
        "analysis mean is not in accept.analyses",
        "protocol shamir is not in accept.protocols",
    )


def test_without_a_policy_nothing_is_accepted_automatically() -> None:
    assert decide(Policy(), invitation()).verdict is Verdict.wait


def test_wildcards_accept_anything_named_nowhere_else() -> None:
    anything = Policy.model_validate(
        {"accept": {"requesters": ["*"], "analyses": ["*"], "protocols": ["*"], "columns": ["*"]}}
    )
    assert decide(anything, invitation(requester_name="Anyone", analysis="ols")).verdict is Verdict.accept
    assert (
        decide(
            anything.model_copy(update={"accept": anything.accept.model_copy(update={"require_dp": True})}),
            invitation(),
        ).verdict
        is Verdict.wait
    )


def test_columns_include_those_of_filters() -> None:
    params = {
        "variable": {"name": "bmi", "lo": 8, "hi": 120},
        "filters": [{"column": "age", "op": ">=", "value": 60}],
    }
    assert columns_of("mean", params) == ("bmi", "age")
    assert columns_of("count", {"columns": ["glucose"]}) == ("glucose",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("otherwise = ", "not valid TOML"),
        ('otherwise = "maybe"', "otherwise"),
        ("[accept]\nanalysis = ['mean']", "accept.analysis"),
        ("[accept]\nmin_k = 0", "accept.min_k"),
    ],
)
def test_a_policy_with_mistakes_is_refused_naming_them(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=problem):
        load(path)


def test_the_policy_sees_where_the_noise_comes_from(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.replace("max_epsilon = 1.0", 'max_epsilon = 1.0\ndp_modes = ["distributed"]'))
    only_own_noise = load(path)
    mine = decide(only_own_noise, invitation(epsilon=0.5, dp_mode="distributed"))
    assert mine.verdict is Verdict.accept
    theirs = decide(only_own_noise, invitation(epsilon=0.5, dp_mode="central"))
    assert (theirs.verdict, theirs.reason) == (Verdict.wait, "dp_mode central is not in accept.dp_modes")
    # max_epsilon applies in either mode; without an epsilon there is no mode to check.
    assert decide(only_own_noise, invitation(epsilon=2.0, dp_mode="distributed")).verdict is Verdict.wait
    assert decide(only_own_noise, invitation()).verdict is Verdict.accept
    # By default both modes are accepted.
    assert (
        decide(load_default(tmp_path), invitation(epsilon=0.5, dp_mode="central")).verdict is Verdict.accept
    )


def load_default(tmp_path: Path) -> Policy:
    path = tmp_path / "default.toml"
    path.write_text(POLICY)
    return load(path)


def test_an_unknown_dp_mode_in_the_policy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.replace("max_epsilon = 1.0", 'dp_modes = ["local"]'))
    with pytest.raises(PolicyError, match="dp_modes"):
        load(path)


NO_GLUCOSE = "the dataset has no column 'glucose'"


def test_an_invitation_the_local_data_cannot_serve_is_never_accepted_and_follows_otherwise(
    tmp_path: Path,
) -> None:
    unservable = invitation(data_problem=NO_GLUCOSE)
    anything = {"requesters": ["*"], "analyses": ["*"], "protocols": ["*"], "columns": ["*"]}
    reason = f"the local data cannot contribute: {NO_GLUCOSE}"

    waiting = decide(Policy.model_validate({"accept": anything}), unservable)
    assert (waiting.verdict, waiting.reasons) == (Verdict.wait, (reason,))
    declining = decide(Policy.model_validate({"otherwise": "decline", "accept": anything}), unservable)
    assert (declining.verdict, declining.reasons) == (Verdict.decline, (reason,))
    # Without a policy the agent answers nothing on its own, not even what its data cannot serve.
    alone = decide(Policy(), unservable)
    assert alone.verdict is Verdict.wait
    assert reason in alone.reasons
    # The [decline] table says why in its own words.
    refused = decide(load_default(tmp_path), invitation(analysis="logistic", data_problem=NO_GLUCOSE))
    assert (refused.verdict, refused.reason) == (Verdict.decline, "the policy declines the logistic analysis")
