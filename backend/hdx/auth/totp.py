"""Optional TOTP second factor. The shared secret is stored encrypted (AES-256-GCM under a key
derived from the master key), bound to its user id so a secret copied to another row is useless."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.dependencies import actor_of
from hdx.auth.keys import derive_key
from hdx.auth.models import User
from hdx.auth.passwords import verify_password
from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import BadRequest, Conflict, Unauthorized
from hdx.security import audit

ISSUER = "HDX Health Data Exchange"


class TotpRequired(Unauthorized):
    error = "totp_required"


class InvalidTotp(Unauthorized):
    error = "invalid_totp"


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


def _aead(settings: Settings) -> AESGCM:
    return AESGCM(derive_key(settings, "totp-secret"))


def _seal(settings: Settings, user_id: str, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(settings).encrypt(nonce, secret.encode(), user_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _open(settings: Settings, user: User) -> str:
    assert user.totp_secret_encrypted is not None
    raw = base64.urlsafe_b64decode(user.totp_secret_encrypted)
    try:
        return _aead(settings).decrypt(raw[:12], raw[12:], user.id.encode()).decode()
    except InvalidTag as exc:
        raise BadRequest("The stored TOTP secret cannot be read; disable and set up TOTP again") from exc


def code_matches(settings: Settings, user: User, code: str) -> bool:
    if user.totp_secret_encrypted is None:
        return False
    # One step either side tolerates clock drift between the phone and the server.
    return bool(pyotp.TOTP(_open(settings, user)).verify(code.strip(), valid_window=1))


def check_login_code(settings: Settings, user: User, code: str | None) -> None:
    if user.totp_enabled_at is None:
        return
    if not code:
        raise TotpRequired(
            "Two-factor authentication is on for this account: send the current code of your "
            "authenticator app as 'totp_code'"
        )
    if not code_matches(settings, user, code):
        raise InvalidTotp("The two-factor code is not correct")


async def setup(session: AsyncSession, settings: Settings, user: User) -> TotpEnrolment:
    if user.totp_enabled_at is not None:
        raise Conflict("Two-factor authentication is already on; disable it before enrolling again")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = _seal(settings, user.id, secret)
    await session.flush()
    audit.record(session, "auth.totp_setup", actor=actor_of(user), target_type="user", target_id=user.id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


def _refuse(session: AsyncSession, user: User, action: str, reason: str) -> None:
    audit.record(
        session,
        action,
        outcome="failure",
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        details={"reason": reason},
        persist_on_failure=True,
    )


async def enable(session: AsyncSession, settings: Settings, user: User, code: str) -> None:
    if user.totp_enabled_at is not None:
        raise Conflict("Two-factor authentication is already on")
    if user.totp_secret_encrypted is None:
        raise BadRequest("Start with POST /auth/totp/setup to get a secret for your authenticator app")
    if not code_matches(settings, user, code):
        _refuse(session, user, "auth.totp_enable", "wrong_code")
        raise BadRequest("The code is not correct; check the time on your device and try again")
    user.totp_enabled_at = utcnow()
    await session.flush()
    audit.record(session, "auth.totp_enable", actor=actor_of(user), target_type="user", target_id=user.id)


async def disable(session: AsyncSession, settings: Settings, user: User, *, password: str, code: str) -> None:
    if user.totp_enabled_at is None:
        raise BadRequest("Two-factor authentication is not on")
    if not await verify_password(password, user.password_hash):
        _refuse(session, user, "auth.totp_disable", "wrong_password")
        raise BadRequest("The password is not correct")
    if not code_matches(settings, user, code):
        _refuse(session, user, "auth.totp_disable", "wrong_code")
        raise BadRequest("The two-factor code is not correct")
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    await session.flush()
    audit.record(session, "auth.totp_disable", actor=actor_of(user), target_type="user", target_id=user.id)
