"""What a party checks before it computes at the parameters the exchange announces for the next
iteration of an iterative analysis, and how it keeps a new iteration's state."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from hdx.agent import party
from hdx.agent.store import ComputationStore, LocalComputation
from hdx.analyses import AnalysisError, get_analysis
from hdx.computations import framing

LOGISTIC: dict[str, Any] = (
    get_analysis("logistic")
    .parse(
        {
            "outcome": "target",
            "covariates": [{"name": "x1", "lo": -8, "hi": 8}, {"name": "x2", "lo": -8, "hi": 8}],
        }
    )
    .model_dump(mode="json")
)
CID = "0b5c1c6e-8a43-4d51-9a53-3c7c2f3c9a10"


def local(analysis: str = "logistic", params: dict[str, Any] | None = None, **extra: Any) -> LocalComputation:
    return LocalComputation(
        computation_id=CID,
        protocol="shamir",
        analysis=analysis,
        params=LOGISTIC if params is None else params,
        threshold=2,
        k=5,
        my_index=1,
        parties=[],
        rows=100,
        clipped=0,
        rounds=2,
        **({"stepped": 2, "posted": 2} | extra),
    )


def announced(**changes: Any) -> dict[str, Any]:
    return LOGISTIC | {"beta": [0.1, -0.2, 0.3]} | changes


def test_the_next_iteration_starts_after_the_rounds_played_at_the_announced_coefficients() -> None:
    moved = party.next_iteration(local(), 2, 2, announced())

    assert (moved.iteration, moved.round_offset, moved.stepped, moved.posted) == (2, 2, 2, 2)
    assert moved.current_params["beta"] == [0.1, -0.2, 0.3]
    assert moved.params == LOGISTIC  # what the party accepted stays what it checks against
    assert {k: v for k, v in moved.current_params.items() if k != "beta"} == {
        k: v for k, v in LOGISTIC.items() if k != "beta"
    }


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (announced(beta=[0.1, 0.2]), "beta needs 3 values"),
        (announced(beta=[0.1, math.inf, 0.3]), "beta must be finite"),
        (announced(beta=[0.1, math.nan, 0.3]), "beta must be finite"),
        (
            announced(covariates=[{"name": "x1", "lo": -8, "hi": 8}, {"name": "x3", "lo": -8, "hi": 8}]),
            "covariates",
        ),
        (announced(filters=[{"column": "x1", "op": ">", "value": 0}]), "filters"),
        (announced(outcome="relapse"), "changes outcome"),
    ],
)
def test_announced_parameters_that_are_not_the_accepted_ones_at_other_coefficients_are_refused(
    params: dict[str, Any], problem: str
) -> None:
    with pytest.raises(AnalysisError, match=problem):
        party.next_iteration(local(), 2, 2, params)


@pytest.mark.parametrize(
    ("iteration", "offset", "problem"),
    [(3, 2, "iteration 3"), (1, 2, "iteration 1"), (2, 1, "after round 1")],
)
def test_an_iteration_out_of_order_is_refused(iteration: int, offset: int, problem: str) -> None:
    with pytest.raises(AnalysisError, match=problem):
        party.next_iteration(local(), iteration, offset, announced())


def test_a_single_sum_analysis_has_no_next_iteration() -> None:
    mean = get_analysis("mean").parse({"variable": {"name": "x1", "lo": 0, "hi": 1}}).model_dump(mode="json")
    with pytest.raises(AnalysisError, match="mean is a single secure sum"):
        party.next_iteration(local("mean", mean), 2, 2, mean)


def test_a_new_iteration_replaces_every_secret_of_the_previous_one(tmp_path: Path) -> None:
    store = ComputationStore(tmp_path)
    first = local(stepped=0, posted=0)
    store.begin(first, b"iteration 1 state")
    stepped = store.commit_step(first, 1, b"after round 1", [framing.Frame(1, 1, 2, "share", b"sealed")])
    store.mark_posted(stepped, 1)
    stepped = store.commit_step(stepped.but(posted=1), 2, b"after round 2", [])

    moved = party.next_iteration(stepped, 2, 2, announced())
    store.begin(moved, b"iteration 2 state")

    assert store.load(CID).iteration == 2
    assert store.state(store.load(CID)) == b"iteration 2 state"
    assert sorted(path.name for path in (tmp_path / "computations" / CID).iterdir()) == [
        "meta.json",
        "state-2.bin",
    ]
