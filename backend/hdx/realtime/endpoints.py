"""/ws/metrics and /ws/federated: the connection handshake, then the hub.

Refusals are sent as close frames with code 1008 after accepting the upgrade: a handshake rejected with
HTTP 403 reaches browser code only as an anonymous 1006, and the dashboard must tell "sign in again"
from "network trouble".
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected

from hdx.config import Settings
from hdx.exceptions import Unauthorized
from hdx.realtime.hub import FEDERATED, METRICS, Endpoint, Realtime
from hdx.realtime.schemas import (
    BEARER_PREFIX,
    COMMAND,
    MAX_COMMAND_BYTES,
    POLICY_VIOLATION,
    PROTOCOL,
    Auth,
)
from hdx.realtime.service import authenticate

router = APIRouter(tags=["real time"])


def origin_allowed(origin: str | None, allowed: list[str], host: str | None = None) -> bool:
    """A browser page may connect from the origins in the settings, or from the very address it asks
    (the dashboard this exchange serves: the page's origin names the same host and port the browser
    sends in Host; a cross-site page cannot make the two agree)."""
    # Browsers always send Origin; a client without one is not a browser page and still needs a valid
    # token, which a cross-site page cannot obtain.
    if origin is None:
        return True
    if host is not None and urlsplit(origin).netloc.lower() == host.lower():
        return True
    return "*" in allowed or origin.rstrip("/") in {entry.rstrip("/") for entry in allowed}


def token_in_url(websocket: WebSocket) -> bool:
    return any("token" in name.lower() for name in websocket.query_params)


def token_in_subprotocols(offered: list[str]) -> str | None:
    return next((p[len(BEARER_PREFIX) :] for p in offered if p.startswith(BEARER_PREFIX)), None)


async def _first_message_token(websocket: WebSocket, timeout: float) -> str | None:
    """The token of an {"type": "auth"} first message, or None when none came in time."""
    try:
        async with asyncio.timeout(timeout):
            message = await websocket.receive()
    except TimeoutError:
        return None
    text = message.get("text") if message["type"] == "websocket.receive" else None
    if text is None or len(text) > MAX_COMMAND_BYTES:
        return None
    try:
        command = COMMAND.validate_json(text)
    except ValidationError:
        return None
    return command.token if isinstance(command, Auth) else None


async def _refuse(websocket: WebSocket, reason: str) -> None:
    try:
        await websocket.close(POLICY_VIOLATION, reason[:120])
    except (WebSocketDisconnect, WebSocketDisconnected, OSError):
        return


async def connect(websocket: WebSocket, endpoint: Endpoint) -> None:
    realtime: Realtime = websocket.app.state.events
    settings: Settings = websocket.app.state.settings
    offered: list[str] = list(websocket.scope.get("subprotocols", []))
    # Never echo the bearer entry back: response headers end up in proxy logs.
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    headers = websocket.headers
    if not origin_allowed(headers.get("origin"), settings.cors_origins, headers.get("host")):
        await _refuse(websocket, "origin not allowed")
        return
    if token_in_url(websocket):
        # URLs are logged by proxies and kept in browser history: a token there counts as leaked.
        await _refuse(websocket, "tokens are not accepted in the URL")
        return
    token = token_in_subprotocols(offered)
    if token is None:
        token = await _first_message_token(websocket, settings.ws_auth_timeout_seconds)
    if token is None:
        await _refuse(websocket, 'authenticate first: {"type": "auth", "token": "<access token>"}')
        return
    try:
        async with realtime.hub.sessionmaker() as session:
            identity = await authenticate(session, settings, token)
    except Unauthorized as exc:
        await _refuse(websocket, exc.message)
        return
    await realtime.hub.serve(websocket, identity, token, endpoint)


@router.websocket("/ws/metrics")
async def metrics_feed(websocket: WebSocket) -> None:
    """Progress of your organization's computations (subscribe to computation:<id> for one) and metrics."""
    await connect(websocket, METRICS)


@router.websocket("/ws/federated")
async def federated_feed(websocket: WebSocket) -> None:
    """Federated training progress: subscribe to federated:<id>."""
    await connect(websocket, FEDERATED)
