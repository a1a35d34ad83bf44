"""Party state as bytes the agent can store between steps: JSON with binary fields in base64.

The state holds the party's secrets (its input, shares, mask keys); see hdx.protocols.base.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from hdx.crypto.errors import ParameterError
from hdx.protocols.base import Outgoing

STATE_VERSION = 1


def dump(protocol: str, fields: dict[str, Any]) -> bytes:
    return json.dumps({"protocol": protocol, "version": STATE_VERSION, **fields}, sort_keys=True).encode()


def load(protocol: str, state: bytes) -> dict[str, Any]:
    try:
        fields = json.loads(state)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(f"the {protocol} party state is not readable: {exc}") from exc
    if not isinstance(fields, dict) or fields.get("protocol") != protocol:
        raise ParameterError(f"this is not a {protocol} party state")
    if fields.get("version") != STATE_VERSION:
        raise ParameterError(f"party state version {fields.get('version')} is not {STATE_VERSION}")
    return fields


def encode_bytes(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParameterError("party state holds a malformed binary field") from exc


def dump_outgoing(messages: Sequence[Outgoing]) -> list[dict[str, Any]]:
    return [{"kind": m.kind, "recipient": m.recipient, "payload": encode_bytes(m.payload)} for m in messages]


def load_outgoing(items: Sequence[dict[str, Any]]) -> list[Outgoing]:
    return [Outgoing(item["kind"], item["recipient"], decode_bytes(item["payload"])) for item in items]
