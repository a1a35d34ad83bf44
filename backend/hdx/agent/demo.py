"""`hdx demo`: three hospitals, a third of the diabetes data each, a secure mean and variance computed
by real agent processes, printed beside the values numpy computes from the pooled data."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import typer

from hdx.agent.federation import Federation, federation
from hdx.agent.localnet import LocalnetError
from hdx.agent.onboarding import OnboardingError
from hdx.agent.proposals import ComputationFailed


@dataclass(frozen=True)
class Query:
    analysis: str
    column: str
    lo: float
    hi: float
    protocol: str

    @property
    def params(self) -> dict[str, Any]:
        return {"variable": {"name": self.column, "lo": self.lo, "hi": self.hi}}


QUERIES = (
    Query("mean", "age", 0, 120, "shamir"),
    Query("variance", "bmi", 8, 120, "shamir"),
    Query("variance", "mean_arterial_pressure", 40, 200, "secagg"),
)


def pooled_values(frame: pl.DataFrame, query: Query) -> dict[str, float]:
    values = frame.get_column(query.column).cast(pl.Float64).clip(query.lo, query.hi).to_numpy()
    pooled = {"mean": float(values.mean())}
    if query.analysis == "variance":
        pooled["variance"] = float(values.var(ddof=1))
        pooled["std"] = float(values.std(ddof=1))
    return pooled


def _run(fed: Federation) -> None:
    typer.echo(f"exchange at {fed.exchange.url}")
    for member in fed.members:
        typer.echo(f"  {member.hospital.name}: {member.data.name}, agent state in {member.state_dir}")
    typer.echo("")
    typer.echo(
        f"{'computation':<54} {'statistic':<10} {'secure':>16} {'pooled numpy':>16} {'difference':>11}"
    )
    for query in QUERIES:
        result = fed.compute(query.analysis, query.params, protocol=query.protocol)
        released = result["values"]["values"]
        label = f"{query.analysis}({query.column}) over {query.protocol}, n={result['values']['n']}"
        for statistic, expected in pooled_values(fed.pooled, query).items():
            secure = float(released[statistic])
            typer.echo(
                f"{label:<54} {statistic:<10} {secure:>16.9f} {expected:>16.9f} {abs(secure - expected):>11.2e}"
            )
            label = ""


def run_demo(*, port: int, keep: Path | None) -> int:
    root = keep or Path(tempfile.mkdtemp(prefix="hdx-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    typer.echo(f"starting an exchange and three hospital agents under {root} ...")
    try:
        with federation(root, port=port) as fed:
            try:
                _run(fed)
            except ComputationFailed as exc:
                typer.echo(f"error: {exc}\n{fed.agent_logs()}", err=True)
                return 1
    except (LocalnetError, OnboardingError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    if keep is not None:
        typer.echo(f"data, agent state and logs kept in {root}")
    return 0
