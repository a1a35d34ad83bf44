import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import ParameterError
from hdx.crypto.field import FIELD_PRIME
from hdx.crypto.prg import KeyStream, accept_field, expand_field, expand_u64

SEED = bytes(range(32))
seeds = st.binary(min_size=32, max_size=32)


def test_stream_is_aes_256_ctr_under_a_label_derived_key() -> None:
    key = HKDFExpand(algorithm=hashes.SHA256(), length=32, info=b"hdx-prg-v1:mask").derive(SEED)
    raw = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor().update(bytes(80))
    expected = [int.from_bytes(raw[i : i + 8], "little") for i in range(0, 80, 8)]
    assert expand_u64(SEED, 10, b"mask").tolist() == expected


def test_labels_and_seeds_separate_streams() -> None:
    base = expand_u64(SEED, 64, b"a")
    assert np.array_equal(base, expand_u64(SEED, 64, b"a"))
    assert not np.array_equal(base, expand_u64(SEED, 64, b"b"))
    assert not np.array_equal(base, expand_u64(bytes(32), 64, b"a"))


@settings(max_examples=50)
@given(seeds, st.lists(st.integers(0, 300), max_size=6))
def test_keystream_resumes_where_it_stopped(seed: bytes, sizes: list[int]) -> None:
    stream = KeyStream(seed, b"x")
    pieces = [stream.next_u64(size).copy() for size in sizes]
    joined = np.concatenate([np.empty(0, dtype=np.uint64), *pieces])
    assert np.array_equal(joined, expand_u64(seed, sum(sizes), b"x"))


@settings(max_examples=50)
@given(seeds, st.integers(0, 2000))
def test_field_elements_are_the_masked_words(seed: bytes, length: int) -> None:
    field = expand_field(seed, length, b"f")
    assert field.shape == (length,)
    assert length == 0 or int(field.max()) < FIELD_PRIME
    # No word of these streams is the rejected value, so the elements are the 61-bit words.
    assert np.array_equal(field, expand_u64(seed, length, b"f") & np.uint64(FIELD_PRIME))


def test_rejected_values_are_replaced_by_the_next_words_in_order() -> None:
    p = FIELD_PRIME
    batches = iter([[5, p, 7, p | (1 << 63), 9], [p, 11], [13]])

    def source(count: int) -> np.ndarray:
        batch = next(batches)
        assert len(batch) == count
        return np.array(batch, dtype=np.uint64)

    assert accept_field(source(5), source).tolist() == [5, 7, 9, 11, 13]


def test_field_elements_are_uniform() -> None:
    # Fixed seed: the chi-square statistic is a deterministic number, not a flaky draw.
    values = expand_field(SEED, 160_000, b"uniformity")
    counts = np.bincount((values >> np.uint64(57)).astype(np.int64), minlength=16)
    expected = len(values) / 16
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 37.7  # 0.1% critical value for 15 degrees of freedom


def test_seed_length_is_enforced() -> None:
    with pytest.raises(ParameterError, match="32 bytes"):
        KeyStream(b"short", b"x")
