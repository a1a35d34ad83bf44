"""Packed Paillier throughput (2048-bit keys) beside phe's unpacked encryption in the same run.

Run from the repository root: .venv/bin/python bench/paillier.py
Prints a table and replaces the paillier section of bench/RESULTS.md.

Kernels are timed in interleaved rounds (best round counts) so that load from other processes
affects the packed kernels and the unpacked reference alike.
"""

from __future__ import annotations

import os
import platform
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from phe.paillier import PaillierPublicKey
from results import cpu_model, write_section

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

from hdx.crypto.encoding import RING_MODULUS
from hdx.crypto.field import FIELD_PRIME
from hdx.crypto.paillier import (
    KEY_BITS,
    ObfuscatorPool,
    PackingSpec,
    add,
    decrypt_vector,
    encrypt_vector,
    encryption_threads,
    field_combination_spec,
    generate_keypair,
    scalar_multiply,
)
from hdx.protocols import fixed_point, paillier

PARTIES = 10
CIPHERTEXTS = 16
ROUNDS = 7
TARGET = 40.0
THREADS = encryption_threads()
START, END = "<!-- paillier:start -->", "<!-- paillier:end -->"
# Layouts the product encrypts (diabetes variables and bounds), planned for PARTIES parties.
DIABETES = {
    "age": (0, 120),
    "sex": (1, 2),
    "bmi": (10, 60),
    "bp": (40, 200),
    "s1": (50, 400),
    "s2": (20, 300),
    "s3": (10, 120),
    "s4": (1, 12),
    "s5": (2, 8),
    "s6": (40, 160),
}
LAYOUTS = [
    ("mean", "mean of bp", {"variable": {"name": "bp", "lo": 40, "hi": 200}}),
    (
        "histogram",
        "histogram of age, 50 bins",
        {"variable": {"name": "age", "lo": 19, "hi": 79}, "bins": 50},
    ),
    (
        "ols",
        "OLS, 10 covariates",
        {
            "outcome": {"name": "target", "lo": 0, "hi": 400},
            "covariates": [{"name": name, "lo": lo, "hi": hi} for name, (lo, hi) in DIABETES.items()],
        },
    ),
]


@dataclass
class Kernel:
    name: str
    inputs: str
    elements: int
    ciphertexts: int
    run: Callable[[], object]
    prepare: Callable[[], object] | None = None
    best: float = float("inf")

    def time_once(self) -> None:
        if self.prepare is not None:
            self.prepare()
        start = time.perf_counter()
        self.run()
        self.best = min(self.best, time.perf_counter() - start)

    @property
    def rate(self) -> float:
        return self.elements / self.best


@dataclass
class Row:
    kernel: Kernel
    reference: Kernel | None
    target: str
    met: bool | None

    def cells(self) -> list[str]:
        k = self.kernel
        ratio = f"{k.rate / self.reference.rate:.1f}x" if self.reference else "-"
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        per_ciphertext = f"{k.ciphertexts / k.best:,.1f}" if k.ciphertexts else "-"
        return [
            k.name,
            k.inputs,
            f"{k.best * 1e3:.1f} ms",
            per_ciphertext,
            f"{k.rate:,.0f}",
            ratio,
            self.target,
            met,
        ]


def random_vector(spec: PackingSpec, length: int) -> list[int]:
    return [secrets.randbelow(spec.value_limit + 1) for _ in range(length)]


def layout_encryption(public: PaillierPublicKey, label: str, analysis: str, params: dict[str, Any]) -> Kernel:
    """Packed encryption of one party's wire vector for a real layout, widths from its plan."""
    plan = fixed_point.plan(analysis, params, PARTIES, RING_MODULUS)
    spec = paillier.packing(plan, PARTIES)
    vector = [secrets.randbelow(2 * bound + 1) for bound in plan.element_max_abs()]
    per_vector = len(spec.chunks(KEY_BITS, len(vector)))
    # Short vectors fill less than one ciphertext: encrypt several so that a timing spans milliseconds.
    repeats = -(-CIPHERTEXTS // per_vector)
    widths = f"{min(spec.widths) + spec.headroom_bits}-{spec.slot_bits}-bit slots"
    return Kernel(
        f"packed encrypt, {label}",
        f"{repeats} x {len(vector)} elements, {widths}, {per_vector} ciphertext(s) per vector",
        repeats * len(vector),
        repeats * per_vector,
        lambda: [
            encrypt_vector(public, vector, spec, ObfuscatorPool(public, threads=1)) for _ in range(repeats)
        ],
    )


def measure() -> list[Row]:
    public, private = generate_keypair(KEY_BITS)
    wide = PackingSpec(value_bits=64, max_parties=PARTIES)
    narrow = PackingSpec(value_bits=32, max_parties=PARTIES)
    hybrid = field_combination_spec(PARTIES)

    numbers = random_vector(wide, CIPHERTEXTS)
    unpacked = Kernel(
        "phe encrypt(int), unpacked",
        f"{CIPHERTEXTS} x 64-bit ints",
        CIPHERTEXTS,
        CIPHERTEXTS,
        lambda: [public.encrypt(x) for x in numbers],
    )

    def encryption(spec: PackingSpec, label: str) -> tuple[Kernel, list[int]]:
        vector = random_vector(spec, CIPHERTEXTS * spec.slots(KEY_BITS))
        kernel = Kernel(
            f"packed encrypt, {label}",
            f"{len(vector)} elements, {spec.slot_bits}-bit slots, {spec.slots(KEY_BITS)} per ciphertext",
            len(vector),
            CIPHERTEXTS,
            lambda: encrypt_vector(public, vector, spec, ObfuscatorPool(public, threads=1)),
        )
        return kernel, vector

    wide_encrypt, wide_vector = encryption(wide, f"64-bit values, {PARTIES} parties")
    narrow_encrypt, _ = encryption(narrow, f"32-bit values, {PARTIES} parties")
    hybrid_encrypt, hybrid_vector = encryption(hybrid, f"hybrid partial sums mod p, t <= {PARTIES}")

    layouts = [layout_encryption(public, label, analysis, params) for analysis, label, params in LAYOUTS]

    # What an agent does by default: the exponentiations split between threads, one per CPU.
    threaded = [
        Kernel(
            f"packed encrypt, {label}, {THREADS} threads",
            f"{len(vector)} elements, as above",
            len(vector),
            CIPHERTEXTS,
            lambda vector=vector, spec=spec: encrypt_vector(
                public, vector, spec, ObfuscatorPool(public, THREADS)
            ),
        )
        for spec, vector, label in [
            (wide, wide_vector, "64-bit values"),
            (
                narrow,
                random_vector(narrow, CIPHERTEXTS * narrow.slots(KEY_BITS)),
                "32-bit values",
            ),
        ]
    ]

    pool = ObfuscatorPool(public)
    online = Kernel(
        "packed encrypt, obfuscators precomputed",
        f"64-bit values: online part only (r^n for {CIPHERTEXTS} ciphertexts filled beforehand)",
        len(wide_vector),
        CIPHERTEXTS,
        lambda: encrypt_vector(public, wide_vector, wide, pool),
        prepare=lambda: pool.fill(CIPHERTEXTS),
    )

    wide_packed = encrypt_vector(public, wide_vector, wide)
    aggregate = add(wide_packed, encrypt_vector(public, wide_vector, wide))
    unpacked_ciphertexts = [public.encrypt(x) for x in numbers]
    unpacked_decrypt = Kernel(
        "phe decrypt, unpacked",
        f"{CIPHERTEXTS} ciphertexts",
        CIPHERTEXTS,
        CIPHERTEXTS,
        lambda: [private.decrypt(c) for c in unpacked_ciphertexts],
    )
    packed_decrypt = Kernel(
        "packed decrypt, 64-bit values",
        f"sum of 2 parties, {len(wide_vector)} elements",
        len(wide_vector),
        CIPHERTEXTS,
        lambda: decrypt_vector(private, aggregate, wide),
    )

    # Additions take microseconds: repeat them so that each timing spans milliseconds.
    repeats = 50
    unpacked_add = Kernel(
        "phe EncryptedNumber + EncryptedNumber",
        f"{repeats} x {CIPHERTEXTS} pairs",
        repeats * CIPHERTEXTS,
        repeats * CIPHERTEXTS,
        lambda: [[c + c for c in unpacked_ciphertexts] for _ in range(repeats)],
    )
    packed_add = Kernel(
        "packed add (exchange), 64-bit values",
        f"{repeats} x {len(wide_vector)}-element vectors",
        repeats * len(wide_vector),
        repeats * CIPHERTEXTS,
        lambda: [add(wide_packed, wide_packed) for _ in range(repeats)],
    )
    hybrid_packed = encrypt_vector(public, hybrid_vector, hybrid)
    coefficient = FIELD_PRIME - 2
    packed_scale = Kernel(
        "packed scalar multiply (hybrid)",
        f"{len(hybrid_vector)} elements x 61-bit Lagrange coefficient",
        len(hybrid_vector),
        CIPHERTEXTS,
        lambda: scalar_multiply(hybrid_packed, coefficient),
    )

    kernels = [
        unpacked,
        wide_encrypt,
        narrow_encrypt,
        hybrid_encrypt,
        *layouts,
        *threaded,
        online,
        unpacked_decrypt,
        packed_decrypt,
        unpacked_add,
        packed_add,
        packed_scale,
    ]
    for _ in range(ROUNDS):
        for kernel in kernels:
            kernel.time_once()

    def versus(kernel: Kernel, reference: Kernel, gated: bool) -> Row:
        met = kernel.rate >= TARGET * reference.rate if gated else None
        return Row(kernel, reference, f">= {TARGET:.0f}x unpacked" if gated else "report", met)

    return [
        Row(unpacked, None, "reference", None),
        versus(wide_encrypt, unpacked, True),
        versus(narrow_encrypt, unpacked, True),
        versus(hybrid_encrypt, unpacked, False),
        *(
            versus(kernel, unpacked, analysis != "mean")
            for kernel, (analysis, _, _) in zip(layouts, LAYOUTS, strict=True)
        ),
        *(versus(kernel, unpacked, True) for kernel in threaded),
        versus(online, unpacked, False),
        Row(unpacked_decrypt, None, "reference", None),
        versus(packed_decrypt, unpacked_decrypt, False),
        Row(unpacked_add, None, "reference", None),
        versus(packed_add, unpacked_add, False),
        Row(packed_scale, None, "report", None),
    ]


def table(rows: list[Row]) -> str:
    header = [
        "kernel",
        "inputs",
        f"time (best of {ROUNDS})",
        "ciphertexts/s",
        "elements/s",
        "ratio to unpacked",
        "target",
        "met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def section(rows: list[Row]) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores (load average {load}), Python {platform.python_version()}, "
        f"phe {version('phe')}, gmpy2 {version('gmpy2')}"
    )
    return "\n".join(
        [
            START,
            "## Packed Paillier (`bench/paillier.py`)",
            "",
            f"Machine: {machine}. Key: {KEY_BITS} bits. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            table(rows),
            "",
            f"One thread per row except the {THREADS}-thread rows. Elements per second count vector elements; an unpacked ciphertext carries",
            "one element. A Paillier encryption costs one r^n mod n^2 whether it carries one element or a full",
            "packed plaintext, so the encryption ratio is close to the number of slots per ciphertext (29",
            "for 64-bit values and 10 parties, 55 for 32-bit values); 40x needs at least 40 slots, i.e. slots",
            "of at most 51 bits (value bits + ceil(log2 parties) + 1). The precomputed row leaves out r^n,",
            "which an agent can compute before its data is known; each obfuscator is used once.",
            "",
            f"The {THREADS}-thread rows are what an agent does by default (HDX_PAILLIER_THREADS, one thread per CPU, at most",
            "16): the nonces are split between threads and gmpy2's powmod_base_list releases the interpreter",
            "lock, so the exponentiations run on every core. phe's own encrypt holds the lock (gmpy2.powmod), so",
            "threads do not speed up the unpacked reference; its rate is one core's. Per core, 64-bit values stay",
            "at about 29x: the packing bound above.",
            "",
            "The mean, histogram and OLS rows encrypt the wire vectors the paillier protocol sends: the",
            f"product's encoding plan for {PARTIES} parties, each element in a slot sized by its own declared",
            "bound, slots packed in layout order without straddling ciphertexts. The histogram's counts",
            "(22-bit values, 27-bit slots) fit one ciphertext and meet 40x. OLS with 10 covariates packs its",
            "160 elements (81 counts, values or high limbs of 22-59 bits, 79 low limbs of 4-21 bits) into 4",
            "ciphertexts, exactly 40 elements each, so it sits on the target and timing noise decides the",
            "last digit; one width for all (64-bit slots) would take 6 ciphertexts, about 27x. The mean's",
            "vector has 4 elements, one ciphertext: no packing can give a short vector more than its length,",
            "so its row reports the rate and is not held to 40x.",
            END,
        ]
    )


def main() -> None:
    text = section(measure())
    print(text)
    write_section(START, END, text)


if __name__ == "__main__":
    main()
