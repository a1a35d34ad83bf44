"""The dashboard's static export served beside the API: browsers get pages, API clients keep their JSON."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hdx import web
from hdx.app import create_app
from hdx.config import Settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}
INLINE = b"self.__next_f=[]"


def _page(title: str) -> bytes:
    head = b"<!DOCTYPE html><html><head><title>" + title.encode() + b"</title></head>"
    return (
        head
        + b"<body><script>"
        + INLINE
        + b'</script><script src="/_next/static/chunks/app.js"></script></body>'
    )


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "out"
    (out / "login").mkdir(parents=True)
    (out / "_next" / "static" / "chunks").mkdir(parents=True)
    (out / "index.html").write_bytes(_page("Overview"))
    (out / "login" / "index.html").write_bytes(_page("Sign in"))
    (out / "404.html").write_bytes(_page("Not found"))
    (out / "_next" / "static" / "chunks" / "app.js").write_text("console.log('hdx')")
    monkeypatch.setattr(web, "EXPORT_DIR", out)
    return out


@pytest.fixture
async def client(settings: Settings, clean_state: None, export: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            yield http


async def test_browser_gets_the_dashboard_at_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert b"<title>Overview</title>" in response.content


async def test_browser_gets_a_page_at_its_directory_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/login/", headers=BROWSER)
    assert response.status_code == 200
    assert b"<title>Sign in</title>" in response.content


async def test_page_policy_allows_only_the_inline_scripts_of_the_build(client: httpx.AsyncClient) -> None:
    policy = (await client.get("/login/", headers=BROWSER)).headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(INLINE).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]


async def test_a_revalidated_page_keeps_its_policy(client: httpx.AsyncClient) -> None:
    first = await client.get("/login/", headers=BROWSER)
    again = await client.get("/login/", headers={**BROWSER, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]


async def test_pages_answer_the_dashboard_router_probes(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login/"):
        response = await client.head(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")


async def test_api_client_gets_json_at_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=API)
    assert response.status_code == 200
    assert set(response.json()) == {"name", "version", "links"}


async def test_health_stays_json_for_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers=BROWSER)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_api_routes_keep_priority_over_pages(client: httpx.AsyncClient) -> None:
    uploads = await client.get("/uploads", headers=BROWSER)
    assert uploads.status_code == 401
    assert uploads.json()["error"] == "unauthorized"
    login = await client.post(
        "/login", headers=BROWSER, json={"email": "nobody@example.org", "password": "x"}
    )
    assert login.status_code == 401
    assert login.json()["error"] == "unauthorized"


async def test_assets_are_served_with_a_long_cache(client: httpx.AsyncClient) -> None:
    response = await client.get("/_next/static/chunks/app.js")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]


async def test_unknown_paths_stay_json_404_for_api_clients(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no-such-thing.json", headers=API)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    page = await client.get("/no-such-page/", headers=BROWSER)
    assert page.status_code == 404
    assert b"<title>Not found</title>" in page.content
