"""Bringing an organization onto an exchange through its public API, as a person would: register,
confirm the emailed code, sign in, create an API key for the party agent.

Without SMTP the exchange writes mail to files in its data directory; the codes are read there.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import httpx

_CODE = re.compile(r"Your code: (\d{6})")


class OnboardingError(Exception):
    pass


@dataclass(frozen=True)
class Hospital:
    name: str
    email: str
    organization_id: str
    token: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _checked(response: httpx.Response, what: str) -> httpx.Response:
    if response.is_error:
        raise OnboardingError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response


def register_hospital(http: httpx.Client, mail_dir: Path, name: str) -> Hospital:
    email = f"admin@{slug(name)}.example.org"
    password = secrets.token_urlsafe(18)
    registered = _checked(
        http.post(
            "/register",
            json={
                "name": name,
                "email": email,
                "contact": "+1 555 0100",
                "type": "HOSPITAL",
                "location": "Springfield",
                "password": password,
                "privacy_accepted": True,
                "full_name": f"Administrator of {name}",
            },
        ),
        f"registering {name}",
    ).json()
    code = mailed_code(mail_dir, email)
    _checked(http.post("/verify-otp", json={"email": email, "code": code}), f"verifying {email}")
    token = _checked(
        http.post("/login", json={"email": email, "password": password}), f"signing in {email}"
    ).json()["access_token"]
    key = _checked(
        http.post(
            "/organizations/me/api-keys",
            json={"name": "party agent"},
            headers={"Authorization": f"Bearer {token}"},
        ),
        f"creating an API key for {name}",
    ).json()["key"]
    return Hospital(name, email, registered["organization"]["id"], token, key)


def mailed_code(mail_dir: Path, email: str, *, timeout: float = 10.0) -> str:
    """The code in the newest message to `email`."""
    deadline = time.monotonic() + timeout
    while True:
        messages = sorted(mail_dir.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
        for path in messages:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] != email:
                continue
            body = message.get_body(preferencelist=("plain",))
            found = _CODE.search(body.get_content() if body is not None else "")
            if found:
                return found.group(1)
        if time.monotonic() > deadline:
            raise OnboardingError(f"no code was mailed to {email} in {mail_dir}")
        time.sleep(0.1)
