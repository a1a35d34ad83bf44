"""A size limit on request bodies (HDX_MAX_BODY_BYTES), enforced as the bytes arrive.

A declared Content-Length over the limit is refused before any byte of the body is read; a body
without one (chunked) is cut off as soon as it passes the limit. Either way the answer is a 413.
Endpoints that stream their bodies under limits of their own are named at construction and left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """A Starlette HTTPException: FastAPI passes it on from its body parsing to the 413 handler as it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"The request body may be at most {limit:,} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, own_limits: Collection[Callable[..., Any]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limits = frozenset(own_limits)

    def _exempt(self, scope: Scope) -> bool:
        # The router records the matched route in the scope before the endpoint reads any byte.
        return getattr(scope.get("route"), "endpoint", None) in self.own_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            if self._exempt(scope):
                return await receive()
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, send_tracking)
        except BodyTooLarge as exc:
            # The 413 handler answers when the endpoint read the body; this covers code that did not.
            if started:
                raise
            body = orjson.dumps({"error": "payload_too_large", "detail": exc.detail})
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 413, "headers": headers})
            await send({"type": "http.response.body", "body": body})
