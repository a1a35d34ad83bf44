"""End-to-end regressions: a real exchange process and 5 real party agent processes on loopback, every
protocol (shamir, secagg, paillier, hybrid).

Five hospitals register through the exchange's API and run `hdx agent run` on a share of scikit-learn's
diabetes data (442 patients, the catalog names of hdx.agent.diabetes). For each protocol the first
hospital asks for an ordinary least squares regression of disease_progression on all 10 covariates.
The catalog reads a column named sex as the category M/F/U; the regression takes it as the 0/1
indicator of "F" (`{"name": "sex", "level": "F"}`), the usual coding.
Then each hospital's agent is restarted on its share of scikit-learn's breast-cancer data (569
patients, 5 measurements standardized over the pooled data, as a hospital would export them: its own
patient identifiers, scikit-learn's column names, the 0/1 diagnosis), and for each protocol the first
hospital asks for a logistic regression of the diagnosis, run by the exchange to convergence. An agent
reads one data file, so the two studies run one after the other on the same exchange and hospitals.

Every result is compared with statsmodels on the pooled data: the largest relative error of the
coefficients and of their standard errors. Wall time runs from the initialize request to the fetched
result (bench clock); acceptance and compute come from the computation's own timestamps (created,
started once every party accepted, finished); bytes per party are the stored sizes of the protocol
messages each party posted (read from the exchange's database).

    .venv/bin/python bench/regression.py [--parties 5] [--port 8051] [--poll-seconds 0.5]
        [--threshold 3] [--timeout 1200] [--protocols shamir,secagg,paillier,hybrid] [--keep DIR] [--no-write]

Prints the table and replaces the regression section of bench/RESULTS.md; exits 1 when a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import statsmodels
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

from results import cpu_model, write_section

from hdx.agent import diabetes
from hdx.agent.federation import Member
from hdx.agent.localnet import (
    LocalExchange,
    LocalnetError,
    Processes,
    init_agent,
    start_agent,
    start_exchange,
)
from hdx.agent.onboarding import Hospital, mailed_code, register_hospital, slug
from hdx.agent.proposals import FINAL
from hdx.analyses import get_analysis
from hdx.datasets.catalog import normalize_name

START, END = "<!-- regression:start -->", "<!-- regression:end -->"
PROTOCOLS = ("shamir", "secagg", "paillier", "hybrid")
TARGET_ERROR = 1e-6

# Declared bounds: clinically plausible ranges that hold every value of the data (checked at start).
OUTCOME: dict[str, Any] = {"name": "disease_progression", "lo": 0, "hi": 400}
COVARIATES: list[dict[str, Any]] = [
    {"name": "age", "lo": 18, "hi": 90},
    {"name": "sex", "level": "F", "lo": 0, "hi": 1},
    {"name": "bmi", "lo": 15, "hi": 50},
    {"name": "mean_arterial_pressure", "lo": 50, "hi": 150},
    {"name": "total_cholesterol", "lo": 80, "hi": 320},
    {"name": "ldl_cholesterol", "lo": 30, "hi": 260},
    {"name": "hdl_cholesterol", "lo": 20, "hi": 110},
    {"name": "cholesterol_hdl_ratio", "lo": 1, "hi": 10},
    {"name": "log_triglycerides", "lo": 3, "hi": 7},
    {"name": "glucose", "lo": 50, "hi": 140},
]
OLS_PARAMS = {"outcome": OUTCOME, "covariates": COVARIATES}

# The measurements of tests/agent/test_federation_logistic.py, standardized; [-8, 8] holds every value.
FEATURES = ["mean radius", "mean texture", "mean smoothness", "mean concave points", "worst symmetry"]
CANCER_COVARIATES: list[dict[str, Any]] = [
    {"name": normalize_name(name), "lo": -8, "hi": 8} for name in FEATURES
]
LOGISTIC_PARAMS = {"outcome": "target", "covariates": CANCER_COVARIATES}

# An access token lives 15 minutes by default; the requester signs in again well before that.
SIGN_IN_AGAIN_AFTER = 600.0


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- data and references


def indicators(pooled: pl.DataFrame) -> pl.DataFrame:
    """The pooled data as the regression sees it: sex (ISO 5218 codes, 2 = female) as the indicator of F."""
    return pooled.with_columns((pl.col("sex") == 2).cast(pl.Float64))


def cancer() -> pl.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    frame = frame.with_columns((pl.col(c) - pl.col(c).mean()) / pl.col(c).std() for c in FEATURES)
    ids = pl.Series("patient_id", [f"BC-{10_000 + i}" for i in range(frame.height)])
    return frame.select([*FEATURES, "target"]).insert_column(0, ids)


def cancer_exports(frame: pl.DataFrame, directory: Path, parts: int) -> list[Path]:
    """Shuffled rows cut into nearly equal shares, one CSV per hospital (the order is not secret)."""
    directory.mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(3).permutation(frame.height)
    paths = []
    for number, rows in enumerate(np.array_split(order, parts), start=1):
        path = directory / f"hospital-{number}.csv"
        frame[rows.tolist()].write_csv(path)
        paths.append(path)
    return paths


def require_inside(frame: pl.DataFrame, variables: list[dict[str, Any]]) -> None:
    for variable in variables:
        if "level" in variable:
            continue
        column = frame.get_column(variable["name"])
        low, high = float(column.min()), float(column.max())  # type: ignore[arg-type]
        if low < variable["lo"] or high > variable["hi"]:
            raise BenchError(
                f"{variable['name']} ranges over [{low}, {high}], outside its declared bounds "
                f"[{variable['lo']}, {variable['hi']}]"
            )


@dataclass
class Reference:
    coefficients: np.ndarray
    std_errors: np.ndarray
    iterations: int | None


def ols_reference(pooled: pl.DataFrame) -> Reference:
    x = sm.add_constant(
        indicators(pooled).select(c["name"] for c in COVARIATES).to_numpy().astype(np.float64)
    )
    fit = sm.OLS(pooled.get_column(OUTCOME["name"]).to_numpy().astype(np.float64), x).fit()
    return Reference(np.asarray(fit.params), np.asarray(fit.bse), None)


def logistic_reference(pooled: pl.DataFrame) -> Reference:
    x = sm.add_constant(pooled.select(FEATURES).to_numpy())
    fit = sm.Logit(pooled.get_column("target").to_numpy(), x).fit(disp=0, tol=1e-12)
    return Reference(np.asarray(fit.params), np.asarray(fit.bse), int(fit.mle_retvals["iterations"]))


def relative_error(values: list[float], reference: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(values, dtype=np.float64) - reference) / np.abs(reference)))


# ---------------------------------------------------------------- the requester's session


@dataclass
class Requester:
    """The first hospital's user, signed in; signs in again (a password reset by mailed code, as a
    person who lost their session would) before the access token runs out, and once on a 401."""

    http: httpx.Client
    mail_dir: Path
    hospital: Hospital
    signed_in: float

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        if time.monotonic() - self.signed_in > SIGN_IN_AGAIN_AFTER:
            self.sign_in_again()
        response = self.http.request(method, url, headers=self.hospital.headers, **options)
        if response.status_code == 401:
            self.sign_in_again()
            response = self.http.request(method, url, headers=self.hospital.headers, **options)
        return response

    def sign_in_again(self) -> None:
        email = self.hospital.email
        before = len(list(self.mail_dir.glob("*.eml")))
        checked(self.http.post("/forgot-password", json={"email": email}), "asking for a reset code")
        deadline = time.monotonic() + 30
        while len(list(self.mail_dir.glob("*.eml"))) == before:
            if time.monotonic() > deadline:
                raise BenchError(f"no reset code was mailed to {email} within 30 s")
            time.sleep(0.1)
        code = mailed_code(self.mail_dir, email)
        password = f"Bench-{secrets.token_urlsafe(18)}"
        checked(
            self.http.post("/reset-password", json={"email": email, "code": code, "new_password": password}),
            "resetting the password",
        )
        token = checked(
            self.http.post("/login", json={"email": email, "password": password}), "signing in"
        ).json()["access_token"]
        self.hospital = replace(self.hospital, token=token)
        self.signed_in = time.monotonic()


def checked(response: httpx.Response, what: str) -> httpx.Response:
    if response.is_error:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response


# ---------------------------------------------------------------- the federation


@dataclass
class Bench:
    exchange: LocalExchange
    processes: Processes
    members: list[Member]
    requester: Requester
    policy: Path
    poll: float

    def logs(self) -> str:
        parts = [
            f"--- {m.hospital.name} ({m.log}) ---\n{m.log.read_text(errors='replace')[-3000:]}"
            for m in self.members
            if m.log.exists()
        ]
        exchange_log = self.exchange.data_dir / "exchange.log"
        if exchange_log.exists():
            parts.append(
                f"--- exchange ({exchange_log}) ---\n{exchange_log.read_text(errors='replace')[-3000:]}"
            )
        return "\n".join(parts)

    def exited(self) -> list[str]:
        return [m.hospital.name for m in self.members if m.process.poll() is not None]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(member.ready() for member in self.members):
            if self.exited():
                raise BenchError(f"the agents of {', '.join(self.exited())} exited:\n{self.logs()}")
            if time.monotonic() > deadline:
                waiting = [m.hospital.name for m in self.members if not m.ready()]
                raise BenchError(
                    f"the agents of {', '.join(waiting)} did not load their data within {timeout:.0f} s:\n"
                    f"{self.logs()}"
                )
            time.sleep(0.2)

    def switch_data(self, exports: list[Path], timeout: float) -> None:
        """Restart every agent on another data file: the same hospitals, keys and state directories."""
        for member, data in zip(self.members, exports, strict=True):
            self.processes.stop(member.process)
            member.data = data
            member.log_from = member.log.stat().st_size if member.log.exists() else 0
            member.process = start_agent(
                self.processes, member.state_dir, data, self.policy, poll_seconds=self.poll
            )
        self.wait_ready(timeout)


def write_policy(path: Path, requester: str) -> Path:
    columns = [c["name"] for c in [OUTCOME, *COVARIATES, *CANCER_COVARIATES]] + ["target"]
    path.write_text(
        'otherwise = "wait"\n\n'
        "[accept]\n"
        f'requesters = ["{requester}"]\n'
        'analyses = ["ols", "logistic"]\n'
        f"protocols = {json.dumps(list(PROTOCOLS))}\n"
        f"columns = {json.dumps(columns)}\n"
        "min_k = 5\n"
    )
    return path


def join_all(
    processes: Processes,
    exchange: LocalExchange,
    http: httpx.Client,
    root: Path,
    names: list[str],
    exports: list[Path],
    policy: Path,
    poll: float,
) -> list[Member]:
    def join(name: str, data: Path) -> Member:
        hospital = register_hospital(http, exchange.mail_dir, name)
        state_dir = root / "agents" / slug(name)
        init_agent(state_dir, exchange.url, hospital.api_key, timeout=600)
        process = start_agent(processes, state_dir, data, policy, poll_seconds=poll)
        return Member(hospital, state_dir, data, process)

    # Joining is mostly waiting (password hashing, process start-up): every hospital at once.
    with ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(join, names, exports))


# ---------------------------------------------------------------- one computation


@dataclass
class Run:
    study: str
    analysis: str
    protocol: str
    ok: bool = False
    failure: str = ""
    total: float = 0.0
    initialize: float = 0.0
    acceptance: float = 0.0
    compute: float = 0.0
    fetch: float = 0.0
    iterations: int = 1
    rounds: int = 0
    sent: tuple[int, ...] = ()
    exchange_sent: int = 0
    n: int = 0
    coefficient_error: float = float("nan")
    std_error_error: float = float("nan")


def parse_time(value: str) -> float:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def sent_bytes(database: Path, computation_id: str, parties: int) -> tuple[tuple[int, ...], int]:
    """Bytes of the protocol messages each party posted (and the exchange's broadcasts), as stored."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT sender_index, SUM(size) FROM round_messages WHERE computation_id = ? GROUP BY sender_index",
            (computation_id,),
        ).fetchall()
    sizes = {int(sender): int(size) for sender, size in rows}
    return tuple(sizes.get(index, 0) for index in range(1, parties + 1)), sizes.get(0, 0)


def run_one(
    bench: Bench,
    study: str,
    analysis: str,
    params: dict[str, Any],
    protocol: str,
    threshold: int,
    reference: Reference,
    timeout: float,
) -> Run:
    run = Run(study, analysis, protocol)
    requester = bench.requester
    spec = {
        "title": f"{analysis} over {study}, {protocol}",
        "analysis": analysis,
        "params": params,
        "participants": [m.hospital.name for m in bench.members],
        "protocol": protocol,
        "threshold": threshold,
    }
    began = time.time()
    created = requester.request("POST", "/secure-computations/initialize", json=spec)
    if created.status_code != 201:
        run.failure = f"initialize: HTTP {created.status_code} {created.text[:300]}"
        return run
    computation_id = created.json()["id"]
    run.initialize = time.time() - began
    deadline = time.monotonic() + timeout
    while True:
        state = checked(
            requester.request("GET", f"/secure-computations/{computation_id}/status"), "status"
        ).json()
        if state["status"] in FINAL:
            break
        if bench.exited():
            raise BenchError(
                f"{analysis} over {protocol}: the agents of {', '.join(bench.exited())} exited:\n{bench.logs()}"
            )
        if time.monotonic() > deadline:
            requester.request("POST", f"/secure-computations/{computation_id}/cancel")
            run.failure = (
                f"still {state['status']} in round {state['current_round']} (iteration "
                f"{state.get('iteration')}) after {timeout:.0f} s; cancelled"
            )
            print(f"  {analysis} over {protocol} timed out:\n{bench.logs()}", file=sys.stderr, flush=True)
            return run
        time.sleep(0.1)
    if state["status"] != "completed":
        run.failure = f"ended {state['status']}: {state['failure_reason']}"
        print(f"  {analysis} over {protocol} {run.failure}:\n{bench.logs()}", file=sys.stderr, flush=True)
        return run
    fetched = checked(requester.request("GET", f"/secure-computations/result/{state['result_id']}"), "result")
    done = time.time()
    released = fetched.json()["values"]
    values = released["values"]

    created_at, started_at = parse_time(state["created_at"]), parse_time(state["started_at"])
    finished_at = parse_time(state["finished_at"])
    run.total = done - began
    run.acceptance = started_at - created_at
    run.compute = finished_at - started_at
    run.fetch = done - finished_at
    run.iterations = int(values.get("iterations", 1))
    run.rounds = int(state["current_round"])
    run.sent, run.exchange_sent = sent_bytes(
        bench.exchange.data_dir / "hdx.db", computation_id, len(bench.members)
    )
    run.n = int(released["n"])
    run.coefficient_error = relative_error(values["coefficients"], reference.coefficients)
    run.std_error_error = relative_error(values["std_errors"], reference.std_errors)
    if analysis == "logistic" and values.get("converged") is not True:
        run.failure = "released without converging"
        return run
    run.ok = True
    return run


def run_all(
    bench: Bench,
    study: str,
    analysis: str,
    params: dict[str, Any],
    protocols: list[str],
    threshold: int,
    reference: Reference,
    timeout: float,
) -> list[Run]:
    runs = []
    for protocol in protocols:
        run = run_one(bench, study, analysis, params, protocol, threshold, reference, timeout)
        if run.ok:
            print(
                f"  {analysis} over {protocol}: {run.total:.1f} s, {run.iterations} iteration(s), "
                f"max relative error {run.coefficient_error:.1e} (coefficients) / "
                f"{run.std_error_error:.1e} (standard errors)",
                flush=True,
            )
        else:
            print(f"  {analysis} over {protocol} FAILED: {run.failure}", flush=True)
        runs.append(run)
    return runs


# ---------------------------------------------------------------- the whole run


@dataclass
class Setup:
    parties: int
    poll: float
    threshold: int
    diabetes_rows: int
    cancer_rows: int
    join_seconds: float
    switch_seconds: float
    ols_reference: Reference
    logistic_reference: Reference
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


def measure(
    parties: int,
    port: int,
    poll: float,
    threshold: int,
    protocols: list[str],
    timeout: float,
    keep: Path | None,
) -> tuple[Setup, list[Run]]:
    root = keep or Path(tempfile.mkdtemp(prefix="hdx-bench-regression-"))
    root.mkdir(parents=True, exist_ok=True)
    names = [f"Regression Hospital {i}" for i in range(1, parties + 1)]
    pooled_diabetes, pooled_cancer = diabetes.diabetes(), cancer()
    require_inside(pooled_diabetes, [OUTCOME, *COVARIATES])
    require_inside(pooled_cancer.rename({name: normalize_name(name) for name in FEATURES}), CANCER_COVARIATES)
    diabetes_exports = diabetes.split(pooled_diabetes, root / "diabetes", parties)
    cancer_exports_ = cancer_exports(pooled_cancer, root / "breast-cancer", parties)
    setup = Setup(
        parties=parties,
        poll=poll,
        threshold=threshold,
        diabetes_rows=pooled_diabetes.height,
        cancer_rows=pooled_cancer.height,
        join_seconds=0.0,
        switch_seconds=0.0,
        ols_reference=ols_reference(pooled_diabetes),
        logistic_reference=logistic_reference(pooled_cancer),
        load_before=os.getloadavg(),
    )
    policy = write_policy(root / "policy.toml", names[0])
    try:
        with Processes() as processes:
            began = time.perf_counter()
            try:
                exchange = start_exchange(processes, root, port=port, timeout=300)
            except LocalnetError as exc:
                raise BenchError(f"the exchange did not start on port {port}: {exc}") from exc
            with httpx.Client(base_url=exchange.url, timeout=120) as http:
                members = join_all(processes, exchange, http, root, names, diabetes_exports, policy, poll)
                requester = Requester(http, exchange.mail_dir, members[0].hospital, time.monotonic())
                bench = Bench(exchange, processes, members, requester, policy, poll)
                bench.wait_ready(timeout=600)
                setup.join_seconds = time.perf_counter() - began
                print(
                    f"exchange and {parties} agents on the diabetes data ready in {setup.join_seconds:.1f} s"
                )
                runs = run_all(
                    bench, "diabetes", "ols", OLS_PARAMS, protocols, threshold, setup.ols_reference, timeout
                )
                began = time.perf_counter()
                bench.switch_data(cancer_exports_, timeout=600)
                setup.switch_seconds = time.perf_counter() - began
                print(f"agents restarted on the breast-cancer data in {setup.switch_seconds:.1f} s")
                runs += run_all(
                    bench,
                    "breast cancer",
                    "logistic",
                    LOGISTIC_PARAMS,
                    protocols,
                    threshold,
                    setup.logistic_reference,
                    timeout,
                )
        setup.load_after = os.getloadavg()
        return setup, runs
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- report


def kib(value: float) -> str:
    return f"{value / 1024:,.1f} KiB"


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def error_cell(value: float) -> str:
    return f"{value:.1e}" + ("" if value <= TARGET_ERROR else " (> 1e-6)")


def table(runs: list[Run]) -> str:
    rows = []
    for run in runs:
        name = f"{run.analysis}, {run.study}"
        if not run.ok and not run.sent:
            rows.append([name, run.protocol, f"**failed**: {run.failure}", *["-"] * 9])
            continue
        mean = sum(run.sent) / len(run.sent)
        rows.append(
            [
                name,
                run.protocol,
                f"**{run.total:.1f} s**" + ("" if run.ok else f" (**failed**: {run.failure})"),
                f"{run.acceptance:.1f} s",
                f"{run.compute:.1f} s",
                str(run.iterations) if run.analysis == "logistic" else "-",
                str(run.rounds),
                f"{run.compute / run.iterations:.1f} s",
                f"{kib(mean)} (max {kib(max(run.sent))})",
                kib(run.exchange_sent),
                error_cell(run.coefficient_error),
                error_cell(run.std_error_error),
            ]
        )
    return markdown(
        [
            "regression",
            "protocol",
            "initialize -> result fetched",
            "acceptance",
            "compute",
            "iterations",
            "rounds",
            "compute per iteration",
            "protocol bytes sent per party, mean (max)",
            "exchange broadcasts",
            "max rel. error, coefficients",
            "max rel. error, std. errors",
        ],
        rows,
    )


def vector_length(analysis: str, params: dict[str, Any]) -> int:
    """Elements of one party's vector (one sum), the clipped-values count included."""
    implementation = get_analysis(analysis)
    return len(implementation.layout(implementation.parse(params), max_rows=1))


def rounds_per_sum(runs: list[Run]) -> dict[str, int]:
    return {run.protocol: run.rounds // run.iterations for run in runs}


def findings(setup: Setup, runs: list[Run]) -> list[str]:
    """What the numbers say, from the numbers."""
    lines = []
    done = [run for run in runs if run.ok]
    failed = [run for run in runs if not run.ok]
    for analysis in ("ols", "logistic"):
        mine = [run for run in done if run.analysis == analysis]
        if not mine:
            continue
        fastest, slowest = min(mine, key=lambda r: r.total), max(mine, key=lambda r: r.total)
        worst = max(max(r.coefficient_error, r.std_error_error) for r in mine)
        above = [r.protocol for r in mine if max(r.coefficient_error, r.std_error_error) > TARGET_ERROR]
        text = (
            f"{'OLS' if analysis == 'ols' else 'Logistic regression'}: {fastest.total:.1f} s ({fastest.protocol}) "
            f"to {slowest.total:.1f} s ({slowest.protocol}) from the request to the fetched result; "
            f"the largest relative error against statsmodels is {worst:.1e}"
        )
        text += f", above 1e-6 over {', '.join(above)}." if above else ", within 1e-6 over every protocol."
        if analysis == "logistic":
            counts = sorted({r.iterations for r in mine})
            text += (
                f" The exchange ran {'/'.join(map(str, counts))} Newton iterations (statsmodels, from the same "
                f"zero start, {setup.logistic_reference.iterations}); each is a complete run of the protocol."
            )
        lines.append(text)
    if done:
        per_round = [run.compute / run.rounds for run in done]
        lines.append(
            f"The vectors summed are {vector_length('ols', OLS_PARAMS)} values (OLS) and "
            f"{vector_length('logistic', LOGISTIC_PARAMS)} per iteration (logistic regression); a round takes "
            f"{min(per_round):.2f} to {max(per_round):.2f} s of compute time with the agents polling every "
            f"{setup.poll:g} s, and a sum takes "
            + ", ".join(f"{rounds} rounds ({protocol})" for protocol, rounds in rounds_per_sum(done).items())
            + ". These are single runs on a shared 2-core machine (load average above), not medians: "
            "differences of a few seconds between protocols are within what the load moves from one run "
            "to the next."
        )
    if failed:
        lines.append(
            "Failed: " + "; ".join(f"{r.analysis} over {r.protocol} ({r.failure})" for r in failed) + "."
        )
    return lines


def section(setup: Setup, runs: list[Run]) -> str:
    before = ", ".join(f"{x:.1f}" for x in setup.load_before)
    after = ", ".join(f"{x:.1f}" for x in setup.load_after)
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores (load average {before} at the start, {after} at the end), "
        f"Python {platform.python_version()}, numpy {np.__version__}, statsmodels {statsmodels.__version__}"
    )
    lines = [
        START,
        f"## End-to-end regressions, {setup.parties} agent processes, every protocol (`bench/regression.py`)",
        "",
        f"Machine: {machine}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"One exchange process (`hdx run`, SQLite) and {setup.parties} agent processes (`hdx agent run`, polling",
        f"every {setup.poll:g} s), threshold t = {setup.threshold}. OLS: scikit-learn's diabetes data "
        f"({setup.diabetes_rows} patients,",
        "contiguous shares), disease_progression on all 10 covariates with declared bounds that hold every",
        "value; sex, which the catalog reads as the category M/F/U, enters as the indicator of F",
        '(`{"name": "sex", "level": "F"}`). Logistic regression: scikit-learn\'s breast-cancer',
        f"data ({setup.cancer_rows} patients, shuffled shares), the diagnosis on 5 standardized measurements",
        "(bounds [-8, 8]), Newton iterations from zero to convergence (tolerance 1e-10). An agent reads one",
        "data file, so the same hospitals run the two studies one after the other. Exchange start,",
        f"{setup.parties} registrations, `hdx agent init` and every agent loading its diabetes share took",
        f"{setup.join_seconds:.1f} s; restarting the agents on their breast-cancer shares took "
        f"{setup.switch_seconds:.1f} s. Neither is in the table.",
        "",
        table(runs),
        "",
        "Wall time is the bench's clock from the initialize request to the fetched result. Acceptance",
        "(invitations out -> every party accepted and the computation started) includes each agent's dry",
        "run of its contribution; compute runs from that start to the stored result, every polling interval",
        "included. Bytes are the stored sizes of the protocol messages each party posted over the whole",
        "computation (all iterations), and of the exchange's broadcasts; under paillier and hybrid party 1",
        "is the result recipient and posts the key and the result, hence the max. Errors are the largest",
        "of |HDX - statsmodels| / |statsmodels| over the coefficients (intercept included) and over their",
        "standard errors, statsmodels fitted on the pooled rows.",
        "",
        *findings(setup, runs),
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parties", type=int, default=5)
    parser.add_argument("--port", type=int, default=8051, help="the exchange's port on 127.0.0.1")
    parser.add_argument("--poll-seconds", type=float, default=0.5)
    parser.add_argument("--threshold", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1200.0, help="longest wait for one computation (s)")
    parser.add_argument("--protocols", default=",".join(PROTOCOLS))
    parser.add_argument("--keep", type=Path, help="keep data, agent state and logs in this directory")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args()
    protocols = [p for p in args.protocols.split(",") if p]
    unknown = sorted(set(protocols) - set(PROTOCOLS))
    if unknown:
        parser.error(f"unknown protocols {', '.join(unknown)}; choose among {', '.join(PROTOCOLS)}")

    print(f"HDX regressions end to end: {args.parties} agents, protocols {', '.join(protocols)}", flush=True)
    try:
        setup, runs = measure(
            args.parties, args.port, args.poll_seconds, args.threshold, protocols, args.timeout, args.keep
        )
    except BenchError as exc:
        sys.exit(f"regression bench failed: {exc}")
    text = section(setup, runs)
    print(text)
    if not args.no_write:
        write_section(START, END, text)
    if not all(run.ok for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
