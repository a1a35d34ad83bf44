"""Regenerate the initial migration from the models (`make migration`; the schema is not released yet).

Alembic autogenerates the migration against an empty SQLite database in a scratch folder; the result
is formatted as the project formats code and compared with the migration in place, all but its
"Create Date" line. When they agree nothing is written, and when they differ the new text goes into
the existing file, so the file keeps its name and git shows an edit, never a delete plus an add.

    python migrations/regenerate.py [--versions DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

BACKEND = Path(__file__).resolve().parent.parent
MIGRATIONS = BACKEND / "migrations"
PATTERN = "*_initial.py"


def _ruff(*args: str, source: str, named: Path) -> str:
    """Run ruff on `source` as if it were the file `named` (so the project's settings apply)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(named), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=BACKEND,
        check=True,
    )
    return done.stdout


def _formatted(source: str, named: Path) -> str:
    fixed = _ruff(
        "check", "--fix", "--exit-zero", "--quiet", "--select", "I,F401", source=source, named=named
    )
    return _ruff("format", "--quiet", source=fixed, named=named)


def _generated() -> tuple[str, str]:
    """The file name and text Alembic writes for the current models."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "migrations"
        (script / "versions").mkdir(parents=True)
        for name in ("env.py", "script.py.mako"):
            shutil.copy(MIGRATIONS / name, script / name)
        config = Config(str(BACKEND / "alembic.ini"))
        config.set_main_option("script_location", str(script))
        config.attributes["database_url"] = f"sqlite+aiosqlite:///{Path(scratch) / 'schema.db'}"
        command.revision(config, message="initial", autogenerate=True, rev_id="0001")
        (written,) = (script / "versions").glob(PATTERN)
        return written.name, written.read_text(encoding="utf-8")


def _significant(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("Create Date:")]


def regenerate(versions: Path) -> str:
    """Bring the initial migration in `versions` up to date with the models; say what was done."""
    existing = sorted(versions.glob(PATTERN))
    if len(existing) > 1:
        raise SystemExit(f"more than one initial migration in {versions}: {[p.name for p in existing]}")
    name, text = _generated()
    target = existing[0] if existing else versions / name
    text = _formatted(text, MIGRATIONS / "versions" / target.name)
    if existing and _significant(target.read_text(encoding="utf-8")) == _significant(text):
        return f"{target.name}: unchanged, the models did not change"
    target.write_text(text, encoding="utf-8")
    return f"{target.name}: {'rewritten' if existing else 'written'} from the models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=Path, default=MIGRATIONS / "versions")
    sys.stdout.write(regenerate(parser.parse_args().versions.resolve()) + "\n")


if __name__ == "__main__":
    main()
