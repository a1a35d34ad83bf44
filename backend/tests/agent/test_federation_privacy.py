"""Distributed differential privacy over real agent processes (the session's federation, see
tests/agent/conftest.py): each `hdx agent run` adds its own share of noise before sharing its input."""

from __future__ import annotations

import pytest

from hdx.agent.federation import Federation
from hdx.agent.proposals import ComputationFailed

pytestmark = pytest.mark.slow


def test_agents_noise_their_own_inputs_in_distributed_mode(fed: Federation) -> None:
    bmi = fed.pooled.get_column("bmi").to_numpy()
    params = {"variable": {"name": "bmi", "lo": 8, "hi": 120}}
    try:
        released = fed.compute(
            "mean", params, protocol="secagg", epsilon=1.0, delta=1e-6, dp_mode="distributed", timeout=90
        )
    except ComputationFailed as exc:
        pytest.fail(f"{exc}\n{fed.agent_logs()}")
    dp = released["protection"]["differential_privacy"]
    assert (dp["mode"], dp["mechanism"], dp["epsilon"], dp["delta"]) == (
        "distributed",
        "distributed_discrete_gaussian",
        1.0,
        1e-6,
    )
    assert dp["noised_by"].startswith("each of the 3 contributing parties")
    # The threshold is all three parties here; their data has no ledger at the exchange.
    assert (dp["honest_parties"], dp["charged"], dp["not_charged"]) == (3, {}, [1, 2, 3])
    mean = released["values"]["values"]["mean"]
    assert mean != pytest.approx(bmi.mean(), rel=1e-12)
    # The sum's noise has a standard deviation of about 9 * 120 (scale times the per-record bound):
    # a few units on a mean over 442 records.
    assert mean == pytest.approx(bmi.mean(), abs=20)
