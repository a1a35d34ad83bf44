"""Password policy and hashing (argon2id). Hashing is CPU- and memory-heavy: it runs off the event loop."""

from __future__ import annotations

from functools import cache
from importlib import resources

import anyio
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from hdx.exceptions import Unprocessable

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHash((Argon2Hasher(),))


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("hdx").joinpath("data", "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        problems.append(f"Password must be at most {MAX_LENGTH} characters long")
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        problems.append("Password is too common: it appears in a list of frequently used passwords")
    if email:
        local = email.split("@", 1)[0].strip().lower()
        if len(local) >= 3 and local in password.lower():
            problems.append("Password must not contain the name part of your email address")
    return problems


def check_password_policy(password: str, *, email: str | None = None, field: str = "password") -> None:
    """Raise 422 listing every rule `password` breaks, under `field` (the body field that held it)."""
    problems = password_problems(password, email=email)
    if problems:
        raise Unprocessable(
            "Password does not meet the policy: " + "; ".join(problems),
            detail=[{"field": field, "message": problem} for problem in problems],
        )


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    return await anyio.to_thread.run_sync(_hasher.verify, password, password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("hdx dummy password, never valid for any account")


async def burn_verification(password: str) -> None:
    """Spend the time of a real verification, for emails with no account (hides which accounts exist)."""
    await verify_password(password, await anyio.to_thread.run_sync(_dummy_hash))
