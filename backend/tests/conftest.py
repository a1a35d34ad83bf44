"""Shared fixtures: a migrated database (PostgreSQL when HDX_TEST_DATABASE_URL is set, SQLite
otherwise), Redis when HDX_TEST_REDIS_URL is set, the app over ASGI, and users of any role."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pwdlib import PasswordHash
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdx.app import create_app
from hdx.auth import tokens
from hdx.auth.models import Role, User
from hdx.config import Settings
from hdx.db import create_engine, utcnow
from hdx.models import Model
from hdx.organizations.models import Organization, OrganizationType

BACKEND = Path(__file__).resolve().parent.parent
TEST_PASSWORD = "correct horse battery staple 42"
_password_hash = PasswordHash.recommended()
_TEST_PASSWORD_HASH = _password_hash.hash(TEST_PASSWORD)


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("HDX_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_root / 'test.db'}"


async def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Model.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()


def migrate(url: str) -> None:
    config = Config(str(BACKEND / "alembic.ini"))
    config.set_main_option("script_location", str(BACKEND / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    asyncio.run(_drop_everything(url))
    migrate(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return os.environ.get("HDX_TEST_REDIS_URL") or None


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str | None) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret="test-secret-" + "x" * 40,
        rate_limit_enabled=False,
        cors_origins=["http://localhost:3000"],
    )


async def _clean(url: str, redis_url: str | None) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        tables = list(reversed(Model.metadata.sorted_tables))
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(table.delete())
    await engine.dispose()
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def clean_state(settings: Settings) -> None:
    """Empty tables and Redis: every test starts from nothing."""
    await _clean(settings.database_url, settings.redis_url)


@pytest.fixture
async def app(settings: Settings, clean_state: None) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def db(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session on the app's database, for arranging and inspecting state directly."""
    async with app.state.sessionmaker() as session:
        yield session


@dataclass
class UserHandle:
    id: str
    email: str
    role: Role
    organization_id: str | None
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeUser = Callable[..., Awaitable[UserHandle]]


async def create_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    role: Role = Role.org_admin,
    org: str | None = "General Hospital",
    email: str | None = None,
    token_lifetime: timedelta = timedelta(minutes=15),
) -> UserHandle:
    """A verified user of `role` in organization `org` (created when new), with an access token."""
    async with sessionmaker() as session:
        organization_id = None
        if role is not Role.admin and org is not None:
            found = await session.scalar(select(Organization).where(Organization.name == org))
            if found is None:
                found = Organization(
                    name=org,
                    type=OrganizationType.hospital,
                    email=f"contact@{org.lower().replace(' ', '-')}.example.org",
                    contact="+1 555 0100",
                    location="Springfield",
                    privacy_accepted_at=utcnow(),
                )
                session.add(found)
                await session.flush()
            organization_id = found.id
        address = (
            email
            or f"{role.value}.{os.urandom(4).hex()}@{(org or 'platform').lower().replace(' ', '-')}.example.org"
        )
        user = User(
            organization_id=organization_id,
            email=address,
            full_name=f"Test {role.value}",
            role=role,
            password_hash=_TEST_PASSWORD_HASH,
            email_verified_at=utcnow(),
        )
        session.add(user)
        await session.commit()
    token, _ = tokens.encode(
        settings, subject=user.id, token_type="access", lifetime=token_lifetime, version=0
    )
    return UserHandle(user.id, address, role, organization_id, token)


@pytest.fixture
def make_user(app: FastAPI, settings: Settings) -> MakeUser:
    """Create a verified user of `role` in organization `org` (created when new) with an access token."""

    async def factory(
        role: Role = Role.org_admin, org: str | None = "General Hospital", email: str | None = None
    ) -> UserHandle:
        return await create_user(app.state.sessionmaker, settings, role, org, email)

    return factory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def artifacts_dir() -> Iterator[Path]:
    path = BACKEND / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
