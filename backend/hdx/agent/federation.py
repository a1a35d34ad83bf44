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
from hdx.agent.localnet import (
    LocalExchange,
    LocalnetError,
    Processes,
    init_agent,
    restart_exchange,
    start_agent,
    start_exchange,
)
from hdx.agent.onboarding import Hospital, register_hospital, slug
from hdx.agent.proposals import FINAL, ComputationFailed, propose, result, status

READY = b"local data loaded"
AGENT_START_SECONDS = 180.0
HOSPITALS = ("North General Hospital", "Riverside Medical Center", "Lakeside University Clinic")


@dataclass
class Member:
    hospital: Hospital
    state_dir: Path
    data: Path
    process: subprocess.Popen[bytes]
    # Where the output of the current agent process starts in agent.log (a restart appends to it).
    log_from: int = 0

    @property
    def log(self) -> Path:
        return self.state_dir / "agent.log"

    def ready(self) -> bool:
        """The agent process finished starting: it loaded its data and polls from now on."""
        if not self.log.exists():
            return False
        with self.log.open("rb") as output:
            output.seek(self.log_from)
            return READY in output.read()


@dataclass
class Federation:
    exchange: LocalExchange
    members: list[Member]
    pooled: pl.DataFrame
    http: httpx.Client
    processes: Processes
    policy: Path
    poll_seconds: float

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
        **privacy: Any,
    ) -> dict[str, Any]:
        """Propose a computation to every member as the first one, wait for it, return its result.
        `privacy`: epsilon, delta and dp_mode, as propose takes them."""
        participants = [member.hospital.name for member in self.members]
        computation_id = propose(
            self.http,
            self.requester,
            participants,
            analysis,
            params,
            protocol=protocol,
            threshold=threshold,
            **privacy,
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

    def restart_agent(self, member: Member) -> None:
        """Start `hdx agent run` again for a member whose process stopped (or stop it first): it resumes
        from its state directory."""
        self.processes.stop(member.process)
        member.log_from = member.log.stat().st_size if member.log.exists() else 0
        member.process = start_agent(
            self.processes, member.state_dir, member.data, self.policy, poll_seconds=self.poll_seconds
        )

    def wait_ready(self, timeout: float = AGENT_START_SECONDS) -> None:
        """Until every agent process has started; an agent start is mostly imports, slow on a busy machine."""
        deadline = time.monotonic() + timeout
        while not all(member.ready() for member in self.members):
            exited = [m.hospital.name for m in self.members if m.process.poll() is not None]
            if exited:
                raise LocalnetError(f"the agents of {', '.join(exited)} exited:\n{self.agent_logs()}")
            if time.monotonic() > deadline:
                raise LocalnetError(f"the agents did not start within {timeout:.0f} s:\n{self.agent_logs()}")
            time.sleep(0.2)

    def restart_exchange(self) -> None:
        self.exchange = restart_exchange(self.processes, self.exchange)

    def agent_logs(self) -> str:
        return "\n".join(
            f"--- {m.hospital.name} ---\n{m.log.read_text(errors='replace')[-4000:]}" for m in self.members
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
    root: Path,
    *,
    names: Sequence[str] = HOSPITALS,
    poll_seconds: float = 0.5,
    port: int = 0,
    sweep_seconds: float | None = None,
) -> Iterator[Federation]:
    """`sweep_seconds`: how often the exchange applies deadlines besides at start (its default if None)."""
    pooled = diabetes.diabetes()
    with Processes() as processes:
        exchange = start_exchange(processes, root, port=port, sweep_seconds=sweep_seconds)
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
            running = Federation(exchange, members, pooled, http, processes, policy, poll_seconds)
            running.wait_ready()
            yield running
