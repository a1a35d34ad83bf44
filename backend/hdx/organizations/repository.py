from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role, User
from hdx.organizations.models import ApiKey, Organization


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


async def api_key_in_org(session: AsyncSession, organization_id: str, key_id: str) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
    )


async def api_keys_of_org(session: AsyncSession, organization_id: str) -> Sequence[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.organization_id == organization_id).order_by(ApiKey.created_at.desc())
    )
    return rows.all()


async def organization(session: AsyncSession, organization_id: str) -> Organization | None:
    return await session.get(Organization, organization_id)


async def organizations_with_user_counts(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[tuple[Organization, int]], int]:
    counts = (
        select(User.organization_id, func.count(User.id).label("users"))
        .group_by(User.organization_id)
        .subquery()
    )
    query = (
        select(Organization, func.coalesce(counts.c.users, 0))
        .outerjoin(counts, counts.c.organization_id == Organization.id)
        .order_by(Organization.name)
        .offset(offset)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    total = await session.scalar(select(func.count()).select_from(Organization))
    return [(org, int(users)) for org, users in rows], int(total or 0)


async def member(session: AsyncSession, organization_id: str, user_id: str) -> User | None:
    return await session.scalar(
        select(User).where(User.id == user_id, User.organization_id == organization_id)
    )


async def members(
    session: AsyncSession, organization_id: str, *, offset: int, limit: int
) -> tuple[Sequence[User], int]:
    query = select(User).where(User.organization_id == organization_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(User.created_at, User.email).offset(offset).limit(limit))
    return rows.all(), int(total or 0)


async def active_org_admin_ids(session: AsyncSession, organization_id: str) -> set[str]:
    # Locks the admins' rows on PostgreSQL so two concurrent demotions cannot both pass the check.
    query = select(User.id).where(
        User.organization_id == organization_id, User.role == Role.org_admin, User.active.is_(True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return set((await session.scalars(query)).all())


async def organization_by_name(session: AsyncSession, name: str) -> Organization | None:
    return await session.scalar(select(Organization).where(func.lower(Organization.name) == name.lower()))


async def add_organization(session: AsyncSession, organization: Organization) -> None:
    session.add(organization)
    await session.flush()
