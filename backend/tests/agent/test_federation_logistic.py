"""Logistic regression by federated Newton iterations over three real `hdx agent run` processes, each
holding a third of scikit-learn's breast-cancer data in a CSV file, equals statsmodels on the pooled
data.

The files are what a hospital would export: a patient identifier, the measurements under scikit-learn's
names ("mean radius") and the 0/1 diagnosis. The agents read them as the `custom` category, which
matches names to the catalog normalized ("mean_radius"), and pseudonymize the identifier. The
measurements are standardized over the pooled data, as in tests/analyses/test_logistic.py, so that the
declared bounds [-8, 8] cover every value.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from hdx.agent.federation import READY
from hdx.agent.localnet import LocalExchange, Processes, init_agent, start_agent
from hdx.agent.onboarding import Hospital
from hdx.agent.proposals import FINAL, propose, result, status
from hdx.datasets.catalog import normalize_name
from tests.analyses.federation import split
from tests.analyses.test_logistic import CANCER, FEATURES

pytestmark = pytest.mark.slow

COLUMNS = [normalize_name(name) for name in FEATURES]
PARAMS = {"outcome": "target", "covariates": [{"name": name, "lo": -8, "hi": 8} for name in COLUMNS]}
WAIT = 300.0  # seconds: three agent processes start and run about ten iterations on a busy machine


def _exports(directory: Path) -> list[Path]:
    ids = pl.Series("patient_id", [f"BC-{10_000 + i}" for i in range(CANCER.height)])
    study = CANCER.select([*FEATURES, "target"]).insert_column(0, ids)
    directory.mkdir(parents=True)
    paths = []
    for number, share in enumerate(split(study, 3, seed=3), start=1):
        path = directory / f"hospital-{number}.csv"
        share.write_csv(path)
        paths.append(path)
    return paths


def _policy(path: Path, requester: str) -> Path:
    columns = ", ".join(f'"{name}"' for name in [*COLUMNS, "target"])
    path.write_text(
        f'[accept]\nrequesters = ["{requester}"]\nanalyses = ["logistic"]\nprotocols = ["secagg"]\n'
        f"columns = [{columns}]\nmin_k = 5\n"
    )
    return path


def _wait(what: str, done: Callable[[], bool], logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log} ---\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
            pytest.fail(f"{what} within {WAIT:.0f} s\n{tails}")
        time.sleep(0.2)


def test_logistic_regression_over_three_agent_processes_equals_statsmodels(
    tmp_path: Path,
    exchange: LocalExchange,
    register: Callable[[int], list[Hospital]],
    http: httpx.Client,
) -> None:
    hospitals = register(3)
    data = _exports(tmp_path / "exports")
    policy = _policy(tmp_path / "policy.toml", hospitals[0].name)
    state_dirs = [tmp_path / "agents" / f"hospital-{number}" for number in (1, 2, 3)]
    logs = [directory / "agent.log" for directory in state_dirs]
    with Processes() as processes:
        for hospital, directory, share in zip(hospitals, state_dirs, data, strict=True):
            init_agent(directory, exchange.url, hospital.api_key)
            start_agent(processes, directory, share, policy, poll_seconds=0.2)
        _wait(
            "the agents did not start",
            lambda: all(log.exists() and READY in log.read_bytes() for log in logs),
            logs,
        )
        names = [hospital.name for hospital in hospitals]
        computation_id = propose(
            http, hospitals[0], names, "logistic", PARAMS, protocol="secagg", threshold=2
        )
        _wait(
            "the computation did not finish",
            lambda: status(http, hospitals[0], computation_id)["status"] in FINAL,
            logs,
        )
        ended = status(http, hospitals[0], computation_id)
        outcome = result(http, hospitals[1], ended)
        metas = [directory / "computations" / computation_id / "meta.json" for directory in state_dirs]
        _wait(
            "the agents did not record the end",
            lambda: all(json.loads(meta.read_text())["finished"] for meta in metas),
            logs,
        )

    reference = sm.Logit(
        CANCER.get_column("target").to_numpy(), sm.add_constant(CANCER.select(FEATURES).to_numpy())
    ).fit(disp=0, tol=1e-12)
    values = outcome["values"]["values"]
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    np.testing.assert_allclose(values["odds_ratios"], np.exp(reference.params), rtol=1e-6)
    assert values["converged"] is True
    assert 1 < values["iterations"] == ended["iteration"]
    assert outcome["values"]["n"] == CANCER.height
    assert outcome["protection"]["parties"] == [1, 2, 3]
    # Each agent went through every iteration and kept no secret once the computation ended.
    for directory in state_dirs:
        record = directory / "computations" / computation_id
        meta = json.loads((record / "meta.json").read_text())
        assert (meta["iteration"], meta["finished"], meta["status"]) == (
            values["iterations"],
            True,
            "completed",
        )
        assert sorted(path.name for path in record.iterdir()) == ["meta.json"]
