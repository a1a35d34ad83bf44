"""Auth tests run against a real SMTP server (aiosmtpd) so codes are read from real mail."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from hdx.config import Settings

PASSWORD = "Tidal-Basin-Orchid-1987"
NEW_PASSWORD = "Quiet Lantern Harbor 2049"
_CODE = re.compile(r"Your code: (\d{6})")


@dataclass
class Inbox:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def last_code(self, address: str) -> str:
        mails = self.to(address)
        assert mails, f"no mail was sent to {address}"
        body = mails[-1].get_payload(decode=True)
        assert isinstance(body, bytes)
        found = _CODE.search(body.decode())
        assert found, "the mail holds no code"
        return found.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": inbox.port, "smtp_starttls": False}
    )


def registration(email: str, name: str = "Riverside Clinic", /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "email": email,
        "contact": "+1 555 0199",
        "type": "CLINIC",
        "location": "Riverside",
        "password": PASSWORD,
        "privacy_accepted": True,
        "full_name": "Dana Admin",
    }
    body.update(overrides)
    return body


async def register_verified(
    client: httpx.AsyncClient, inbox: Inbox, email: str, name: str = "Riverside Clinic"
) -> None:
    response = await client.post("/register", json=registration(email, name))
    assert response.status_code == 201, response.text
    verified = await client.post("/verify-otp", json={"email": email, "code": inbox.last_code(email)})
    assert verified.status_code == 200, verified.text


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
