import secrets

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import InconsistentSharesError, IntegrityError, ParameterError
from hdx.crypto.field import CHUNK, FIELD_PRIME, P127, lagrange_coefficients
from hdx.crypto.shamir import check_consistency, reconstruct, reconstruct_bytes, share, share_bytes

P = FIELD_PRIME
elements = st.one_of(st.sampled_from([0, 1, P - 1]), st.integers(0, P - 1))


@st.composite
def sharing(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    parties = draw(st.integers(1, 10))
    threshold = draw(st.integers(1, parties))
    vector = np.array(draw(st.lists(elements, max_size=40)), dtype=np.uint64)
    return vector, threshold, parties


@settings(max_examples=80, deadline=None)
@given(sharing(), st.data())
def test_any_t_shares_reconstruct(case: tuple[np.ndarray, int, int], data: st.DataObject) -> None:
    vector, threshold, parties = case
    shares = share(vector, threshold, parties)
    assert all(s.shape == vector.shape and (s.size == 0 or int(s.max()) < P) for s in shares)
    size = data.draw(st.integers(threshold, parties))
    points = data.draw(st.permutations(range(1, parties + 1)))[:size]
    chosen = [shares[x - 1] for x in points]
    assert np.array_equal(reconstruct(points, chosen, threshold=threshold), vector)
    assert np.array_equal(reconstruct(points, chosen), vector)


def test_long_vectors_cross_chunk_boundaries() -> None:
    vector = np.arange(2 * CHUNK + 13, dtype=np.uint64) * np.uint64(1 << 40)
    shares = share(vector, 3, 5, seed=bytes(32))
    assert np.array_equal(reconstruct([4, 2, 5, 1], [shares[3], shares[1], shares[4], shares[0]], 3), vector)


def _monomial(points: list[int], values: list[int]) -> list[int]:
    """Coefficients (constant first) of the polynomial of degree < len(points) through the points."""
    coefficients = [0] * len(points)
    for xj, yj in zip(points, values, strict=True):
        basis, denominator = [1], 1
        for xm in points:
            if xm != xj:
                basis = [(a - xm * b) % P for a, b in zip([0, *basis], [*basis, 0], strict=True)]
                denominator = denominator * (xj - xm) % P
        scale = yj * pow(denominator, -1, P) % P
        coefficients = [(c + scale * b) % P for c, b in zip(coefficients, basis, strict=True)]
    return coefficients


def _evaluate(coefficients: list[int], x: int) -> int:
    return sum(c * pow(x, k, P) for k, c in enumerate(coefficients)) % P


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_fewer_than_t_shares_fit_every_secret_equally(data: st.DataObject) -> None:
    parties = data.draw(st.integers(2, 8))
    threshold = data.draw(st.integers(2, parties))
    secret, other = data.draw(elements), data.draw(elements)
    shares = share(np.array([secret], dtype=np.uint64), threshold, parties)
    values = [int(s[0]) for s in shares]
    f = _monomial(list(range(1, threshold + 1)), values[:threshold])
    assert f[0] == secret
    assert all(_evaluate(f, x) == values[x - 1] for x in range(1, parties + 1))
    seen = data.draw(st.permutations(range(1, parties + 1)))[: threshold - 1]
    # delta vanishes on the t-1 seen points and is 1 at 0, so f -> f + (other - secret) * delta is a
    # bijection of coefficient choices mapping every polynomial hiding `secret` to one hiding
    # `other` with the very same seen shares: those shares carry no information about the secret.
    delta = _monomial([0, *seen], [1] + [0] * len(seen))
    g = [(a + (other - secret) * d) % P for a, d in zip(f, delta, strict=True)]
    assert len(g) == threshold
    assert g[0] == other
    assert all(_evaluate(g, x) == values[x - 1] for x in seen)
    assert [(a - (other - secret) * d) % P for a, d in zip(g, delta, strict=True)] == f


def test_single_shares_are_uniform_whatever_the_secret() -> None:
    for secret in (0, P - 1):
        vector = np.full(64_000, secret, dtype=np.uint64)
        observed = share(vector, 2, 3, seed=bytes(32))[1]
        counts = np.bincount((observed >> np.uint64(57)).astype(np.int64), minlength=16)
        chi2 = float(((counts - 4000) ** 2 / 4000).sum())
        assert chi2 < 37.7  # 0.1% critical value, 15 degrees of freedom; the seed is fixed


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_tampered_share_is_detected_with_more_than_t(data: st.DataObject) -> None:
    parties = data.draw(st.integers(2, 9))
    threshold = data.draw(st.integers(1, parties - 1))
    vector = np.array(data.draw(st.lists(elements, min_size=1, max_size=12)), dtype=np.uint64)
    shares = share(vector, threshold, parties)
    points = data.draw(st.permutations(range(1, parties + 1)))[
        : data.draw(st.integers(threshold + 1, parties))
    ]
    chosen = [shares[x - 1].copy() for x in points]
    victim = data.draw(st.integers(0, len(points) - 1))
    position = data.draw(st.integers(0, vector.size - 1))
    delta = data.draw(st.integers(1, P - 1))
    chosen[victim][position] = (int(chosen[victim][position]) + delta) % P
    with pytest.raises(InconsistentSharesError, match="inconsistent"):
        reconstruct(points, chosen, threshold=threshold)
    with pytest.raises(InconsistentSharesError):
        check_consistency(points, chosen, threshold)


def test_parameters_are_validated() -> None:
    vector = np.zeros(3, dtype=np.uint64)
    with pytest.raises(ParameterError, match="threshold"):
        share(vector, 4, 3)
    with pytest.raises(ParameterError, match="outside the field"):
        share(np.array([P], dtype=np.uint64), 2, 3)
    shares = share(vector, 2, 3)
    with pytest.raises(ParameterError, match="at least t=2"):
        reconstruct([1], shares[:1], threshold=2)
    with pytest.raises(ParameterError, match="distinct"):
        reconstruct([1, 1], shares[:2])
    with pytest.raises(ParameterError, match="party indices"):
        reconstruct([0, 1], shares[:2])
    with pytest.raises(ParameterError, match="1-dimensional"):
        share(np.zeros((2, 2), dtype=np.uint64), 2, 3)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.data())
def test_byte_secrets_reconstruct_from_any_t(secret: bytes, data: st.DataObject) -> None:
    parties = data.draw(st.integers(1, 8))
    threshold = data.draw(st.integers(1, parties))
    shares = share_bytes(secret, threshold, parties)
    points = data.draw(st.permutations(range(1, parties + 1)))[: data.draw(st.integers(threshold, parties))]
    chosen = [shares[x - 1] for x in points]
    assert reconstruct_bytes(points, chosen, len(secret), threshold) == secret


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_tampered_byte_shares_are_detected(data: st.DataObject) -> None:
    shares = share_bytes(secrets.token_bytes(32), 3, 5)
    victim, position = data.draw(st.integers(0, 3)), data.draw(st.integers(0, len(shares[0]) - 1))
    tampered = bytearray(shares[victim])
    tampered[position] ^= data.draw(st.integers(1, 255))
    chosen = [*shares[:4]]
    chosen[victim] = bytes(tampered)
    with pytest.raises(IntegrityError):
        reconstruct_bytes([1, 2, 3, 4], chosen, 32, threshold=3)


def test_byte_shares_have_field_elements_and_fixed_length() -> None:
    shares = share_bytes(bytes(32), 2, 3)
    assert {len(s) for s in shares} == {48}
    assert all(int.from_bytes(s[i : i + 16], "big") < P127 for s in shares for i in range(0, 48, 16))
    with pytest.raises(IntegrityError, match="48 bytes"):
        reconstruct_bytes([1, 2], [shares[0], shares[1][:-1]], 32)
    assert lagrange_coefficients([1, 2], modulus=P127) == [2, P127 - 1]
