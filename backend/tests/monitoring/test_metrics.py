from __future__ import annotations

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hdx.app import create_app
from hdx.auth.models import Role
from hdx.config import Settings
from tests.conftest import MakeUser


def _samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def _requests(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str) -> float:
    return samples.get(("hdx_http_requests_total", frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_not_raw_path(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    before = _samples((await client.get("/metrics")).text)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for user_id in ids:
        response = await client.delete(f"/organizations/me/users/{user_id}", headers=admin.headers)
        assert response.status_code == 404
    await client.get("/organizations/me", headers=admin.headers)
    await client.get("/no/such/route")

    exposition = await client.get("/metrics")
    assert exposition.status_code == 200
    assert exposition.headers["content-type"].startswith("text/plain")
    after = _samples(exposition.text)
    template = {"method": "DELETE", "route": "/organizations/me/users/{user_id}", "status": "404"}
    assert _requests(after, **template) - _requests(before, **template) == 3
    ok = {"method": "GET", "route": "/organizations/me", "status": "200"}
    assert _requests(after, **ok) - _requests(before, **ok) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert _requests(after, **unmatched) - _requests(before, **unmatched) == 1
    assert not any(user_id in exposition.text for user_id in ids)
    assert "/no/such/route" not in exposition.text

    latency = (
        "hdx_http_request_duration_seconds_count",
        frozenset({"method": "DELETE", "route": template["route"]}.items()),
    )
    assert after[latency] - before.get(latency, 0.0) == 3


def test_building_many_apps_in_one_process_is_fine(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    assert first is not second
