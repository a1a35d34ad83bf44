from __future__ import annotations

import pytest

from hdx.computations.lifecycle import ACTIVE, TERMINAL, TRANSITIONS, can_transition, require_transition
from hdx.computations.models import Computation, ComputationStatus
from hdx.exceptions import Conflict

S = ComputationStatus


def test_every_status_has_a_rule_and_finished_ones_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(ComputationStatus)
    assert ACTIVE | TERMINAL == set(ComputationStatus)
    assert not ACTIVE & TERMINAL
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.draft, S.pending_approval),
        (S.pending_approval, S.running),
        (S.pending_approval, S.expired),
        (S.running, S.awaiting_release),
        (S.running, S.completed),
        (S.awaiting_release, S.completed),
        (S.awaiting_release, S.failed),
    ],
)
def test_the_designed_path_is_allowed(current: ComputationStatus, target: ComputationStatus) -> None:
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.draft, S.running),
        (S.pending_approval, S.completed),
        (S.pending_approval, S.awaiting_release),
        (S.running, S.pending_approval),
        (S.awaiting_release, S.cancelled),
        (S.awaiting_release, S.running),
        (S.completed, S.failed),
        (S.expired, S.running),
    ],
)
def test_shortcuts_and_reversals_are_refused(current: ComputationStatus, target: ComputationStatus) -> None:
    assert not can_transition(current, target)
    computation = Computation(status=current)
    with pytest.raises(Conflict) as refused:
        require_transition(computation, target)
    assert refused.value.status_code == 409
    assert refused.value.detail["message"] == (
        f"A computation that is {current.value} cannot become {target.value}"
    )
    assert refused.value.detail["allowed"] == sorted(s.value for s in TRANSITIONS[current])
