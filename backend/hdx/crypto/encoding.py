"""Fixed-point encoding of bounded real vectors, and signed integers in Z_p and Z_2^64.

A real x becomes round(x * 2^F) after clipping to the analysis' declared bounds; the number of
clipped values is reported so that results can say how much was clipped. Signed integers embed
into Z_p (p = 2^61-1) as x mod p and into Z_2^64 as two's complement; decoding takes the centered
lift, which is exact as long as the aggregate's magnitude stays below half the modulus.
check_capacity refuses parameters for which that could fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdx.crypto.errors import CapacityError, EncodingError, ParameterError
from hdx.crypto.field import FIELD_PRIME

RING_MODULUS = 1 << 64
# Encoded values stay within int64 with room to add a few of them before any embedding.
_MAX_ENCODED = 1 << 62
_HALF_P = FIELD_PRIME // 2

I64Array = NDArray[np.int64]
U64Array = NDArray[np.uint64]
F64Array = NDArray[np.float64]


@dataclass(frozen=True)
class Encoded:
    values: I64Array
    clipped: int


def _bounds(bound: float | tuple[float, float]) -> tuple[float, float]:
    lower, upper = (-bound, bound) if isinstance(bound, int | float) else bound
    if not (math.isfinite(lower) and math.isfinite(upper)) or lower > upper:
        raise ParameterError(f"bounds must be finite with lower <= upper, got {bound!r}")
    return float(lower), float(upper)


def max_encoded(bound: float | tuple[float, float], frac_bits: int) -> int:
    """The largest magnitude an encoded value within these bounds can have."""
    lower, upper = _bounds(bound)
    return math.ceil(max(abs(lower), abs(upper)) * 2.0**frac_bits)


def encode(x: ArrayLike, frac_bits: int, bound: float | tuple[float, float]) -> Encoded:
    """round(x * 2^F) after clipping x to `bound` ([-bound, bound] or (lower, upper))."""
    if not 0 <= frac_bits <= 52:
        raise ParameterError(f"frac_bits must be between 0 and 52, got {frac_bits}")
    lower, upper = _bounds(bound)
    if max_encoded((lower, upper), frac_bits) >= _MAX_ENCODED:
        raise EncodingError(f"bounds {bound!r} with {frac_bits} fractional bits overflow 62-bit integers")
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1:
        raise EncodingError(f"encode takes a 1-dimensional vector, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise EncodingError("cannot encode NaN or infinite values; filter missing values first")
    clipped = int(np.count_nonzero((values < lower) | (values > upper)))
    scaled = np.rint(np.clip(values, lower, upper) * 2.0**frac_bits)
    return Encoded(values=scaled.astype(np.int64), clipped=clipped)


def decode(values: I64Array, frac_bits: int) -> F64Array:
    return values.astype(np.float64) / 2.0**frac_bits


def _check_signed(values: I64Array, limit: int, where: str) -> None:
    if values.dtype != np.int64:
        raise ParameterError(f"expected an int64 array, got dtype {values.dtype}")
    if values.size and max(abs(int(values.min())), abs(int(values.max()))) > limit:
        raise CapacityError(f"values exceed the centered range of {where}")


def to_field(values: I64Array) -> U64Array:
    """Signed integers with |v| <= (p-1)/2 as canonical residues mod p."""
    _check_signed(values, _HALF_P, "the field mod 2^61-1")
    return np.where(values < 0, values + FIELD_PRIME, values).astype(np.uint64)


def from_field(residues: U64Array) -> I64Array:
    """Centered lift: residues above (p-1)/2 stand for negative integers."""
    signed = residues.astype(np.int64)
    return np.where(residues > _HALF_P, signed - FIELD_PRIME, signed)


def to_ring(values: I64Array) -> U64Array:
    """Signed integers as elements of Z_2^64 (two's complement)."""
    if values.dtype != np.int64:
        raise ParameterError(f"expected an int64 array, got dtype {values.dtype}")
    return values.view(np.uint64)


def from_ring(elements: U64Array) -> I64Array:
    """Centered lift from Z_2^64: the two's-complement reading."""
    return elements.view(np.int64)


def check_capacity(
    n_parties: int, max_rows: int, max_abs_element: int, modulus: int, headroom_bits: int = 1
) -> None:
    """Refuse parameters whose aggregate could wrap around the modulus.

    The sum over all parties is at most n_parties * max_rows * max_abs_element in magnitude; the
    centered lift recovers it only below modulus / 2, and `headroom_bits` keep a further margin.
    """
    if min(n_parties, max_rows) < 1 or max_abs_element < 0 or headroom_bits < 0 or modulus < 3:
        raise ParameterError("capacity check needs positive party and row counts and a modulus >= 3")
    worst = n_parties * max_rows * max_abs_element
    limit = (modulus - 1) // 2 >> headroom_bits
    if worst > limit:
        raise CapacityError(
            f"the aggregate could reach {worst} in magnitude ({n_parties} parties x {max_rows} rows x "
            f"{max_abs_element}), above the limit {limit} of a modulus of {modulus.bit_length()} bits "
            f"with {headroom_bits} bit(s) of headroom; narrow the bounds, lower the fixed-point "
            "precision or use fewer rows"
        )
