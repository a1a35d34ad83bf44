from __future__ import annotations

import httpx


async def test_root_names_the_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "HDX Health Data Exchange"
    assert body["links"]["docs"] == "/docs"


async def test_health_reports_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["status"] == "ok"


async def test_every_response_has_request_id_and_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"X-Request-ID": "trace-12345678"})
    assert response.headers["X-Request-ID"] == "trace-12345678"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    other = await client.get("/")
    assert len(other.headers["X-Request-ID"]) >= 16


async def test_unknown_route_is_json_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
