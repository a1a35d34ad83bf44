"""Who is calling, and may they do this: `CurrentUser`, `CurrentAgent`, `Permit(Action.x)`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import repository, tokens
from hdx.auth.models import Role, User
from hdx.auth.permissions import Action, allowed
from hdx.config import Settings, get_settings
from hdx.db import SessionDep, utcnow
from hdx.exceptions import Forbidden, Unauthorized
from hdx.organizations.models import ApiKey
from hdx.security import audit

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /login")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Organization API key of a party agent"
)

SettingsDep = Annotated[Settings, Depends(get_settings)]


def actor_of(user: User) -> audit.Actor:
    return audit.Actor(user_id=user.id, email=user.email, organization_id=user.organization_id)


async def _current_user(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Not authenticated: send 'Authorization: Bearer <access token>'")
    user, _ = await user_for_access_token(session, settings, credentials.credentials)
    return user


async def user_for_access_token(
    session: AsyncSession, settings: Settings, token: str
) -> tuple[User, tokens.TokenClaims]:
    """The account an access token speaks for, after every check: signature, expiry, account,
    password changes (token version) and the end of its sign-in (sign-out, refresh token reuse)."""
    claims = tokens.decode(settings, token, "access")
    user = await repository.user_by_id(session, claims.subject)
    if user is None or not user.active:
        raise Unauthorized("Account is not active")
    if claims.version != user.token_version:
        raise Unauthorized("Token was revoked; sign in again")
    # Tokens minted outside a sign-in (operator tools) name no family; those of a sign-in all do.
    if claims.family is not None and not await repository.sign_in_is_live(session, claims.family, user.id):
        raise Unauthorized(
            "This sign-in has ended (signed out, or its refresh token was used twice); sign in again"
        )
    return user, claims


CurrentUser = Annotated[User, Depends(_current_user)]


@dataclass(frozen=True)
class Agent:
    organization_id: str
    api_key_id: str


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def _current_agent(session: SessionDep, raw: Annotated[str | None, Depends(_api_key)]) -> Agent:
    if not raw:
        raise Unauthorized("Not authenticated: send 'X-API-Key: <organization API key>'")
    from hdx.organizations import repository  # the API key table belongs to organizations

    key: ApiKey | None = await repository.api_key_by_hash(session, hash_api_key(raw))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("API key is invalid or revoked")
    key.last_used_at = utcnow()
    return Agent(organization_id=key.organization_id, api_key_id=key.id)


CurrentAgent = Annotated[Agent, Depends(_current_agent)]


def deny(session: AsyncSession, request: Request, user: User, action: Action) -> Forbidden:
    audit.record(
        session,
        "auth.permission_denied",
        outcome="denied",
        actor=actor_of(user),
        details={"action": action.value, "method": request.method, "path": request.url.path},
        persist_on_failure=True,
    )
    return Forbidden(f"Your role ({user.role.value}) may not perform '{action.value}'")


def Permit(action: Action) -> object:
    """Dependency: the current user, after checking the role matrix for `action`."""

    async def dependency(request: Request, session: SessionDep, user: CurrentUser) -> User:
        if not allowed(user.role, action):
            raise deny(session, request, user, action)
        return user

    dependency.__name__ = f"permit_{action.name}"
    # Read by the authorization test that walks every route against the matrix.
    setattr(dependency, "hdx_action", action)  # noqa: B010
    return Depends(dependency)


def is_platform_admin(user: User) -> bool:
    return user.role is Role.admin
