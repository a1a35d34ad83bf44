"""All SQL of the auth domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import OneTimeCode, OtpPurpose, RefreshToken, User


@asynccontextmanager
async def _own_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A separate, immediately committed transaction on the same database.

    Used for the few writes that must survive the refusal they lead to (a wrong code still counts
    as an attempt, a reused refresh token still burns its family) although the request's own
    transaction is rolled back when the refusal is raised.
    """
    async with AsyncSession(bind=session.bind, expire_on_commit=False) as own, own.begin():
        yield own


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def user_by_id(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def add(session: AsyncSession, obj: object) -> None:
    session.add(obj)
    await session.flush()


async def claim_totp_step(session: AsyncSession, user_id: str, step: int) -> bool:
    """Record `step` as the user's last accepted TOTP step; False when it is not later than the last.

    One conditional UPDATE: of two sign-ins presenting the same code at once, the second waits for
    the first's row lock and then finds the step taken.
    """
    result = await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return _rowcount(result) == 1


# One-time codes


async def invalidate_codes(session: AsyncSession, email: str, purpose: OtpPurpose, now: datetime) -> None:
    await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.email == email,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )


async def live_code(session: AsyncSession, email: str, purpose: OtpPurpose) -> OneTimeCode | None:
    return await session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.email == email,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )


async def count_code_attempt(session: AsyncSession, code_id: str, max_attempts: int) -> bool:
    """Count one attempt, committed at once; False when the code has no attempts left."""
    async with _own_transaction(session) as own:
        result = await own.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == code_id, OneTimeCode.attempts < max_attempts)
            .values(attempts=OneTimeCode.attempts + 1)
        )
        return _rowcount(result) == 1


async def consume_code(session: AsyncSession, code_id: str, now: datetime) -> bool:
    result = await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == code_id, OneTimeCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    return _rowcount(result) == 1


# Refresh tokens


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


async def claim_refresh(session: AsyncSession, token_id: str, now: datetime) -> bool:
    """Mark a refresh token used, committed at once; False when it was used (or revoked) before."""
    async with _own_transaction(session) as own:
        result = await own.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        return _rowcount(result) == 1


async def sign_in_is_live(session: AsyncSession, family_id: str, user_id: str) -> bool:
    """Whether the sign-in (refresh family) `family_id` of `user_id` exists and was not revoked.

    One lookup on the family_id index, run for every request made with an access token.
    """
    links, revoked = (
        await session.execute(
            select(func.count(), func.count(RefreshToken.revoked_at)).where(
                RefreshToken.family_id == family_id, RefreshToken.user_id == user_id
            )
        )
    ).one()
    return bool(links) and not revoked


async def revoke_family_now(session: AsyncSession, family_id: str, now: datetime) -> None:
    """Revoke a whole family in its own committed transaction (reuse was detected)."""
    async with _own_transaction(session) as own:
        await own.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
