"""Crypto kernel throughput beside the machine's floors (AES-256-CTR stream, memory bandwidth).

Run from the repository root: .venv/bin/python bench/kernels.py
Prints a table and replaces the kernels section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from results import cpu_model, write_section

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

from hdx.crypto import masking, shamir
from hdx.crypto.field import FIELD_PRIME
from hdx.crypto.prg import random_seed

ELEMENTS = 1_000_000
PARTIES = 10
THRESHOLD = 6
REPEATS = 11
BANDWIDTH_WORDS = 8 * ELEMENTS
START, END = "<!-- kernels:start -->", "<!-- kernels:end -->"


@dataclass
class Row:
    kernel: str
    inputs: str
    seconds: float
    rate: str
    floor: float | None
    target: str
    met: bool | None

    def cells(self) -> list[str]:
        ratio = f"{self.seconds / self.floor:.2f}x" if self.floor else "-"
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return [
            self.kernel,
            self.inputs,
            f"{self.seconds * 1e3:.2f} ms",
            self.rate,
            ratio,
            self.target,
            met,
        ]


def best(*runs: Callable[[], object]) -> list[float]:
    """Best time of each run over REPEATS rounds; the runs alternate within a round so that
    a burst of load from other processes hits a kernel and its floor alike."""
    for run in runs:
        run()
    times = [[] for _ in runs]
    for _ in range(REPEATS):
        for run, samples in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            samples.append(time.perf_counter() - start)
    return [min(samples) for samples in times]


def aes_stream() -> Callable[[], object]:
    """One AES-256-CTR keystream of ELEMENTS words into a preallocated buffer (the cheapest form)."""
    zeros, out = bytes(8 * ELEMENTS), bytearray(8 * ELEMENTS)
    key = os.urandom(32)
    return lambda: Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor().update_into(zeros, out)


def memory_bandwidth() -> float:
    """Bytes per second a numpy copy moves (read + write) between arrays far larger than the caches."""
    source = np.ones(BANDWIDTH_WORDS, dtype=np.uint64)
    target = np.empty_like(source)
    return 2 * source.nbytes / best(lambda: np.copyto(target, source))[0]


def measure() -> list[Row]:
    mb = 8 * ELEMENTS / 1e6
    stream = aes_stream()
    aes = best(stream)[0]
    bandwidth = memory_bandwidth()
    vector_bytes = 8 * ELEMENTS
    rows = [
        Row(
            "AES-256-CTR keystream",
            f"{mb:.0f} MB",
            aes,
            f"{mb / aes / 1e3:.2f} GB/s",
            None,
            "floor",
            None,
        ),
        Row(
            "numpy copy (memory floor)",
            f"{8 * BANDWIDTH_WORDS / 1e6:.0f} MB read + written",
            2 * 8 * BANDWIDTH_WORDS / bandwidth,
            f"{bandwidth / 1e9:.2f} GB/s",
            None,
            "floor",
            None,
        ),
    ]

    rng = np.random.default_rng(0)
    vector = rng.integers(0, 1 << 63, ELEMENTS, dtype=np.uint64)
    computation = uuid4()
    keys = {i: X25519PrivateKey.generate() for i in range(1, PARTIES + 1)}
    publics = {i: key.public_key() for i, key in keys.items()}
    pair_seeds = {j: masking.pair_seed(keys[1], publics[j], computation, 1, j) for j in range(2, PARTIES + 1)}
    self_seed = random_seed()
    streams = PARTIES
    seconds, aes_now = best(lambda: masking.mask(vector, 1, pair_seeds, self_seed), stream)
    rows.append(
        Row(
            "secagg mask, one party",
            f"{ELEMENTS:,} x u64, {PARTIES - 1} pair + 1 self streams",
            seconds,
            f"{ELEMENTS / seconds / 1e6:.1f} M elem/s",
            streams * aes_now,
            "<= 1.5x floor",
            seconds <= 1.5 * streams * aes_now,
        )
    )

    survivors = {i: random_seed() for i in range(1, PARTIES)}
    dropped = {PARTIES: keys[PARTIES]}
    unmask_streams = 2 * (PARTIES - 1)
    seconds, aes_now = best(lambda: masking.unmask(vector, computation, survivors, dropped, publics), stream)
    rows.append(
        Row(
            "secagg unmask, exchange",
            f"{PARTIES - 1} survivors, 1 dropout: {unmask_streams} streams",
            seconds,
            f"{ELEMENTS / seconds / 1e6:.1f} M elem/s",
            unmask_streams * aes_now,
            "report",
            None,
        )
    )

    secrets = rng.integers(0, FIELD_PRIME, ELEMENTS, dtype=np.uint64)
    seconds, aes_now = best(lambda: shamir.share(secrets, THRESHOLD, PARTIES), stream)
    rate = ELEMENTS / seconds
    rows.append(
        Row(
            "shamir share (p = 2^61-1)",
            f"{ELEMENTS:,} elements, t={THRESHOLD}, n={PARTIES}",
            seconds,
            f"{rate / 1e6:.1f} M elem/s",
            (THRESHOLD - 1) * aes_now + (PARTIES + 1) * vector_bytes / bandwidth,
            ">= 10 M elem/s",
            rate >= 10e6,
        )
    )

    shares = shamir.share(secrets, THRESHOLD, PARTIES)
    points = [2, 3, 5, 7, 8, 10]
    chosen = [shares[x - 1] for x in points]
    assert np.array_equal(shamir.reconstruct(points, chosen), secrets)
    (seconds,) = best(lambda: shamir.reconstruct(points, chosen))
    rate = ELEMENTS / seconds
    rows.append(
        Row(
            "shamir reconstruct",
            f"{ELEMENTS:,} elements from t={THRESHOLD} shares",
            seconds,
            f"{rate / 1e6:.1f} M elem/s",
            (THRESHOLD + 1) * vector_bytes / bandwidth,
            ">= 25 M elem/s",
            rate >= 25e6,
        )
    )
    return rows


def table(rows: list[Row]) -> str:
    header = [
        "kernel",
        "inputs",
        f"time (best of {REPEATS})",
        "rate",
        "ratio to floor",
        "target",
        "met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def section(rows: list[Row]) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores (load average {load}), "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    return "\n".join(
        [
            START,
            "## Crypto kernels (`bench/kernels.py`)",
            "",
            f"Machine: {machine}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            table(rows),
            "",
            "Floors: secagg = number of mask streams x one AES-256-CTR keystream of the vector's length",
            "(timed alternately with the kernel);",
            "share = (t-1) coefficient keystreams + reading the vector and writing n shares at the",
            "memory floor's bandwidth; reconstruct = reading t shares and writing one vector at that bandwidth.",
            END,
        ]
    )


def main() -> None:
    rows = measure()
    text = section(rows)
    print(text)
    write_section(START, END, text)


if __name__ == "__main__":
    main()
