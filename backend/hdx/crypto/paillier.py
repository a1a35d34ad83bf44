"""Packed Paillier encryption (phe + gmpy2) for the paillier and hybrid protocols.

Many non-negative vector elements share one plaintext, each in its own slot of consecutive bits
(the first element in the lowest bits). Adding ciphertexts adds plaintexts, so slots add
independently as long as no slot ever carries into the next one. A PackingSpec sizes the slots
for the worst case the protocol can produce:

    slot_bits = value_bits + scalar_bits + ceil(log2(max_parties)) + 1

Every element is below 2^value_bits, every scalar at most 2^scalar_bits (scalar_bits = 0 when
nothing is multiplied), and at most max_parties such terms are added, so every sum stays below
2^(slot_bits - 1). The spare top bit of each slot is therefore always zero in a genuine aggregate:
decryption checks every slot against its bound, which detects ciphertexts under another key or
garbled ciphertexts (their plaintexts look random) instead of returning wrong numbers.

Widths per element: a spec may give every element its own value bits (`widths`, from the public
declared bound of each element, PackingSpec.for_elements), so that a count of 21 bits does not take
the slot of a 64-bit sum. Elements are packed greedily in vector order: a ciphertext takes elements
while their slots fit in key_bits - 2 bits, and a slot never straddles two ciphertexts. Without
`widths`, every element has value_bits. The declared bound of a ciphertext is expressed for the
widest element (value_limit times the sum of the scalars applied, i.e. the number of parties when
only adding); an element of w bits gets the same multiple of its own limit 2^w - 1 (slot_bound).

paillier protocol: each party encrypts its (offset, see offset_signed) vector, the exchange adds
the ciphertexts, the recipient decrypts and removes the offsets.

hybrid protocol: partial sums s_i are residues mod p = 2^61-1 and the exchange applies Lagrange
coefficients as non-negative residues lambda_i < p. The recipient decrypts sum(lambda_i * s_i)
over the integers, which is below t * p^2, and reduces it mod p. field_combination_spec(t) sizes
slots for exactly that: value_bits = scalar_bits = 61, max_parties = t (16 slots per 2048-bit
ciphertext for t <= 16).

Randomness: phe 1.5 draws key primes (getprimeover) and the encryption nonces r
(PaillierPublicKey.get_random_lt_n) from random.SystemRandom, i.e. os.urandom. Every nonce is
used for exactly one ciphertext.
"""

from __future__ import annotations

import hashlib
import operator
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import gmpy2
import numpy as np
from numpy.typing import NDArray
from phe import paillier
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from hdx.crypto.errors import (
    CapacityError,
    EncodingError,
    IntegrityError,
    KeyFormatError,
    ParameterError,
    WireFormatError,
)
from hdx.crypto.field import FIELD_PRIME

KEY_BITS = 2048
# 1024-bit keys are accepted only so that tests run quickly; protocols use KEY_BITS.
MIN_KEY_BITS = 1024
MAX_KEY_BITS = 4096
FORMAT_VERSION = 1
# Bounds one message to about 20 MB of ciphertexts for 2048-bit keys and 64-bit values.
MAX_ELEMENTS = 1 << 20
MAX_PARTIES = 0xFFFF
FIELD_BITS = (FIELD_PRIME - 1).bit_length()

_PUBLIC = struct.Struct(">4sBH")
_PUBLIC_MAGIC = b"HDXN"
_PRIVATE = struct.Struct(">4sBHH")
_PRIVATE_MAGIC = b"HDXQ"
# magic | version | value_bits | scalar_bits | max_parties | length | key fingerprint | bound bytes |
# width runs (0: every element has value_bits), then the bound and the runs (width, count).
_PACKED = struct.Struct(">4sBHHHI32sHI")
_PACKED_MAGIC = b"HDXP"
_PACKED_VERSION = 2
_RUN = struct.Struct(">HI")
_CHECKSUM_BYTES = 32

IntVector = Sequence[int] | NDArray[np.integer[Any]]


@dataclass(frozen=True)
class PackingSpec:
    """How vector elements are laid out in plaintexts; see the module docstring for the bound."""

    value_bits: int
    max_parties: int
    scalar_bits: int = 0
    # Value bits per element (empty: value_bits for every element); the widest is value_bits.
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.value_bits <= MAX_KEY_BITS:
            raise ParameterError(f"value_bits must be between 1 and {MAX_KEY_BITS}, got {self.value_bits}")
        if not 0 <= self.scalar_bits <= MAX_KEY_BITS:
            raise ParameterError(f"scalar_bits must be between 0 and {MAX_KEY_BITS}, got {self.scalar_bits}")
        if not 1 <= self.max_parties <= MAX_PARTIES:
            raise ParameterError(f"max_parties must be between 1 and {MAX_PARTIES}, got {self.max_parties}")
        if self.widths and (len(self.widths) > MAX_ELEMENTS or min(self.widths) < 1):
            raise ParameterError(f"widths must be 1 to {MAX_ELEMENTS} positive bit counts")
        if self.widths and max(self.widths) != self.value_bits:
            raise ParameterError(f"the widest element must have value_bits={self.value_bits} bits")

    @classmethod
    def for_signed(cls, max_abs: int, max_parties: int) -> PackingSpec:
        """Room for values in [-max_abs, max_abs] after offset_signed (e.g. encoding.max_encoded)."""
        return cls(value_bits=_signed_bits(max_abs), max_parties=max_parties)

    @classmethod
    def for_elements(cls, max_abs: Sequence[int], max_parties: int) -> PackingSpec:
        """Room for element j in [-max_abs[j], max_abs[j]] after offset_signed, each in its own width."""
        widths = tuple(_signed_bits(bound) for bound in max_abs)
        if not widths:
            raise ParameterError("a packing needs at least one element")
        return cls(value_bits=max(widths), max_parties=max_parties, widths=widths)

    @property
    def headroom_bits(self) -> int:
        """Slot bits beyond an element's value bits: scalars, the sum over parties, the spare top bit."""
        # (max_parties - 1).bit_length() is ceil(log2(max_parties)), exactly.
        return self.scalar_bits + (self.max_parties - 1).bit_length() + 1

    @property
    def slot_bits(self) -> int:
        """Bits of the widest element's slot."""
        return self.value_bits + self.headroom_bits

    @property
    def value_limit(self) -> int:
        """The largest element a party may encrypt."""
        return (1 << self.value_bits) - 1

    @property
    def slot_capacity(self) -> int:
        """The largest value a slot may reach while its top bit stays clear."""
        return (1 << (self.slot_bits - 1)) - 1

    def slots(self, key_bits: int) -> int:
        """Elements per ciphertext under a key whose n has exactly key_bits bits.

        Plaintexts stay below 2^(key_bits - 2) <= n / 2: below n as Paillier requires, and away
        from the top of Z_n, which phe reads as negative numbers.
        """
        return (key_bits - 2) // self.slot_bits

    def element_bits(self, length: int) -> list[int]:
        """Value bits of each of `length` elements."""
        if not self.widths:
            return [self.value_bits] * length
        if length != len(self.widths):
            raise ParameterError(f"the packing has widths for {len(self.widths)} elements, not {length}")
        return list(self.widths)

    def chunks(self, key_bits: int, length: int) -> list[range]:
        """The element ranges of each ciphertext: greedy in vector order, each below 2^(key_bits - 2)."""
        budget = key_bits - 2
        if not self.widths:
            per = self.slots(key_bits)
            if per < 1:
                raise ParameterError(f"a {self.slot_bits}-bit slot does not fit a {key_bits}-bit key")
            return [range(start, min(start + per, length)) for start in range(0, length, per)]
        if self.slot_bits > budget:
            raise ParameterError(f"a {self.slot_bits}-bit slot does not fit a {key_bits}-bit key")
        chunks: list[range] = []
        start, used = 0, 0
        for index, width in enumerate(self.element_bits(length)):
            slot = width + self.headroom_bits
            if used + slot > budget:
                chunks.append(range(start, index))
                start, used = index, 0
            used += slot
        chunks.append(range(start, length))
        return chunks

    def slot_bound(self, bound: int, width: int) -> int:
        """The bound of a width-bit element's slot when the widest element's is `bound`."""
        return -(-bound * ((1 << width) - 1) // self.value_limit)

    def fits(self, bound: int) -> bool:
        """Whether every slot's bound keeps its top bit clear, so that no slot can carry."""
        return all(
            self.slot_bound(bound, width) < 1 << (width + self.headroom_bits - 1)
            for width in set(self.widths or (self.value_bits,))
        )


def _signed_bits(max_abs: int) -> int:
    if max_abs < 0:
        raise ParameterError(f"max_abs must be non-negative, got {max_abs}")
    return max(1, (2 * max_abs).bit_length())


def field_combination_spec(parties: int) -> PackingSpec:
    """Slots for sum(lambda_i * s_i) over at most `parties` residues s_i, lambda_i mod 2^61-1."""
    return PackingSpec(value_bits=FIELD_BITS, max_parties=parties, scalar_bits=FIELD_BITS)


def _bounds(max_abs: int | Sequence[int], length: int) -> Sequence[int]:
    if isinstance(max_abs, int):
        return [max_abs] * length
    if len(max_abs) != length:
        raise EncodingError(f"{len(max_abs)} bounds for {length} values")
    return max_abs


def offset_signed(values: IntVector, max_abs: int | Sequence[int]) -> list[int]:
    """v + max_abs for every |v| <= max_abs (one bound, or one per element), so that encrypted sums
    stay non-negative."""
    ints = _as_ints(values)
    bounds = _bounds(max_abs, len(ints))
    for index, (value, bound) in enumerate(zip(ints, bounds, strict=True)):
        if abs(value) > bound:
            raise EncodingError(f"value {value} at index {index} is outside the declared bound +-{bound}")
    return [value + bound for value, bound in zip(ints, bounds, strict=True)]


def remove_offset(sums: Sequence[int], max_abs: int | Sequence[int], parties: int) -> list[int]:
    """The signed sums of `parties` vectors that went through offset_signed."""
    bounds = _bounds(max_abs, len(sums))
    return [total - parties * bound for total, bound in zip(sums, bounds, strict=True)]


def generate_keypair(bits: int = KEY_BITS) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    # phe retries until n has exactly `bits` bits, which never happens for odd sizes.
    if not MIN_KEY_BITS <= bits <= MAX_KEY_BITS or bits % 8:
        raise ParameterError(f"key size must be a multiple of 8 between {MIN_KEY_BITS} and {MAX_KEY_BITS}")
    public_key, private_key = paillier.generate_paillier_keypair(n_length=bits)
    return public_key, private_key


def _key_bits(public_key: PaillierPublicKey) -> int:
    bits: int = public_key.n.bit_length()
    return bits


def _check_modulus(n: int) -> None:
    if not MIN_KEY_BITS <= n.bit_length() <= MAX_KEY_BITS or n % 2 == 0:
        raise KeyFormatError(f"not a Paillier modulus of {MIN_KEY_BITS} to {MAX_KEY_BITS} bits")


def public_key_to_bytes(public_key: PaillierPublicKey) -> bytes:
    n: int = public_key.n
    size = (n.bit_length() + 7) // 8
    return _PUBLIC.pack(_PUBLIC_MAGIC, FORMAT_VERSION, size) + n.to_bytes(size, "big")


def public_key_from_bytes(data: bytes) -> PaillierPublicKey:
    if len(data) < _PUBLIC.size:
        raise KeyFormatError("public key truncated")
    magic, version, size = _PUBLIC.unpack_from(data)
    if magic != _PUBLIC_MAGIC or version != FORMAT_VERSION or len(data) != _PUBLIC.size + size:
        raise KeyFormatError("not a serialized Paillier public key of a supported version")
    n = int.from_bytes(data[_PUBLIC.size :], "big")
    _check_modulus(n)
    return PaillierPublicKey(n)


def key_fingerprint(public_key: PaillierPublicKey) -> bytes:
    return hashlib.sha256(public_key_to_bytes(public_key)).digest()


def private_key_to_bytes(private_key: PaillierPrivateKey) -> bytes:
    """p and q: for the recipient's agent only, never for the exchange."""
    p: int = private_key.p
    q: int = private_key.q
    p_size, q_size = (p.bit_length() + 7) // 8, (q.bit_length() + 7) // 8
    header = _PRIVATE.pack(_PRIVATE_MAGIC, FORMAT_VERSION, p_size, q_size)
    return header + p.to_bytes(p_size, "big") + q.to_bytes(q_size, "big")


def private_key_from_bytes(data: bytes) -> PaillierPrivateKey:
    if len(data) < _PRIVATE.size:
        raise KeyFormatError("private key truncated")
    magic, version, p_size, q_size = _PRIVATE.unpack_from(data)
    if magic != _PRIVATE_MAGIC or version != FORMAT_VERSION or len(data) != _PRIVATE.size + p_size + q_size:
        raise KeyFormatError("not a serialized Paillier private key of a supported version")
    p = int.from_bytes(data[_PRIVATE.size : _PRIVATE.size + p_size], "big")
    q = int.from_bytes(data[_PRIVATE.size + p_size :], "big")
    if p == q or not (gmpy2.is_prime(p) and gmpy2.is_prime(q)):
        raise KeyFormatError("p and q must be distinct primes")
    _check_modulus(p * q)
    return PaillierPrivateKey(PaillierPublicKey(p * q), p, q)


def encryption_threads() -> int:
    """Threads that compute obfuscators: the CPUs this process may use, at most 16, or
    HDX_PAILLIER_THREADS when set (1 turns parallel encryption off)."""
    configured = os.environ.get("HDX_PAILLIER_THREADS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ParameterError(
                f"HDX_PAILLIER_THREADS must be a positive integer, got {configured!r}"
            ) from None
    return max(
        1, min(16, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def _obfuscators(public_key: PaillierPublicKey, count: int, threads: int | None = None) -> list[int]:
    """r^n mod n^2 for fresh random r: the whole cost of a Paillier encryption.

    gmpy2's powmod_base_list releases the interpreter lock, so the exponentiations run on several
    cores at once when the nonces are split between threads (each nonce is still used once)."""
    nonces = [public_key.get_random_lt_n() for _ in range(count)]
    parts = max(1, min(count, threads if threads is not None else encryption_threads()))
    if parts == 1:
        return [int(x) for x in gmpy2.powmod_base_list(nonces, public_key.n, public_key.nsquare)]
    size = -(-count // parts)
    groups = [nonces[start : start + size] for start in range(0, count, size)]
    with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="hdx-paillier") as pool:
        results = pool.map(
            lambda group: gmpy2.powmod_base_list(group, public_key.n, public_key.nsquare), groups
        )
        return [int(x) for result in results for x in result]


class ObfuscatorPool:
    """Obfuscators computed ahead of time (they do not depend on the data), each handed out once.

    An agent can fill a pool while it waits for its data query, so that encryption proper costs
    one multiplication per ciphertext. Keep it private to the encrypting agent (an obfuscator
    reveals the plaintext of the ciphertext it went into) and do not share it between threads.
    """

    def __init__(self, public_key: PaillierPublicKey, threads: int | None = None) -> None:
        self.public_key = public_key
        self.threads = threads
        self._ready: list[int] = []

    def __len__(self) -> int:
        return len(self._ready)

    def fill(self, count: int) -> None:
        self._ready.extend(_obfuscators(self.public_key, count, self.threads))

    def take(self, count: int) -> list[int]:
        if count > len(self._ready):
            self.fill(count - len(self._ready))
        taken = self._ready[:count]
        del self._ready[:count]
        return taken


@dataclass(frozen=True)
class PackedCiphertext:
    """Encrypted vector: `bound` is the largest value any slot can hold given how it was made."""

    public_key: PaillierPublicKey
    spec: PackingSpec
    length: int
    bound: int
    ciphertexts: tuple[int, ...]

    def to_bytes(self) -> bytes:
        """Versioned layout followed by a SHA-256 checksum (catches corruption, not forgery)."""
        width = _ciphertext_bytes(self.public_key)
        bound = self.bound.to_bytes((self.bound.bit_length() + 7) // 8, "big")
        runs = _runs(self.spec.widths)
        header = _PACKED.pack(
            _PACKED_MAGIC,
            _PACKED_VERSION,
            self.spec.value_bits,
            self.spec.scalar_bits,
            self.spec.max_parties,
            self.length,
            key_fingerprint(self.public_key),
            len(bound),
            len(runs),
        )
        body = header + bound + b"".join(_RUN.pack(w, n) for w, n in runs)
        body += b"".join(c.to_bytes(width, "big") for c in self.ciphertexts)
        return body + hashlib.sha256(body).digest()

    @classmethod
    def from_bytes(cls, data: bytes, public_key: PaillierPublicKey) -> PackedCiphertext:
        """Parse and validate a packed ciphertext that must be encrypted under `public_key`."""
        if len(data) < _PACKED.size + _CHECKSUM_BYTES:
            raise WireFormatError(f"packed ciphertext truncated: {len(data)} bytes")
        body, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
        if hashlib.sha256(body).digest() != checksum:
            raise WireFormatError("packed ciphertext checksum mismatch: the bytes were corrupted")
        magic, version, value_bits, scalar_bits, max_parties, length, fingerprint, bound_size, run_count = (
            _PACKED.unpack_from(body)
        )
        if magic != _PACKED_MAGIC:
            raise WireFormatError(f"not a packed Paillier ciphertext (magic {magic!r})")
        if version != _PACKED_VERSION:
            raise WireFormatError(f"unsupported packed ciphertext version {version}")
        if fingerprint != key_fingerprint(public_key):
            raise IntegrityError("the ciphertext is encrypted under a different public key")
        if not 1 <= length <= MAX_ELEMENTS or run_count > length:
            raise WireFormatError(f"a vector of {length} elements in {run_count} width runs is not valid")
        offset = _PACKED.size + bound_size
        bound = int.from_bytes(body[_PACKED.size : offset], "big")
        if len(body) < offset + run_count * _RUN.size:
            raise WireFormatError("packed ciphertext truncated in its element widths")
        runs = [_RUN.unpack_from(body, offset + i * _RUN.size) for i in range(run_count)]
        offset += run_count * _RUN.size
        if runs and sum(n for _, n in runs) != length:
            raise WireFormatError("the element widths do not cover the vector")
        try:
            spec = PackingSpec(
                value_bits, max_parties, scalar_bits, tuple(w for w, n in runs for _ in range(n))
            )
            count = len(spec.chunks(_key_bits(public_key), length))
        except ParameterError as exc:
            raise WireFormatError(f"invalid packing in ciphertext: {exc}") from exc
        if not spec.fits(bound):
            raise WireFormatError("the declared slot bound exceeds the packing's capacity")
        width = _ciphertext_bytes(public_key)
        if len(body) != offset + count * width:
            raise WireFormatError(f"expected {count} ciphertexts of {width} bytes after the header")
        ciphertexts = tuple(
            int.from_bytes(body[start : start + width], "big") for start in range(offset, len(body), width)
        )
        if not all(0 < c < public_key.nsquare for c in ciphertexts):
            raise WireFormatError("a ciphertext is outside Z_{n^2}")
        return cls(public_key, spec, length, bound, ciphertexts)


def _runs(widths: Sequence[int]) -> list[tuple[int, int]]:
    """Equal consecutive widths as (width, count)."""
    runs: list[tuple[int, int]] = []
    for width in widths:
        if runs and runs[-1][0] == width:
            runs[-1] = (width, runs[-1][1] + 1)
        else:
            runs.append((width, 1))
    return runs


def _ciphertext_bytes(public_key: PaillierPublicKey) -> int:
    size: int = (public_key.nsquare.bit_length() + 7) // 8
    return size


def _as_ints(values: IntVector) -> list[int]:
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    try:
        # operator.index refuses floats rather than silently truncating them.
        return [operator.index(value) for value in items]
    except TypeError as exc:
        raise EncodingError(
            "Paillier vectors hold integers; encode real values as fixed point first"
        ) from exc


def encrypt_vector(
    public_key: PaillierPublicKey, values: IntVector, spec: PackingSpec, pool: ObfuscatorPool | None = None
) -> PackedCiphertext:
    """Encrypt integers in [0, 2^width) (each element's width, see PackingSpec), packed greedily."""
    ints = _as_ints(values)
    if not 1 <= len(ints) <= MAX_ELEMENTS:
        raise EncodingError(f"vector length must be between 1 and {MAX_ELEMENTS}, got {len(ints)}")
    widths = spec.element_bits(len(ints))
    for index, (value, width) in enumerate(zip(ints, widths, strict=True)):
        if value < 0 or value >> width:
            raise EncodingError(
                f"value {value} at index {index} is outside [0, 2^{width}); "
                "offset signed values with offset_signed and declare enough value bits"
            )
    chunks = spec.chunks(_key_bits(public_key), len(ints))
    if pool is not None and pool.public_key != public_key:
        raise ParameterError("the obfuscator pool belongs to another public key")
    headroom = spec.headroom_bits
    plaintexts = [_pack([(ints[i], widths[i] + headroom) for i in chunk]) for chunk in chunks]
    obfuscators = (pool if pool is not None else ObfuscatorPool(public_key)).take(len(plaintexts))
    nsquare = gmpy2.mpz(public_key.nsquare)
    # raw_encrypt with r = 1 is phe's unobfuscated encryption g^m = 1 + m*n; the fresh r^n makes it
    # a full encryption, exactly as phe's EncryptedNumber.obfuscate does.
    ciphertexts = tuple(
        int(gmpy2.mpz(public_key.raw_encrypt(m, 1)) * r % nsquare)
        for m, r in zip(plaintexts, obfuscators, strict=True)
    )
    return PackedCiphertext(public_key, spec, len(ints), spec.value_limit, ciphertexts)


def _pack(slots: Sequence[tuple[int, int]]) -> int:
    """(value, slot bits) pairs in one integer, the first in the lowest bits."""
    packed = 0
    for value, slot_bits in reversed(slots):
        packed = (packed << slot_bits) | value
    return packed


def add(a: PackedCiphertext, b: PackedCiphertext) -> PackedCiphertext:
    """Encryption of the elementwise sum; refused if any slot could carry."""
    if a.public_key != b.public_key:
        raise IntegrityError("cannot add ciphertexts encrypted under different public keys")
    if a.spec != b.spec or a.length != b.length:
        raise ParameterError("cannot add ciphertexts of different packings or vector lengths")
    bound = a.bound + b.bound
    if not a.spec.fits(bound):
        raise CapacityError(
            f"the sum could exceed the slots: more parties than max_parties={a.spec.max_parties} "
            f"or scalars above 2^{a.spec.scalar_bits}"
        )
    nsquare = gmpy2.mpz(a.public_key.nsquare)
    ciphertexts = tuple(
        int(gmpy2.mpz(x) * y % nsquare) for x, y in zip(a.ciphertexts, b.ciphertexts, strict=True)
    )
    return PackedCiphertext(a.public_key, a.spec, a.length, bound, ciphertexts)


def scalar_multiply(packed: PackedCiphertext, scalar: int) -> PackedCiphertext:
    """Encryption of every element times a non-negative scalar (a Lagrange coefficient mod p)."""
    scalar = operator.index(scalar)
    if scalar < 0:
        raise ParameterError("scalars must be non-negative; apply coefficients as residues mod p")
    bound = packed.bound * scalar
    if not packed.spec.fits(bound):
        raise CapacityError(
            f"multiplying by {scalar} could exceed the {packed.spec.slot_bits}-bit slots; "
            f"declare scalar_bits >= {scalar.bit_length()}"
        )
    n = packed.public_key.nsquare
    ciphertexts = tuple(int(gmpy2.powmod(c, scalar, n)) for c in packed.ciphertexts)
    return PackedCiphertext(packed.public_key, packed.spec, packed.length, bound, ciphertexts)


def decrypt_vector(private_key: PaillierPrivateKey, packed: PackedCiphertext, spec: PackingSpec) -> list[int]:
    """The elements, each checked against its slot's bound (which detects wrong keys and garbling)."""
    if packed.spec != spec:
        raise ParameterError("the ciphertext's packing is not the one the recipient expects")
    if private_key.public_key != packed.public_key:
        raise IntegrityError("the ciphertext is not encrypted under this private key's public key")
    widths = spec.element_bits(packed.length)
    chunks = spec.chunks(_key_bits(packed.public_key), packed.length)
    if len(chunks) != len(packed.ciphertexts):
        raise IntegrityError(f"expected {len(chunks)} ciphertexts, got {len(packed.ciphertexts)}")
    headroom = spec.headroom_bits
    slot_bounds = {width: spec.slot_bound(packed.bound, width) for width in set(widths)}
    values: list[int] = []
    for chunk, ciphertext in zip(chunks, packed.ciphertexts, strict=True):
        plaintext: int = private_key.raw_decrypt(ciphertext)
        for index in chunk:
            slot_bits = widths[index] + headroom
            value = plaintext & ((1 << slot_bits) - 1)
            plaintext >>= slot_bits
            if value > slot_bounds[widths[index]]:
                raise _outside_packing()
            values.append(value)
        if plaintext:
            raise _outside_packing()
    return values


def _outside_packing() -> IntegrityError:
    return IntegrityError(
        "decryption gave values outside the packing: wrong key, corrupted ciphertext, or "
        "a sum beyond the declared parties"
    )
