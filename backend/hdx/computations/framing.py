"""The stream in which an agent receives its round messages: one GET, many messages.

    stream  = magic "HDXS" | version u8 (=1) | count u32 | frame * count
    frame   = round u32 | sender u16 | recipient u16 | kind_len u8 | kind (ASCII)
              | sha256 (32 bytes) | payload_len u64 | payload

Big-endian. Party index 0 is the exchange, as in hdx.crypto.wire: recipient 0 means "to the exchange",
sender 0 marks what the exchange published to every party. Payloads are the agents' own messages
(hdx.crypto.wire), untouched; the digest lets the receiver detect a payload corrupted in storage or
transit before it even tries to open it. Pure code: the agent decodes with the same module.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAGIC = b"HDXS"
VERSION = 1
_STREAM = struct.Struct(">4sBI")
_FRAME = struct.Struct(">IHHB")
_LENGTH = struct.Struct(">Q")


@dataclass(frozen=True)
class Frame:
    round: int
    sender: int
    recipient: int
    kind: str
    payload: bytes

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.payload).digest()


class FramingError(ValueError):
    pass


def encode(frames: list[Frame]) -> bytes:
    parts = [_STREAM.pack(MAGIC, VERSION, len(frames))]
    for frame in frames:
        kind = frame.kind.encode("ascii")
        parts.append(_FRAME.pack(frame.round, frame.sender, frame.recipient, len(kind)))
        parts.append(kind)
        parts.append(frame.sha256)
        parts.append(_LENGTH.pack(len(frame.payload)))
        parts.append(frame.payload)
    return b"".join(parts)


def decode(data: bytes) -> list[Frame]:
    view = memoryview(data)
    if len(view) < _STREAM.size:
        raise FramingError("stream shorter than its header")
    magic, version, count = _STREAM.unpack_from(view, 0)
    if magic != MAGIC or version != VERSION:
        raise FramingError(f"not an HDX message stream of version {VERSION}")
    offset = _STREAM.size
    frames = []
    for _ in range(count):
        round_number, sender, recipient, kind_len = _take(_FRAME, view, offset)
        offset += _FRAME.size
        kind = bytes(_slice(view, offset, kind_len)).decode("ascii")
        offset += kind_len
        digest = bytes(_slice(view, offset, 32))
        offset += 32
        (length,) = _take(_LENGTH, view, offset)
        offset += _LENGTH.size
        payload = bytes(_slice(view, offset, length))
        offset += length
        frame = Frame(round_number, sender, recipient, kind, payload)
        if frame.sha256 != digest:
            raise FramingError(f"payload from party {sender} ({kind}) does not match its digest")
        frames.append(frame)
    if offset != len(view):
        raise FramingError("trailing bytes after the last frame")
    return frames


def _take(layout: struct.Struct, view: memoryview, offset: int) -> tuple[int, ...]:
    if offset + layout.size > len(view):
        raise FramingError("stream truncated")
    return layout.unpack_from(view, offset)


def _slice(view: memoryview, offset: int, length: int) -> memoryview:
    if offset + length > len(view):
        raise FramingError("stream truncated")
    return view[offset : offset + length]
