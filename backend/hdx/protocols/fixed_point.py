"""How an analysis' real-valued vector becomes integers every party and the exchange agree on.

Integer elements (counts) travel exactly, with no fractional bits. Real elements x become
v = round(x * 2^F) with one number F of fractional bits for the whole vector. The layout is the
analysis' own at MAX_ROWS rows per party: its bounds already grow with the rows, so a party with more
rows is refused rather than silently wrapped.

Two limbs. One field or ring element holds a sum up to `limit` = (modulus - 1) / 2 / 2^HEADROOM_BITS
(2^58 for p = 2^61 - 1, 2^61 for 2^64). With a single element per value, F is set by the widest bound
(a sum of squares at MAX_ROWS rows) and every other element gets the same absolute resolution 2^-F:
for a regression's X'X that is a relative error of 1e-9 on its small entries (the sum of a covariate
of values near 4), which an ill-conditioned X'X turns into errors of 1e-5 on the coefficients. So a
value that needs more room than one element offers travels as two limbs,
    v = high * 2^L + low,    0 <= low < 2^L,    high = floor(v / 2^L),
each summed like any element, and the exchange (or the recipient) recombines sum(high) * 2^L +
sum(low) exactly with Python integers. F is then the most fractional bits, up to MAX_FRAC_BITS, for
which every element fits in at most two limbs; L is per element, the fewest bits that let the sum of
the high limbs fit. Limbs are shared, masked or encrypted exactly like any other element.

What the split reveals: the layout (which elements are split, and L) follows from the public bounds.
Whoever learns the aggregate learns sum(high) and sum(low) separately rather than only their
combination: besides the exact sum, the number of carries out of the low limbs (0 to n - 1), which
depends on the parties' values modulo 2^(L - F). With the smallest L, those are the digits a single
element could not carry at all, far below the resolution any release needs.

The wire vector holds one element per layout element (the value, or its high limb), followed by the
low limbs of the split elements in layout order; `length` is its size. Distributed differential
privacy adds integer noise on the grid, which must stay one element per value (`limbs=1`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hdx.analyses import Contribution, Layout, get_analysis
from hdx.crypto import encoding
from hdx.crypto.errors import CapacityError
from hdx.privacy.modes import DpMode

if TYPE_CHECKING:
    from hdx.protocols.base import ExchangeContext, PartySetup

MAX_ROWS = 1 << 20
HEADROOM_BITS = 2
# Fewer fractional bits than this would make sums of real values too coarse to be worth releasing.
MIN_FRAC_BITS = 8
# float64 carries 53 bits: more fractional bits than this add nothing to values of moderate size.
MAX_FRAC_BITS = 40

I64Array = NDArray[np.int64]
F64Array = NDArray[np.float64]


@dataclass(frozen=True)
class EncodingPlan:
    layout: Layout
    frac_bits: int
    modulus: int
    # Per layout element: 0 for one element, else the bits L of its low limb.
    limb_bits: I64Array | None = field(default=None, compare=False)

    @property
    def split(self) -> I64Array:
        """The layout indexes of the elements that travel as two limbs."""
        if self.limb_bits is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.limb_bits).astype(np.int64)

    @property
    def length(self) -> int:
        """Elements on the wire: one per layout element plus one low limb per split element."""
        return len(self.layout) + int(self.split.size)

    def max_abs(self) -> int:
        """The largest magnitude any element of one party's wire vector can have."""
        return max(self.element_max_abs())

    def element_max_abs(self) -> list[int]:
        """The largest magnitude of each element of one party's wire vector, in wire order (public:
        it follows from the layout's declared bounds)."""
        bounds, integer = self.layout.bounds.tolist(), self.layout.integer.tolist()
        bits = self.limb_bits.tolist() if self.limb_bits is not None else [0] * len(bounds)
        head: list[int] = []
        low: list[int] = []
        for bound, is_integer, width in zip(bounds, integer, bits, strict=True):
            if is_integer:
                head.append(math.ceil(bound))
                continue
            value = encoding.max_encoded(bound, self.frac_bits)
            head.append(-(-value >> width) if width else value)
            if width:
                low.append((1 << width) - 1)
        return head + low


def protocol_layout(analysis: str, params: dict[str, Any]) -> Layout:
    """The layout parties encode against; agents and the exchange derive it the same way."""
    chosen = get_analysis(analysis)
    return chosen.layout(chosen.parse(params), MAX_ROWS)


def _limb_bits(n_parties: int, largest: int, limit: int, limbs: int) -> int | None:
    """0 when n values up to `largest` sum within `limit`; else the fewest low-limb bits L for which
    both limbs' sums do (with two limbs allowed); None when nothing fits."""
    if n_parties * largest <= limit:
        return 0
    if limbs < 2:
        return None
    width = 1
    while n_parties * -(-largest >> width) > limit:
        width += 1
    return width if n_parties * ((1 << width) - 1) <= limit else None


def plan(
    analysis: str, params: dict[str, Any], n_parties: int, modulus: int, *, limbs: int = 2
) -> EncodingPlan:
    """The fixed-point encoding for this computation, or CapacityError saying why none fits. `limbs`:
    the most elements one value may take (1 or 2)."""
    layout = protocol_layout(analysis, params)
    bounds, integer = layout.bounds, layout.integer
    limit = ((modulus - 1) // 2) >> HEADROOM_BITS
    if integer.any():
        encoding.check_capacity(
            n_parties, 1, math.ceil(float(bounds[integer].max())), modulus, headroom_bits=HEADROOM_BITS
        )
    if not (~integer).any():
        return EncodingPlan(layout, 0, modulus)
    real = sorted(set(bounds[~integer].tolist()))
    for frac_bits in range(MAX_FRAC_BITS, MIN_FRAC_BITS - 1, -1):
        widths = {b: _limb_bits(n_parties, encoding.max_encoded(b, frac_bits), limit, limbs) for b in real}
        if None not in widths.values():
            break
    else:
        raise CapacityError(
            f"{analysis}: {n_parties} parties x {MAX_ROWS} rows with values up to {real[-1]:g} per party leave "
            f"fewer than {MIN_FRAC_BITS} fractional bits in {limbs} element(s) of a modulus of "
            f"{modulus.bit_length()} bits; narrow the variable bounds or use fewer parties"
        )
    limb_bits = np.zeros(len(layout), dtype=np.int64)
    for bound, width in widths.items():
        if width:
            limb_bits[~integer & (bounds == bound)] = width
    return EncodingPlan(layout, frac_bits, modulus, limb_bits if limb_bits.any() else None)


def plan_for(item: PartySetup | ExchangeContext, modulus: int) -> EncodingPlan:
    """The plan of a running computation, as its parties and the exchange both derive it: every party
    that accepted counts, and distributed differential privacy keeps one element per value."""
    single = item.dp_mode == DpMode.distributed
    return plan(item.analysis, item.params, len(item.parties), modulus, limbs=1 if single else 2)


def encode_contribution(encoding_plan: EncodingPlan, contribution: Contribution) -> I64Array:
    """A party's wire vector; refuses what the plan's capacity does not cover."""
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
        names = ", ".join(layout.name(int(i)) for i in over[:5])
        # Clipping here would change the result silently; the analysis' bounds should have prevented it.
        raise CapacityError(f"contribution elements exceed their declared bounds: {names}")
    return encode_values(encoding_plan, vector)


def encode_values(encoding_plan: EncodingPlan, vector: F64Array) -> I64Array:
    """Real values on the plan's grid, split into limbs where the plan says (no bound checks: also
    re-encodes a noised sum).

    Exact in float64: scaling by 2^F and by 2^-L is exact, round and floor give integers, and the low
    limb is the low bits of a number of at most 53 significant bits, so the subtraction is exact too."""
    layout = encoding_plan.layout
    scaled = np.rint(np.where(layout.integer, vector, np.ldexp(vector, encoding_plan.frac_bits)))
    split = encoding_plan.split
    if not split.size:
        return scaled.astype(np.int64)
    assert encoding_plan.limb_bits is not None
    width = np.ldexp(1.0, encoding_plan.limb_bits[split])
    high = np.floor(scaled[split] / width)
    low = scaled[split] - high * width
    scaled[split] = high
    out: I64Array = np.concatenate([scaled, low]).astype(np.int64)
    return out


def decode_sum(encoding_plan: EncodingPlan, values: I64Array) -> F64Array:
    """The summed wire vector as reals: limbs recombined exactly (Python integers), then one rounding
    to float64 and an exact division by 2^F."""
    layout = encoding_plan.layout
    if values.shape != (encoding_plan.length,):
        raise CapacityError(f"expected {encoding_plan.length} summed elements, got shape {values.shape}")
    floats = values[: len(layout)].astype(np.float64)
    split = encoding_plan.split
    if split.size:
        assert encoding_plan.limb_bits is not None
        high, low = values[split].tolist(), values[len(layout) :].tolist()
        widths = encoding_plan.limb_bits[split].tolist()
        floats[split] = [float((h << w) + lo) for h, w, lo in zip(high, widths, low, strict=True)]
    out: F64Array = np.where(layout.integer, floats, np.ldexp(floats, -encoding_plan.frac_bits))
    return out
