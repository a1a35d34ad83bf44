"""create_app() and the lifespan that owns engines and connections: wiring only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import SQLAlchemyError

import hdx
from hdx.computations.agent_endpoints import post_message, submit
from hdx.config import Settings, get_settings
from hdx.datasets.endpoints import upload
from hdx.db import create_engine, create_sessionmaker
from hdx.exceptions import UnhandledErrorMiddleware, install_error_handlers
from hdx.jobs.runner import start_jobs
from hdx.jobs.work import JobContext, sweep
from hdx.kit.bodylimit import BodyLimitMiddleware
from hdx.kit.logging import configure_logging
from hdx.kit.mail import Mailer
from hdx.kit.middleware import RequestContextMiddleware
from hdx.kit.ratelimit import DefaultRateLimitMiddleware, RateLimiter
from hdx.monitoring.metrics import MetricsMiddleware
from hdx.realtime.hub import start_realtime
from hdx.routers import ROUTERS
from hdx.web import install_dashboard

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("hdx.app")

# Endpoints that stream their bodies under limits of their own instead of HDX_MAX_BODY_BYTES:
# agents' protocol messages (HDX_MAX_MESSAGE_BYTES) and uploads (HDX_MAX_UPLOAD_BYTES).
OWN_BODY_LIMITS = (post_message, submit, upload)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.master_key_bytes()  # fail at start, not at first upload, when the key is unusable
        engine = create_engine(settings.database_url)
        redis = _redis(settings.redis_url) if settings.redis_url else None
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.redis = redis
        app.state.mailer = Mailer(settings)
        app.state.events = await start_realtime(settings, redis, app.state.sessionmaker)
        app.state.jobs = await start_jobs(settings, app.state.sessionmaker, app.state.events)
        # Computation state lives only in the database: deadlines that passed while it was down apply
        # now, and hosted steps left owed are enqueued again.
        try:
            await sweep(JobContext(settings, app.state.sessionmaker, app.state.events, app.state.jobs))
        except (OSError, SQLAlchemyError):
            # Start anyway: /health then answers 503 and the orchestrator sees why, instead of a crash loop.
            logger.exception("database unreachable at start: the sweep of overdue computations was skipped")
        try:
            yield
        finally:
            await app.state.jobs.close()
            await app.state.events.close()
            await engine.dispose()
            if redis is not None:
                await redis.aclose()

    app = FastAPI(
        title="HDX Health Data Exchange",
        version=hdx.__version__,
        description="Joint statistics over patient data that never leaves its owner.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Endpoints ask for settings through get_settings; they must see this app's, not the environment's.
    app.dependency_overrides[get_settings] = lambda: settings
    app.state.rate_limiter = RateLimiter(
        settings.redis_url,
        {
            "default": settings.rate_limit_default,
            "login": settings.rate_limit_login,
            "otp": settings.rate_limit_otp,
            "password_reset": settings.rate_limit_password_reset,
        },
        enabled=settings.rate_limit_enabled,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_dashboard(app)
    # Order: the outermost middleware is added last. Request context must wrap everything.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, own_limits=OWN_BODY_LIMITS)
    app.add_middleware(DefaultRateLimitMiddleware, limiter_getter=lambda: app.state.rate_limiter)
    # Inside CORS and the request context: a 500 or 503 still carries their headers.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    # Inside the request context and outside everything else, so refusals (429, CORS) are counted too.
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies)
    return app


def _redis(url: str) -> Redis:
    # Imported here: a deployment without Redis does not load the client (about 20 MiB with taskiq's).
    from redis.asyncio import Redis

    return Redis.from_url(url)
