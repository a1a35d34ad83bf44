"""Engines, the request session (the only place that commits) and the declarative base."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class DatabaseUnavailable(sa_exc.SQLAlchemyError):
    """No connection to the database could be made (refused, timed out, unknown host, unopenable file).

    A SQLAlchemyError, so code that already tolerates database errors keeps doing so; the driver's own
    exception is its cause.
    """


def unreachable_reason(exc: BaseException) -> str | None:
    """Why the database cannot be reached when `exc` says so, else None (never SQL nor its parameters)."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if isinstance(exc, sa_exc.TimeoutError):
        return "no pooled connection became free in time"
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return f"the connection was lost: {type(exc.orig).__name__}: {exc.orig}"
    return None


def create_engine(url: str) -> AsyncEngine:
    # Bound values (hashes, pseudonyms, e-mail addresses) never appear in errors, hence never in logs.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        # Drivers fail to connect with exceptions of their own (asyncpg raises plain OSError):
        # one type tells a database that cannot be reached from a fault of the request.
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            raise DatabaseUnavailable(f"cannot connect to the database: {type(exc).__name__}: {exc}") from exc

    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    # Imported here: the audit trail, real time and jobs are domain modules that use this module's base.
    from hdx.jobs import pending as jobs
    from hdx.realtime import service as realtime
    from hdx.security import audit

    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        audit.bind_request(session, request)
        try:
            yield session
        except BaseException:
            await session.rollback()
            # Failed logins, denials and other refusals are recorded although the request fails.
            await audit.persist_after_failure(session)
            raise
        else:
            await audit.commit_with_trail(session)
            await realtime.publish_committed(session, getattr(request.app.state, "events", None))
            await jobs.dispatch_committed(session, getattr(request.app.state, "jobs", None))


get_db_session = _request_session
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
