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
    MAX_FRAC_BITS,
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
    limbs=st.sampled_from([1, 2]),
    data=st.data(),
)
def test_the_sum_of_every_party_fits_and_decodes_to_resolution(
    lo: float, width: float, parties: int, modulus: int, limbs: int, data: st.DataObject
) -> None:
    params = {"variable": {"name": "x", "lo": lo, "hi": lo + width}}
    limit = ((modulus - 1) // 2) >> HEADROOM_BITS
    try:
        chosen = plan("variance", params, parties, modulus, limbs=limbs)
    except CapacityError:
        # Refused only when even the fewest fractional bits would overflow one element.
        widest = float(protocol_layout("variance", params).bounds[1:3].max())
        assert limbs == 1
        assert parties * max_encoded(widest, MIN_FRAC_BITS) > limit
        return
    assert MIN_FRAC_BITS <= chosen.frac_bits <= MAX_FRAC_BITS
    assert limbs == 2 or chosen.split.size == 0
    # Every wire element of every party, summed, stays within the centered range with headroom.
    assert parties * chosen.max_abs() <= limit
    bounds = chosen.layout.bounds
    fractions = data.draw(st.lists(st.floats(-1, 1), min_size=len(bounds), max_size=len(bounds)))
    vector = np.where(chosen.layout.integer, np.floor(np.abs(fractions) * 10), np.array(fractions) * bounds)
    encoded = encode_contribution(chosen, Contribution(vector, rows=10, clipped=0))
    assert encoded.shape == (chosen.length,)
    assert int(np.abs(encoded).max()) <= chosen.max_abs()
    decoded = decode_sum(chosen, encoded)
    assert np.all(np.abs(decoded - vector) <= np.where(chosen.layout.integer, 0, 2.0**-chosen.frac_bits))


def test_two_limbs_give_real_sums_the_most_fractional_bits() -> None:
    params = {"variable": {"name": "x", "lo": 0, "hi": 400}}
    one, two = (plan("variance", params, 5, FIELD_PRIME, limbs=limbs) for limbs in (1, 2))
    # A centred sum of squares of values up to 400 at 2^20 rows: 5 parties leave one element 20
    # fractional bits.
    assert (one.frac_bits, one.length, one.split.size) == (20, 4, 0)
    assert two.frac_bits == MAX_FRAC_BITS
    # Only the real elements are split, each with the fewest low-limb bits that let its high limbs fit;
    # the low limbs follow the layout's elements.
    assert two.layout.names == ["n", "sum_centered[x]", "sumsq_centered[x]", "clipped"]
    assert two.split.tolist() == [1, 2]
    assert two.limb_bits is not None
    assert two.limb_bits.tolist() == [0, 12, 20, 0]
    assert two.length == 6


@pytest.mark.parametrize("modulus", [FIELD_PRIME, RING_MODULUS])
def test_limbs_recombine_the_exact_sum_at_the_extremes(modulus: int) -> None:
    params = {"variable": {"name": "x", "lo": -400, "hi": 400}}
    parties = 7
    chosen = plan("variance", params, parties, modulus)
    assert chosen.split.size == 2
    bounds = chosen.layout.bounds
    rng = np.random.default_rng(3)
    extreme = bounds * np.array([1.0, -1.0, 1.0, 0.0])
    vectors = [extreme] * 3 + [
        np.concatenate([[9.0], rng.uniform(-1, 1, 2) * bounds[1:3], [0.0]]) for _ in range(parties - 3)
    ]
    wire = [encode_contribution(chosen, Contribution(v, rows=MAX_ROWS, clipped=0)) for v in vectors]
    summed = np.sum(wire, axis=0)
    # Each wire element's sum is what the protocols reconstruct (it fits the modulus), and the limbs
    # recombine to the exact integer sum of the parties' fixed-point values.
    assert int(np.abs(summed).max()) <= ((modulus - 1) // 2) >> HEADROOM_BITS
    exact = [sum(round(math.ldexp(float(v[i]), chosen.frac_bits)) for v in vectors) for i in (1, 2)]
    expected = [math.ldexp(float(e), -chosen.frac_bits) for e in exact]
    assert decode_sum(chosen, summed)[1:3].tolist() == expected


def test_integer_only_layouts_travel_exactly() -> None:
    params = {"variable": {"name": "age", "lo": 0, "hi": 100}, "bins": 4}
    assert plan("histogram", params, 5, FIELD_PRIME).frac_bits == 0


def test_bounds_too_wide_for_the_field_are_refused() -> None:
    params = {"variable": {"name": "x", "lo": -1e12, "hi": 1e12}}
    with pytest.raises(CapacityError, match="fewer than 8 fractional bits in 1 element"):
        plan("variance", params, 10, FIELD_PRIME, limbs=1)
    # Two limbs hold about twice the bits, but not without bound.
    assert plan("variance", params, 10, FIELD_PRIME).split.size == 2
    with pytest.raises(CapacityError, match="fewer than 8 fractional bits in 2 element"):
        plan("variance", {"variable": {"name": "x", "lo": -3e13, "hi": 3e13}}, 10, FIELD_PRIME)


def test_a_party_with_more_rows_than_the_encoding_allows_is_refused() -> None:
    chosen = plan("mean", {"variable": {"name": "x", "lo": 0, "hi": 1}}, 3, FIELD_PRIME)
    with pytest.raises(CapacityError, match="at most"):
        encode_contribution(chosen, Contribution(np.zeros(3), rows=MAX_ROWS + 1, clipped=0))
