"""Packed Paillier encryption (phe + gmpy2) for the paillier and hybrid protocols.

Many non-negative vector elements share one plaintext: element j of a chunk occupies bits
[j * slot_bits, (j + 1) * slot_bits). Adding ciphertexts adds plaintexts, so slots add
independently as long as no slot ever carries into the next one. A PackingSpec sizes the slots
for the worst case the protocol can produce:

    slot_bits = value_bits + scalar_bits + ceil(log2(max_parties)) + 1

Every element is below 2^value_bits, every scalar at most 2^scalar_bits (scalar_bits = 0 when
nothing is multiplied), and at most max_parties such terms are added, so every sum stays below
2^(slot_bits - 1). The spare top bit of each slot is therefore always zero in a genuine aggregate:
decryption checks it, which detects ciphertexts under another key or garbled ciphertexts (their
plaintexts look random) instead of returning wrong numbers.

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
import struct
from collections.abc import Sequence
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
# magic | version | value_bits | scalar_bits | max_parties | length | key fingerprint | bound bytes
_PACKED = struct.Struct(">4sBHHHI32sH")
_PACKED_MAGIC = b"HDXP"
_CHECKSUM_BYTES = 32

IntVector = Sequence[int] | NDArray[np.integer[Any]]


@dataclass(frozen=True)
class PackingSpec:
    """How vector elements are laid out in plaintexts; see the module docstring for the bound."""

    value_bits: int
    max_parties: int
    scalar_bits: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.value_bits <= MAX_KEY_BITS:
            raise ParameterError(f"value_bits must be between 1 and {MAX_KEY_BITS}, got {self.value_bits}")
        if not 0 <= self.scalar_bits <= MAX_KEY_BITS:
            raise ParameterError(f"scalar_bits must be between 0 and {MAX_KEY_BITS}, got {self.scalar_bits}")
        if not 1 <= self.max_parties <= MAX_PARTIES:
            raise ParameterError(f"max_parties must be between 1 and {MAX_PARTIES}, got {self.max_parties}")

    @classmethod
    def for_signed(cls, max_abs: int, max_parties: int) -> PackingSpec:
        """Room for values in [-max_abs, max_abs] after offset_signed (e.g. encoding.max_encoded)."""
        if max_abs < 0:
            raise ParameterError(f"max_abs must be non-negative, got {max_abs}")
        return cls(value_bits=max(1, (2 * max_abs).bit_length()), max_parties=max_parties)

    @property
    def slot_bits(self) -> int:
        # (max_parties - 1).bit_length() is ceil(log2(max_parties)), exactly.
        return self.value_bits + self.scalar_bits + (self.max_parties - 1).bit_length() + 1

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


def field_combination_spec(parties: int) -> PackingSpec:
    """Slots for sum(lambda_i * s_i) over at most `parties` residues s_i, lambda_i mod 2^61-1."""
    return PackingSpec(value_bits=FIELD_BITS, max_parties=parties, scalar_bits=FIELD_BITS)


def offset_signed(values: IntVector, max_abs: int) -> list[int]:
    """v + max_abs for every |v| <= max_abs, so that encrypted sums stay non-negative."""
    ints = _as_ints(values)
    for index, value in enumerate(ints):
        if abs(value) > max_abs:
            raise EncodingError(f"value {value} at index {index} is outside the declared bound +-{max_abs}")
    return [value + max_abs for value in ints]


def remove_offset(sums: Sequence[int], max_abs: int, parties: int) -> list[int]:
    """The signed sums of `parties` vectors that went through offset_signed."""
    return [total - parties * max_abs for total in sums]


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


def _obfuscators(public_key: PaillierPublicKey, count: int) -> list[int]:
    """r^n mod n^2 for fresh random r: the whole cost of a Paillier encryption."""
    nonces = [public_key.get_random_lt_n() for _ in range(count)]
    return [int(x) for x in gmpy2.powmod_base_list(nonces, public_key.n, public_key.nsquare)]


class ObfuscatorPool:
    """Obfuscators computed ahead of time (they do not depend on the data), each handed out once.

    An agent can fill a pool while it waits for its data query, so that encryption proper costs
    one multiplication per ciphertext. Keep it private to the encrypting agent (an obfuscator
    reveals the plaintext of the ciphertext it went into) and do not share it between threads.
    """

    def __init__(self, public_key: PaillierPublicKey) -> None:
        self.public_key = public_key
        self._ready: list[int] = []

    def __len__(self) -> int:
        return len(self._ready)

    def fill(self, count: int) -> None:
        self._ready.extend(_obfuscators(self.public_key, count))

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
        header = _PACKED.pack(
            _PACKED_MAGIC,
            FORMAT_VERSION,
            self.spec.value_bits,
            self.spec.scalar_bits,
            self.spec.max_parties,
            self.length,
            key_fingerprint(self.public_key),
            len(bound),
        )
        body = header + bound + b"".join(c.to_bytes(width, "big") for c in self.ciphertexts)
        return body + hashlib.sha256(body).digest()

    @classmethod
    def from_bytes(cls, data: bytes, public_key: PaillierPublicKey) -> PackedCiphertext:
        """Parse and validate a packed ciphertext that must be encrypted under `public_key`."""
        if len(data) < _PACKED.size + _CHECKSUM_BYTES:
            raise WireFormatError(f"packed ciphertext truncated: {len(data)} bytes")
        body, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
        if hashlib.sha256(body).digest() != checksum:
            raise WireFormatError("packed ciphertext checksum mismatch: the bytes were corrupted")
        magic, version, value_bits, scalar_bits, max_parties, length, fingerprint, bound_size = (
            _PACKED.unpack_from(body)
        )
        if magic != _PACKED_MAGIC:
            raise WireFormatError(f"not a packed Paillier ciphertext (magic {magic!r})")
        if version != FORMAT_VERSION:
            raise WireFormatError(f"unsupported packed ciphertext version {version}")
        if fingerprint != key_fingerprint(public_key):
            raise IntegrityError("the ciphertext is encrypted under a different public key")
        try:
            spec = PackingSpec(value_bits, max_parties, scalar_bits)
        except ParameterError as exc:
            raise WireFormatError(f"invalid packing in ciphertext: {exc}") from exc
        slots = spec.slots(_key_bits(public_key))
        if slots < 1 or not 1 <= length <= MAX_ELEMENTS:
            raise WireFormatError(f"a vector of {length} elements does not fit this key and packing")
        offset = _PACKED.size + bound_size
        bound = int.from_bytes(body[_PACKED.size : offset], "big")
        if bound > spec.slot_capacity:
            raise WireFormatError("the declared slot bound exceeds the packing's capacity")
        width = _ciphertext_bytes(public_key)
        count = -(-length // slots)
        if len(body) != offset + count * width:
            raise WireFormatError(f"expected {count} ciphertexts of {width} bytes after the header")
        ciphertexts = tuple(
            int.from_bytes(body[start : start + width], "big") for start in range(offset, len(body), width)
        )
        if not all(0 < c < public_key.nsquare for c in ciphertexts):
            raise WireFormatError("a ciphertext is outside Z_{n^2}")
        return cls(public_key, spec, length, bound, ciphertexts)


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
    """Encrypt integers in [0, 2^value_bits), spec.slots(key bits) per ciphertext."""
    ints = _as_ints(values)
    if not 1 <= len(ints) <= MAX_ELEMENTS:
        raise EncodingError(f"vector length must be between 1 and {MAX_ELEMENTS}, got {len(ints)}")
    limit = spec.value_limit
    if min(ints) < 0 or max(ints) > limit:
        index = next(i for i, value in enumerate(ints) if not 0 <= value <= limit)
        raise EncodingError(
            f"value {ints[index]} at index {index} is outside [0, 2^{spec.value_bits}); "
            "offset signed values with offset_signed and declare enough value_bits"
        )
    slots = spec.slots(_key_bits(public_key))
    if slots < 1:
        raise ParameterError(f"a {spec.slot_bits}-bit slot does not fit a {_key_bits(public_key)}-bit key")
    if pool is not None and pool.public_key != public_key:
        raise ParameterError("the obfuscator pool belongs to another public key")
    plaintexts = [_pack(ints[start : start + slots], spec.slot_bits) for start in range(0, len(ints), slots)]
    obfuscators = (pool or ObfuscatorPool(public_key)).take(len(plaintexts))
    nsquare = gmpy2.mpz(public_key.nsquare)
    # raw_encrypt with r = 1 is phe's unobfuscated encryption g^m = 1 + m*n; the fresh r^n makes it
    # a full encryption, exactly as phe's EncryptedNumber.obfuscate does.
    ciphertexts = tuple(
        int(gmpy2.mpz(public_key.raw_encrypt(m, 1)) * r % nsquare)
        for m, r in zip(plaintexts, obfuscators, strict=True)
    )
    return PackedCiphertext(public_key, spec, len(ints), limit, ciphertexts)


def _pack(values: Sequence[int], slot_bits: int) -> int:
    packed = 0
    for value in reversed(values):
        packed = (packed << slot_bits) | value
    return packed


def add(a: PackedCiphertext, b: PackedCiphertext) -> PackedCiphertext:
    """Encryption of the elementwise sum; refused if any slot could carry."""
    if a.public_key != b.public_key:
        raise IntegrityError("cannot add ciphertexts encrypted under different public keys")
    if a.spec != b.spec or a.length != b.length:
        raise ParameterError("cannot add ciphertexts of different packings or vector lengths")
    bound = a.bound + b.bound
    if bound > a.spec.slot_capacity:
        raise CapacityError(
            f"the sum could exceed the {a.spec.slot_bits}-bit slots: more parties than max_parties="
            f"{a.spec.max_parties} or scalars above 2^{a.spec.scalar_bits}"
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
    if bound > packed.spec.slot_capacity:
        raise CapacityError(
            f"multiplying by {scalar} could exceed the {packed.spec.slot_bits}-bit slots; "
            f"declare scalar_bits >= {scalar.bit_length()}"
        )
    n = packed.public_key.nsquare
    ciphertexts = tuple(int(gmpy2.powmod(c, scalar, n)) for c in packed.ciphertexts)
    return PackedCiphertext(packed.public_key, packed.spec, packed.length, bound, ciphertexts)


def decrypt_vector(private_key: PaillierPrivateKey, packed: PackedCiphertext, spec: PackingSpec) -> list[int]:
    """The elements, checked against the slot bound (which detects wrong keys and garbling)."""
    if packed.spec != spec:
        raise ParameterError(f"the ciphertext uses packing {packed.spec}, the recipient expects {spec}")
    if private_key.public_key != packed.public_key:
        raise IntegrityError("the ciphertext is not encrypted under this private key's public key")
    slot_bits = spec.slot_bits
    slots = spec.slots(_key_bits(packed.public_key))
    mask = (1 << slot_bits) - 1
    values: list[int] = []
    for index, ciphertext in enumerate(packed.ciphertexts):
        plaintext: int = private_key.raw_decrypt(ciphertext)
        count = min(slots, packed.length - index * slots)
        chunk = [(plaintext >> (j * slot_bits)) & mask for j in range(count)]
        if plaintext >> (count * slot_bits) or max(chunk) > packed.bound:
            raise IntegrityError(
                "decryption gave values outside the packing: wrong key, corrupted ciphertext, or "
                "a sum beyond the declared parties"
            )
        values.extend(chunk)
    return values
