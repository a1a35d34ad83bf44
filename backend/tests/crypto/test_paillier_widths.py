"""Packing with a width per element: greedy layout, sums at the bounds, per-slot integrity checks."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from hdx.crypto.errors import CapacityError, EncodingError, IntegrityError, ParameterError, WireFormatError
from hdx.crypto.paillier import (
    PackedCiphertext,
    PackingSpec,
    add,
    decrypt_vector,
    encrypt_vector,
    generate_keypair,
    offset_signed,
    remove_offset,
)

KeyPair = tuple[PaillierPublicKey, PaillierPrivateKey]
KEY_BITS = 1024


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return generate_keypair(KEY_BITS)


@st.composite
def mixed_specs(draw: st.DrawFn) -> PackingSpec:
    widths = draw(st.lists(st.sampled_from([1, 2, 5, 21, 22, 40, 59, 64, 90]), min_size=1, max_size=80))
    return PackingSpec(max(widths), draw(st.integers(1, 12)), widths=tuple(widths))


def limits(spec: PackingSpec) -> list[int]:
    return [(1 << width) - 1 for width in spec.widths]


def test_widths_follow_each_declared_bound() -> None:
    spec = PackingSpec.for_elements([0, 1, 1 << 20, (1 << 63) - 1], max_parties=10)
    assert spec.widths == (1, 2, 22, 64)
    assert spec.value_bits == 64
    assert spec.headroom_bits == 5  # ceil(log2 10) + the spare top bit
    with pytest.raises(ParameterError, match="at least one element"):
        PackingSpec.for_elements([], 3)
    with pytest.raises(ParameterError, match="widest element"):
        PackingSpec(30, 3, widths=(5, 20))
    with pytest.raises(ParameterError, match="widths for 2 elements"):
        PackingSpec(20, 3, widths=(5, 20)).element_bits(3)


def test_slots_are_packed_greedily_without_straddling() -> None:
    # 27-bit slots (22 value bits, 10 parties) next to 69-bit slots (64 value bits).
    spec = PackingSpec(64, 10, widths=(22,) * 50 + (64,) * 30 + (22,) * 3)
    chunks = spec.chunks(2048, 83)
    assert [len(c) for c in chunks] == [50 + 10, 20 + 3]  # 50 * 27 + 10 * 69 = 2040 <= 2046
    for chunk in chunks:
        assert sum(spec.widths[i] + spec.headroom_bits for i in chunk) <= 2046
    # One width for every element packs exactly as the uniform packing does.
    assert spec.for_signed((1 << 63) - 1, 10).slots(2048) == 29
    assert [len(c) for c in PackingSpec(64, 10, widths=(64,) * 60).chunks(2048, 60)] == [29, 29, 2]


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_mixed_widths_round_trip_for_any_number_of_parties(keys: KeyPair, data: st.DataObject) -> None:
    public, private = keys
    spec = data.draw(mixed_specs())
    parties = data.draw(st.integers(1, spec.max_parties))
    inputs = [[data.draw(st.integers(0, limit)) for limit in limits(spec)] for _ in range(parties)]
    total = PackedCiphertext.from_bytes(encrypt_vector(public, inputs[0], spec).to_bytes(), public)
    assert len(total.ciphertexts) == len(spec.chunks(KEY_BITS, len(spec.widths)))
    for vector in inputs[1:]:
        total = add(
            total, PackedCiphertext.from_bytes(encrypt_vector(public, vector, spec).to_bytes(), public)
        )
    assert decrypt_vector(private, total, spec) == [sum(column) for column in zip(*inputs, strict=True)]


@settings(max_examples=10, deadline=None)
@given(spec=mixed_specs())
def test_sums_at_every_bound_do_not_carry(keys: KeyPair, spec: PackingSpec) -> None:
    public, private = keys
    top = encrypt_vector(public, limits(spec), spec)
    # Add parties at their bounds until the slot checks refuse: every sum they accept is exact.
    total, parties = top, 1
    while True:
        try:
            total = add(total, top)
        except CapacityError:
            break
        parties += 1
    assert spec.max_parties <= parties < 2 * spec.max_parties
    assert decrypt_vector(private, total, spec) == [parties * limit for limit in limits(spec)]


def test_signed_values_with_a_bound_per_element(keys: KeyPair) -> None:
    public, private = keys
    bounds = [3, 1000, 1 << 40]
    spec = PackingSpec.for_elements(bounds, 4)
    vectors = [[-3, 1000, -(1 << 40)], [3, -1000, 1 << 40], [-3, -1000, -(1 << 40)], [2, 7, 5]]
    total = encrypt_vector(public, offset_signed(vectors[0], bounds), spec)
    for vector in vectors[1:]:
        total = add(total, encrypt_vector(public, offset_signed(vector, bounds), spec))
    sums = remove_offset(decrypt_vector(private, total, spec), bounds, 4)
    assert sums == [sum(column) for column in zip(*vectors, strict=True)]
    with pytest.raises(EncodingError, match="outside the declared bound \\+-3"):
        offset_signed([4, 0, 0], bounds)
    with pytest.raises(EncodingError, match="at index 0 is outside \\[0, 2\\^3\\)"):
        encrypt_vector(public, [8, 0, 0], spec)


def test_a_narrow_slot_beyond_its_own_bound_is_detected(keys: KeyPair) -> None:
    public, private = keys
    spec = PackingSpec(40, 4, widths=(4, 40))
    # A plaintext whose 4-bit element holds 16: within the widest element's bound, beyond its own.
    forged = PackedCiphertext(public, spec, 2, spec.value_limit, (public.raw_encrypt(16),))
    with pytest.raises(IntegrityError, match="outside the packing"):
        decrypt_vector(private, forged, spec)
    # A sum over more parties than the declared bound says is caught in the narrow slot too.
    one = encrypt_vector(public, [15, 0], spec)
    understated = dataclasses.replace(add(one, one), bound=spec.value_limit)
    with pytest.raises(IntegrityError, match="outside the packing"):
        decrypt_vector(private, understated, spec)


def test_width_runs_and_bounds_on_the_wire_are_checked(keys: KeyPair) -> None:
    public, _ = keys
    spec = PackingSpec(40, 4, widths=(4, 4, 40, 9))
    packed = encrypt_vector(public, [1, 2, 3, 4], spec)
    restored = PackedCiphertext.from_bytes(packed.to_bytes(), public)
    assert restored.spec == spec
    overstated = dataclasses.replace(packed, bound=spec.value_limit * 5)
    with pytest.raises(WireFormatError, match="capacity"):
        PackedCiphertext.from_bytes(overstated.to_bytes(), public)
    short = dataclasses.replace(packed, spec=PackingSpec(40, 4, widths=(4, 40, 9)))
    with pytest.raises(WireFormatError, match="do not cover"):
        PackedCiphertext.from_bytes(short.to_bytes(), public)
