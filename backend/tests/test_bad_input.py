"""Every route with a JSON body, fed malformed JSON, wrong types, oversized strings, unknown enum values
and missing fields by a caller allowed to use it: always a 4xx {"error", "detail"} naming the problem,
never a 5xx and never a success. Generated from the OpenAPI document, so later routes are included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hdx.auth.models import Role
from hdx.auth.permissions import MATRIX
from tests.conftest import MakeUser
from tests.route_catalog import ROUTES, RouteInfo, json_schema, minimal_value, resolve, valid_request

OVERSIZED = "x" * 10_000
JSON_ROUTES = [route for route in ROUTES if json_schema(route) is not None]


async def _headers(client: httpx.AsyncClient, make_user: MakeUser, route: RouteInfo) -> dict[str, str]:
    if route.kind == "public":
        return {}
    if route.kind == "agent":
        admin = await make_user(Role.org_admin)
        key = await client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": "agent"})
        return {"X-API-Key": key.json()["key"]}
    role = next(
        (r for r in (Role.org_admin, Role.doctor, Role.admin, *Role) if route.actions <= MATRIX[r]), None
    )
    assert role is not None, f"no role may call {route}"
    return (await make_user(role, org=None if role is Role.admin else "General Hospital")).headers


def _assert_clear_refusal(response: httpx.Response, case: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text[:300]}"
    body = response.json()
    assert set(body) == {"error", "detail"}, f"{case}: {body}"
    assert body["detail"], f"{case}: empty detail"
    assert "Traceback" not in response.text
    return dict(body)


def _properties(route: RouteInfo) -> dict[str, dict[str, Any]]:
    schema = resolve(json_schema(route) or {})
    return {name: resolve(prop) for name, prop in schema.get("properties", {}).items()}


def _is_string(prop: dict[str, Any]) -> bool:
    options = [resolve(p) for p in prop.get("anyOf", [prop])]
    return any(p.get("type") == "string" and "enum" not in p and "format" not in p for p in options)


def _enum(prop: dict[str, Any]) -> list[Any] | None:
    for option in [resolve(p) for p in prop.get("anyOf", [prop])]:
        if "enum" in option:
            return list(option["enum"])
    return None


@pytest.mark.parametrize("route", JSON_ROUTES, ids=str)
async def test_json_route_refuses_bad_input_clearly(
    client: httpx.AsyncClient, make_user: MakeUser, route: RouteInfo
) -> None:
    headers = await _headers(client, make_user, route)
    path = route.path
    for name in route.path_params:
        path = path.replace("{" + name + "}", "00000000-0000-4000-8000-000000000000")
    base, query = valid_request(route)
    assert isinstance(base, dict)

    async def send(
        case: str, *, extra_headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        response = await client.request(
            route.method, path, headers={**headers, **(extra_headers or {})}, params=query, **kwargs
        )
        return _assert_clear_refusal(response, f"{route} {case}")

    malformed = await send(
        "malformed JSON",
        content=b'{"name": "unterminated',
        extra_headers={"Content-Type": "application/json"},
    )
    assert "json" in str(malformed["detail"]).lower(), malformed
    for shape in ([1, 2, 3], "a string", 42, None):
        await send(f"body {shape!r}", json=shape)

    # A minimal body can still break a rule no schema states (a key's encoding, say); then a refusal of
    # the same body plus one bad field may rightly name that rule instead.
    base_response = await client.request(route.method, path, headers=headers, params=query, json=base)
    base_detail = str(base_response.json().get("detail")) if base_response.status_code == 422 else None

    properties = _properties(route)
    required = set(resolve(json_schema(route) or {}).get("required", []))
    if required:
        missing = await send("missing fields", json={})
        for name in required:
            assert name in str(missing["detail"]), f"{route}: missing {name} not named in {missing}"
    for name, prop in properties.items():
        await send(f"{name} as an object", json={**base, name: {"nested": ["wrong", "type"]}})
        if _is_string(prop):
            oversized = str((await send(f"10k-character {name}", json={**base, name: OVERSIZED}))["detail"])
            assert name in oversized or "long" in oversized.lower() or oversized == base_detail, oversized
        if _enum(prop) is not None:
            unknown = await send(f"unknown {name}", json={**base, name: "definitely-not-a-member"})
            assert name in str(unknown["detail"]), unknown


def test_there_are_json_routes_to_check() -> None:
    assert len(JSON_ROUTES) >= 5
    assert all(minimal_value(json_schema(r) or {}) is not None for r in JSON_ROUTES)
