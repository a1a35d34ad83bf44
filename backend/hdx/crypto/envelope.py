"""AES-256-GCM envelope encryption: sealed keys and segmented data streams.

Two formats, both versioned and both binding caller-supplied associated data (AAD):

* `seal` / `open_sealed` protect small values, such as a data key wrapped by an organization key:
  ``"HDXK" | version | nonce(12) | ciphertext+tag``.
* `seal_stream` / `open_stream` protect data of any size with bounded memory (the STREAM
  construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in Tink's streaming AEAD): a header
  ``"HDXS" | version | log2(segment size) | nonce prefix(7)`` followed by segments, each sealed with
  nonce ``prefix | segment index (4, big-endian) | last-segment flag (1)``. The index stops segments
  from being reordered or duplicated, the authenticated last flag stops a stream from being cut at a
  segment boundary, and the header is part of every segment's AAD.

A fresh random key is used for each stream (a data key per dataset version), so the 56-bit random
prefix only has to separate the few streams one key could ever seal.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hdx.crypto.errors import IntegrityError, KeyFormatError, WireFormatError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = 1
DEFAULT_SEGMENT_BYTES = 1 << 20

_KEY_MAGIC = b"HDXK"
_STREAM_MAGIC = b"HDXS"
_KEY_HEADER = _KEY_MAGIC + bytes([VERSION])
_PREFIX_BYTES = 7
_STREAM_HEADER_BYTES = len(_STREAM_MAGIC) + 2 + _PREFIX_BYTES
_MIN_SEGMENT_LOG2, _MAX_SEGMENT_LOG2 = 4, 24
_MAX_SEGMENTS = 1 << 32


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A short public fingerprint telling which key protected something, without revealing the key."""
    _check_key(key)
    return hmac.new(key, b"hdx key id v1", hashlib.sha256).hexdigest()[:16]


def associated_data(*parts: str) -> bytes:
    """Length-prefixed encoding of context strings, so ("ab", "c") and ("a", "bc") never collide."""
    out = bytearray()
    for part in parts:
        raw = part.encode()
        out += struct.pack(">I", len(raw)) + raw
    return bytes(out)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    return _KEY_HEADER + nonce + AESGCM(key).encrypt(nonce, plaintext, _KEY_HEADER + aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    _check_key(key)
    header_len = len(_KEY_HEADER)
    if len(sealed) < header_len + NONCE_BYTES + TAG_BYTES or not sealed.startswith(_KEY_MAGIC):
        raise WireFormatError("sealed value is truncated or is not an HDX envelope")
    if sealed[len(_KEY_MAGIC)] != VERSION:
        raise WireFormatError(f"sealed value has unsupported envelope version {sealed[len(_KEY_MAGIC)]}")
    nonce = sealed[header_len : header_len + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, sealed[header_len + NONCE_BYTES :], _KEY_HEADER + aad)
    except InvalidTag as exc:
        raise IntegrityError(
            "sealed value failed authentication: it was altered, or the key or its context is wrong"
        ) from exc


def seal_stream(
    key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    aad: bytes,
    *,
    segment_bytes: int = DEFAULT_SEGMENT_BYTES,
) -> int:
    """Encrypt `source` to `sink` one segment at a time; returns the number of bytes written."""
    writer = SealingWriter(key, sink, aad, segment_bytes=segment_bytes)
    while chunk := source.read(segment_bytes):
        writer.write(chunk)
    return writer.close()


class SealingWriter:
    """The writing side of `seal_stream`, for producers that push bytes (such as a Parquet encoder).

    A segment is sealed as soon as a byte beyond it arrives, so at most one segment of plaintext is
    held; `close` seals the rest as the last segment. The output is the same as `seal_stream`'s.
    """

    def __init__(
        self, key: bytes, sink: BinaryIO, aad: bytes, *, segment_bytes: int = DEFAULT_SEGMENT_BYTES
    ) -> None:
        _check_key(key)
        log2 = segment_bytes.bit_length() - 1
        if segment_bytes != 1 << log2 or not _MIN_SEGMENT_LOG2 <= log2 <= _MAX_SEGMENT_LOG2:
            raise ValueError(
                f"segment size must be a power of two between 2^{_MIN_SEGMENT_LOG2} and 2^{_MAX_SEGMENT_LOG2}"
            )
        self._header = _STREAM_MAGIC + bytes([VERSION, log2]) + os.urandom(_PREFIX_BYTES)
        self._cipher = AESGCM(key)
        self._aad = self._header + aad
        self._sink = sink
        self._segment_bytes = segment_bytes
        self._pending = bytearray()
        self._index = 0
        self._closed = False
        self.written = sink.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed envelope stream")
        self._pending += data
        size = self._segment_bytes
        if len(self._pending) > size:
            # Whole segments that are certainly not the last: more bytes follow them.
            cut = (len(self._pending) - 1) // size * size
            view = memoryview(self._pending)
            try:
                for start in range(0, cut, size):
                    self._seal(view[start : start + size], last=False)
            finally:
                view.release()
            del self._pending[:cut]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: a segment can only be sealed once it is known whether it is the last."""

    def close(self) -> int:
        """Seal the last segment; returns the number of bytes written in all."""
        if not self._closed:
            self._seal(self._pending, last=True)
            self._pending = bytearray()
            self._closed = True
        return self.written

    def _seal(self, segment: bytes | bytearray | memoryview, *, last: bool) -> None:
        if self._index >= _MAX_SEGMENTS:
            raise ValueError("stream is too long for one envelope")
        nonce = _segment_nonce(self._header, self._index, last)
        self.written += self._sink.write(self._cipher.encrypt(nonce, bytes(segment), self._aad))
        self._index += 1


def open_stream(key: bytes, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    """Yield the plaintext segment by segment; raises IntegrityError at the first segment that fails."""
    _check_key(key)
    header = source.read(_STREAM_HEADER_BYTES)
    if len(header) < _STREAM_HEADER_BYTES or not header.startswith(_STREAM_MAGIC):
        raise WireFormatError("stored data is truncated or is not an HDX envelope")
    version, log2 = header[4], header[5]
    if version != VERSION:
        raise WireFormatError(f"stored data has unsupported envelope version {version}")
    if not _MIN_SEGMENT_LOG2 <= log2 <= _MAX_SEGMENT_LOG2:
        raise IntegrityError("envelope header was altered (impossible segment size)")
    sealed_bytes = (1 << log2) + TAG_BYTES
    cipher = AESGCM(key)
    segment_aad = header + aad
    current = source.read(sealed_bytes)
    index = 0
    while True:
        following = source.read(sealed_bytes) if len(current) == sealed_bytes else b""
        last = not following
        if len(current) < TAG_BYTES or index >= _MAX_SEGMENTS:
            raise IntegrityError("stored data is truncated")
        try:
            plaintext = cipher.decrypt(_segment_nonce(header, index, last), current, segment_aad)
        except InvalidTag as exc:
            raise IntegrityError(
                f"segment {index} failed authentication: the data was altered, truncated or reordered, "
                "or the key or its context is wrong"
            ) from exc
        yield plaintext
        if last:
            return
        current = following
        index += 1


def _segment_nonce(header: bytes, index: int, last: bool) -> bytes:
    return header[-_PREFIX_BYTES:] + struct.pack(">IB", index, 1 if last else 0)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"AES-256 keys are {KEY_BYTES} bytes, got {len(key)}")
