"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from hdx.db import create_engine
from hdx.models import Model

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
    )
    return list(compare_metadata(context, Model.metadata))


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], f"run `make migration`: the models differ from the migrations: {differences}"


def _copy_of_versions(tmp_path: Path) -> Path:
    versions = tmp_path / "versions"
    shutil.copytree(MIGRATIONS / "versions", versions, ignore=shutil.ignore_patterns("__pycache__"))
    return versions


def _regenerate(versions: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(MIGRATIONS / "regenerate.py"), "--versions", str(versions)],
        cwd=MIGRATIONS.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _contents(versions: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in versions.glob("*.py")}


def test_regenerating_an_unchanged_schema_changes_nothing(tmp_path: Path) -> None:
    versions = _copy_of_versions(tmp_path)
    before = _contents(versions)
    assert "unchanged" in _regenerate(versions)
    assert _contents(versions) == before


def test_a_changed_schema_is_written_into_the_same_file(tmp_path: Path) -> None:
    versions = _copy_of_versions(tmp_path)
    before = _contents(versions)
    ((name, text),) = before.items()
    column = '        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),\n'
    assert column in text
    (versions / name).write_text(text.replace(column, ""))

    assert "rewritten" in _regenerate(versions)
    after = _contents(versions)
    assert list(after) == [name]
    undated = [line for line in after[name].splitlines() if not line.startswith("Create Date:")]
    assert undated == [line for line in text.splitlines() if not line.startswith("Create Date:")]
