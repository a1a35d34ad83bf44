"""Shamir secret sharing: long vectors over p = 2^61-1 (numpy), short byte secrets over 2^127-1.

Party i (1-based) holds the evaluation at x = i of a random polynomial of degree t-1 whose
constant term is the secret. Vector polynomials are drawn in the Newton forward-difference basis:
f(x) = s + sum_k r_k * C(x, k). That basis is an invertible linear image of the monomial one, so
uniform r_k give exactly the uniform distribution over polynomials with f(0) = s, and f(1..n)
then follow from additions alone (a difference table), with no field multiplication.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import numpy as np

from hdx.crypto.errors import InconsistentSharesError, IntegrityError, ParameterError
from hdx.crypto.field import (
    CHUNK,
    FIELD_PRIME,
    MAX_COMBINED,
    P127,
    U64Array,
    check_field_elements,
    interpolate,
    lagrange_coefficients,
)
from hdx.crypto.prg import KeyStream, random_seed

_P = np.uint64(FIELD_PRIME)
_COEFFICIENT_LABEL = b"shamir-coefficients"
# Byte secrets are cut into 15-byte pieces so every piece is an element of the 127-bit field.
_PIECE_BYTES = 15
_ELEMENT_BYTES = 16
# Interpolation accumulates at most MAX_COMBINED vectors, so that bounds t and hence n.
MAX_PARTIES = MAX_COMBINED


def _check_parameters(threshold: int, parties: int) -> None:
    if not 1 <= threshold <= parties <= MAX_PARTIES:
        raise ParameterError(
            f"threshold and parties must satisfy 1 <= t <= n <= {MAX_PARTIES}, got t={threshold}, n={parties}"
        )


def share(vector: U64Array, threshold: int, parties: int, seed: bytes | None = None) -> list[U64Array]:
    """Shares of a vector of field elements; element i of the result belongs to party i + 1.

    `seed` makes the coefficients reproducible (tests, benchmarks); leave it None in production.
    """
    _check_parameters(threshold, parties)
    check_field_elements(vector, "the shared vector")
    degree = threshold - 1
    stream = KeyStream(seed if seed is not None else random_seed(), _COEFFICIENT_LABEL)
    length = vector.shape[0]
    shares = [np.empty(length, dtype=np.uint64) for _ in range(parties)]
    scratch = np.empty(min(CHUNK, length), dtype=np.uint64)
    coefficients = np.empty(degree * min(CHUNK, length), dtype=np.uint64)
    for start in range(0, length, CHUNK):
        stop = min(start + CHUNK, length)
        width = stop - start
        differences = coefficients[: degree * width].reshape(degree, width)
        stream.fill_field(differences)
        tmp = scratch[:width]
        current = vector[start:stop]
        for x in range(parties):
            out = shares[x][start:stop]
            if degree == 0:
                np.copyto(out, current)
                continue
            _add_mod_into(current, differences[0], out, tmp)
            current = out
            # Difference k + 1 first reaches a share k + 1 steps later: skip updates nobody reads.
            for k in range(min(degree - 1, parties - 1 - x)):
                _add_mod_into(differences[k], differences[k + 1], differences[k], tmp)
    return shares


def _add_mod_into(a: U64Array, b: U64Array, out: U64Array, tmp: U64Array) -> None:
    np.add(a, b, out=out)
    np.subtract(out, _P, out=tmp)
    # Unsigned wrap-around makes out - p huge exactly when out < p.
    np.minimum(out, tmp, out=out)


def _check_points(points: Sequence[int], count: int, threshold: int | None) -> None:
    if len(points) != count:
        raise ParameterError(f"got {len(points)} points for {count} shares")
    if len(set(points)) != len(points) or any(not 1 <= p <= MAX_PARTIES for p in points):
        raise ParameterError(
            f"share points must be distinct party indices 1..{MAX_PARTIES}, got {list(points)}"
        )
    if threshold is not None and not 1 <= threshold <= count:
        raise ParameterError(f"need at least t={threshold} >= 1 shares to reconstruct, got {count}")


def reconstruct(points: Sequence[int], shares: Sequence[U64Array], threshold: int | None = None) -> U64Array:
    """The shared vector, interpolated at 0.

    With `threshold` given, the first t shares are interpolated and every further share is checked
    to lie on the same degree-(t-1) polynomial; without it all shares are interpolated.
    """
    _check_points(points, len(shares), threshold)
    for share_vector in shares:
        check_field_elements(share_vector, "a share")
    basis = len(shares) if threshold is None else threshold
    if basis < len(shares):
        check_consistency(points, shares, basis)
    return interpolate(points[:basis], shares[:basis])


def check_consistency(points: Sequence[int], shares: Sequence[U64Array], threshold: int) -> None:
    """Raise InconsistentSharesError unless all shares lie on one polynomial of degree t-1."""
    _check_points(points, len(shares), threshold)
    base_points, base_shares = points[:threshold], shares[:threshold]
    off = [
        x
        for x, observed in zip(points[threshold:], shares[threshold:], strict=True)
        if not np.array_equal(interpolate(base_points, base_shares, at=x), observed)
    ]
    if off:
        raise InconsistentSharesError(
            f"shares are inconsistent: the shares of parties {off} do not lie on the degree-{threshold - 1} "
            f"polynomial through the shares of parties {list(base_points)}; at least one share was modified"
        )


def _evaluate(coefficients: Sequence[int], x: int, modulus: int) -> int:
    value = 0
    for c in reversed(coefficients):
        value = (value * x + c) % modulus
    return value


def share_bytes(secret: bytes, threshold: int, parties: int) -> list[bytes]:
    """Shares over 2^127-1 of a short secret (a 32-byte seed or private key); index i is party i + 1."""
    _check_parameters(threshold, parties)
    if not secret:
        raise ParameterError("cannot share an empty secret")
    pieces = [
        int.from_bytes(secret[i : i + _PIECE_BYTES], "big") for i in range(0, len(secret), _PIECE_BYTES)
    ]
    polynomials = [[piece] + [secrets.randbelow(P127) for _ in range(threshold - 1)] for piece in pieces]
    return [
        b"".join(_evaluate(poly, x, P127).to_bytes(_ELEMENT_BYTES, "big") for poly in polynomials)
        for x in range(1, parties + 1)
    ]


def reconstruct_bytes(
    points: Sequence[int], shares: Sequence[bytes], length: int = 32, threshold: int | None = None
) -> bytes:
    """The `length`-byte secret behind byte shares; with `threshold`, extra shares are checked."""
    _check_points(points, len(shares), threshold)
    elements = -(-length // _PIECE_BYTES)
    if any(len(s) != elements * _ELEMENT_BYTES for s in shares):
        raise IntegrityError(f"a share of a {length}-byte secret must be {elements * _ELEMENT_BYTES} bytes")
    values = [
        [int.from_bytes(s[k * _ELEMENT_BYTES : (k + 1) * _ELEMENT_BYTES], "big") for k in range(elements)]
        for s in shares
    ]
    if any(v >= P127 for row in values for v in row):
        raise IntegrityError("a share holds a value outside the field mod 2^127-1")
    basis = len(shares) if threshold is None else threshold
    weights = lagrange_coefficients(points[:basis], modulus=P127)
    checks = [(x, lagrange_coefficients(points[:basis], at=x, modulus=P127)) for x in points[basis:]]
    secret = bytearray()
    for k in range(elements):
        column = [row[k] for row in values]
        off = [
            x for (x, w), y in zip(checks, column[basis:], strict=True) if _dot(w, column[:basis], P127) != y
        ]
        if off:
            raise InconsistentSharesError(
                f"shares are inconsistent: the shares of parties {off} do not lie on the polynomial "
                f"through the shares of parties {list(points[:basis])}; at least one share was modified"
            )
        piece_bytes = min(_PIECE_BYTES, length - k * _PIECE_BYTES)
        piece = _dot(weights, column[:basis], P127)
        if piece >= 1 << (8 * piece_bytes):
            raise IntegrityError("the reconstructed secret is out of range: a share was modified")
        secret += piece.to_bytes(piece_bytes, "big")
    return bytes(secret)


def _dot(weights: Sequence[int], values: Sequence[int], modulus: int) -> int:
    return sum(w * v for w, v in zip(weights, values, strict=True)) % modulus
