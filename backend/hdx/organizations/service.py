"""Organization administration: own organization, its members, and its agents' API keys."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import repository as auth_repository
from hdx.auth.dependencies import Agent, actor_of, hash_api_key
from hdx.auth.models import OtpPurpose, Role, User
from hdx.auth.otp import issue_code
from hdx.auth.passwords import hash_password
from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import Conflict, NotFound, Unprocessable
from hdx.kit.mail import Mailer
from hdx.kit.pagination import PageParams
from hdx.organizations import repository
from hdx.organizations.models import ApiKey, Organization
from hdx.organizations.schemas import ApiKeyCreate, OrganizationSettingsUpdate, UserInvite, UserUpdate
from hdx.security import audit

API_KEY_SCHEME = "hdxk"
INVITATION_TTL_MINUTES = 72 * 60


def _organization_id(user: User) -> str:
    if user.organization_id is None:
        raise NotFound("You belong to no organization (platform administrators manage none)")
    return user.organization_id


async def own_organization(session: AsyncSession, user: User) -> Organization:
    organization = await repository.organization(session, _organization_id(user))
    if organization is None:
        raise NotFound("Organization not found")
    return organization


async def update_settings(
    session: AsyncSession, settings: Settings, user: User, data: OrganizationSettingsUpdate
) -> Organization:
    if data.min_cohort_k < settings.min_cohort_k:
        raise Unprocessable(
            f"min_cohort_k must be at least {settings.min_cohort_k}, the platform's minimum cohort size"
        )
    organization = await own_organization(session, user)
    before = {
        "min_cohort_k": organization.min_cohort_k,
        "requires_output_review": organization.requires_output_review,
        "require_differential_privacy": organization.require_differential_privacy,
    }
    organization.min_cohort_k = data.min_cohort_k
    organization.requires_output_review = data.requires_output_review
    if data.require_differential_privacy is not None:
        organization.require_differential_privacy = data.require_differential_privacy
    await session.flush()
    audit.record(
        session,
        "organizations.settings_changed",
        actor=actor_of(user),
        target_type="organization",
        target_id=organization.id,
        details={
            "before": before,
            "after": {
                "min_cohort_k": organization.min_cohort_k,
                "requires_output_review": organization.requires_output_review,
                "require_differential_privacy": organization.require_differential_privacy,
            },
        },
    )
    return organization


async def all_organizations(
    session: AsyncSession, page: PageParams
) -> tuple[list[tuple[Organization, int]], int]:
    return await repository.organizations_with_user_counts(session, offset=page.offset, limit=page.size)


async def members(session: AsyncSession, user: User, page: PageParams) -> tuple[Sequence[User], int]:
    return await repository.members(session, _organization_id(user), offset=page.offset, limit=page.size)


async def _member(session: AsyncSession, user: User, member_id: str) -> User:
    found = await repository.member(session, _organization_id(user), member_id)
    if found is None:
        raise NotFound("User not found")
    return found


async def invite_member(session: AsyncSession, mailer: Mailer, user: User, data: UserInvite) -> User:
    organization = await own_organization(session, user)
    email = str(data.email).lower()
    if await auth_repository.user_by_email(session, email) is not None:
        raise Conflict("A user with this email already exists")
    # Nobody knows this password: the invitee chooses their own through the reset-code flow.
    invited = User(
        organization_id=organization.id,
        email=email,
        full_name=data.full_name,
        role=Role(data.role.value),
        password_hash=await hash_password(secrets.token_urlsafe(32)),
    )
    session.add(invited)
    await session.flush()
    await issue_code(
        session,
        mailer,
        email=email,
        purpose=OtpPurpose.reset_password,
        subject=f"You are invited to {organization.name} on HDX",
        intro=(
            f"{user.full_name or user.email} invited you to join {organization.name} on the HDX Health "
            f"Data Exchange as {data.role.value}. Choose your password with this code on the "
            f"'reset password' page; it is valid for {INVITATION_TTL_MINUTES // 60} hours."
        ),
        ttl_minutes=INVITATION_TTL_MINUTES,
    )
    audit.record(
        session,
        "organizations.user_invited",
        actor=actor_of(user),
        target_type="user",
        target_id=invited.id,
        details={"role": invited.role.value},
    )
    return invited


async def _ensure_an_admin_remains(session: AsyncSession, target: User, *, keeps_admin: bool) -> None:
    if target.role is not Role.org_admin or not target.active or keeps_admin:
        return
    assert target.organization_id is not None
    remaining = await repository.active_org_admin_ids(session, target.organization_id) - {target.id}
    if not remaining:
        raise Conflict(
            "This is the organization's last active org_admin: make another member org_admin first"
        )


async def _deactivate(session: AsyncSession, target: User) -> None:
    target.active = False
    # Outstanding access tokens die with the version bump, refresh tokens by revocation.
    target.token_version += 1
    await auth_repository.revoke_user_tokens(session, target.id, utcnow())


async def update_member(session: AsyncSession, user: User, member_id: str, data: UserUpdate) -> User:
    target = await _member(session, user, member_id)
    new_role = Role(data.role.value) if data.role is not None else target.role
    new_active = data.active if data.active is not None else target.active
    await _ensure_an_admin_remains(session, target, keeps_admin=new_role is Role.org_admin and new_active)
    changes: dict[str, object] = {}
    if new_role is not target.role:
        changes["role"] = {"from": target.role.value, "to": new_role.value}
        target.role = new_role
    if new_active != target.active:
        changes["active"] = {"from": target.active, "to": new_active}
        if new_active:
            target.active = True
        else:
            await _deactivate(session, target)
    await session.flush()
    if changes:
        audit.record(
            session,
            "organizations.user_updated",
            actor=actor_of(user),
            target_type="user",
            target_id=target.id,
            details=changes,
        )
    return target


async def deactivate_member(session: AsyncSession, user: User, member_id: str) -> None:
    target = await _member(session, user, member_id)
    await _ensure_an_admin_remains(session, target, keeps_admin=False)
    was_active = target.active
    if was_active:
        await _deactivate(session, target)
    await session.flush()
    audit.record(
        session,
        "organizations.user_deactivated",
        actor=actor_of(user),
        target_type="user",
        target_id=target.id,
        details={"was_active": was_active},
    )


async def create_api_key(session: AsyncSession, user: User, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    organization_id = _organization_id(user)
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organization_id=organization_id,
        created_by_user_id=user.id,
        name=data.name,
        prefix=prefix,
        key_hash=hash_api_key(raw),
    )
    session.add(key)
    await session.flush()
    audit.record(
        session,
        "organizations.api_key_created",
        actor=actor_of(user),
        target_type="api_key",
        target_id=key.id,
        details={"name": key.name, "prefix": prefix},
    )
    return key, raw


async def api_keys(session: AsyncSession, user: User) -> Sequence[ApiKey]:
    return await repository.api_keys_of_org(session, _organization_id(user))


async def revoke_api_key(session: AsyncSession, user: User, key_id: str) -> ApiKey:
    key = await repository.api_key_in_org(session, _organization_id(user), key_id)
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        audit.record(
            session,
            "organizations.api_key_revoked",
            actor=actor_of(user),
            target_type="api_key",
            target_id=key.id,
            details={"prefix": key.prefix},
        )
    return key


async def agent_api_key(session: AsyncSession, agent: Agent) -> ApiKey:
    key = await repository.api_key_in_org(session, agent.organization_id, agent.api_key_id)
    if key is None:
        raise NotFound("API key not found")
    return key
