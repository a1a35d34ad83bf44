"""Emailed one-time codes: six digits from `secrets`, stored as an HMAC under a server key,
short-lived, single use, locked after a few wrong tries; a new code replaces older ones."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import repository
from hdx.auth.keys import derive_key
from hdx.auth.models import OneTimeCode, OtpPurpose
from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import BadRequest, Locked
from hdx.kit.mail import Mailer
from hdx.security import audit

CODE_DIGITS = 6


class InvalidCode(BadRequest):
    error = "invalid_code"


class ExpiredCode(BadRequest):
    error = "code_expired"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _code_hash(settings: Settings, email: str, purpose: OtpPurpose, code: str) -> str:
    # Bound to address and purpose: a code mailed for one job never unlocks another.
    message = f"{purpose.value}\n{email}\n{code}".encode()
    return hmac.new(derive_key(settings, "one-time-code"), message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


async def issue_code(
    session: AsyncSession,
    mailer: Mailer,
    *,
    email: str,
    purpose: OtpPurpose,
    subject: str,
    intro: str,
    ttl_minutes: int | None = None,
) -> None:
    """Mail a fresh code for `purpose` to `email`; any earlier code for the same purpose stops working."""
    settings = mailer.settings
    email = normalize_email(email)
    ttl = ttl_minutes if ttl_minutes is not None else settings.otp_ttl_minutes
    now = utcnow()
    code = _new_code()
    await repository.invalidate_codes(session, email, purpose, now)
    await repository.add(
        session,
        OneTimeCode(
            email=email,
            purpose=purpose,
            code_hash=_code_hash(settings, email, purpose, code),
            created_at=now,
            expires_at=now + timedelta(minutes=ttl),
            attempts=0,
        ),
    )
    body = (
        f"{intro}\n\n"
        f"Your code: {code}\n\n"
        f"It works once and expires in {ttl} minutes. "
        "If you did not ask for it, you can ignore this message.\n"
    )
    await mailer.send(email, subject, body)
    audit.record(
        session,
        "auth.otp_sent",
        actor=audit.Actor(email=email),
        target_type="email",
        target_id=email,
        details={"purpose": purpose.value, "ttl_minutes": ttl},
    )


async def verify_code(
    session: AsyncSession, settings: Settings, *, email: str, purpose: OtpPurpose, code: str
) -> None:
    """Consume the live code for (email, purpose) when `code` matches it; raise otherwise."""
    email = normalize_email(email)
    now = utcnow()
    live = await repository.live_code(session, email, purpose)

    def refuse(reason: str, error: Exception) -> Exception:
        audit.record(
            session,
            "auth.otp_failed",
            outcome="failure",
            actor=audit.Actor(email=email),
            target_type="email",
            target_id=email,
            details={"purpose": purpose.value, "reason": reason},
            persist_on_failure=True,
        )
        return error

    if live is None:
        raise refuse(
            "no_active_code",
            InvalidCode(
                "There is no active code for this address (it was used or replaced): request a new one"
            ),
        )
    if live.expires_at <= now:
        raise refuse("expired", ExpiredCode("The code has expired: request a new one"))
    if not await repository.count_code_attempt(session, live.id, settings.otp_max_attempts):
        raise refuse(
            "locked",
            Locked(
                f"Too many wrong codes ({settings.otp_max_attempts}): this code is locked; request a new one"
            ),
        )
    expected = live.code_hash
    if not hmac.compare_digest(expected, _code_hash(settings, email, purpose, code.strip())):
        left = max(0, settings.otp_max_attempts - live.attempts - 1)
        message = (
            f"The code is not correct; {left} attempt(s) left"
            if left
            else "The code is not correct; no attempts left: request a new code"
        )
        raise refuse("wrong_code", InvalidCode(message))
    if not await repository.consume_code(session, live.id, now):
        raise refuse("already_used", InvalidCode("This code was already used: request a new one"))
    audit.record(
        session,
        "auth.otp_verified",
        actor=audit.Actor(email=email),
        target_type="email",
        target_id=email,
        details={"purpose": purpose.value},
    )
