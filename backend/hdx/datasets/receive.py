"""Receiving a multipart upload straight to a temporary file, with the size limit enforced as bytes arrive.

FastAPI's own form handling buffers the whole body (spooled to the system temp dir) before an endpoint
runs, so it can enforce no limit while streaming and may leave patient data outside the data directory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from hdx.exceptions import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType

FILE_FIELD = "file"
TEXT_FIELDS = ("category", "name", "description")
MAX_TEXT_FIELD_BYTES = 4096
# Room for the multipart framing and the text fields around the file itself.
_ENVELOPE_BYTES = 64 * 1024

OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "category"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "CSV file, UTF-8"},
                        "category": {
                            "type": "string",
                            "description": "Catalog category (GET /datasets/catalog)",
                        },
                        "name": {"type": "string", "description": "Display name (default: the file name)"},
                        "description": {"type": "string"},
                    },
                }
            }
        },
    }
}


@dataclass
class ReceivedUpload:
    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


@asynccontextmanager
async def receive_upload(request: Request, directory: Path, max_bytes: int) -> AsyncIterator[ReceivedUpload]:
    """Yield the received upload; its temporary file is removed on exit whatever happened."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + _ENVELOPE_BYTES:
        raise PayloadTooLarge(_too_large(max_bytes))
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("Send the upload as multipart/form-data with a 'file' part")
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".csv", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            receiver = _Receiver(sink, max_bytes)
            await receiver.feed(request, boundary)
        if receiver.filename is None:
            raise Unprocessable("The form has no 'file' part: attach the CSV file as 'file'")
        yield ReceivedUpload(path, receiver.filename, receiver.size, receiver.fields)
    finally:
        path.unlink(missing_ok=True)


class _Receiver:
    def __init__(self, sink: IO[bytes], max_bytes: int) -> None:
        self.sink = sink
        self.max_bytes = max_bytes
        self.size = 0
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._part: str | None = None
        self._text = bytearray()

    async def feed(self, request: Request, boundary: bytes) -> None:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )
        try:
            # Chunks go to the page cache synchronously: far cheaper than a thread hop per chunk.
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise BadRequest("The multipart body is malformed") from exc

    def _part_begin(self) -> None:
        self._headers = {}
        self._part = None
        self._text = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE_FIELD:
            if self.filename is not None:
                raise BadRequest("Send exactly one file per upload")
            self.filename = options.get(b"filename", b"upload.csv").decode("utf-8", "replace")
        elif name not in TEXT_FIELDS:
            raise BadRequest(
                f"Unexpected form field '{name[:40]}' (expected: file, {', '.join(TEXT_FIELDS)})"
            )
        self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == FILE_FIELD:
            self.size += end - start
            if self.size > self.max_bytes:
                raise PayloadTooLarge(_too_large(self.max_bytes))
            self.sink.write(memoryview(data)[start:end])
            return
        self._text += data[start:end]
        if len(self._text) > MAX_TEXT_FIELD_BYTES:
            raise Unprocessable(f"Form field '{self._part}' is longer than {MAX_TEXT_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._part is not None and self._part != FILE_FIELD:
            try:
                self.fields[self._part] = self._text.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise Unprocessable(f"Form field '{self._part}' is not UTF-8 text") from exc


def _too_large(max_bytes: int) -> str:
    return f"The file is larger than the {max_bytes:,}-byte upload limit"
