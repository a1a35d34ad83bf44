"""The fixed-point plan: always within capacity, exact for integers, refused when nothing fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.analyses import Contribution
from hdx.crypto.encoding import RING_MODULUS, max_encoded
from hdx.crypto.errors import CapacityError
from hdx.crypto.field import FIELD_PRIME
from hdx.protocols import protocol_layout
from hdx.protocols.fixed_point import (
    HEADROOM_BITS,
    MAX_ROWS,
    MIN_FRAC_BITS,
    decode_sum,
    encode_contribution,
    plan,
)


@settings(max_examples=60, deadline=None)
@given(
    lo=st.floats(-1e4, 1e4),
    width=st.floats(1e-3, 1e4),
    parties=st.integers(2, 64),
    modulus=st.sampled_from([FIELD_PRIME, RING_MODULUS]),
    data=st.data(),
)
def test_the_sum_of_every_party_fits_and_decodes_to_resolution(
    lo: float, width: float, parties: int, modulus: int, data: st.DataObject
) -> None:
    params = {"variable": {"name": "x", "lo": lo, "hi": lo + width}}
    limit = ((modulus - 1) // 2) >> HEADROOM_BITS
    try:
        chosen = plan("variance", params, parties, modulus)
    except CapacityError:
        # Refused only when even the fewest fractional bits would overflow.
        widest = float(protocol_layout("variance", params).bounds[1:3].max())
        assert parties * max_encoded(widest, MIN_FRAC_BITS) > limit
        return
    assert chosen.frac_bits >= MIN_FRAC_BITS
    bounds = chosen.layout.bounds
    scales = np.where(chosen.layout.integer, 1.0, 2.0**chosen.frac_bits)
    # Exact integers: float products this large are off by a few units.
    assert parties * max(math.ceil(float(b) * float(s)) for b, s in zip(bounds, scales, strict=True)) <= limit
    fractions = data.draw(st.lists(st.floats(-1, 1), min_size=len(bounds), max_size=len(bounds)))
    vector = np.where(chosen.layout.integer, np.floor(np.abs(fractions) * 10), np.array(fractions) * bounds)
    encoded = encode_contribution(chosen, Contribution(vector, rows=10, clipped=0))
    decoded = decode_sum(chosen, encoded)
    assert np.all(np.abs(decoded - vector) <= np.where(chosen.layout.integer, 0, 2.0**-chosen.frac_bits))


def test_integer_only_layouts_travel_exactly() -> None:
    params = {"variable": {"name": "age", "lo": 0, "hi": 100}, "bins": 4}
    assert plan("histogram", params, 5, FIELD_PRIME).frac_bits == 0


def test_bounds_too_wide_for_the_field_are_refused() -> None:
    params = {"variable": {"name": "x", "lo": -1e12, "hi": 1e12}}
    with pytest.raises(CapacityError, match="fewer than 8 fractional bits"):
        plan("variance", params, 10, FIELD_PRIME)


def test_a_party_with_more_rows_than_the_encoding_allows_is_refused() -> None:
    chosen = plan("mean", {"variable": {"name": "x", "lo": 0, "hi": 1}}, 3, FIELD_PRIME)
    with pytest.raises(CapacityError, match="at most"):
        encode_contribution(chosen, Contribution(np.zeros(3), rows=MAX_ROWS + 1, clipped=0))
