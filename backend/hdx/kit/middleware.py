"""Pure ASGI middleware: request ids, security headers, and the client address behind trusted proxies."""

from __future__ import annotations

import ipaddress
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hdx.kit.context import request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
API_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
# The interactive API docs load Swagger UI and ReDoc from their public CDN.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxies: list[str] | None = None) -> None:
        self.app = app
        self.trusted = [ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies or []]

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        client_ip = client[0] if client else "unknown"
        if headers.get("x-forwarded-for") and self._is_trusted(client_ip):
            # The proxy appends the address it saw; earlier entries are client-controlled.
            client_ip = headers["x-forwarded-for"].split(",")[-1].strip()
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["client_ip"] = client_ip
        token = request_id_var.set(request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    out.setdefault(name, value)
                csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else API_CSP
                out.setdefault("Content-Security-Policy", csp)
                out.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(token)
