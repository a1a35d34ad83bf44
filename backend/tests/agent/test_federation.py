"""The exchange and three agents as separate processes, each agent with a third of the diabetes data:
secure results equal the pooled numpy values to the fixed-point resolution."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import numpy as np
import pytest

from hdx.agent.federation import Federation
from hdx.agent.localnet import clean_env, hdx_command
from hdx.agent.proposals import ComputationFailed
from hdx.agent.store import ComputationStore

pytestmark = pytest.mark.slow


def compute(fed: Federation, analysis: str, params: dict[str, Any], protocol: str) -> dict[str, Any]:
    try:
        return fed.compute(analysis, params, protocol=protocol, timeout=45)
    except ComputationFailed as exc:
        pytest.fail(f"{exc}\n{fed.agent_logs()}")


def resolution(released: dict[str, Any]) -> float:
    """Each party rounds each element once: at most half a unit in the last place of the fixed point."""
    protection = released["protection"]
    return float(len(protection["parties"]) * 2.0 ** -(protection["frac_bits"] + 1))


# With 40 fractional bits float64 arithmetic, the exchange's and numpy's alike, rounds more than the grid.
FLOAT = 1e-13


def test_secure_mean_equals_the_pooled_mean(fed: Federation) -> None:
    bmi = fed.pooled.get_column("bmi").to_numpy()
    released = compute(fed, "mean", {"variable": {"name": "bmi", "lo": 8, "hi": 120}}, "shamir")
    assert released["status"] == "visible"
    assert released["values"]["n"] == bmi.size == 442
    assert released["protection"]["parties"] == [1, 2, 3]
    mean = released["values"]["values"]["mean"]
    assert mean == pytest.approx(bmi.mean(), rel=FLOAT, abs=resolution(released) / bmi.size)
    assert released["values"]["clipped"] == 0


def test_secure_variance_over_secagg_equals_the_pooled_variance(fed: Federation) -> None:
    pressure = fed.pooled.get_column("mean_arterial_pressure").to_numpy()
    params = {"variable": {"name": "mean_arterial_pressure", "lo": 40, "hi": 200}}
    released = compute(fed, "variance", params, "secagg")
    values = released["values"]["values"]
    n = pressure.size
    assert released["values"]["n"] == n
    assert values["mean"] == pytest.approx(pressure.mean(), rel=FLOAT, abs=resolution(released) / n)
    # The sum of squares carries the same rounding, amplified by the centred sum in the variance formula.
    centred = np.abs(pressure - 120).sum()
    bound = resolution(released) * (1 + 2 * centred / n) / (n - 1)
    assert values["variance"] == pytest.approx(pressure.var(ddof=1), rel=FLOAT, abs=bound)


def test_agent_status_shows_the_finished_computations_and_no_secret_is_left(fed: Federation) -> None:
    # The federation is shared with other tests: whatever else the agents took part in ended before this.
    computation_id = compute(fed, "count", {}, "shamir")["computation_id"]
    stores = [ComputationStore(member.state_dir) for member in fed.members]
    deadline = time.monotonic() + 20
    # The exchange finishes first; each agent records the end at its next poll.
    while not all(item.finished for store in stores for item in store.all()):
        assert time.monotonic() < deadline, fed.agent_logs()
        time.sleep(0.2)
    for store in stores:
        assert store.load(computation_id).status == "completed"
        assert not list(store.root.glob("*/*.bin"))

    member, store = fed.members[0], stores[0]
    shown = subprocess.run(
        hdx_command("agent", "status", "--state-dir", str(member.state_dir)),
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert member.hospital.organization_id in shown
    assert "X25519 fingerprint:" in shown
    assert f"computations:        {len(store.all())}" in shown
    assert computation_id in shown
    assert shown.count("  completed  ") == sum(item.status == "completed" for item in store.all())
