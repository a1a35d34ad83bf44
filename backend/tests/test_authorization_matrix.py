"""Every route of the API, against every role and against another organization's objects.

Generated from the application itself: a route added later is picked up automatically. A route that
names its action with `Permit(Action.x)` is checked against `MATRIX`; a route without one must be listed
below as public, user-only or agent-only, so that every new route carries an explicit decision.

Path parameters are filled with ids of real objects of organization B (created through the API by B's
users where `B_OBJECTS` knows how) or, for parameters nobody described yet, a random uuid; organization
A's users must never get a 2xx for them, and nothing of B may appear in what A's users can list.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from hdx.app import create_app
from hdx.auth.models import Role
from hdx.auth.permissions import MATRIX
from hdx.config import Settings
from tests.conftest import UserHandle, _clean, create_user
from tests.route_catalog import JWT_SECRET, ROUTES, RouteInfo, valid_request

# Routes that need no login: the landing, health and metrics endpoints, and the steps before one has a
# session (or, for /logout, that only need the refresh token being ended).
PUBLIC = {
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("POST", "/register"),
    ("POST", "/login"),
    ("POST", "/refresh-token"),
    ("POST", "/logout"),
    ("POST", "/send-otp"),
    ("POST", "/verify-otp"),
    ("POST", "/verify-email"),
    ("POST", "/forgot-password"),
    ("POST", "/verify-reset-otp"),
    ("POST", "/reset-password"),
}
# Routes any signed-in user may call whatever their role (CurrentUser without Permit).
USER_ONLY: set[tuple[str, str]] = set()
# Routes for party agents, authenticated by an organization API key (CurrentAgent).
AGENT_ONLY = {
    ("GET", "/agent/whoami"),
    ("POST", "/agent/keys"),
    ("GET", "/agent/computations"),
    ("GET", "/agent/computations/{computation_id}"),
    ("GET", "/agent/computations/{computation_id}/parties"),
    ("POST", "/agent/computations/{computation_id}/accept"),
    ("POST", "/agent/computations/{computation_id}/decline"),
    ("POST", "/secure-computations/{computation_id}/submit"),
    ("GET", "/secure-computations/{computation_id}/rounds/{round_number}/messages"),
    ("POST", "/secure-computations/{computation_id}/rounds/{round_number}/messages"),
}
# Routes that by design show other organizations' identity (a directory to pick partners from). Only
# B's organization id and name may appear there, never its users, keys or data.
DIRECTORY = {("GET", "/secure-computations/organizations")}

ORG_A, ORG_B = "Organization A Hospital", "Organization B Clinic"


# How to make a real object of organization B for a path parameter, as B's users would, through the API.
ObjectFactory = Callable[["World"], Awaitable[str]]


async def _b_member(world: World) -> str:
    response = await world.client.post(
        "/organizations/me/users",
        headers=world.b_admin.headers,
        json={"email": "member@organization-b.example.org", "full_name": "B Member", "role": "doctor"},
    )
    assert response.status_code == 201, response.text
    world.b_markers.add(response.json()["email"])
    return str(response.json()["id"])


async def _b_api_key(world: World) -> str:
    response = await world.client.post(
        "/organizations/me/api-keys", headers=world.b_admin.headers, json={"name": "B agent"}
    )
    assert response.status_code == 201, response.text
    world.b_secrets.append(response.json()["key"])
    world.b_markers.add(response.json()["prefix"])
    return str(response.json()["id"])


B_OBJECTS: dict[str, ObjectFactory] = {"user_id": _b_member, "key_id": _b_api_key}


@dataclass
class World:
    client: httpx.AsyncClient
    app: FastAPI
    a_users: dict[Role, UserHandle]
    b_admin: UserHandle
    a_agent_key: str = ""
    b_org_id: str = ""
    b_ids: dict[str, str] = field(default_factory=dict)
    b_markers: set[str] = field(default_factory=set)
    b_secrets: list[str] = field(default_factory=list)

    def fill(self, path: str) -> tuple[str, bool]:
        """The path with B's ids; True when every parameter named a real object of B."""
        real = True

        def value(match: re.Match[str]) -> str:
            nonlocal real
            if match.group(1) in self.b_ids:
                return self.b_ids[match.group(1)]
            real = False
            return str(uuid.uuid4())

        return re.sub(r"{(\w+)(?::\w+)?}", value, path), real


async def _add_user(app: FastAPI, settings: Settings, role: Role, org: str | None) -> UserHandle:
    # Tokens outlive the whole module's run.
    return await create_user(app.state.sessionmaker, settings, role, org, token_lifetime=timedelta(hours=1))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str | None
) -> AsyncIterator[World]:
    settings = Settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("matrix") / "var",
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        rate_limit_enabled=False,
    )
    await _clean(settings.database_url, settings.redis_url)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            a_users = {
                role: await _add_user(app, settings, role, None if role is Role.admin else ORG_A)
                for role in Role
            }
            b_admin = await _add_user(app, settings, Role.org_admin, ORG_B)
            world = World(client, app, a_users, b_admin)
            key = await client.post(
                "/organizations/me/api-keys", headers=a_users[Role.org_admin].headers, json={"name": "A"}
            )
            world.a_agent_key = key.json()["key"]
            wanted = {name for route in ROUTES for name in route.path_params}
            for name in sorted(wanted & B_OBJECTS.keys()):
                world.b_ids[name] = await B_OBJECTS[name](world)
            world.b_org_id = (await client.get("/organizations/me", headers=b_admin.headers)).json()["id"]
            world.b_markers |= {world.b_org_id, ORG_B, b_admin.id, b_admin.email, *world.b_ids.values()}
            yield world


def _expected_kinds() -> dict[tuple[str, str], str]:
    declared = {**dict.fromkeys(PUBLIC, "public"), **dict.fromkeys(USER_ONLY, "user")}
    declared.update(dict.fromkeys(AGENT_ONLY, "agent"))
    return declared


def test_every_route_has_an_explicit_access_decision() -> None:
    declared = _expected_kinds()
    undecided = [f"{r} ({r.kind})" for r in ROUTES if r.kind != "permit" and declared.get(r.key) != r.kind]
    assert not undecided, (
        "these routes name no Permit(Action.x) and are not listed as public, user-only or agent-only "
        f"in this test: {undecided}"
    )
    routes = {r.key: r for r in ROUTES}
    stale = [key for key, kind in declared.items() if key not in routes or routes[key].kind != kind]
    assert not stale, f"listed here but not (or no longer) such a route: {stale}"


def test_actions_used_by_routes_exist_in_the_matrix() -> None:
    granted = set().union(*MATRIX.values())
    unused_by_anyone = {a for r in ROUTES for a in r.actions} - granted
    assert not unused_by_anyone, f"routes require actions no role has: {unused_by_anyone}"


async def _call(world: World, route: RouteInfo, headers: dict[str, str]) -> tuple[httpx.Response, bool]:
    path, real = world.fill(route.path)
    body, query = valid_request(route) if route.path_params else (None, {})
    kwargs: dict[str, Any] = {"headers": headers, "params": query}
    if route.method in ("POST", "PUT", "PATCH"):
        # Without path parameters an empty body keeps the call from changing anything: validation
        # answers 422 after the permission check has run.
        kwargs["json"] = body if body is not None else {}
    return await world.client.request(route.method, path, **kwargs), real


def _leaks(world: World, response: httpx.Response, route: RouteInfo) -> set[str]:
    allowed = {world.b_org_id, ORG_B} if route.key in DIRECTORY else set()
    # A's own requests named B's object ids (and A's audit trail rightly shows them): those ids are
    # no secret to A. Everything else of B's is.
    allowed |= set(world.b_ids.values())
    return {m for m in world.b_markers - allowed if m in response.text} | {
        s for s in world.b_secrets if s in response.text
    }


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "permit"], ids=str)
async def test_permitted_route_follows_the_matrix_and_hides_organization_b(
    world: World, route: RouteInfo
) -> None:
    unauthenticated, _ = await _call(world, route, {})
    assert unauthenticated.status_code == 401, f"{route} without a token: {unauthenticated.status_code}"
    problems = []
    for role, caller in world.a_users.items():
        response, real = await _call(world, route, caller.headers)
        status = response.status_code
        may = all(action in MATRIX[role] for action in route.actions)
        where = f"{role.value}: {status} {response.text[:200]}"
        if status >= 500:
            problems.append(f"server error for {where}")
        elif not may:
            if status != 403:
                problems.append(f"expected 403 for {where}")
        elif status in (401, 403):
            problems.append(f"refused although the matrix allows it for {where}")
        elif role is not Role.admin and route.path_params:
            if 200 <= status < 300:
                problems.append(f"organization A reached organization B's object for {where}")
            elif real and status != 404:
                problems.append(f"expected 404 for B's object for {where}")
        elif role is not Role.admin and route.method == "GET" and _leaks(world, response, route):
            problems.append(f"organization B's data visible for {where}: {_leaks(world, response, route)}")
        error_body = response.json() if status >= 400 else {}
        if status >= 400 and set(error_body) != {"error", "detail"}:
            problems.append(f"error body is not {{error, detail}} for {where}")
    assert not problems, f"{route}:\n" + "\n".join(problems)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "user"], ids=str)
async def test_user_only_route_needs_a_login_and_hides_organization_b(world: World, route: RouteInfo) -> None:
    assert (await _call(world, route, {}))[0].status_code == 401
    for role, caller in world.a_users.items():
        response, _ = await _call(world, route, caller.headers)
        assert response.status_code not in (401, 403), (role, response.text)
        assert response.status_code < 500, (role, response.text)
        if route.path_params and role is not Role.admin:
            assert not 200 <= response.status_code < 300, (role, response.text)
        if route.method == "GET" and role is not Role.admin:
            assert not _leaks(world, response, route), role


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "agent"], ids=str)
async def test_agent_route_needs_an_api_key_and_hides_organization_b(world: World, route: RouteInfo) -> None:
    assert (await _call(world, route, {}))[0].status_code == 401
    bearer = world.a_users[Role.org_admin].headers
    assert (await _call(world, route, bearer))[0].status_code == 401, "a user token is no agent key"
    response, _ = await _call(world, route, {"X-API-Key": world.a_agent_key})
    assert response.status_code < 500, response.text
    if route.path_params:
        assert not 200 <= response.status_code < 300, response.text
    elif route.method == "GET":
        assert response.status_code == 200, response.text
        assert not _leaks(world, response, route)


@pytest.mark.asyncio(loop_scope="module")
async def test_organization_b_is_untouched_after_every_call(world: World) -> None:
    """Runs last: the refusals above changed nothing of B's."""
    listed = await world.client.get("/organizations/me/users", headers=world.b_admin.headers)
    assert all(user["active"] for user in listed.json()["items"])
    assert len(listed.json()["items"]) == 1 + ("user_id" in world.b_ids)
    for secret in world.b_secrets:
        who = await world.client.get("/agent/whoami", headers={"X-API-Key": secret})
        assert who.status_code == 200
    b_org = await world.client.get("/organizations/me", headers=world.b_admin.headers)
    assert b_org.json()["min_cohort_k"] == 5
    assert b_org.json()["requires_output_review"] is False
