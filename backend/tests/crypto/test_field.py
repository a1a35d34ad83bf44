import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import ParameterError
from hdx.crypto.field import (
    CHUNK,
    FIELD_PRIME,
    MAX_COMBINED,
    P127,
    _small_combination,
    add_mod,
    interpolate,
    lagrange_coefficients,
    lagrange_weights,
    linear_combination,
    mul_mod,
    neg_mod,
    reduce_u64,
    sub_mod,
    sum_mod,
)

P = FIELD_PRIME
EDGES = [0, 1, 2, P - 1, P - 2, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, (1 << 60), (1 << 29) - 1]
elements = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))
pairs = st.lists(st.tuples(elements, elements), min_size=1, max_size=60)


def _arrays(rows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([r[0] for r in rows], dtype=np.uint64)
    b = np.array([r[1] for r in rows], dtype=np.uint64)
    return a, b


@settings(max_examples=150)
@given(pairs)
def test_mul_mod_matches_python_ints(rows: list[tuple[int, int]]) -> None:
    a, b = _arrays(rows)
    assert mul_mod(a, b).tolist() == [x * y % P for x, y in rows]


@settings(max_examples=100)
@given(pairs)
def test_add_sub_neg_match_python_ints(rows: list[tuple[int, int]]) -> None:
    a, b = _arrays(rows)
    assert add_mod(a, b).tolist() == [(x + y) % P for x, y in rows]
    assert sub_mod(a, b).tolist() == [(x - y) % P for x, y in rows]
    assert neg_mod(a).tolist() == [-x % P for x, _ in rows]


@settings(max_examples=60)
@given(st.lists(st.lists(elements, min_size=4, max_size=4), min_size=1, max_size=12))
def test_sum_mod_matches_python_ints(rows: list[list[int]]) -> None:
    vectors = [np.array(r, dtype=np.uint64) for r in rows]
    assert sum_mod(vectors).tolist() == [sum(col) % P for col in zip(*rows, strict=True)]


@settings(max_examples=100)
@given(st.lists(st.integers(0, (1 << 64) - 1), min_size=1, max_size=50))
def test_reduce_u64_matches_python_ints(words: list[int]) -> None:
    assert reduce_u64(np.array(words, dtype=np.uint64)).tolist() == [w % P for w in words]


@settings(max_examples=100)
@given(st.data())
def test_linear_combination_matches_python_ints(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 8))
    length = data.draw(st.integers(1, 30))
    coefficients = data.draw(st.lists(st.integers(-(1 << 70), 1 << 70), min_size=count, max_size=count))
    rows = data.draw(
        st.lists(st.lists(elements, min_size=length, max_size=length), min_size=count, max_size=count)
    )
    vectors = [np.array(r, dtype=np.uint64) for r in rows]
    expected = [sum(c * r[i] for c, r in zip(coefficients, rows, strict=True)) % P for i in range(length)]
    assert linear_combination(coefficients, vectors).tolist() == expected


def test_linear_combination_worst_case_accumulation() -> None:
    # The largest coefficient and element in every one of the maximum number of vectors.
    vectors = [np.full(5, P - 1, dtype=np.uint64)] * MAX_COMBINED
    result = linear_combination([P - 1] * MAX_COMBINED, vectors)
    assert result.tolist() == [MAX_COMBINED * (P - 1) * (P - 1) % P] * 5
    with pytest.raises(ParameterError):
        linear_combination([1] * (MAX_COMBINED + 1), [vectors[0]] * (MAX_COMBINED + 1))


def test_linear_combination_across_chunks() -> None:
    rng = np.random.default_rng(7)
    length = 2 * CHUNK + 11
    vectors = [rng.integers(0, P, length, dtype=np.uint64) for _ in range(3)]
    coefficients = [5, P - 3, 1 << 60]
    result = linear_combination(coefficients, vectors)
    expected = sum(c * v.astype(object) for c, v in zip(coefficients, vectors, strict=True)) % P
    assert result.tolist() == expected.tolist()


@settings(max_examples=60)
@given(st.data())
def test_lagrange_coefficients_interpolate_any_polynomial(data: st.DataObject) -> None:
    modulus = data.draw(st.sampled_from([P, P127]))
    size = data.draw(st.integers(1, 8))
    points = data.draw(st.lists(st.integers(1, 1000), min_size=size, max_size=size, unique=True))
    poly = data.draw(st.lists(st.integers(0, modulus - 1), min_size=size, max_size=size))
    at = data.draw(st.integers(0, 1000))

    def f(x: int) -> int:
        return sum(c * x**k for k, c in enumerate(poly)) % modulus

    weights = lagrange_coefficients(points, at=at, modulus=modulus)
    assert sum(w * f(x) for w, x in zip(weights, points, strict=True)) % modulus == f(at)


def test_lagrange_rejects_repeated_points() -> None:
    with pytest.raises(ParameterError, match="distinct"):
        lagrange_coefficients([1, 2, 2])


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_interpolate_matches_python_ints(data: st.DataObject) -> None:
    # Small party indices take the small-integer-weight kernel, large ones the general one.
    top = data.draw(st.sampled_from([12, 70_000]))
    size = data.draw(st.integers(1, 7))
    points = data.draw(st.lists(st.integers(1, top), min_size=size, max_size=size, unique=True))
    at = data.draw(st.integers(0, top))
    length = data.draw(st.integers(1, 20))
    rows = data.draw(
        st.lists(st.lists(elements, min_size=length, max_size=length), min_size=size, max_size=size)
    )
    weights = lagrange_coefficients(points, at=at)
    expected = [sum(w * r[i] for w, r in zip(weights, rows, strict=True)) % P for i in range(length)]
    assert interpolate(points, [np.array(r, dtype=np.uint64) for r in rows], at=at).tolist() == expected


@settings(max_examples=60)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=8, unique=True), st.integers(-50, 50))
def test_lagrange_weights_are_the_exact_rational_coefficients(points: list[int], at: int) -> None:
    weights, denominator = lagrange_weights(points, at)
    assert denominator > 0
    inverse = pow(denominator, -1, P)
    assert [w * inverse % P for w in weights] == lagrange_coefficients(points, at=at)


def test_interpolate_worst_case_small_weights_across_chunks() -> None:
    # Fourteen points and values near p push the small-weight accumulators across a chunk boundary.
    points = list(range(1, 15))
    vectors = [np.full(CHUNK + 3, P - 1 - k, dtype=np.uint64) for k in range(len(points))]
    expected = sum(w * (P - 1 - k) for k, w in enumerate(lagrange_coefficients(points, at=0))) % P
    assert set(interpolate(points, vectors).tolist()) == {expected}


@pytest.mark.parametrize("weights", [[1 << 31], [-(1 << 31)], [-(1 << 30), 1 << 30], [-(1 << 29)] * 4])
def test_small_weight_kernel_at_its_bound(weights: list[int]) -> None:
    extremes = [0, 1, P - 1, (1 << 61) - 2, (1 << 30) - 1, ((1 << 31) - 1) << 30]
    vectors = [np.array(extremes, dtype=np.uint64)] * len(weights)
    expected = [sum(weights) * v % P for v in extremes]
    assert _small_combination(weights, vectors).tolist() == expected
