"""Sign-in sessions: a short access token plus a rotating refresh token.

Each sign-in starts a refresh-token *family*. Every refresh uses up the presented token and issues
the next one of the family; presenting a used token again means it was copied, so the whole family
is revoked. A family dies after `refresh_idle_minutes` without a refresh and `refresh_max_hours`
after the sign-in, whatever happens.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import repository, tokens
from hdx.auth.dependencies import actor_of
from hdx.auth.models import RefreshToken, User
from hdx.config import Settings
from hdx.db import new_id, utcnow
from hdx.exceptions import Unauthorized
from hdx.security import audit


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    access_expires_in: int
    refresh_token: str
    refresh_expires_in: int


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def _issue(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    family_id: str,
    family_started_at: datetime,
    now: datetime,
) -> IssuedTokens:
    access_lifetime = timedelta(minutes=settings.access_token_minutes)
    access, _ = tokens.encode(
        settings,
        subject=user.id,
        token_type="access",
        lifetime=access_lifetime,
        version=user.token_version,
        # The sign-in it belongs to: when that ends (sign-out, refresh token reuse), so does the token.
        extra={"fam": family_id},
        now=now,
    )
    refresh_expires = min(
        now + timedelta(minutes=settings.refresh_idle_minutes),
        family_started_at + timedelta(hours=settings.refresh_max_hours),
    )
    refresh, _ = tokens.encode(
        settings,
        subject=user.id,
        token_type="refresh",
        lifetime=refresh_expires - now,
        version=user.token_version,
        extra={"fam": family_id},
        now=now,
    )
    await repository.add(
        session,
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=_digest(refresh),
            created_at=now,
            family_started_at=family_started_at,
            expires_at=refresh_expires,
        ),
    )
    return IssuedTokens(
        access_token=access,
        access_expires_in=int(access_lifetime.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=max(0, int((refresh_expires - now).total_seconds())),
    )


async def start(session: AsyncSession, settings: Settings, user: User) -> IssuedTokens:
    now = utcnow()
    return await _issue(session, settings, user, family_id=new_id(), family_started_at=now, now=now)


async def rotate(session: AsyncSession, settings: Settings, raw: str) -> tuple[User, IssuedTokens]:
    claims = tokens.decode(settings, raw, "refresh")
    row = await repository.refresh_by_hash(session, _digest(raw))
    if row is None or row.user_id != claims.subject:
        raise Unauthorized("Refresh token is not recognized; sign in again")
    now = utcnow()
    user = await repository.user_by_id(session, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("Account is not active")

    def refuse(reason: str, message: str, *, outcome: str = "failure") -> Unauthorized:
        assert user is not None
        audit.record(
            session,
            "auth.token_refresh",
            outcome=outcome,
            actor=actor_of(user),
            target_type="refresh_family",
            target_id=row.family_id,
            details={"reason": reason},
            persist_on_failure=True,
        )
        return Unauthorized(message)

    if row.revoked_at is not None:
        raise refuse("revoked", "Refresh token was revoked; sign in again")
    if row.used_at is not None or not await repository.claim_refresh(session, row.id, now):
        await repository.revoke_family_now(session, row.family_id, now)
        audit.record(
            session,
            "auth.refresh_reuse",
            outcome="denied",
            actor=actor_of(user),
            target_type="refresh_family",
            target_id=row.family_id,
            details={"action": "family_revoked"},
            persist_on_failure=True,
        )
        raise Unauthorized(
            "Refresh token was already used. Every token of this sign-in has been revoked as a "
            "precaution; sign in again"
        )
    max_age = timedelta(hours=settings.refresh_max_hours)
    if row.expires_at <= now or row.family_started_at + max_age <= now:
        raise refuse("expired", "Session has expired; sign in again")
    if claims.version != user.token_version:
        raise refuse("stale_version", "Session was ended by a password change; sign in again")
    issued = await _issue(
        session,
        settings,
        user,
        family_id=row.family_id,
        family_started_at=row.family_started_at,
        now=now,
    )
    audit.record(
        session,
        "auth.token_refresh",
        actor=actor_of(user),
        target_type="refresh_family",
        target_id=row.family_id,
    )
    return user, issued


async def end(session: AsyncSession, settings: Settings, raw: str) -> None:
    """Sign out: revoke the family of `raw` (this sign-in only; other devices stay signed in)."""
    claims = tokens.decode(settings, raw, "refresh")
    row = await repository.refresh_by_hash(session, _digest(raw))
    if row is None or row.user_id != claims.subject:
        raise Unauthorized("Refresh token is not recognized")
    user = await repository.user_by_id(session, row.user_id)
    await repository.revoke_family(session, row.family_id, utcnow())
    audit.record(
        session,
        "auth.logout",
        actor=actor_of(user) if user else audit.Actor(user_id=row.user_id),
        target_type="refresh_family",
        target_id=row.family_id,
    )


async def end_all(session: AsyncSession, user: User) -> None:
    """Revoke every refresh token of `user` and make every access token issued so far invalid."""
    await repository.revoke_user_tokens(session, user.id, utcnow())
    user.token_version += 1
    await session.flush()
