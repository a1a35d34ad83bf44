"""The application's routes as the generated tests see them: access kind, actions, and request shapes.

Built from a real application and its OpenAPI document, so routes added later are included without
changing the tests.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from hdx.app import create_app
from hdx.auth import dependencies as auth_dependencies
from hdx.auth.permissions import Action
from hdx.config import Settings
from hdx.db import utcnow

JWT_SECRET = "route-catalog-secret-" + "x" * 40


@dataclass
class RouteInfo:
    method: str
    path: str
    kind: str  # permit | user | agent | public
    actions: frozenset[Action]
    path_params: list[str]
    operation: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def discover(app: FastAPI) -> list[RouteInfo]:
    spec = app.openapi()
    found = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        dependant: Dependant = context.dependant
        calls = list(_calls(dependant))
        actions = frozenset(call.hdx_action for call in calls if hasattr(call, "hdx_action"))
        if actions:
            kind = "permit"
        elif auth_dependencies._current_user in calls:
            kind = "user"
        elif auth_dependencies._current_agent in calls:
            kind = "agent"
        else:
            kind = "public"
        path = context.path_format
        for method in sorted(context.methods or ()):
            if method == "HEAD":
                continue
            operation = spec["paths"].get(path, {}).get(method.lower(), {})
            params = re.findall(r"{(\w+)(?::\w+)?}", path)
            found.append(RouteInfo(method, path, kind, actions, params, operation))
    return found


def _discovery_settings() -> Settings:
    return Settings(
        env="test",
        data_dir=Path(tempfile.gettempdir()) / "hdx-route-discovery",
        jwt_secret=JWT_SECRET,
        rate_limit_enabled=False,
    )


DISCOVERY_APP = create_app(_discovery_settings())
ROUTES = discover(DISCOVERY_APP)
SPEC = DISCOVERY_APP.openapi()


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def minimal_value(schema: dict[str, Any]) -> Any:
    """The smallest value valid for `schema`, so that a request reaches the service behind validation."""
    schema = resolve(schema)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if resolve(s).get("type") != "null"]
            return minimal_value(options[0] if options else schema[combinator][0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: minimal_value(props[name]) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [minimal_value(schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "email":
            return "someone@route-matrix.example.org"
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date-time":
            return utcnow().isoformat()
        if fmt == "date":
            return utcnow().date().isoformat()
        return "x" * max(1, int(schema.get("minLength", 1)))
    return None


def json_schema(route: RouteInfo) -> dict[str, Any] | None:
    content = route.operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return dict(content["application/json"].get("schema", {}))


def valid_request(route: RouteInfo) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(json body or None when the body is not JSON, required query parameters)."""
    query = {
        p["name"]: minimal_value(p.get("schema", {}))
        for p in route.operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }
    schema = json_schema(route)
    return (None if schema is None else minimal_value(schema)), query
