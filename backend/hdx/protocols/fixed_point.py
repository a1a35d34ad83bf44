"""How an analysis' real-valued vector becomes integers every party and the exchange agree on.

Integer elements (counts) travel exactly, with no fractional bits. Real elements get the most fractional
bits F for which the sum over every party of the largest value the layout allows stays within the centered
range of the field or ring, with headroom. The layout is the analysis' own at MAX_ROWS rows per party:
its bounds already grow with the rows, so a party with more rows is refused rather than silently wrapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hdx.analyses import Contribution, Layout, get_analysis
from hdx.crypto import encoding
from hdx.crypto.errors import CapacityError

MAX_ROWS = 1 << 20
HEADROOM_BITS = 2
# Fewer fractional bits than this would make sums of real values too coarse to be worth releasing.
MIN_FRAC_BITS = 8
# float64 carries 53 bits: more fractional bits than this add nothing to values of moderate size.
MAX_FRAC_BITS = 40


@dataclass(frozen=True)
class EncodingPlan:
    layout: Layout
    frac_bits: int
    modulus: int

    @property
    def length(self) -> int:
        return len(self.layout)


def protocol_layout(analysis: str, params: dict[str, Any]) -> Layout:
    """The layout parties encode against; agents and the exchange derive it the same way."""
    chosen = get_analysis(analysis)
    return chosen.layout(chosen.parse(params), MAX_ROWS)


def plan(analysis: str, params: dict[str, Any], n_parties: int, modulus: int) -> EncodingPlan:
    """The fixed-point encoding for this computation, or CapacityError saying why none fits."""
    layout = protocol_layout(analysis, params)
    bounds, integer = layout.bounds, layout.integer
    limit = ((modulus - 1) // 2) >> HEADROOM_BITS
    if integer.any():
        encoding.check_capacity(
            n_parties, 1, math.ceil(float(bounds[integer].max())), modulus, headroom_bits=HEADROOM_BITS
        )
    if not (~integer).any():
        return EncodingPlan(layout, 0, modulus)
    widest = float(bounds[~integer].max())
    if widest == 0:
        return EncodingPlan(layout, MAX_FRAC_BITS, modulus)
    frac_bits = min(MAX_FRAC_BITS, math.floor(math.log2(limit / (n_parties * widest))))
    while frac_bits >= MIN_FRAC_BITS and n_parties * encoding.max_encoded(widest, frac_bits) > limit:
        frac_bits -= 1
    if frac_bits < MIN_FRAC_BITS:
        raise CapacityError(
            f"{analysis}: {n_parties} parties x {MAX_ROWS} rows with values up to {widest:g} per party leave "
            f"fewer than {MIN_FRAC_BITS} fractional bits in a modulus of {modulus.bit_length()} bits; "
            "narrow the variable bounds or use fewer parties"
        )
    return EncodingPlan(layout, frac_bits, modulus)


def encode_contribution(encoding_plan: EncodingPlan, contribution: Contribution) -> NDArray[np.int64]:
    """A party's vector as signed integers; refuses what the plan's capacity does not cover."""
    layout = encoding_plan.layout
    vector = np.asarray(contribution.vector, dtype=np.float64)
    if vector.shape != (len(layout),):
        raise CapacityError(f"the contribution has shape {vector.shape}, the layout {len(layout)} elements")
    if contribution.rows > MAX_ROWS:
        raise CapacityError(
            f"this party contributes {contribution.rows} rows; the secure encoding allows at most {MAX_ROWS}"
        )
    if not np.isfinite(vector).all():
        raise CapacityError("the contribution holds non-finite values")
    over = np.flatnonzero(np.abs(vector) > layout.bounds)
    if over.size:
        names = ", ".join(layout.names[i] for i in over[:5])
        # Clipping here would change the result silently; the analysis' bounds should have prevented it.
        raise CapacityError(f"contribution elements exceed their declared bounds: {names}")
    scaled = np.where(layout.integer, vector, np.ldexp(vector, encoding_plan.frac_bits))
    out: NDArray[np.int64] = np.rint(scaled).astype(np.int64)
    return out


def decode_sum(encoding_plan: EncodingPlan, values: NDArray[np.int64]) -> NDArray[np.float64]:
    floats = values.astype(np.float64)
    out: NDArray[np.float64] = np.where(
        encoding_plan.layout.integer, floats, np.ldexp(floats, -encoding_plan.frac_bits)
    )
    return out
