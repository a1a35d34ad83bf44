import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from hdx.crypto import shamir
from hdx.crypto.encoding import decode, encode, max_encoded
from hdx.crypto.errors import (
    CapacityError,
    EncodingError,
    IntegrityError,
    KeyFormatError,
    ParameterError,
    WireFormatError,
)
from hdx.crypto.field import FIELD_PRIME, lagrange_coefficients
from hdx.crypto.paillier import (
    MAX_ELEMENTS,
    ObfuscatorPool,
    PackedCiphertext,
    PackingSpec,
    add,
    decrypt_vector,
    encrypt_vector,
    field_combination_spec,
    generate_keypair,
    offset_signed,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_from_bytes,
    public_key_to_bytes,
    remove_offset,
    scalar_multiply,
)

KeyPair = tuple[PaillierPublicKey, PaillierPrivateKey]


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return generate_keypair(1024)


@pytest.fixture(scope="module")
def other_keys() -> KeyPair:
    return generate_keypair(1024)


specs = st.builds(
    PackingSpec, value_bits=st.integers(1, 130), max_parties=st.integers(1, 40), scalar_bits=st.integers(0, 8)
)


def vectors(spec: PackingSpec, max_size: int = 50) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, spec.value_limit), min_size=1, max_size=max_size)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_encrypt_decrypt_round_trips_through_bytes(keys: KeyPair, data: st.DataObject) -> None:
    public, private = keys
    spec = data.draw(specs)
    values = data.draw(vectors(spec))
    packed = encrypt_vector(public, values, spec)
    assert len(packed.ciphertexts) == -(-len(values) // spec.slots(1024))
    restored = PackedCiphertext.from_bytes(packed.to_bytes(), public)
    assert restored == packed
    assert decrypt_vector(private, restored, spec) == values


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_sum_of_parties_decrypts_to_the_elementwise_sum(keys: KeyPair, data: st.DataObject) -> None:
    public, private = keys
    spec = data.draw(specs)
    length = data.draw(st.integers(1, 40))
    parties = data.draw(st.integers(1, min(spec.max_parties, 6)))
    inputs = [data.draw(st.lists(st.integers(0, spec.value_limit), min_size=length, max_size=length))]
    inputs += [
        data.draw(st.lists(st.integers(0, spec.value_limit), min_size=length, max_size=length))
        for _ in range(parties - 1)
    ]
    total = encrypt_vector(public, inputs[0], spec)
    for vector in inputs[1:]:
        total = add(
            total, PackedCiphertext.from_bytes(encrypt_vector(public, vector, spec).to_bytes(), public)
        )
    assert decrypt_vector(private, total, spec) == [sum(column) for column in zip(*inputs, strict=True)]


@pytest.mark.parametrize(
    ("value_bits", "max_parties", "scalar_bits"),
    [(1, 1, 0), (1, 3, 0), (7, 10, 0), (64, 10, 0), (61, 5, 61), (30, 16, 2)],
)
def test_no_carry_between_slots_at_the_headroom_limit(
    keys: KeyPair, value_bits: int, max_parties: int, scalar_bits: int
) -> None:
    public, private = keys
    spec = PackingSpec(value_bits, max_parties, scalar_bits)
    length = 2 * spec.slots(1024) + 3  # full ciphertexts and a partial one
    top = encrypt_vector(public, [spec.value_limit] * length, spec)
    term = scalar_multiply(top, 1 << scalar_bits)
    total = term
    for _ in range(max_parties - 1):
        total = add(total, term)
    expected = max_parties * spec.value_limit << scalar_bits
    assert expected < 1 << (spec.slot_bits - 1)
    assert decrypt_vector(private, total, spec) == [expected] * length


def test_sums_that_could_carry_are_refused(keys: KeyPair) -> None:
    public, _ = keys
    spec = PackingSpec(value_bits=20, max_parties=16)
    one = encrypt_vector(public, [spec.value_limit] * 3, spec)
    total = one
    for _ in range(15):
        total = add(total, one)
    with pytest.raises(CapacityError, match="max_parties=16"):
        add(total, one)
    with pytest.raises(CapacityError, match="scalar_bits"):
        scalar_multiply(one, 17)
    with pytest.raises(ParameterError, match="non-negative"):
        scalar_multiply(one, -1)


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_hybrid_lagrange_combination_reduces_to_the_secret_sum(keys: KeyPair, data: st.DataObject) -> None:
    public, private = keys
    parties = data.draw(st.integers(2, 7))
    threshold = data.draw(st.integers(1, parties))
    length = data.draw(st.integers(1, 12))
    inputs = [
        np.array(
            data.draw(st.lists(st.integers(0, FIELD_PRIME - 1), min_size=length, max_size=length)),
            dtype=np.uint64,
        )
        for _ in range(parties)
    ]
    shares = [shamir.share(vector, threshold, parties) for vector in inputs]
    points = sorted(data.draw(st.permutations(range(1, parties + 1)))[:threshold])
    spec = field_combination_spec(threshold)
    combined = None
    for point, coefficient in zip(points, lagrange_coefficients(points), strict=True):
        # The partial sum of party `point`: the shares addressed to it, summed mod p.
        partial = [
            sum(int(shares[i][point - 1][k]) for i in range(parties)) % FIELD_PRIME for k in range(length)
        ]
        term = scalar_multiply(encrypt_vector(public, partial, spec), coefficient)
        combined = term if combined is None else add(combined, term)
    assert combined is not None
    result = [value % FIELD_PRIME for value in decrypt_vector(private, combined, spec)]
    assert result == [sum(int(v[k]) for v in inputs) % FIELD_PRIME for k in range(length)]


def test_out_of_range_vectors_are_refused_with_a_clear_error(keys: KeyPair) -> None:
    public, _ = keys
    spec = PackingSpec(value_bits=8, max_parties=4)
    with pytest.raises(EncodingError, match=r"value 256 at index 2 is outside \[0, 2\^8\)"):
        encrypt_vector(public, [1, 2, 256], spec)
    with pytest.raises(EncodingError, match="value -1 at index 0"):
        encrypt_vector(public, [-1], spec)
    with pytest.raises(EncodingError, match="vector length"):
        encrypt_vector(public, [1] * (MAX_ELEMENTS + 1), spec)
    with pytest.raises(EncodingError, match="vector length"):
        encrypt_vector(public, [], spec)
    with pytest.raises(EncodingError, match="fixed point"):
        encrypt_vector(public, np.array([1.5]), spec)
    with pytest.raises(ParameterError, match="does not fit"):
        encrypt_vector(public, [1], PackingSpec(value_bits=1100, max_parties=2))
    with pytest.raises(EncodingError, match="outside the declared bound"):
        offset_signed([5, -6], 5)


@pytest.mark.parametrize(
    ("value_bits", "max_parties", "scalar_bits"),
    [(0, 2, 0), (8, 0, 0), (8, 2, -1), (8, 70000, 0), (5000, 2, 0)],
)
def test_invalid_packing_specs_are_refused(value_bits: int, max_parties: int, scalar_bits: int) -> None:
    with pytest.raises(ParameterError):
        PackingSpec(value_bits, max_parties, scalar_bits)


def test_packings_for_2048_bit_keys() -> None:
    assert PackingSpec(64, 10).slot_bits == 69
    assert PackingSpec(64, 10).slots(2048) == 29
    assert PackingSpec(32, 10).slots(2048) == 55
    assert PackingSpec(64, 16).slot_bits == 69
    assert PackingSpec(64, 17).slot_bits == 70
    assert field_combination_spec(10).slots(2048) == 16
    assert PackingSpec.for_signed(max_encoded(1e6, 16), 10).value_bits == 37


def test_mismatched_ciphertexts_are_not_combined(keys: KeyPair, other_keys: KeyPair) -> None:
    public, private = keys
    spec = PackingSpec(16, 4)
    packed = encrypt_vector(public, [1, 2, 3], spec)
    with pytest.raises(ParameterError, match="different packings or vector lengths"):
        add(packed, encrypt_vector(public, [1, 2], spec))
    with pytest.raises(ParameterError, match="different packings"):
        add(packed, encrypt_vector(public, [1, 2, 3], PackingSpec(16, 5)))
    with pytest.raises(IntegrityError, match="different public keys"):
        add(packed, encrypt_vector(other_keys[0], [1, 2, 3], spec))
    with pytest.raises(ParameterError, match="recipient expects"):
        decrypt_vector(private, packed, PackingSpec(16, 5))


def test_a_ciphertext_under_another_key_is_detected(keys: KeyPair, other_keys: KeyPair) -> None:
    public, _ = keys
    other_public, other_private = other_keys
    spec = PackingSpec(32, 10)
    packed = encrypt_vector(public, list(range(60)), spec)
    with pytest.raises(IntegrityError, match="different public key"):
        PackedCiphertext.from_bytes(packed.to_bytes(), other_public)
    with pytest.raises(IntegrityError, match="not encrypted under this private key"):
        decrypt_vector(other_private, packed, spec)
    # Even when the metadata claims the other key, the plaintexts come out as noise and are refused.
    relabelled = dataclasses.replace(packed, public_key=other_public)
    with pytest.raises(IntegrityError, match="outside the packing"):
        decrypt_vector(other_private, relabelled, spec)


def test_a_modified_ciphertext_is_detected_at_decryption(keys: KeyPair) -> None:
    public, private = keys
    spec = PackingSpec(64, 10)
    packed = encrypt_vector(public, [7] * 20, spec)
    tampered = (packed.ciphertexts[0] * 3 % public.nsquare, *packed.ciphertexts[1:])
    with pytest.raises(IntegrityError, match="outside the packing"):
        decrypt_vector(private, dataclasses.replace(packed, ciphertexts=tampered), spec)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_garbled_bytes_fail_cleanly(keys: KeyPair, data: st.DataObject) -> None:
    public, _ = keys
    encoded = bytearray(encrypt_vector(public, [3, 1, 4, 1, 5], PackingSpec(20, 3)).to_bytes())
    mode = data.draw(st.sampled_from(["flip", "truncate", "extend", "random"]))
    if mode == "flip":
        position = data.draw(st.integers(0, len(encoded) - 1))
        encoded[position] ^= data.draw(st.integers(1, 255))
    elif mode == "truncate":
        del encoded[data.draw(st.integers(0, len(encoded) - 1)) :]
    elif mode == "extend":
        encoded += data.draw(st.binary(min_size=1, max_size=40))
    else:
        encoded = bytearray(data.draw(st.binary(max_size=600)))
    with pytest.raises(WireFormatError):
        PackedCiphertext.from_bytes(bytes(encoded), public)


def test_encryption_is_randomized_and_pooled_obfuscators_are_used_once(keys: KeyPair) -> None:
    public, private = keys
    spec = PackingSpec(16, 2)
    assert (
        encrypt_vector(public, [9, 9], spec).ciphertexts != encrypt_vector(public, [9, 9], spec).ciphertexts
    )
    pool = ObfuscatorPool(public)
    pool.fill(3)
    first = encrypt_vector(public, [9] * 100, spec, pool)  # 2 ciphertexts of 50 slots
    assert len(first.ciphertexts) == 2
    assert len(pool) == 1
    second = encrypt_vector(public, [9] * 100, spec, pool)  # one from the pool, one computed on demand
    assert len(pool) == 0
    assert not set(first.ciphertexts) & set(second.ciphertexts)
    assert decrypt_vector(private, add(first, second), spec) == [18] * 100
    with pytest.raises(ParameterError, match="another public key"):
        encrypt_vector(generate_keypair(1024)[0], [1], spec, pool)


def test_keys_serialize_and_garbage_keys_are_refused(keys: KeyPair) -> None:
    public, private = keys
    assert public_key_from_bytes(public_key_to_bytes(public)) == public
    restored = private_key_from_bytes(private_key_to_bytes(private))
    assert restored.public_key == public
    assert (restored.p, restored.q) == (private.p, private.q)
    encoded = private_key_to_bytes(private)
    with pytest.raises(KeyFormatError, match="distinct primes"):
        private_key_from_bytes(encoded[:-1] + bytes([encoded[-1] ^ 2]))
    with pytest.raises(KeyFormatError):
        private_key_from_bytes(encoded[:-1])
    with pytest.raises(KeyFormatError):
        public_key_from_bytes(public_key_to_bytes(public)[:-1])
    with pytest.raises(KeyFormatError, match="modulus"):
        public_key_from_bytes(public_key_to_bytes(PaillierPublicKey(public.n + 1)))
    with pytest.raises(ParameterError):
        generate_keypair(1028)


def test_signed_fixed_point_sums_with_a_2048_bit_key() -> None:
    public, private = generate_keypair()
    assert public.n.bit_length() == 2048
    parties, bound, frac_bits = 10, 1000.0, 16
    max_abs = max_encoded(bound, frac_bits)
    spec = PackingSpec.for_signed(max_abs, parties)
    rng = np.random.default_rng(7)
    inputs = [rng.uniform(-bound, bound, 70) for _ in range(parties)]
    total = None
    for x in inputs:
        encrypted = encrypt_vector(public, offset_signed(encode(x, frac_bits, bound).values, max_abs), spec)
        assert len(encrypted.ciphertexts) == -(-70 // spec.slots(2048))
        total = encrypted if total is None else add(total, encrypted)
    assert total is not None
    sums = remove_offset(decrypt_vector(private, total, spec), max_abs, parties)
    exact = sum(encode(x, frac_bits, bound).values.astype(object) for x in inputs)
    assert sums == list(exact)
    assert np.allclose(
        decode(np.array(sums, dtype=np.int64), frac_bits), sum(inputs), atol=parties * 2.0**-16
    )


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_obfuscators_split_between_threads_are_fresh_encryptions_of_zero(keys: KeyPair, threads: int) -> None:
    public, private = keys
    pool = ObfuscatorPool(public, threads=threads)
    pool.fill(5)
    obfuscators = pool.take(5)
    assert len(obfuscators) == 5
    assert len(set(obfuscators)) == 5
    # r^n mod n^2 is an encryption of 0: any other value would shift the plaintext it multiplies.
    assert [private.raw_decrypt(r) for r in obfuscators] == [0] * 5
    assert all(1 < r < public.nsquare for r in obfuscators)


def test_encryption_with_several_threads_decrypts_like_one(keys: KeyPair) -> None:
    public, private = keys
    spec = PackingSpec(value_bits=40, max_parties=3)
    values = [(i * 7_919) % (1 << 40) for i in range(4 * spec.slots(1024) + 3)]
    single = encrypt_vector(public, values, spec, ObfuscatorPool(public, threads=1))
    several = encrypt_vector(public, values, spec, ObfuscatorPool(public, threads=4))
    assert decrypt_vector(private, single, spec) == decrypt_vector(private, several, spec) == values
    assert set(single.ciphertexts).isdisjoint(several.ciphertexts)


def test_encryption_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from hdx.crypto.paillier import encryption_threads

    monkeypatch.setenv("HDX_PAILLIER_THREADS", "3")
    assert encryption_threads() == 3
    monkeypatch.setenv("HDX_PAILLIER_THREADS", "0")
    assert encryption_threads() == 1
    monkeypatch.setenv("HDX_PAILLIER_THREADS", "many")
    with pytest.raises(ParameterError, match="HDX_PAILLIER_THREADS"):
        encryption_threads()
    monkeypatch.delenv("HDX_PAILLIER_THREADS")
    assert 1 <= encryption_threads() <= 16
