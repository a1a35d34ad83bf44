"""A complete loopback federation: an exchange, hospitals registered through its API, and one real
agent process per hospital holding a share of the diabetes data. `hdx demo` and the multi-process
tests both run on it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from hdx.agent import diabetes
from hdx.agent.localnet import LocalExchange, Processes, init_agent, start_agent, start_exchange
from hdx.agent.onboarding import Hospital, register_hospital, slug
from hdx.agent.proposals import FINAL, ComputationFailed, propose, result, status

HOSPITALS = ("North General Hospital", "Riverside Medical Center", "Lakeside University Clinic")


@dataclass
class Member:
    hospital: Hospital
    state_dir: Path
    data: Path
    process: subprocess.Popen[bytes]


@dataclass
class Federation:
    exchange: LocalExchange
    members: list[Member]
    pooled: pl.DataFrame
    http: httpx.Client
    processes: Processes

    @property
    def requester(self) -> Hospital:
        return self.members[0].hospital

    def compute(
        self,
        analysis: str,
        params: dict[str, Any],
        *,
        protocol: str = "shamir",
        threshold: int | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Propose a computation to every member as the first one, wait for it, return its result."""
        participants = [member.hospital.name for member in self.members]
        computation_id = propose(
            self.http, self.requester, participants, analysis, params, protocol=protocol, threshold=threshold
        )
        deadline = time.monotonic() + timeout
        while (current := status(self.http, self.requester, computation_id))["status"] not in FINAL:
            exited = [m.hospital.name for m in self.members if m.process.poll() is not None]
            if exited:
                raise ComputationFailed(f"the agents of {', '.join(exited)} exited")
            if time.monotonic() > deadline:
                raise ComputationFailed(
                    f"{analysis} still {current['status']} in round {current['current_round']} after {timeout:.0f} s"
                )
            time.sleep(0.2)
        return result(self.http, self.requester, current)

    def agent_logs(self) -> str:
        return "\n".join(
            f"--- {m.hospital.name} ---\n{(m.state_dir / 'agent.log').read_text(errors='replace')[-4000:]}"
            for m in self.members
        )


def write_policy(path: Path, requester: str) -> Path:
    """Accept what the requesting hospital asks over the shared columns; anything else waits."""
    columns = ", ".join(f'"{name}"' for name in diabetes.COLUMNS.values())
    path.write_text(
        'otherwise = "wait"\n\n'
        "[accept]\n"
        f'requesters = ["{requester}"]\n'
        'analyses = ["count", "mean", "variance", "histogram"]\n'
        'protocols = ["shamir", "secagg"]\n'
        f"columns = [{columns}]\n"
        "min_k = 5\n"
    )
    return path


@contextmanager
def federation(
    root: Path, *, names: Sequence[str] = HOSPITALS, poll_seconds: float = 0.5, port: int = 0
) -> Iterator[Federation]:
    pooled = diabetes.diabetes()
    with Processes() as processes:
        exchange = start_exchange(processes, root, port=port)
        with httpx.Client(base_url=exchange.url, timeout=30) as http:
            shares = diabetes.split(pooled, root / "data", len(names))
            policy = write_policy(root / "policy.toml", names[0])

            def join(name: str, share: Path) -> Member:
                hospital = register_hospital(http, exchange.mail_dir, name)
                state_dir = root / "agents" / slug(name)
                init_agent(state_dir, exchange.url, hospital.api_key)
                process = start_agent(processes, state_dir, share, policy, poll_seconds=poll_seconds)
                return Member(hospital, state_dir, share, process)

            # Joining is mostly waiting (password hashing, process start-up): every hospital at once.
            with ThreadPoolExecutor(len(names)) as pool:
                members = list(pool.map(join, names, shares))
            yield Federation(exchange, members, pooled, http, processes)
