"""HDX_MAX_BODY_BYTES: request bodies are refused while they arrive, not after they were read in full."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from hdx.app import create_app
from hdx.config import Settings
from tests.computations.conftest import ORGS, _org, post_message, running
from tests.conftest import MakeUser
from tests.datasets.conftest import upload
from tests.kit.serving import served

LIMIT = 4096
CHUNK = 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": LIMIT})


class CountedBody:
    """A request body sent one chunk at a time, counting the chunks the server asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    @property
    def size(self) -> int:
        return self.chunks * CHUNK

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"a" * CHUNK


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "payload_too_large"
    assert f"{LIMIT:,} bytes" in body["detail"]
    assert response.headers["X-Request-ID"]


async def test_declared_length_over_the_limit_is_refused_before_any_byte_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = CountedBody(1000)  # about 1 MB of JSON for a login
    response = await client.post(
        "/login",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(body.size)},
    )
    _assert_too_large(response)
    assert body.pulled == 0


async def test_chunked_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    body = CountedBody(1000)
    response = await client.post("/login", content=body, headers={"Content-Type": "application/json"})
    _assert_too_large(response)
    assert body.pulled <= LIMIT // CHUNK + 1


async def test_form_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"username": "a@b.example.org", "password": "x" * LIMIT})
    _assert_too_large(response)


async def test_body_within_the_limit_reaches_the_endpoint(client: httpx.AsyncClient) -> None:
    exactly = orjson.dumps({"email": "nobody@example.org", "password": "p" * 12})
    exactly = exactly[:-1] + b" " * (LIMIT - len(exactly)) + b"}"
    assert len(exactly) == LIMIT
    response = await client.post("/login", content=exactly, headers={"Content-Type": "application/json"})
    assert response.status_code == 401, response.text


async def test_uploads_keep_their_own_limit(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    user = await make_user()
    rows = "".join(f"MRN-{100_000 + i},{40 + i % 50}\n" for i in range(600))
    content = ("patient_id,age\n" + rows).encode()
    assert len(content) > 2 * LIMIT
    response = await upload(client, user.headers, content)
    assert response.status_code == 201, response.text

    settings.max_upload_bytes = len(content) - 1
    refused = await upload(client, user.headers, content)
    assert refused.status_code == 413
    assert "upload limit" in refused.json()["detail"]


async def test_protocol_messages_keep_their_own_limit(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    orgs = [await _org(client, make_user, name) for name in ORGS]
    computation = await running(client, orgs)
    payload = b"\x01" * (4 * LIMIT)
    response = await post_message(client, orgs[0], computation["id"], payload)
    assert response.status_code == 201, response.text

    settings.max_message_bytes = 2 * LIMIT
    refused = await post_message(client, orgs[1], computation["id"], payload)
    assert refused.status_code == 413
    assert "protocol message" in refused.json()["detail"]


async def _raw_post(base_url: str, declared: int, sent: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    writer.write(head.encode() + sent)
    await writer.drain()
    try:
        async with asyncio.timeout(10):
            return await reader.read(65536)
    finally:
        writer.close()


async def test_server_answers_413_without_waiting_for_a_declared_100_mb(
    settings: Settings, clean_state: None
) -> None:
    app: FastAPI = create_app(settings)
    async with served(app) as base_url:
        answer = await _raw_post(base_url, 100 * 1024 * 1024, b'{"email": "')
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"payload_too_large" in rest
