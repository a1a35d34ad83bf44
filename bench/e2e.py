"""End-to-end secure computations: a real exchange process and 10 real party agent processes on loopback.

Each of the 10 hospitals holds 100,000 rows (systolic and diastolic blood pressure, heart rate, age,
sex, and the glucose and triglycerides of a blood sample taken at the visit) in a CSV of its own, read
by its agent as a custom-category table: every column is a catalog column, validated and range-checked
as the catalog says. The bench runs:

- shamir: a secure mean (heart rate) and a secure mean and variance (systolic blood pressure);
- secagg: a 200 x 200 cross-tabulation of systolic blood pressure by heart rate (40,000 counts per
  party), and a 1000 x 1000 cross-tabulation of glucose by triglycerides (1,000,000 counts per party,
  the largest table the crosstab analysis accepts);

then MPyC (bench/mpyc_sum.py) summing vectors of the same lengths across the same number of parties.
Wall time per phase comes from the computation's own timestamps (created,
every acceptance, started, the last message of each round, finished) and the bench's clock around the
API calls; bytes per party are the stored sizes of the round messages each party sent (read from the
exchange's database) and the TCP payload bytes each agent process sent to the exchange during the
computation (`ss` tcp_info of its sockets, sampled; polling included).

    .venv/bin/python bench/e2e.py [--rows 100000] [--parties 10] [--poll-seconds 0.5] [--mpyc-limit 900]
        [--skip-small-table]

Prints the tables and replaces the e2e and mpyc sections of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

import mpyc_sum
from results import cpu_model, write_section

from hdx.agent.localnet import LocalExchange, Processes, clean_env, free_port, hdx_command, init_agent
from hdx.agent.onboarding import Hospital, register_hospital, slug
from hdx.agent.proposals import FINAL, propose

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- e2e:start -->", "<!-- e2e:end -->"
RAISED_LIMIT = "100000/minute"
SYSTOLIC = {"name": "systolic_bp", "lo": 40, "hi": 300}
HEART_RATE = {"name": "heart_rate", "lo": 20, "hi": 300}
CROSSTAB_ROWS = list(range(60, 260))  # systolic blood pressure, mmHg
CROSSTAB_COLUMNS = list(range(30, 230))  # heart rate, /min
GLUCOSE_CATEGORIES = list(range(40, 1040))  # mg/dL
TRIGLYCERIDE_CATEGORIES = list(range(20, 1020))  # mg/dL
MAX_WAIT = 1800.0


# ---------------------------------------------------------------- data


def vitals(party: int, rows: int) -> pl.DataFrame:
    """One hospital's visits: about five per patient, vital signs and two blood chemistry values each."""
    rng = np.random.default_rng(100 + party)
    patients = rng.integers(0, rows // 5, rows)
    age = rng.integers(18, 96, rows)
    # Blood pressure rises with age; heart rate is independent of it.
    systolic = rng.normal(105 + 0.45 * age, 14).round().clip(70, 220).astype(np.int64)
    diastolic = (0.55 * systolic + rng.normal(12, 7, rows)).round().clip(40, 130).astype(np.int64)
    # Fasting glucose: mostly normal, one visit in six from a patient with diabetes; triglycerides
    # log-normal with a long tail, as in population surveys (a stream of their own keeps the vitals
    # the same as before they were added).
    labs = np.random.default_rng(200 + party)
    diabetic = labs.random(rows) < 1 / 6
    glucose = np.where(diabetic, labs.lognormal(np.log(160), 0.35, rows), labs.normal(95, 12, rows))
    triglycerides = labs.lognormal(np.log(130), 0.5, rows)
    start = datetime(2024, 1, 1)
    return pl.DataFrame(
        {
            "patient_id": [f"H{party:02d}-{p:06d}" for p in patients],
            "measured_at": pl.datetime_range(start, start + timedelta(minutes=rows - 1), "1m", eager=True)
            .dt.strftime("%Y-%m-%dT%H:%M:%S")
            .to_list(),
            "systolic_bp": systolic,
            "diastolic_bp": diastolic,
            "heart_rate": rng.normal(72, 12, rows).round().clip(30, 200).astype(np.int64),
            "age": age,
            "sex": rng.choice(["F", "M"], rows),
            "glucose": glucose.round().clip(30, 1500).astype(np.int64),
            "triglycerides": triglycerides.round().clip(20, 4000).astype(np.int64),
        }
    )


# ---------------------------------------------------------------- processes


def start_exchange(processes: Processes, root: Path, timeout: float = 600.0) -> LocalExchange:
    """A migrated SQLite exchange with its rate limits on but raised: ten agents share 127.0.0.1."""
    data_dir = root / "exchange"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        HDX_ENV="development",
        HDX_DATA_DIR=str(data_dir),
        HDX_RATE_LIMIT_DEFAULT=RAISED_LIMIT,
        HDX_RATE_LIMIT_LOGIN=RAISED_LIMIT,
        HDX_RATE_LIMIT_OTP=RAISED_LIMIT,
        HDX_LOG_LEVEL="WARNING",
    )
    migrated = subprocess.run(
        hdx_command("migrate"), env=env, cwd=root, capture_output=True, timeout=timeout, check=False
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"hdx migrate failed: {migrated.stderr.decode(errors='replace')[-2000:]}")
    port = free_port()
    log = data_dir / "exchange.log"
    process = processes.start("exchange", hdx_command("run", "--port", str(port)), env=env, log=log, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the exchange exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return LocalExchange(url=url, data_dir=data_dir)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the exchange did not become healthy within {timeout:.0f} s")


def write_policy(path: Path, requester: str) -> Path:
    path.write_text(
        'otherwise = "wait"\n\n'
        "[accept]\n"
        f'requesters = ["{requester}"]\n'
        'analyses = ["mean", "variance", "crosstab"]\n'
        'protocols = ["shamir", "secagg"]\n'
        'columns = ["systolic_bp", "heart_rate", "glucose", "triglycerides"]\n'
        "min_k = 5\n"
    )
    return path


@dataclass
class Member:
    hospital: Hospital
    state_dir: Path
    process: subprocess.Popen[bytes]


def start_agent(processes: Processes, state_dir: Path, data: Path, policy: Path, poll: float) -> Any:
    args = hdx_command(
        "agent", "run", "--state-dir", str(state_dir), "--data", str(data), "--category", "custom",
        "--policy", str(policy), "--poll-seconds", str(poll), "--log-level", "INFO",
    )  # fmt: skip
    return processes.start(
        f"agent {state_dir.name}", args, env=clean_env(), log=state_dir / "agent.log", cwd=state_dir.parent
    )


def wait_loaded(members: list[Member], timeout: float) -> None:
    """Every agent has read and validated its data (its log says so) and is polling."""
    deadline = time.monotonic() + timeout
    pending = list(members)
    while pending:
        for member in list(pending):
            if member.process.poll() is not None:
                raise RuntimeError(
                    f"agent {member.hospital.name} exited: {tail(member.state_dir / 'agent.log')}"
                )
            log = member.state_dir / "agent.log"
            if log.exists() and "local data loaded" in log.read_text(errors="replace"):
                pending.remove(member)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} agents did not load their data within {timeout:.0f} s")
        time.sleep(0.5)


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


# ---------------------------------------------------------------- TCP bytes per agent process


_ADDRESS = re.compile(r"(\S+):(\d+)\s+(\S+):(\d+)")
_PID = re.compile(r"pid=(\d+)")
_SENT = re.compile(r"bytes_sent:(\d+)")
_RECEIVED = re.compile(r"bytes_received:(\d+)")


def socket_counters(port: int) -> dict[tuple[int, str], tuple[int, int]]:
    """(pid, local address) -> (bytes sent, bytes received) of every established TCP connection to port."""
    output = subprocess.run(
        ["ss", "-Htinp", "state", "established", "dport", f"= :{port}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout
    counters: dict[tuple[int, str], tuple[int, int]] = {}
    header: str | None = None
    for line in output.splitlines():
        if line and not line[0].isspace():
            header = line
            continue
        if header is None:
            continue
        address, pid = _ADDRESS.search(header), _PID.search(header)
        sent, received = _SENT.search(line), _RECEIVED.search(line)
        if address and pid:
            counters[(int(pid.group(1)), f"{address.group(1)}:{address.group(2)}")] = (
                int(sent.group(1)) if sent else 0,
                int(received.group(1)) if received else 0,
            )
        header = None
    return counters


@dataclass
class WireMeter:
    """Samples every agent socket to the exchange; a socket's last sample minus its first is what it moved
    while the meter ran (a connection opened and closed between two samples would be missed)."""

    port: int
    interval: float = 0.2
    first: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    last: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    opened_after_start: set[tuple[int, str]] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self, initial: bool) -> None:
        for key, value in socket_counters(self.port).items():
            if key not in self.first:
                self.first[key] = value if initial else (0, 0)
                if not initial:
                    self.opened_after_start.add(key)
            self.last[key] = value

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(initial=False)

    @contextmanager
    def running(self) -> Iterator[WireMeter]:
        self._sample(initial=True)
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=10)
            self._sample(initial=False)

    def per_pid(self) -> dict[int, tuple[int, int]]:
        totals: dict[int, tuple[int, int]] = {}
        for key, (sent, received) in self.last.items():
            base_sent, base_received = self.first[key]
            pid = key[0]
            old = totals.get(pid, (0, 0))
            totals[pid] = (old[0] + sent - base_sent, old[1] + received - base_received)
        return totals


# ---------------------------------------------------------------- one computation


@dataclass
class Phase:
    name: str
    seconds: float


@dataclass
class Outcome:
    label: str
    protocol: str
    elements: int
    phases: list[Phase]
    total: float
    secure: float
    protocol_only: float
    stored_sent: list[int]
    stored_by_kind: dict[str, int]
    masked_bytes: list[int]
    wire_sent: list[int]
    wire_received: list[int]
    check: str
    correct: bool


def contributions_ready(members: list[Member], computation_id: str) -> float:
    """When the last agent had computed its contribution (its log line "contribution ready")."""
    moments = []
    for member in members:
        for line in (member.state_dir / "agent.log").read_text(errors="replace").splitlines():
            if computation_id not in line or "contribution ready" not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if (
                record.get("message") == "contribution ready"
                and record.get("computation_id") == computation_id
            ):
                moments.append(parse_time(record["ts"]))
    if len(moments) != len(members):
        raise RuntimeError(
            f"{len(moments)} of {len(members)} agents logged their contribution for {computation_id}"
        )
    return max(moments)


def threshold_for(parties: int) -> int:
    """6 of 10, as the kernel benchmark; at least 2."""
    return max(2, 6 * parties // 10)


def parse_time(value: str) -> float:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def messages(database: Path, computation_id: str) -> list[tuple[int, int, int, str, int, float]]:
    """(round, sender, recipient, kind, size, received at) of every stored message of the computation."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT round, sender_index, recipient_index, kind, size, received_at FROM round_messages "
            "WHERE computation_id = ?",
            (computation_id,),
        ).fetchall()
    return [(r, s, t, k, size, parse_time(at)) for r, s, t, k, size, at in rows]


def run_computation(
    http: httpx.Client,
    exchange: LocalExchange,
    members: list[Member],
    label: str,
    analysis: str,
    params: dict[str, Any],
    protocol: str,
    elements: int,
) -> tuple[Outcome, dict[str, Any]]:
    requester = members[0].hospital
    port = int(exchange.url.rsplit(":", 1)[1])
    meter = WireMeter(port)
    with meter.running():
        began = time.time()
        computation_id = propose(
            http,
            requester,
            [m.hospital.name for m in members],
            analysis,
            params,
            protocol=protocol,
            threshold=threshold_for(len(members)),
        )
        initialized = time.time()
        deadline = time.monotonic() + MAX_WAIT
        while True:
            current = http.get(f"/secure-computations/{computation_id}/status", headers=requester.headers)
            current.raise_for_status()
            state = current.json()
            if state["status"] in FINAL:
                break
            exited = [m.hospital.name for m in members if m.process.poll() is not None]
            if exited:
                raise RuntimeError(f"agents exited during {label}: {', '.join(exited)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label} still {state['status']} after {MAX_WAIT:.0f} s")
            time.sleep(0.1)
        if state["status"] != "completed":
            logs = "\n".join(tail(m.state_dir / "agent.log")[-800:] for m in members[:3])
            raise RuntimeError(f"{label} ended {state['status']}: {state['failure_reason']}\n{logs}")
        released = http.get(f"/secure-computations/result/{state['result_id']}", headers=requester.headers)
        released.raise_for_status()
        done = time.time()
    result = released.json()

    stored = messages(exchange.data_dir / "hdx.db", computation_id)
    party_messages = [m for m in stored if m[1] != 0]
    rounds = sorted({m[0] for m in party_messages})
    created = parse_time(state["created_at"])
    started = parse_time(state["started_at"])
    finished = parse_time(state["finished_at"])
    ready = contributions_ready(members, computation_id)
    phases = [
        Phase("initialize (POST, bench clock)", initialized - began),
        Phase("invitations out -> all accepted, running", started - created),
    ]
    previous = started
    for number in rounds:
        last = max(m[5] for m in party_messages if m[0] == number)
        kinds = "/".join(sorted({m[3] for m in party_messages if m[0] == number}))
        if number == rounds[0]:
            phases.append(Phase("running -> every contribution computed (agent logs)", ready - started))
            phases.append(Phase(f"round {number} ({kinds}): -> last upload", last - ready))
        else:
            phases.append(Phase(f"round {number} ({kinds}): last upload", last - previous))
        previous = last
    phases.append(Phase("last upload -> result stored", finished - previous))
    phases.append(Phase("result stored -> fetched (bench clock)", done - finished))

    parties = len(members)
    stored_sent = [sum(m[4] for m in party_messages if m[1] == index) for index in range(1, parties + 1)]
    by_kind: dict[str, int] = {}
    for message in party_messages:
        by_kind[message[3]] = by_kind.get(message[3], 0) + message[4]
    masked = [
        sum(m[4] for m in party_messages if m[1] == i and m[3] == "masked") for i in range(1, parties + 1)
    ]
    wire = meter.per_pid()
    wire_sent = [wire.get(m.process.pid, (0, 0))[0] for m in members]
    wire_received = [wire.get(m.process.pid, (0, 0))[1] for m in members]
    outcome = Outcome(
        label=label,
        protocol=protocol,
        elements=elements,
        phases=phases,
        total=done - began,
        secure=finished - started,
        protocol_only=finished - ready,
        stored_sent=stored_sent,
        stored_by_kind=by_kind,
        masked_bytes=masked,
        wire_sent=wire_sent,
        wire_received=wire_received,
        check="",
        correct=False,
    )
    return outcome, result


# ---------------------------------------------------------------- checks against the pooled data


def check_mean(result: dict[str, Any], pooled: pl.DataFrame, variable: dict[str, Any]) -> tuple[str, bool]:
    values = (
        pooled.get_column(variable["name"]).cast(pl.Float64).clip(variable["lo"], variable["hi"]).to_numpy()
    )
    secure = float(result["values"]["values"]["mean"])
    error = abs(secure - float(values.mean()))
    return f"mean {secure:.6f}, pooled numpy {values.mean():.6f}, |diff| {error:.1e}", error < 1e-6


def check_variance(
    result: dict[str, Any], pooled: pl.DataFrame, variable: dict[str, Any]
) -> tuple[str, bool]:
    values = (
        pooled.get_column(variable["name"]).cast(pl.Float64).clip(variable["lo"], variable["hi"]).to_numpy()
    )
    released = result["values"]["values"]
    mean_error = abs(float(released["mean"]) - float(values.mean()))
    variance_error = abs(float(released["variance"]) - float(values.var(ddof=1)))
    text = (
        f"mean {float(released['mean']):.6f} / variance {float(released['variance']):.4f}, "
        f"pooled numpy {values.mean():.6f} / {values.var(ddof=1):.4f}, |diff| {max(mean_error, variance_error):.1e}"
    )
    return text, mean_error < 1e-6 and variance_error < 1e-4


def check_crosstab(result: dict[str, Any], pooled: pl.DataFrame, params: dict[str, Any]) -> tuple[str, bool]:
    """The released table against numpy's over the pooled rows (categories are runs of integers)."""
    row, column = params["row"], params["column"]
    first_row, first_column = row["categories"][0], column["categories"][0]
    table = np.zeros((len(row["categories"]), len(column["categories"])), dtype=np.int64)
    inside = pooled.filter(
        pl.col(row["name"]).is_between(first_row, row["categories"][-1]),
        pl.col(column["name"]).is_between(first_column, column["categories"][-1]),
    )
    rows = inside.get_column(row["name"]).to_numpy() - first_row
    columns = inside.get_column(column["name"]).to_numpy() - first_column
    np.add.at(table, (rows, columns), 1)
    released = result["values"]["values"]["counts"]
    published = [(i, j, c) for i, row in enumerate(released) for j, c in enumerate(row) if c is not None]
    mismatches = sum(1 for i, j, c in published if table[i, j] != c)
    hidden = table.size - len(published)
    n = int(result["values"]["n"])
    text = (
        f"n {n:,} (pooled {int(table.sum()):,}); {len(published):,} published cells, "
        f"{mismatches} differ from numpy; {hidden:,} cells under k withheld"
    )
    return text, mismatches == 0 and n == int(table.sum())


# ---------------------------------------------------------------- the run


@dataclass
class Setup:
    parties: int
    rows: int
    poll: float
    ready_seconds: float
    data_bytes: int


def secagg_runs(small_table: bool) -> list[tuple[str, str, dict[str, Any], str, int]]:
    tables = [
        (
            "crosstab(systolic_bp x heart_rate), 200 x 200",
            {
                "row": {"name": "systolic_bp", "categories": CROSSTAB_ROWS},
                "column": {"name": "heart_rate", "categories": CROSSTAB_COLUMNS},
            },
        ),
        (
            "crosstab(glucose x triglycerides), 1000 x 1000",
            {
                "row": {"name": "glucose", "categories": GLUCOSE_CATEGORIES},
                "column": {"name": "triglycerides", "categories": TRIGLYCERIDE_CATEGORIES},
            },
        ),
    ]
    return [
        (
            label,
            "crosstab",
            params,
            "secagg",
            len(params["row"]["categories"]) * len(params["column"]["categories"]),
        )
        for label, params in tables[0 if small_table else 1 :]
    ]


def run_hdx(
    parties: int, rows: int, poll: float, keep: Path | None, small_table: bool
) -> tuple[Setup, list[Outcome]]:
    root = keep or Path(tempfile.mkdtemp(prefix="hdx-bench-e2e-"))
    root.mkdir(parents=True, exist_ok=True)
    names = [f"Bench Hospital {i:02d}" for i in range(1, parties + 1)]
    try:
        frames = [vitals(i, rows) for i in range(1, parties + 1)]
        pooled = pl.concat(frames)
        paths = []
        (root / "data").mkdir(exist_ok=True)
        for index, frame in enumerate(frames, start=1):
            path = root / "data" / f"vitals-{index:02d}.csv"
            frame.write_csv(path)
            paths.append(path)
        policy = write_policy(root / "policy.toml", names[0])
        began = time.perf_counter()
        with Processes() as processes:
            exchange = start_exchange(processes, root)
            with httpx.Client(base_url=exchange.url, timeout=120) as http:

                def join(name: str, data: Path) -> Member:
                    hospital = register_hospital(http, exchange.mail_dir, name)
                    state_dir = root / "agents" / slug(name)
                    init_agent(state_dir, exchange.url, hospital.api_key, timeout=600)
                    return Member(hospital, state_dir, start_agent(processes, state_dir, data, policy, poll))

                with ThreadPoolExecutor(parties) as pool:
                    members = list(pool.map(join, names, paths))
                wait_loaded(members, timeout=600)
                setup = Setup(
                    parties, rows, poll, time.perf_counter() - began, sum(p.stat().st_size for p in paths)
                )
                print(f"  exchange and {parties} agents ready in {setup.ready_seconds:.1f} s", flush=True)
                outcomes = []
                runs: list[tuple[str, str, dict[str, Any], str, int]] = [
                    ("mean(heart_rate)", "mean", {"variable": HEART_RATE}, "shamir", 2),
                    ("variance(systolic_bp)", "variance", {"variable": SYSTOLIC}, "shamir", 3),
                    *secagg_runs(small_table),
                ]
                for label, analysis, params, protocol, elements in runs:
                    outcome, result = run_computation(
                        http, exchange, members, label, analysis, params, protocol, elements
                    )
                    if analysis == "mean":
                        outcome.check, outcome.correct = check_mean(result, pooled, params["variable"])
                    elif analysis == "variance":
                        outcome.check, outcome.correct = check_variance(result, pooled, params["variable"])
                    else:
                        outcome.check, outcome.correct = check_crosstab(result, pooled, params)
                    print(f"  {label} over {protocol}: {outcome.total:.1f} s; {outcome.check}", flush=True)
                    outcomes.append(outcome)
        return setup, outcomes
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- report


def kib(value: float) -> str:
    return f"{value / 1024:,.1f} KiB"


def spread(values: list[int]) -> str:
    return f"{kib(sum(values) / len(values))} ({kib(min(values))} .. {kib(max(values))})"


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def phase_table(outcomes: list[Outcome]) -> str:
    rows = []
    for outcome in outcomes:
        name = f"{outcome.label}, {outcome.protocol}"
        for phase in outcome.phases:
            rows.append([name, phase.name, f"{phase.seconds:.2f} s"])
            name = ""
        rows.append(["", "**total: initialize -> result fetched**", f"**{outcome.total:.2f} s**"])
    return markdown(["computation", "phase", "wall time"], rows)


def bytes_table(outcomes: list[Outcome]) -> str:
    rows = []
    for outcome in outcomes:
        raw = 8 * outcome.elements
        stored_mean = sum(outcome.stored_sent) / len(outcome.stored_sent)
        wire_mean = sum(outcome.wire_sent) / len(outcome.wire_sent)
        kinds = ", ".join(
            f"{kind} {kib(size / len(outcome.stored_sent))}"
            for kind, size in sorted(outcome.stored_by_kind.items())
        )
        rows.append(
            [
                f"{outcome.label}, {outcome.protocol}",
                f"{outcome.elements:,} x 8 B = {kib(raw)}",
                spread(outcome.stored_sent),
                kinds,
                f"{stored_mean / raw:.3f}x" if outcome.protocol == "secagg" else "-",
                spread(outcome.wire_sent),
                f"{wire_mean / raw:.3f}x" if outcome.protocol == "secagg" else "-",
                spread(outcome.wire_received),
                "yes" if outcome.correct else "NO",
            ]
        )
    return markdown(
        [
            "computation",
            "vector per party",
            "protocol messages sent per party, mean (min .. max)",
            "by kind, mean per party",
            "ratio to raw vector",
            "TCP bytes sent per agent (HTTP, polling included)",
            "ratio to raw vector",
            "TCP bytes received per agent",
            "result = pooled numpy",
        ],
        rows,
    )


@dataclass
class Comparison:
    secagg: Outcome
    mpyc: mpyc_sum.Run

    def rows(self) -> list[list[str]]:
        hdx, peer = self.secagg, self.mpyc
        return [
            [
                "secure sum: running -> result (HDX) / all connected -> sum opened (MPyC)",
                f"{hdx.secure:.2f} s",
                f"{peer.secure_sum:.2f} s",
                f"{hdx.secure / peer.secure_sum:.2f}",
            ],
            [
                "protocol only: every contribution computed -> result (HDX) / all connected -> sum opened (MPyC)",
                f"{hdx.protocol_only:.2f} s",
                f"{peer.secure_sum:.2f} s",
                f"{hdx.protocol_only / peer.secure_sum:.2f}",
            ],
            [
                "whole run: initialize -> result (HDX) / spawn -> exit of every party (MPyC)",
                f"{hdx.total:.2f} s",
                f"{peer.wall:.2f} s",
                f"{hdx.total / peer.wall:.2f}",
            ],
            [
                f"bytes sent per party (HDX: TCP to the exchange; MPyC: to its {len(peer.bytes_sent) - 1} peers)",
                kib(sum(hdx.wire_sent) / len(hdx.wire_sent)),
                kib(sum(peer.bytes_sent) / len(peer.bytes_sent)),
                f"{(sum(hdx.wire_sent) / len(hdx.wire_sent)) / (sum(peer.bytes_sent) / len(peer.bytes_sent)):.3f}",
            ],
        ]


def section(setup: Setup, outcomes: list[Outcome], comparisons: list[Comparison]) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores (load average {load}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, polars {pl.__version__}"
    )
    target = []
    for comparison in comparisons:
        secagg = comparison.secagg
        upload = sum(secagg.stored_sent) / len(secagg.stored_sent) / (8 * secagg.elements)
        wire = sum(secagg.wire_sent) / len(secagg.wire_sent) / (8 * secagg.elements)
        target.append(
            [
                "secagg upload per party / raw vector (8 B per element)",
                f"{secagg.elements:,} elements",
                f"{upload:.3f}x protocol messages, {wire:.3f}x TCP",
                "<= 1.1x",
                "yes" if upload <= 1.1 and wire <= 1.1 else "NO",
            ]
        )
    largest = max(comparisons, key=lambda c: c.secagg.elements)
    target.append(
        [
            f"secagg sum of a {largest.secagg.elements:,}-element vector, HDX / MPyC",
            f"{setup.parties} parties",
            f"{largest.secagg.secure:.1f} s / {largest.mpyc.secure_sum:.1f} s = "
            f"{largest.secagg.secure / largest.mpyc.secure_sum:.2f} (running -> result / connected -> opened)",
            "report",
            "-",
        ]
    )
    lines = [
        START,
        f"## End to end, {setup.parties} agent processes (`bench/e2e.py`)",
        "",
        f"Machine: {machine}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"One exchange process (`hdx run`, SQLite, rate limits on at {RAISED_LIMIT}) and {setup.parties} agent",
        f"processes (`hdx agent run --category custom`, polling every {setup.poll:g} s), each with its own",
        f"{setup.rows:,}-row CSV of vital signs, glucose and triglycerides "
        f"({setup.data_bytes / setup.parties / 2**20:.1f} MiB); threshold t = {threshold_for(setup.parties)};",
        f"exchange start, {setup.parties} registrations (e-mail code, sign-in, API key), `hdx agent init` and",
        f"data loading took {setup.ready_seconds:.1f} s before the first computation.",
        "",
        "### Wall time per phase",
        "",
        phase_table(outcomes),
        "",
        "### Bytes per party",
        "",
        bytes_table(outcomes),
        "",
        "### Targets",
        "",
        markdown(["measure", "inputs", "measured", "target", "met"], target),
    ]
    for comparison in comparisons:
        lines += [
            "",
            f"### HDX secagg against MPyC, the same secure sum ({comparison.secagg.elements:,} elements, "
            f"{setup.parties} parties)",
            "",
            markdown(["measure", "HDX secagg", "MPyC", "ratio HDX / MPyC"], comparison.rows()),
        ]
    lines += [
        "",
        "Phase times come from the exchange's own records (creation, start once every party accepted, the",
        "last upload of each round, the stored result) and the agents' logs (contribution computed), the",
        "first and last row from the bench's clock. A round includes each agent's local work (sharing or",
        "masking) and up to one polling interval before the agent notices it.",
        "Protocol bytes are the sizes of the round messages each party posted, as the exchange stored",
        "them; TCP bytes are what each agent process sent on its connections to the exchange while the",
        "computation ran (`ss` tcp_info, sampled every 0.2 s), HTTP headers and polling included.",
        "HDX's secure sum includes each agent computing its contribution (the table) and three polling",
        "intervals; the protocol-only row starts when the last agent logged its contribution (MPyC's",
        "inputs are generated before its clock starts). Acceptance includes the agents' dry run of the",
        "contribution (the agent checks that its data can contribute before accepting). The vectors carry",
        "one more element than the table, the clipped count; ratios to the raw vector use the table's",
        "size. Ratios to the raw vector are shown for secagg, whose target they are.",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows per hospital")
    parser.add_argument("--parties", type=int, default=10)
    parser.add_argument("--poll-seconds", type=float, default=0.5)
    parser.add_argument("--mpyc-sizes", default="", help="MPyC sizes besides the secagg vectors'")
    parser.add_argument(
        "--mpyc-limit",
        type=float,
        default=900.0,
        help="longest MPyC run (s) to attempt",
    )
    parser.add_argument(
        "--skip-small-table",
        action="store_true",
        help="only the 1000 x 1000 table over secagg",
    )
    parser.add_argument("--keep", type=Path, help="keep data, agent state and logs in this directory")
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print the tables, leave RESULTS.md alone",
    )
    args = parser.parse_args()

    print(f"HDX end to end: {args.parties} agents x {args.rows:,} rows", flush=True)
    setup, outcomes = run_hdx(
        args.parties,
        args.rows,
        args.poll_seconds,
        args.keep,
        small_table=not args.skip_small_table,
    )
    secaggs = [outcome for outcome in outcomes if outcome.protocol == "secagg"]

    print(f"MPyC secure sum, {args.parties} parties", flush=True)
    sizes = sorted(
        {
            *(o.elements for o in secaggs),
            *(int(size) for size in args.mpyc_sizes.split(",") if size),
        }
    )
    runs = mpyc_sum.measure(args.parties, sizes, args.mpyc_limit)
    comparisons = [
        Comparison(outcome, next(run for run in runs if run.elements == outcome.elements))
        for outcome in secaggs
    ]

    e2e_text = section(setup, outcomes, comparisons)
    mpyc_text = mpyc_sum.section(runs, args.parties)
    print(e2e_text)
    print(mpyc_text)
    if not args.no_write:
        write_section(START, END, e2e_text)
        write_section(mpyc_sum.START, mpyc_sum.END, mpyc_text)
    if args.keep:
        (args.keep / "e2e.json").write_text(
            json.dumps([o.__dict__ for o in outcomes], default=lambda v: v.__dict__)
        )


if __name__ == "__main__":
    main()
