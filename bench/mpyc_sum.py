"""Reference peer: MPyC computing a secure vector sum with 10 parties on loopback.

Each party is its own process (MPyC's `-M10 -I i` on consecutive localhost ports). Every party
holds a private vector of bounded non-negative integers (fixed-point encoded measurements) and the
parties compute the element-wise sum: each party Shamir-shares its vector with MPyC's `input`
(threshold t = 4, MPyC's default for 10 parties), adds the shares locally and opens the sum to every
party with `output`. This is the same secure sum as HDX's secagg over the same vectors.

The script measures each size in `--sizes`, largest last; a size whose run is predicted (linearly
from the previous size) to take more than `--limit` seconds is not run but extrapolated, and the
table says so. Bytes are MPyC's own per-connection counters (payload + 12-byte frame header).

    .venv/bin/python bench/mpyc_sum.py [--sizes 10000,100000,1000000] [--parties 10] [--limit 600]

Prints a table and replaces the mpyc section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from results import cpu_model, write_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- mpyc:start -->", "<!-- mpyc:end -->"
# Inputs below 2^24 (e.g. a measurement in fixed point with 8 fractional bits); the sum of up to
# 128 of them fits MPyC's 32-bit secure integers.
VALUE_BITS = 24
SECINT_BITS = 32


def party_vector(party: int, elements: int) -> np.ndarray:
    """The private input of one party, reproducible by the driver to check the opened sum."""
    return np.random.default_rng(1000 + party).integers(0, 1 << VALUE_BITS, elements, dtype=np.int64)


def expected_digest(parties: int, elements: int) -> tuple[int, int]:
    total = np.zeros(elements, dtype=np.int64)
    for party in range(parties):
        total += party_vector(party, elements)
    return int(total.sum()), int(total[-1])


# ---------------------------------------------------------------- one MPyC party (a subprocess)


def run_party(elements: int) -> None:
    """Runs inside a party process; MPyC parses its own options (-M, -I, -B) from sys.argv on import."""
    from mpyc.runtime import mpc

    secint = mpc.SecInt(SECINT_BITS)
    local = party_vector(mpc.pid, elements)

    async def protocol() -> dict[str, Any]:
        began = time.perf_counter()
        await mpc.start()
        connected = time.perf_counter()
        shared = mpc.input(secint.array(local))
        await mpc.gather(shared)
        inputs_done = time.perf_counter()
        total = shared[0]
        for vector in shared[1:]:
            total = total + vector
        opened = await mpc.output(total)
        output_done = time.perf_counter()
        sent = sum(peer.protocol.nbytes_sent for peer in mpc.parties if peer.pid != mpc.pid)
        await mpc.shutdown()
        result = np.asarray(opened, dtype=np.int64)
        return {
            "pid": mpc.pid,
            "connect": connected - began,
            "input": inputs_done - connected,
            "sum_output": output_done - inputs_done,
            "secure_sum": output_done - connected,
            "bytes_sent": sent,
            "field_bits": secint.field.modulus.bit_length(),
            "digest": [int(result.sum()), int(result[-1])],
        }

    report = mpc.run(protocol())
    print("MPYC-RESULT " + json.dumps(report), flush=True)


# ---------------------------------------------------------------- driver


@dataclass
class Run:
    elements: int
    wall: float
    secure_sum: float
    input_phase: float
    output_phase: float
    bytes_sent: list[int]
    field_bits: int
    correct: bool
    extrapolated_from: int | None = None

    def scaled(self, elements: int) -> Run:
        """Linear in the vector length; the fixed start-up (wall minus secure sum) is kept as is."""
        factor = elements / self.elements
        return Run(
            elements,
            self.wall - self.secure_sum + self.secure_sum * factor,
            self.secure_sum * factor,
            self.input_phase * factor,
            self.output_phase * factor,
            [int(b * factor) for b in self.bytes_sent],
            self.field_bits,
            self.correct,
            extrapolated_from=self.elements,
        )


def free_port_block(count: int, attempts: int = 50) -> int:
    """A base port with `count` consecutive free loopback ports above it."""
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count >= 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free loopback ports")


def run_parties(
    parties: int, elements: int, timeout: float, logs: Path
) -> tuple[float, list[dict[str, Any]]]:
    """Every party as its own process; their reports, and the time from the first spawn to the last exit."""
    base = free_port_block(parties)
    processes: list[subprocess.Popen[str]] = []
    began = time.perf_counter()
    try:
        for index in range(parties):
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--party",
                "--elements",
                str(elements),
                "-M",
                str(parties),
                "-I",
                str(index),
                "-B",
                str(base),
                "--no-log",
            ]
            with (logs / f"party{index}.err").open("w") as err:
                processes.append(
                    subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
                )
        outputs = [
            process.communicate(timeout=max(1.0, timeout - (time.perf_counter() - began)))[0]
            for process in processes
        ]
        wall = time.perf_counter() - began
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    reports = []
    for index, (process, output) in enumerate(zip(processes, outputs, strict=True)):
        lines = [line for line in output.splitlines() if line.startswith("MPYC-RESULT ")]
        if process.returncode != 0 or not lines:
            error = (logs / f"party{index}.err").read_text()[-2000:]
            raise RuntimeError(f"MPyC party {index} failed (exit {process.returncode}): {error}")
        reports.append(json.loads(lines[-1].removeprefix("MPYC-RESULT ")))
    return wall, reports


def run_once(parties: int, elements: int, timeout: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="mpyc-bench-") as directory:
        wall, reports = run_parties(parties, elements, timeout, Path(directory))
    reports.sort(key=lambda report: report["pid"])
    expected = list(expected_digest(parties, elements))
    return Run(
        elements=elements,
        wall=wall,
        secure_sum=max(report["secure_sum"] for report in reports),
        input_phase=max(report["input"] for report in reports),
        output_phase=max(report["sum_output"] for report in reports),
        bytes_sent=[report["bytes_sent"] for report in reports],
        field_bits=reports[0]["field_bits"],
        correct=all(report["digest"] == expected for report in reports),
    )


def measure(parties: int, sizes: list[int], limit: float) -> list[Run]:
    runs: list[Run] = []
    for elements in sorted(sizes):
        previous = runs[-1] if runs else None
        if previous is not None and previous.scaled(elements).wall > limit:
            measured = [run for run in runs if run.extrapolated_from is None]
            runs.append(measured[-1].scaled(elements))
            print(f"  {elements:,} elements: extrapolated from {runs[-1].extrapolated_from:,}", flush=True)
            continue
        run = run_once(parties, elements, timeout=3 * limit)
        print(f"  {elements:,} elements: {run.wall:.1f} s wall, correct={run.correct}", flush=True)
        runs.append(run)
    return runs


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def table(runs: list[Run]) -> str:
    header = [
        "elements",
        "measured",
        "wall (spawn to exit)",
        "secure sum (connected to opened)",
        "input phase",
        "add + output phase",
        "bytes sent per party (mean)",
        "per element",
        "ratio to raw 8 B/elem",
        "result correct",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        mean_sent = sum(run.bytes_sent) / len(run.bytes_sent)
        how = (
            "yes"
            if run.extrapolated_from is None
            else f"EXTRAPOLATED (linear, from {run.extrapolated_from:,})"
        )
        correct = ("yes" if run.correct else "NO") if run.extrapolated_from is None else "-"
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{run.elements:,}",
                    how,
                    f"{run.wall:.2f} s",
                    f"{run.secure_sum:.2f} s",
                    f"{run.input_phase:.2f} s",
                    f"{run.output_phase:.2f} s",
                    mib(mean_sent),
                    f"{mean_sent / run.elements:.1f} B",
                    f"{mean_sent / run.elements / 8:.1f}x",
                    correct,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def section(runs: list[Run], parties: int) -> str:
    import mpyc

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores (load average {load}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, MPyC {mpyc.__version__}"
    )
    field_bits = runs[0].field_bits
    return "\n".join(
        [
            START,
            "## MPyC secure sum, the reference peer (`bench/mpyc_sum.py`)",
            "",
            f"Machine: {machine}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            f"{parties} MPyC parties, each its own process on localhost ports, all parties are input parties;",
            f"each holds a vector of {VALUE_BITS}-bit non-negative integers; secure type SecInt({SECINT_BITS})",
            f"(a {field_bits}-bit prime field), threshold t = {(parties - 1) // 2}; secure NumPy arrays.",
            "",
            table(runs),
            "",
            "Wall time runs from spawning the first party to the exit of the last (interpreter start, imports,",
            "input generation, connecting and shutdown included); the secure sum runs from all connections",
            "up to the opened sum (the slowest party). Input phase: every party Shamir-shares its vector with",
            f"the {parties - 1} others; output phase: local addition, then every party sends its share of the sum",
            f"to the {parties - 1} others. Bytes are MPyC's counters of what each party wrote to its {parties - 1}",
            "peers, frame headers included. Extrapolated rows (if any) scale the largest measured size",
            "linearly, keeping its start-up time; they are not measurements.",
            END,
        ]
    )


def main() -> None:
    if "--party" in sys.argv:
        sys.argv.remove("--party")
        index = sys.argv.index("--elements")
        elements = int(sys.argv[index + 1])
        del sys.argv[index : index + 2]
        run_party(elements)
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated vector lengths")
    parser.add_argument("--parties", type=int, default=10)
    parser.add_argument("--limit", type=float, default=600.0, help="longest run (s) to attempt")
    parser.add_argument("--json", type=Path, help="also write the runs as JSON here (read by bench/e2e.py)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"MPyC secure sum, {args.parties} parties, sizes {sizes}", flush=True)
    runs = measure(args.parties, sizes, args.limit)
    text = section(runs, args.parties)
    print(text)
    write_section(START, END, text)
    if args.json:
        args.json.write_text(json.dumps([run.__dict__ for run in runs]))


if __name__ == "__main__":
    main()
