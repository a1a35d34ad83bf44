"""An exchange and party agents as real processes on loopback, for `hdx demo` and multi-process tests.

Every process is started through `Processes`, which stops each one by its own handle when the block
exits, whatever happened inside it: a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

HDX = (sys.executable, "-c", "from hdx.cli import main; main()")
STOP_SECONDS = 10.0


class LocalnetError(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without HDX_* settings, so a developer's own configuration (a
    PostgreSQL URL, a master key) never reaches the throwaway exchange or its agents."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HDX_")}
    return env | extra


@dataclass
class _Running:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]


class Processes:
    def __init__(self) -> None:
        self._running: list[_Running] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop_all()

    def start(
        self, name: str, args: list[str], *, env: dict[str, str], log: Path, cwd: Path
    ) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        # Output goes to a file, not a pipe nobody reads, which would block a chatty process.
        sink = log.open("ab")
        try:
            process = subprocess.Popen(args, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        except BaseException:
            sink.close()
            raise
        with self._lock:
            self._running.append(_Running(name, process, sink))
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            found = [r for r in self._running if r.process is process]
            for running in found:
                self._running.remove(running)
        for running in found:
            _stop(running.process)
            running.log.close()

    def stop_all(self) -> None:
        # Agents before the exchange they talk to, so they do not log a last burst of connection errors.
        for running in reversed(list(self._running)):
            self.stop(running.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_SECONDS)


def hdx_command(*args: str) -> list[str]:
    return [*HDX, *args]


@dataclass(frozen=True)
class LocalExchange:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)
    # Seconds between the exchange's periodic deadline sweeps; None: the exchange's default.
    sweep_seconds: float | None = None

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def start_exchange(
    processes: Processes,
    root: Path,
    *,
    port: int = 0,
    timeout: float = 60.0,
    migrate: bool = True,
    sweep_seconds: float | None = None,
) -> LocalExchange:
    """A migrated SQLite exchange under root/exchange, serving on 127.0.0.1 until `processes` stops.
    `migrate=False` starts it on a database an earlier start already migrated. `sweep_seconds` sets
    how often it applies deadlines besides at start (HDX_SWEEP_INTERVAL_SECONDS)."""
    data_dir = root / "exchange"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        HDX_ENV="development",
        HDX_DATA_DIR=str(data_dir),
        # Every party of a loopback federation shares 127.0.0.1, so per-address limits would throttle
        # the federation as a whole; limits are for the internet, not for this sandbox.
        HDX_RATE_LIMIT_ENABLED="false",
        HDX_LOG_LEVEL="WARNING",
    )
    if sweep_seconds is not None:
        env["HDX_SWEEP_INTERVAL_SECONDS"] = str(sweep_seconds)
    if migrate:
        migrated = subprocess.run(
            hdx_command("migrate"), env=env, cwd=root, capture_output=True, timeout=timeout, check=False
        )
        if migrated.returncode != 0:
            raise LocalnetError(f"hdx migrate failed: {migrated.stderr.decode(errors='replace')[-2000:]}")
    port = port or free_port()
    log = data_dir / "exchange.log"
    process = processes.start("exchange", hdx_command("run", "--port", str(port)), env=env, log=log, cwd=root)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process, log, timeout)
    return LocalExchange(url=url, data_dir=data_dir, process=process, sweep_seconds=sweep_seconds)


def stop_exchange(processes: Processes, exchange: LocalExchange) -> None:
    if exchange.process is not None:
        processes.stop(exchange.process)


def restart_exchange(
    processes: Processes, exchange: LocalExchange, *, timeout: float = 60.0
) -> LocalExchange:
    """Stop the exchange and start it again on the same database, port and sweep interval, as an
    operator restarts it. At start it resumes every running computation from its database and applies
    the deadlines that passed meanwhile; agents reconnect by themselves."""
    stop_exchange(processes, exchange)
    return start_exchange(
        processes,
        exchange.data_dir.parent,
        port=exchange.port,
        timeout=timeout,
        migrate=False,
        sweep_seconds=exchange.sweep_seconds,
    )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalnetError(f"the exchange exited with {process.returncode}: {_tail(log)}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise LocalnetError(f"the exchange did not become healthy within {timeout:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no output)"


def init_agent(state_dir: Path, server: str, api_key: str, *, timeout: float = 60.0) -> str:
    """`hdx agent init` as an operator runs it; the key travels in the environment, not argv (ps)."""
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        hdx_command("agent", "init", "--server", server, "--state-dir", str(state_dir)),
        env=clean_env(HDX_AGENT_API_KEY=api_key),
        cwd=state_dir.parent,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise LocalnetError(f"hdx agent init failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout.decode()


def start_agent(
    processes: Processes,
    state_dir: Path,
    data: Path,
    policy: Path,
    *,
    poll_seconds: float,
    once: bool = False,
) -> subprocess.Popen[bytes]:
    """`hdx agent run`; with `once`, the agent handles what is pending at one poll and exits."""
    args = hdx_command(
        "agent", "run", "--state-dir", str(state_dir), "--data", str(data), "--policy", str(policy),
        "--poll-seconds", str(poll_seconds), *(["--once"] if once else []),
    )  # fmt: skip
    return processes.start(
        f"agent {state_dir.name}", args, env=clean_env(), log=state_dir / "agent.log", cwd=state_dir.parent
    )
