"""What kind of file was uploaded: binary or text, encoding, delimiter, header.

Decided from the first bytes only; the rest of the file is checked by the parser. Runs in a worker thread.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from hdx.exceptions import Unprocessable, UnsupportedMediaType

SAMPLE_BYTES = 256 * 1024
MAX_HEADER_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# Signatures of the files most often uploaded by mistake in place of a CSV export.
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an Office document (an .xls workbook?)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Layout:
    delimiter: str
    header: list[str]

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]


def sniff(path: Path) -> Layout:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        whole_file = not handle.read(1)
    if not sample.strip():
        raise Unprocessable("The file is empty")
    for signature, what in _SIGNATURES:
        if sample.startswith(signature):
            raise UnsupportedMediaType(f"This is {what}, not a CSV file: export the table as CSV (UTF-8)")
    if sample.startswith(_UTF16_BOMS):
        raise Unprocessable("The file is UTF-16 text: save it as CSV with UTF-8 encoding")
    if b"\x00" in sample:
        raise UnsupportedMediaType("The file contains NUL bytes: it is binary data, not a CSV text file")
    sample = sample.removeprefix(codecs.BOM_UTF8)
    end = sample.find(b"\n")
    if end < 0 and not whole_file:
        raise Unprocessable(
            f"Line 1 is longer than {MAX_HEADER_BYTES:,} bytes; the first line of a CSV file must be "
            "its header (the column names)"
        )
    header_bytes = sample if end < 0 else sample[:end]
    if len(header_bytes) > MAX_HEADER_BYTES:
        raise Unprocessable(
            f"Line 1 is longer than {MAX_HEADER_BYTES:,} bytes; the first line of a CSV file must be "
            "its header (the column names)"
        )
    try:
        header_line = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise Unprocessable(_not_utf8(1)) from exc
    if _looks_binary(header_line):
        raise UnsupportedMediaType("The file contains control characters: it is not a CSV text file")
    rest = b"" if end < 0 else sample[end + 1 :]
    if whole_file and not rest.strip():
        raise Unprocessable("The file has a header but no data rows")
    delimiter, header = _split_header(header_line)
    return Layout(delimiter=delimiter, header=header)


def _split_header(line: str) -> tuple[str, list[str]]:
    best: tuple[str, list[str]] = (",", [line])
    for delimiter in DELIMITERS:
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if len(fields) > len(best[1]):
            best = (delimiter, fields)
    delimiter, fields = best
    names = [field.strip() for field in fields]
    for position, name in enumerate(names, start=1):
        if not name:
            raise Unprocessable(f"Column {position} of the header has no name")
    return delimiter, names


def _looks_binary(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text)


def _not_utf8(line: int) -> str:
    return f"The file is not valid UTF-8 text (first invalid byte on line {line}): save it as CSV UTF-8"


def not_utf8_error(path: Path) -> Unprocessable:
    """Locate the first byte that is not UTF-8, for a message the uploader can act on."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return Unprocessable(_not_utf8(line + chunk.count(b"\n", 0, exc.start)))
            line += chunk.count(b"\n")
    return Unprocessable(_not_utf8(line))
