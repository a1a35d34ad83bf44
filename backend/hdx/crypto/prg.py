"""AES-256-CTR keystreams expanded into uint64 vectors (mod 2^64) and field elements mod 2^61-1.

Every stream is keyed by HKDF-Expand(seed, label), so one seed used for two purposes (labels)
yields independent streams, and the counter starts at zero because each key serves one stream.
Words are read little-endian so that two machines expanding the same seed agree bit for bit.

Field elements: a word masked to its low 61 bits is uniform on [0, 2^61); the only value outside
the field [0, p) with p = 2^61-1 is 2^61-1 itself, which is rejected and replaced by the next
accepted word of the same stream. The accepted values are therefore exactly uniform mod p (no
reduction bias); a rejection happens with probability 2^-61 per element.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from numpy.typing import NDArray

from hdx.crypto.errors import ParameterError
from hdx.crypto.field import FIELD_PRIME

SEED_BYTES = 32
_MASK61 = np.uint64(FIELD_PRIME)
_LABEL_PREFIX = b"hdx-prg-v1:"

U64Array = NDArray[np.uint64]


def random_seed() -> bytes:
    return os.urandom(SEED_BYTES)


def _stream_key(seed: bytes, label: bytes) -> bytes:
    if len(seed) != SEED_BYTES:
        raise ParameterError(f"PRG seeds are {SEED_BYTES} bytes, got {len(seed)}")
    hkdf = HKDFExpand(algorithm=hashes.SHA256(), length=32, info=_LABEL_PREFIX + label)
    return hkdf.derive(seed)


# CTR encryption of zeros is the keystream; one shared zero input keeps hot loops in the cache.
_ZEROS = memoryview(bytes(1 << 20))


class KeyStream:
    """A resumable keystream: successive calls continue where the previous one stopped."""

    def __init__(self, seed: bytes, label: bytes) -> None:
        cipher = Cipher(algorithms.AES(_stream_key(seed, label)), modes.CTR(bytes(16)))
        self._encryptor = cipher.encryptor()

    def fill_u64(self, out: U64Array) -> None:
        """Overwrite a C-contiguous uint64 array with the next keystream words."""
        if out.dtype != np.uint64 or not out.flags.c_contiguous:
            raise ParameterError("keystream words go into a C-contiguous uint64 array")
        target = out.data.cast("B") if out.size else memoryview(b"")
        for offset in range(0, len(target), len(_ZEROS)):
            piece = target[offset : offset + len(_ZEROS)]
            self._encryptor.update_into(_ZEROS[: len(piece)], piece)
        if sys.byteorder == "big":
            out.byteswap(inplace=True)

    def next_u64(self, count: int) -> U64Array:
        out = np.empty(count, dtype=np.uint64)
        self.fill_u64(out)
        return out

    def fill_field(self, out: U64Array) -> None:
        """Overwrite a C-contiguous uint64 array with the next uniform elements mod 2^61-1."""
        self.fill_u64(out)
        accept_field(out.reshape(-1), self.next_u64)

    def next_field(self, count: int) -> U64Array:
        return accept_field(self.next_u64(count), self.next_u64)


def accept_field(words: U64Array, next_words: Callable[[int], U64Array]) -> U64Array:
    """Turn keystream words into field elements in place: mask to 61 bits, reject 2^61-1.

    Rejected words are replaced, in stream order, by further words from next_words.
    """
    np.bitwise_and(words, _MASK61, out=words)
    if words.size == 0 or words.max() != _MASK61:
        return words
    kept = words[words != _MASK61]
    while kept.size < words.size:
        more = next_words(words.size - kept.size) & _MASK61
        kept = np.concatenate([kept, more[more != _MASK61]])
    words[...] = kept
    return words


def expand_u64(seed: bytes, length: int, label: bytes) -> U64Array:
    """A fresh array of `length` keystream words (uniform mod 2^64)."""
    return KeyStream(seed, label).next_u64(length)


def expand_field(seed: bytes, length: int, label: bytes) -> U64Array:
    """A fresh array of `length` uniform elements mod 2^61-1."""
    return KeyStream(seed, label).next_field(length)
