from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from hdx import web
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


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small dashboard export, served at / as `make run` serves the built one."""
    out = tmp_path / "out"
    (out / "login").mkdir(parents=True)
    (out / "_next" / "static" / "chunks").mkdir(parents=True)
    for page, title in (
        ("index.html", "Overview"),
        ("login/index.html", "Sign in"),
        ("404.html", "Not found"),
    ):
        (out / page).write_text(f"<!DOCTYPE html><html><head><title>{title}</title></head></html>")
    (out / "_next" / "static" / "chunks" / "app.js").write_text("console.log('hdx')")
    monkeypatch.setattr(web, "EXPORT_DIR", out)
    return out


async def test_docs_schema_and_dashboard_have_labels_of_their_own_and_404s_share_one(
    settings: Settings, clean_state: None, export: Path
) -> None:
    browser = {"Accept": "text/html"}
    visits = [
        ("/docs", {}, 200, "/docs"),
        ("/openapi.json", {}, 200, "/openapi.json"),
        ("/redoc", {}, 200, "/redoc"),
        ("/", browser, 200, "dashboard"),
        ("/login/", browser, 200, "dashboard"),
        ("/_next/static/chunks/app.js", {}, 200, "dashboard"),
        ("/", {}, 200, "/"),
        (f"/no-such-page-{uuid.uuid4().hex}/", browser, 404, "unmatched"),
        (f"/_next/static/chunks/{uuid.uuid4().hex}.js", {}, 404, "unmatched"),
        (f"/no/such/route/{uuid.uuid4().hex}", {}, 404, "unmatched"),
    ]
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            before = _samples((await client.get("/metrics")).text)
            for path, headers, status, _ in visits:
                assert (await client.get(path, headers=headers)).status_code == status, path
            exposition = (await client.get("/metrics")).text
    after = _samples(exposition)

    expected: dict[tuple[str, str], int] = {}
    for _, _, status, route in visits:
        expected[(route, str(status))] = expected.get((route, str(status)), 0) + 1
    for (route, status), count in expected.items():
        labels = {"method": "GET", "route": route, "status": status}
        assert _requests(after, **labels) - _requests(before, **labels) == count, labels
    assert "no-such-page" not in exposition
    assert "/_next/static/chunks/app.js" not in exposition
