"""Secure aggregation masks (Bonawitz et al. 2017) over Z_2^64.

Party i uploads y_i = v_i + PRG(b_i) + sum_j s(i, j) * PRG(s_ij) mod 2^64, where s_ij is the seed
both i and j derive from their X25519 mask keys, and s(i, j) = +1 if i < j else -1, so every pair's
masks cancel in the sum of survivors' inputs. The exchange removes the self masks PRG(b_i) of
survivors (b_i reconstructed from Shamir shares) and, for each dropout d, the masks PRG(s_dj) that
survivors added for d (d's mask key reconstructed from shares). Masks are AES-256-CTR keystreams.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from numpy.typing import NDArray

from hdx.crypto.errors import IntegrityError, ParameterError
from hdx.crypto.field import CHUNK
from hdx.crypto.prg import KeyStream

PAIR_LABEL = b"secagg-pair-mask"
SELF_LABEL = b"secagg-self-mask"
_PAIR_INFO = b"hdx-secagg-pair-v1"

U64Array = NDArray[np.uint64]
# (seed, label, +1 to add the stream or -1 to subtract it)
_SignedStream = tuple[bytes, bytes, int]


def pair_seed(
    own_private: X25519PrivateKey,
    peer_public: X25519PublicKey,
    computation_id: UUID,
    own_index: int,
    peer_index: int,
) -> bytes:
    """The 32-byte seed parties own_index and peer_index share; both derive the same bytes."""
    if own_index == peer_index or min(own_index, peer_index) < 1:
        raise ParameterError(f"pair seeds need two distinct positive indices, got {own_index}, {peer_index}")
    try:
        shared = own_private.exchange(peer_public)
    except ValueError as exc:
        raise IntegrityError("the peer's mask key is a low-order point") from exc
    low, high = sorted((own_index, peer_index))
    info = _PAIR_INFO + computation_id.bytes + struct.pack(">II", low, high)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _pair_sign(own_index: int, peer_index: int) -> int:
    return 1 if own_index < peer_index else -1


def _apply(vector: U64Array, streams: Iterable[_SignedStream]) -> U64Array:
    """vector + sum of signed keystreams mod 2^64, one cache-sized chunk of every stream at a time."""
    if vector.dtype != np.uint64 or vector.ndim != 1:
        raise ParameterError(f"masking works on 1-dimensional uint64 vectors, got {vector.dtype}")
    out = vector.copy()
    keyed = [(KeyStream(seed, label), sign) for seed, label, sign in streams]
    scratch = np.empty(min(CHUNK, out.shape[0]), dtype=np.uint64)
    for start in range(0, out.shape[0], CHUNK):
        chunk = out[start : start + CHUNK]
        words = scratch[: chunk.shape[0]]
        for stream, sign in keyed:
            stream.fill_u64(words)
            # uint64 array arithmetic wraps around, which is exactly addition mod 2^64.
            if sign > 0:
                np.add(chunk, words, out=chunk)
            else:
                np.subtract(chunk, words, out=chunk)
    return out


def mask(vector: U64Array, own_index: int, pair_seeds: Mapping[int, bytes], self_seed: bytes) -> U64Array:
    """Party own_index's masked input; pair_seeds maps every other party's index to its pair seed."""
    if own_index in pair_seeds:
        raise ParameterError("a party has no pair seed with itself")
    streams = [(self_seed, SELF_LABEL, 1)]
    streams += [(seed, PAIR_LABEL, _pair_sign(own_index, j)) for j, seed in sorted(pair_seeds.items())]
    return _apply(vector, streams)


def unmask(
    aggregate: U64Array,
    computation_id: UUID,
    survivor_self_seeds: Mapping[int, bytes],
    dropout_mask_keys: Mapping[int, X25519PrivateKey],
    mask_public_keys: Mapping[int, X25519PublicKey],
) -> U64Array:
    """The sum of survivors' inputs from the sum of their masked inputs.

    survivor_self_seeds: each survivor's reconstructed self-mask seed b_i (the survivors are its
    keys); dropout_mask_keys: each dropout's reconstructed mask private key; mask_public_keys:
    the advertised mask public keys of (at least) every survivor.
    """
    overlap = survivor_self_seeds.keys() & dropout_mask_keys.keys()
    if overlap:
        raise ParameterError(f"parties {sorted(overlap)} cannot be both survivors and dropouts")
    return _apply(
        aggregate,
        self_mask_streams(survivor_self_seeds.values())
        + dropout_mask_streams(
            computation_id, dropout_mask_keys, survivor_self_seeds.keys(), mask_public_keys
        ),
    )


def self_mask_streams(self_seeds: Iterable[bytes]) -> list[_SignedStream]:
    return [(seed, SELF_LABEL, -1) for seed in self_seeds]


def dropout_mask_streams(
    computation_id: UUID,
    dropout_mask_keys: Mapping[int, X25519PrivateKey],
    survivors: Iterable[int],
    mask_public_keys: Mapping[int, X25519PublicKey],
) -> list[_SignedStream]:
    """Streams cancelling the pair masks survivors added for each dropout (none between dropouts)."""
    streams = []
    for d, key in sorted(dropout_mask_keys.items()):
        for j in sorted(survivors):
            if j not in mask_public_keys:
                raise ParameterError(f"no mask public key for survivor {j}")
            seed = pair_seed(key, mask_public_keys[j], computation_id, d, j)
            # Survivor j added _pair_sign(j, d) * PRG(seed); remove it.
            streams.append((seed, PAIR_LABEL, -_pair_sign(j, d)))
    return streams


def remove_self_masks(aggregate: U64Array, self_seeds: Iterable[bytes]) -> U64Array:
    return _apply(aggregate, self_mask_streams(self_seeds))


def remove_dropout_masks(
    aggregate: U64Array,
    computation_id: UUID,
    dropout_mask_keys: Mapping[int, X25519PrivateKey],
    survivors: Iterable[int],
    mask_public_keys: Mapping[int, X25519PublicKey],
) -> U64Array:
    return _apply(
        aggregate, dropout_mask_streams(computation_id, dropout_mask_keys, survivors, mask_public_keys)
    )


def sum_vectors(vectors: Sequence[U64Array]) -> U64Array:
    """Sum mod 2^64 of equally long uint64 vectors (what the exchange does with masked inputs)."""
    if not vectors:
        raise ParameterError("nothing to sum")
    shape = vectors[0].shape
    if any(v.dtype != np.uint64 or v.ndim != 1 or v.shape != shape for v in vectors):
        raise ParameterError("masked inputs must be 1-dimensional uint64 vectors of one length")
    total = vectors[0].copy()
    for vector in vectors[1:]:
        np.add(total, vector, out=total)
    return total
