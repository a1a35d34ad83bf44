import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.encoding import (
    RING_MODULUS,
    check_capacity,
    decode,
    encode,
    from_field,
    from_ring,
    max_encoded,
    to_field,
    to_ring,
)
from hdx.crypto.errors import CapacityError, EncodingError, ParameterError
from hdx.crypto.field import FIELD_PRIME, add_mod

HALF_P = (FIELD_PRIME - 1) // 2


@settings(max_examples=100)
@given(st.data())
def test_encode_decode_round_trips_within_resolution(data: st.DataObject) -> None:
    frac_bits = data.draw(st.integers(0, 30))
    bound = data.draw(st.floats(1e-3, 1e6))
    x = data.draw(st.lists(st.floats(-bound, bound), max_size=30))
    encoded = encode(x, frac_bits, bound)
    assert encoded.clipped == 0
    assert np.all(np.abs(decode(encoded.values, frac_bits) - np.array(x)) <= 2.0 ** -(frac_bits + 1))


@settings(max_examples=60)
@given(st.lists(st.floats(-1e9, 1e9), max_size=40), st.floats(-100, 0), st.floats(0, 100))
def test_values_are_clipped_to_the_bounds_and_counted(x: list[float], lower: float, upper: float) -> None:
    encoded = encode(x, 8, (lower, upper))
    assert encoded.clipped == sum(1 for v in x if v < lower or v > upper)
    decoded = decode(encoded.values, 8)
    assert np.all(decoded >= lower - 2**-9)
    assert np.all(decoded <= upper + 2**-9)


def test_unencodable_inputs_are_refused() -> None:
    with pytest.raises(EncodingError, match="NaN"):
        encode([1.0, float("nan")], 4, 10.0)
    with pytest.raises(EncodingError, match="overflow"):
        encode([1.0], 40, 1e9)
    with pytest.raises(ParameterError):
        encode([1.0], 4, (5.0, 1.0))
    assert max_encoded((-3.0, 2.5), 2) == 12


signed = st.integers(-HALF_P, HALF_P)


@settings(max_examples=60)
@given(st.lists(st.lists(signed, min_size=3, max_size=3), min_size=1, max_size=6))
def test_field_sums_lift_to_integer_sums_within_capacity(rows: list[list[int]]) -> None:
    bound = max(abs(v) for row in rows for v in row)
    try:
        check_capacity(len(rows), 1, bound, FIELD_PRIME, headroom_bits=0)
    except CapacityError:
        return
    total = to_field(np.array(rows[0], dtype=np.int64))
    for row in rows[1:]:
        total = add_mod(total, to_field(np.array(row, dtype=np.int64)))
    assert from_field(total).tolist() == [sum(col) for col in zip(*rows, strict=True)]


@settings(max_examples=60)
@given(st.lists(st.integers(-(1 << 63), (1 << 63) - 1), max_size=20))
def test_embeddings_round_trip(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert from_ring(to_ring(array)).tolist() == values
    assert all(int(u) == v % RING_MODULUS for u, v in zip(to_ring(array), values, strict=True))
    inside = np.clip(array, -HALF_P, HALF_P)
    assert from_field(to_field(inside)).tolist() == inside.tolist()


def test_field_embedding_refuses_values_outside_the_centered_range() -> None:
    with pytest.raises(CapacityError):
        to_field(np.array([HALF_P + 1], dtype=np.int64))


@pytest.mark.parametrize("modulus", [FIELD_PRIME, RING_MODULUS])
def test_capacity_limit_is_exact(modulus: int) -> None:
    limit = (modulus - 1) // 2 >> 1
    check_capacity(1, 1, limit, modulus)
    with pytest.raises(CapacityError, match="could reach"):
        check_capacity(1, 1, limit + 1, modulus)
    with pytest.raises(CapacityError):
        check_capacity(10, 100_000, 1 << 50, FIELD_PRIME)
    with pytest.raises(ParameterError):
        check_capacity(0, 1, 1, modulus)
