"""Retries against a real HTTP server that fails on purpose: backoff on network errors, 5xx and 429
(honouring Retry-After), never on other 4xx."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hdx.agent.client import ExchangeClient, Refused, RetryPolicy, Unreachable
from hdx.agent.localnet import free_port

Reply = tuple[int, dict[str, str], bytes]
OK: Reply = (200, {"Content-Type": "application/json"}, b'{"ok": true}')


@dataclass
class Script:
    replies: list[Reply] = field(default_factory=list)
    seen: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)

    def next(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append((self.command, self.path, body, dict(self.headers)))
            status, headers, payload = script.next()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        # http.server dispatches on these method names.
        do_GET = do_POST = _answer

        def log_message(self, *_: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class Sleeps(list[float]):
    """Records the waits instead of spending them, so the test measures the schedule, not the clock."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(url: str, sleeps: Sleeps, attempts: int = 5) -> ExchangeClient:
    return ExchangeClient(
        url,
        "hdx_test_key",
        timeout=5,
        retry=RetryPolicy(attempts=attempts, base_delay=0.1, max_delay=1.0),
        sleep=sleeps,
    )


def error(status: int, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": "oops", "detail": f"status {status}"}).encode()
    return (status, {"Content-Type": "application/json", **(headers or {})}, body)


def test_server_errors_are_retried_until_success(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [error(503), error(500), error(502), OK]
    sleeps = Sleeps()
    with client(url, sleeps) as http:
        assert http.get_json("/agent/computations") == {"ok": True}
    assert len(script.seen) == 4
    assert len(sleeps) == 3
    # Full jitter under an exponential cap: attempt n waits at most base * 2^n.
    assert all(0 <= wait <= 0.1 * 2**n for n, wait in enumerate(sleeps))
    assert all(headers["X-API-Key"] == "hdx_test_key" for *_, headers in script.seen)


def test_a_binary_post_is_resent_with_the_same_bytes(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [error(504), OK]
    with client(url, Sleeps()) as http:
        http.request("POST", "/messages", params={"kind": "share", "recipient": 2}, content=b"\x00\x01sealed")
    assert [(m, p, b) for m, p, b, _ in script.seen] == [
        ("POST", "/messages?kind=share&recipient=2", b"\x00\x01sealed")
    ] * 2
    assert script.seen[0][3]["Content-Type"] == "application/octet-stream"


def test_429_waits_as_long_as_retry_after_asks(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [error(429, {"Retry-After": "3"}), OK]
    sleeps = Sleeps()
    with client(url, sleeps) as http:
        http.get_json("/agent/computations")
    assert sleeps == [3.0]


def test_retry_after_may_be_an_http_date(server: tuple[str, Script]) -> None:
    url, script = server
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script.replies = [error(503, {"Retry-After": when}), OK]
    sleeps = Sleeps()
    with client(url, sleeps) as http:
        http.get_json("/x")
    assert 15 < sleeps[0] <= 20


def test_a_retry_after_beyond_the_limit_gives_up_at_once(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [error(429, {"Retry-After": "3600"})]
    with client(url, Sleeps()) as http, pytest.raises(Unreachable, match="retry after 3600"):
        http.get_json("/x")
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_client_errors_are_never_retried(server: tuple[str, Script], status: int) -> None:
    url, script = server
    script.replies = [error(status), OK]
    sleeps = Sleeps()
    with client(url, sleeps) as http, pytest.raises(Refused) as refused:
        http.post_json("/agent/computations/c/accept", {"source": "agent"})
    assert (refused.value.status_code, refused.value.error, refused.value.detail) == (
        status,
        "oops",
        f"status {status}",
    )
    assert len(script.seen) == 1
    assert sleeps == []


def test_persistent_failure_ends_as_unreachable(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [error(500)]
    sleeps = Sleeps()
    with (
        client(url, sleeps, attempts=3) as http,
        pytest.raises(Unreachable, match="HTTP 500 after 3 attempts"),
    ):
        http.get_json("/x")
    assert (len(script.seen), len(sleeps)) == (3, 2)


def test_a_server_that_is_not_there_is_retried_then_unreachable() -> None:
    sleeps = Sleeps()
    with client(f"http://127.0.0.1:{free_port()}", sleeps, attempts=4) as http:
        with pytest.raises(Unreachable, match="ConnectError"):
            http.get_json("/agent/computations")
    assert len(sleeps) == 3


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(7)
    waits = [policy.backoff(attempt, rng) for attempt in range(10) for _ in range(50)]
    assert max(waits) <= 4.0
    assert len({round(w, 6) for w in waits}) > 400
