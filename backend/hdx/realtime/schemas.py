"""The WebSocket message formats: commands clients send and messages the server sends, all JSON text."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

PROTOCOL = "hdx.v1"
# A browser cannot set headers on a WebSocket: it offers ["hdx.v1", "bearer.<access token>"] instead.
BEARER_PREFIX = "bearer."

# Close codes (RFC 6455 section 7.4.1).
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013

MAX_COMMAND_BYTES = 8 * 1024


# Client -> server


class Auth(BaseModel):
    """The first message when no token came in the subprotocol header; later, a fresh token before expiry."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=4096)


class Subscribe(BaseModel):
    type: Literal["subscribe"]
    channel: str = Field(min_length=1, max_length=128)


class Unsubscribe(BaseModel):
    type: Literal["unsubscribe"]
    channel: str = Field(min_length=1, max_length=128)


class Ping(BaseModel):
    type: Literal["ping"] = "ping"


class Pong(BaseModel):
    type: Literal["pong"] = "pong"


Command = Annotated[Auth | Subscribe | Unsubscribe | Ping | Pong, Field(discriminator="type")]
COMMAND: TypeAdapter[Auth | Subscribe | Unsubscribe | Ping | Pong] = TypeAdapter(Command)


# Server -> client (Ping and Pong above go both ways)


class Ready(BaseModel):
    """Sent once authentication succeeded: who the server thinks you are and what you already receive."""

    type: Literal["ready"] = "ready"
    user_id: str
    organization_id: str | None
    channels: list[str]
    heartbeat_seconds: float
    expires_at: str


class Subscribed(BaseModel):
    type: Literal["subscribed"] = "subscribed"
    channel: str


class Unsubscribed(BaseModel):
    type: Literal["unsubscribed"] = "unsubscribed"
    channel: str


ErrorCode = Literal["invalid", "forbidden", "unknown_channel", "too_many_channels", "unauthorized"]


class Error(BaseModel):
    """A refused command; the connection stays open."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    channel: str | None = None


class EventMessage(BaseModel):
    """Something that happened on `channel`; `event` names it, e.g. computation.status."""

    type: Literal["event"] = "event"
    id: str
    event: str
    channel: str
    at: str
    data: dict[str, Any]


class ComputationCounts(BaseModel):
    pending_approval: int
    running: int
    awaiting_release: int


class ProcessMetrics(BaseModel):
    connections: int
    rss_bytes: int | None
    uptime_seconds: float


class Metrics(BaseModel):
    """Every few seconds to /ws/metrics clients. Platform admins get the exchange-wide counts and this
    server process's own figures; other users the counts of their organization's computations (none for
    roles that do not see computations) and no process figures."""

    type: Literal["metrics"] = "metrics"
    at: str
    scope: Literal["platform", "organization", "none"]
    computations: ComputationCounts | None
    process: ProcessMetrics | None
