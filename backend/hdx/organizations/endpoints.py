from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from hdx.auth.dependencies import CurrentAgent, Permit, SettingsDep
from hdx.auth.models import User
from hdx.auth.permissions import Action
from hdx.db import SessionDep
from hdx.kit.pagination import Page, PageDep
from hdx.organizations import service
from hdx.organizations.schemas import (
    AgentIdentity,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    OrganizationOut,
    OrganizationSettingsUpdate,
    OrganizationSummary,
    UserInvite,
    UserOut,
    UserUpdate,
)

router = APIRouter(tags=["organizations"])
agent_router = APIRouter(prefix="/agent", tags=["agent"])


@router.get("/organizations", summary="All organizations with their user counts (platform admin)")
async def list_organizations(
    session: SessionDep, _: Annotated[User, Permit(Action.organizations_list_all)], page: PageDep
) -> Page[OrganizationSummary]:
    rows, total = await service.all_organizations(session, page)
    items = [
        OrganizationSummary.model_validate(
            {**OrganizationOut.model_validate(org).model_dump(), "user_count": users}
        )
        for org, users in rows
    ]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get("/organizations/me", summary="Your organization")
async def my_organization(
    session: SessionDep, user: Annotated[User, Permit(Action.org_read)]
) -> OrganizationOut:
    return OrganizationOut.model_validate(await service.own_organization(session, user))


@router.put("/organizations/me/settings", summary="Disclosure-control settings of your organization")
async def update_settings(
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Permit(Action.org_settings)],
    data: OrganizationSettingsUpdate,
) -> OrganizationOut:
    return OrganizationOut.model_validate(await service.update_settings(session, settings, user, data))


@router.get("/organizations/me/users", summary="Members of your organization")
async def list_users(
    session: SessionDep, user: Annotated[User, Permit(Action.users_read)], page: PageDep
) -> Page[UserOut]:
    rows, total = await service.members(session, user, page)
    return Page(
        items=[UserOut.model_validate(row) for row in rows], total=total, page=page.page, size=page.size
    )


@router.post(
    "/organizations/me/users",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a member; they receive a code to choose their password",
)
async def invite_user(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Permit(Action.users_manage)],
    data: UserInvite,
) -> UserOut:
    invited = await service.invite_member(session, request.app.state.mailer, user, data)
    return UserOut.model_validate(invited)


@router.patch("/organizations/me/users/{user_id}", summary="Change a member's role or active state")
async def update_user(
    session: SessionDep, user: Annotated[User, Permit(Action.users_manage)], user_id: str, data: UserUpdate
) -> UserOut:
    return UserOut.model_validate(await service.update_member(session, user, user_id, data))


@router.delete(
    "/organizations/me/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a member and end their sessions",
)
async def deactivate_user(
    session: SessionDep, user: Annotated[User, Permit(Action.users_manage)], user_id: str
) -> None:
    await service.deactivate_member(session, user, user_id)


@router.post(
    "/organizations/me/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key for a party agent; the key is shown only in this response",
)
async def create_api_key(
    session: SessionDep, user: Annotated[User, Permit(Action.api_keys_manage)], data: ApiKeyCreate
) -> ApiKeyCreated:
    key, raw = await service.create_api_key(session, user, data)
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(key).model_dump(), "key": raw})


@router.get("/organizations/me/api-keys", summary="Your organization's API keys (prefixes only)")
async def list_api_keys(
    session: SessionDep, user: Annotated[User, Permit(Action.api_keys_manage)]
) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(key) for key in await service.api_keys(session, user)]


@router.delete("/organizations/me/api-keys/{key_id}", summary="Revoke an API key")
async def revoke_api_key(
    session: SessionDep, user: Annotated[User, Permit(Action.api_keys_manage)], key_id: str
) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await service.revoke_api_key(session, user, key_id))


@agent_router.get("/whoami", summary="The organization and key an agent's API key stands for")
async def agent_whoami(session: SessionDep, agent: CurrentAgent) -> AgentIdentity:
    key = await service.agent_api_key(session, agent)
    return AgentIdentity(organization_id=agent.organization_id, api_key_id=key.id, prefix=key.prefix)
