"""The table inside a dataset's envelope: Parquet files ("parts") one after another.

    "HDXT" | version (1 byte) | { kind (1 byte) | length (8 bytes, big-endian) | Parquet file } ...

Row parts ("R") hold consecutive rows. A dictionary part ("D") has one column, and the rows' column
of the same name holds positions (UInt32) into it instead of the values: pseudonyms are stored once
per patient, not once per row. An upload is encoded chunk by chunk as it is validated, each chunk a
complete Parquet file of its own, so encoding holds one chunk at a time.

Blobs stored before this format are one Parquet file (they start with "PAR1") and are read as such.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import Protocol

import polars as pl

MAGIC = b"HDXT"
VERSION = 1
ROWS = b"R"
DICTIONARY = b"D"
_HEADER = MAGIC + bytes([VERSION])
_PART = struct.Struct(">cQ")
_PARQUET_MAGIC = b"PAR1"


class FormatError(ValueError):
    pass


class _Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


class PartWriter:
    """Writes the header, then one part per call."""

    def __init__(self, sink: _Sink) -> None:
        self._sink = sink
        sink.write(_HEADER)

    def rows(self, frame: pl.DataFrame) -> None:
        self._part(ROWS, frame)

    def dictionary(self, values: pl.Series) -> None:
        self._part(DICTIONARY, values.to_frame())

    def _part(self, kind: bytes, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        # zstd level 1: half the size of lz4's output for about 40% more encoding time. Statistics
        # would only serve predicate pushdown, and the table is always read whole.
        frame.write_parquet(buffer, compression="zstd", compression_level=1, statistics=False)
        self._sink.write(_PART.pack(kind, buffer.tell()))
        with buffer.getbuffer() as view:
            self._sink.write(view)


def read(plaintext: bytes) -> pl.DataFrame:
    if plaintext.startswith(_PARQUET_MAGIC):
        return pl.read_parquet(io.BytesIO(plaintext))
    if not plaintext.startswith(MAGIC) or len(plaintext) < len(_HEADER):
        raise FormatError("the stored table is neither Parquet nor HDX parts")
    if plaintext[len(MAGIC)] != VERSION:
        raise FormatError(f"the stored table has unsupported version {plaintext[len(MAGIC)]}")
    rows: list[pl.DataFrame] = []
    dictionaries: list[pl.Series] = []
    for kind, part in _parts(plaintext):
        frame = pl.read_parquet(io.BytesIO(part))
        if kind == ROWS:
            rows.append(frame)
        elif kind == DICTIONARY and frame.width == 1:
            dictionaries.append(frame.to_series())
        else:
            raise FormatError(f"the stored table has a part of unknown kind {kind!r}")
    if not rows:
        raise FormatError("the stored table has no rows")
    table = pl.concat(rows, rechunk=False)
    for values in dictionaries:
        positions = table.get_column(values.name, default=None)
        top = None if positions is None else positions.max()
        if (
            positions is None
            or positions.dtype != pl.UInt32
            or (isinstance(top, int) and top >= values.len())
        ):
            raise FormatError(f"the stored column {values.name!r} does not index its dictionary")
        table = table.with_columns(values.gather(positions))
    return table


def _parts(plaintext: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(_HEADER)
    while offset < len(plaintext):
        start = offset + _PART.size
        if start > len(plaintext):
            raise FormatError("the stored table ends inside a part header")
        kind, length = _PART.unpack_from(plaintext, offset)
        offset = start + length
        if offset > len(plaintext):
            raise FormatError("the stored table ends inside a part")
        yield kind, plaintext[start:offset]
