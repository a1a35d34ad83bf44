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

from hdx.auth import repository
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


class ReusedTotp(InvalidTotp):
    """A correct code that was already accepted once (a replay, or a second sign-in in one step)."""


REUSED = "This two-factor code was already used; wait for the next code of your authenticator app"


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


def _matching_step(settings: Settings, user: User, code: str) -> int | None:
    """The time step whose code `code` is, among the current one and one either side (clock drift
    between the phone and the server); None when it is none of them."""
    if user.totp_secret_encrypted is None:
        return None
    generator = pyotp.TOTP(_open(settings, user))
    current = generator.timecode(utcnow())
    matched = None
    for step in (current - 1, current, current + 1):
        # Constant time, on the NFKC form (any text is compared, never raises).
        if pyotp.utils.strings_equal(code.strip(), generator.generate_otp(step)):
            matched = step
    return matched


async def _use_code(session: AsyncSession, settings: Settings, user: User, code: str) -> str | None:
    """Accept `code` once. None when accepted; otherwise why not ("wrong_code" or "reused_code")."""
    step = _matching_step(settings, user, code)
    if step is None:
        return "wrong_code"
    if not await repository.claim_totp_step(session, user.id, step):
        return "reused_code"
    return None


async def check_login_code(session: AsyncSession, settings: Settings, user: User, code: str | None) -> None:
    if user.totp_enabled_at is None:
        return
    if not code:
        raise TotpRequired(
            "Two-factor authentication is on for this account: send the current code of your "
            "authenticator app as 'totp_code'"
        )
    refused = await _use_code(session, settings, user, code)
    if refused == "reused_code":
        raise ReusedTotp(REUSED)
    if refused is not None:
        raise InvalidTotp("The two-factor code is not correct")


async def setup(session: AsyncSession, settings: Settings, user: User) -> TotpEnrolment:
    if user.totp_enabled_at is not None:
        raise Conflict("Two-factor authentication is already on; disable it before enrolling again")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = _seal(settings, user.id, secret)
    user.totp_last_step = None
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
    refused = await _use_code(session, settings, user, code)
    if refused is not None:
        _refuse(session, user, "auth.totp_enable", refused)
        raise BadRequest(
            REUSED
            if refused == "reused_code"
            else "The code is not correct; check the time on your device and try again"
        )
    user.totp_enabled_at = utcnow()
    await session.flush()
    audit.record(session, "auth.totp_enable", actor=actor_of(user), target_type="user", target_id=user.id)


async def disable(session: AsyncSession, settings: Settings, user: User, *, password: str, code: str) -> None:
    if user.totp_enabled_at is None:
        raise BadRequest("Two-factor authentication is not on")
    if not await verify_password(password, user.password_hash):
        _refuse(session, user, "auth.totp_disable", "wrong_password")
        raise BadRequest("The password is not correct")
    refused = await _use_code(session, settings, user, code)
    if refused is not None:
        _refuse(session, user, "auth.totp_disable", refused)
        raise BadRequest(REUSED if refused == "reused_code" else "The two-factor code is not correct")
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    await session.flush()
    audit.record(session, "auth.totp_disable", actor=actor_of(user), target_type="user", target_id=user.id)
