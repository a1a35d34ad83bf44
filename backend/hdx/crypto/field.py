"""Vectorized arithmetic in the prime field mod p = 2^61-1, on numpy uint64 arrays.

Elements are canonical (0 <= x < p). Products of two 61-bit values need 122 bits, so they are
split into limbs whose partial products fit 64 bits and folded back with 2^61 = 1 (mod p).
Hot kernels work on chunks that stay in the CPU cache: numpy passes over cached data are several
times faster than passes over main memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from hdx.crypto.errors import ParameterError

FIELD_PRIME = (1 << 61) - 1
P127 = (1 << 127) - 1
CHUNK = 16384
# Each vector adds less than 2^53 to a limb accumulator, which must stay below 2^63.
MAX_COMBINED = 1024
_SMALL_WEIGHT_LIMIT = 1 << 31

U64Array = NDArray[np.uint64]

_P = np.uint64(FIELD_PRIME)
_M19 = np.uint64((1 << 19) - 1)
_M21 = np.uint64((1 << 21) - 1)
_M29 = np.uint64((1 << 29) - 1)
_M30 = np.uint64((1 << 30) - 1)
_M31 = np.uint64((1 << 31) - 1)
_M32 = np.uint64((1 << 32) - 1)
_M40 = np.uint64((1 << 40) - 1)


def _u(value: int) -> np.uint64:
    return np.uint64(value)


def reduce_u64(x: U64Array) -> U64Array:
    """Any uint64 values to canonical residues mod p."""
    folded = (x & _P) + (x >> _u(61))
    canonical: U64Array = np.minimum(folded, folded - _P)
    return canonical


def add_mod(a: U64Array, b: U64Array) -> U64Array:
    total = a + b
    # Unsigned wrap-around makes total - p huge exactly when total < p.
    canonical: U64Array = np.minimum(total, total - _P)
    return canonical


def sub_mod(a: U64Array, b: U64Array) -> U64Array:
    return add_mod(a, _P - b)


def neg_mod(a: U64Array) -> U64Array:
    return reduce_u64(_P - a)


def mul_mod(a: U64Array, b: U64Array) -> U64Array:
    """Elementwise a*b mod p for canonical a, b (32/29-bit limbs, 2^64 = 8 mod p)."""
    a_hi, a_lo = a >> _u(32), a & _M32
    b_hi, b_lo = b >> _u(32), b & _M32
    high = (a_hi * b_hi) << _u(3)
    middle = a_hi * b_lo + a_lo * b_hi
    low = a_lo * b_lo
    # middle * 2^32 = (middle >> 29) * 2^61 + (middle mod 2^29) * 2^32
    total = high + (middle >> _u(29)) + ((middle & _M29) << _u(32)) + (low & _P) + (low >> _u(61))
    return reduce_u64(total)


def sum_mod(vectors: Sequence[U64Array]) -> U64Array:
    """Elementwise sum mod p of canonical vectors of one length (a party's partial sum of shares)."""
    length = _check_vectors([1] * len(vectors), vectors)
    total = vectors[0].copy()
    scratch = np.empty(length, dtype=np.uint64)
    for vector in vectors[1:]:
        np.add(total, vector, out=total)
        np.subtract(total, _P, out=scratch)
        # Unsigned wrap-around makes total - p huge exactly when total < p.
        np.minimum(total, scratch, out=total)
    return total


def check_field_elements(x: U64Array, what: str) -> None:
    if x.dtype != np.uint64 or x.ndim != 1:
        raise ParameterError(f"{what} must be a 1-dimensional uint64 array of field elements")
    if x.size and int(x.max()) >= FIELD_PRIME:
        raise ParameterError(f"{what} holds values outside the field mod 2^61-1")


def _limbs21(value: int) -> tuple[np.uint64, np.uint64, np.uint64]:
    return _u(value & 0x1FFFFF), _u((value >> 21) & 0x1FFFFF), _u(value >> 42)


def _check_vectors(coefficients: Sequence[int], vectors: Sequence[U64Array]) -> int:
    if len(coefficients) != len(vectors) or not vectors:
        raise ParameterError("a linear combination needs one coefficient per vector and at least one vector")
    if len(vectors) > MAX_COMBINED:
        raise ParameterError(f"a linear combination accumulates at most {MAX_COMBINED} vectors at a time")
    length = int(vectors[0].shape[0])
    if any(v.shape != (length,) or v.dtype != np.uint64 for v in vectors):
        raise ParameterError("the vectors of a linear combination must be uint64 and of one length")
    return length


def linear_combination(coefficients: Sequence[int], vectors: Sequence[U64Array]) -> U64Array:
    """sum_j c_j * v_j mod p for integer coefficients and canonical vectors of equal length.

    Each vector is split as v = hi * 2^30 + lo and each constant (c and c * 2^30) into 21-bit
    limbs, so every partial product is below 2^52 and a thousand of them can be accumulated per
    limb before one final fold mod p.
    """
    length = _check_vectors(coefficients, vectors)
    limbs = [(_limbs21(c % FIELD_PRIME), _limbs21((c << 30) % FIELD_PRIME)) for c in coefficients]
    out = np.empty(length, dtype=np.uint64)
    size = min(CHUNK, length)
    acc = np.empty((3, size), dtype=np.uint64)
    lo, hi, prod = (np.empty(size, dtype=np.uint64) for _ in range(3))
    for start in range(0, length, CHUNK):
        stop = min(start + CHUNK, length)
        width = stop - start
        a, x, y, t = acc[:, :width], lo[:width], hi[:width], prod[:width]
        a.fill(0)
        for (lo_limbs, hi_limbs), vector in zip(limbs, vectors, strict=True):
            chunk = vector[start:stop]
            np.bitwise_and(chunk, _M30, out=x)
            np.right_shift(chunk, _u(30), out=y)
            for k in range(3):
                np.multiply(x, lo_limbs[k], out=t)
                np.add(a[k], t, out=a[k])
                np.multiply(y, hi_limbs[k], out=t)
                np.add(a[k], t, out=a[k])
        _fold_limbs(a, out[start:stop], t, x)
    return out


def _fold_limbs(acc: U64Array, out: U64Array, t: U64Array, u: U64Array) -> None:
    """out = acc[0] + acc[1] * 2^21 + acc[2] * 2^42 mod p, each acc below 2^63."""
    # acc * 2^s = (acc >> (61 - s)) * 2^61 + (acc mod 2^(61 - s)) * 2^s, and 2^61 = 1 mod p.
    np.bitwise_and(acc[0], _P, out=out)
    np.right_shift(acc[0], _u(61), out=t)
    np.add(out, t, out=out)
    for row, shift, mask in ((1, 21, _M40), (2, 42, _M19)):
        np.right_shift(acc[row], _u(61 - shift), out=t)
        np.add(out, t, out=out)
        np.bitwise_and(acc[row], mask, out=t)
        np.left_shift(t, _u(shift), out=t)
        np.add(out, t, out=out)
    _canonical(out, t, u)


def lagrange_weights(points: Sequence[int], at: int = 0) -> tuple[list[int], int]:
    """Integers w_j and d > 0 with L_j(at) = w_j / d exactly, over the rationals."""
    if len(set(points)) != len(points):
        raise ParameterError(f"interpolation points must be distinct, got {list(points)}")
    fractions = []
    for xj in points:
        basis = Fraction(1)
        for xm in points:
            if xm != xj:
                basis *= Fraction(at - xm, xj - xm)
        fractions.append(basis)
    denominator = math.lcm(*(f.denominator for f in fractions))
    return [int(f * denominator) for f in fractions], denominator


def interpolate(points: Sequence[int], vectors: Sequence[U64Array], at: int = 0) -> U64Array:
    """f(at) mod p for the polynomial of degree < len(points) with f(points[j]) = vectors[j].

    Party indices are small, so the Lagrange weights are ratios of small integers; then the
    vectors are combined with those integers (two products per element instead of six) and the
    common denominator is divided out once at the end.
    """
    weights, denominator = lagrange_weights(points, at)
    if len(vectors) * max(abs(w) for w in weights) > _SMALL_WEIGHT_LIMIT:
        inverse = pow(denominator, -1, FIELD_PRIME)
        return linear_combination([w * inverse for w in weights], vectors)
    combined = _small_combination(weights, vectors)
    if denominator == 1:
        return combined
    return linear_combination([pow(denominator, -1, FIELD_PRIME)], [combined])


def _small_combination(weights: Sequence[int], vectors: Sequence[U64Array]) -> U64Array:
    """sum_j w_j * v_j mod p for signed integers with len(w) * max|w_j| <= 2^31.

    With v = hi * 2^30 + lo, the signed sums of w * lo and w * hi stay below 2^62 in magnitude, so
    uint64 two's-complement arithmetic holds them exactly; adding 4p then makes them nonnegative.
    """
    length = _check_vectors(weights, vectors)
    out = np.empty(length, dtype=np.uint64)
    size = min(CHUNK, length)
    low_sum, high_sum, part, spare = (np.empty(size, dtype=np.uint64) for _ in range(4))
    signed = [_u(w % (1 << 64)) for w in weights]
    offset = _u(4 * FIELD_PRIME)
    for start in range(0, length, CHUNK):
        stop = min(start + CHUNK, length)
        width = stop - start
        lo, hi, t, u = low_sum[:width], high_sum[:width], part[:width], spare[:width]
        lo.fill(0)
        hi.fill(0)
        for weight, vector in zip(signed, vectors, strict=True):
            chunk = vector[start:stop]
            np.bitwise_and(chunk, _M30, out=t)
            np.multiply(t, weight, out=t)
            np.add(lo, t, out=lo)
            np.right_shift(chunk, _u(30), out=t)
            np.multiply(t, weight, out=t)
            np.add(hi, t, out=hi)
        np.add(lo, offset, out=lo)
        np.add(hi, offset, out=hi)
        result = out[start:stop]
        np.bitwise_and(lo, _P, out=result)
        np.right_shift(lo, _u(61), out=t)
        np.add(result, t, out=result)
        # hi * 2^30 = (hi >> 31) * 2^61 + (hi mod 2^31) * 2^30, and 2^61 = 1 mod p.
        np.right_shift(hi, _u(31), out=t)
        np.add(result, t, out=result)
        np.bitwise_and(hi, _M31, out=t)
        np.left_shift(t, _u(30), out=t)
        np.add(result, t, out=result)
        _canonical(result, t, u)
    return out


def _canonical(values: U64Array, t: U64Array, u: U64Array) -> None:
    """Reduce values below 2^63 to canonical residues in place (t, u: scratch of the same size)."""
    np.bitwise_and(values, _P, out=t)
    np.right_shift(values, _u(61), out=u)
    np.add(t, u, out=values)
    np.subtract(values, _P, out=t)
    np.minimum(values, t, out=values)


def lagrange_coefficients(points: Sequence[int], at: int = 0, modulus: int = FIELD_PRIME) -> list[int]:
    """Coefficients L_j(at) with f(at) = sum_j L_j(at) * f(points[j]) for deg f < len(points)."""
    residues = [x % modulus for x in points]
    if len(set(residues)) != len(residues):
        raise ParameterError(f"interpolation points must be distinct, got {list(points)}")
    coefficients = []
    for j, xj in enumerate(residues):
        numerator, denominator = 1, 1
        for m, xm in enumerate(residues):
            if m != j:
                numerator = numerator * (at - xm) % modulus
                denominator = denominator * (xj - xm) % modulus
        coefficients.append(numerator * pow(denominator, -1, modulus) % modulus)
    return coefficients
