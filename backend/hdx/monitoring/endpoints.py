from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

import hdx
from hdx.db import DatabaseUnavailable
from hdx.exceptions import DATABASE_RETRY_AFTER

router = APIRouter(tags=["system"])


@router.get("/", summary="API information")
async def root() -> dict[str, Any]:
    return {
        "name": "HDX Health Data Exchange",
        "version": hdx.__version__,
        "links": {"docs": "/docs", "openapi": "/openapi.json", "health": "/health"},
    }


@router.get("/health", summary="Database and Redis status; 503 when the database is unreachable")
async def health(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    healthy = True
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok", "backend": request.app.state.engine.dialect.name}
    except Exception as exc:  # any failure to reach the database makes the service unhealthy
        healthy = False
        # The type of the driver's exception only: messages may name hosts and users.
        cause = exc.__cause__ if isinstance(exc, DatabaseUnavailable) else exc
        checks["database"] = {"status": "error", "detail": type(cause).__name__}
    redis = request.app.state.redis
    if redis is None:
        checks["redis"] = {"status": "not_configured"}
    else:
        try:
            await redis.ping()
            checks["redis"] = {"status": "ok"}
        except Exception as exc:  # Redis down degrades rate limits and events, not the database
            checks["redis"] = {"status": "error", "detail": type(exc).__name__}
    body = {"status": "ok" if healthy else "unavailable", "version": hdx.__version__, "checks": checks}
    if healthy:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
