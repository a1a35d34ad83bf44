"""The `hdx` command: run, migrate, admin, audit, keys, agent, worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from hdx.agent.commands import agent_app
from hdx.config import get_settings

app = typer.Typer(help="HDX Health Data Exchange", no_args_is_help=True)
admin_app = typer.Typer(help="Platform administration", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(help="Encryption keys of the dataset vault", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(agent_app, name="agent")

BACKEND_DIR = Path(__file__).resolve().parent.parent


def _alembic_config() -> object:
    from alembic.config import Config

    config = Config(str(BACKEND_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(BACKEND_DIR / "migrations"))
    return config


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest revision."""
    from alembic import command

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(), "head")  # type: ignore[arg-type]
    typer.echo(f"database is at the latest revision ({settings.database_url.split('@')[-1]})")


@app.command()
def run(
    host: Annotated[str, typer.Option(envvar="HDX_HOST", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="HDX_PORT", help="Port to listen on")] = 8000,
    workers: int = 1,
) -> None:
    """Serve the exchange (API, docs at /docs, dashboard at /)."""
    import uvicorn

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.master_key_bytes()
    uvicorn.run("hdx.main:app", host=host, port=port, workers=workers, log_config=None, proxy_headers=False)


@admin_app.command("create")
def admin_create(
    email: str = typer.Option(..., help="Email of the platform administrator"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    full_name: str = typer.Option("Platform administrator"),
) -> None:
    """Create a platform admin account (belongs to no organization)."""
    from hdx.auth.service import create_platform_admin
    from hdx.db import create_engine, create_sessionmaker
    from hdx.exceptions import HdxError

    async def _run() -> None:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                from hdx.security import audit

                await create_platform_admin(session, email=email, password=password, full_name=full_name)
                await audit.commit_with_trail(session)
        finally:
            await engine.dispose()

    try:
        asyncio.run(_run())
    except HdxError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"platform admin {email} created")


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-check the whole hash chain of the audit trail; exit 1 when it is broken."""
    from hdx.db import create_engine, create_sessionmaker
    from hdx.security.audit import verify_chain

    async def _run() -> int:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                report = await verify_chain(session)
        finally:
            await engine.dispose()
        if report.intact:
            typer.echo(f"audit chain intact: {report.events} events")
            return 0
        typer.echo(f"audit chain BROKEN at event {report.first_bad_seq}: {report.reason}", err=True)
        return 1

    raise typer.Exit(asyncio.run(_run()))


@keys_app.command("rotate-master")
def keys_rotate_master(
    new_key_file: Annotated[
        Path,
        typer.Option("--new-key-file", help="File holding the new master key: 64 hex characters (32 bytes)"),
    ],
) -> None:
    """Re-wrap every organization key under a new master key; dataset files are not touched."""
    from hdx.datasets.vault import install_master_key, rotate_master_key
    from hdx.db import create_engine, create_sessionmaker
    from hdx.models import Model
    from hdx.security import audit

    # Foreign keys name tables of other domains: every model must be known before the first query.
    Model.registry.configure()
    settings = get_settings()
    try:
        new_key = bytes.fromhex(new_key_file.read_text().strip())
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read a hex key from {new_key_file}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if len(new_key) != 32:
        typer.echo("error: the new master key must be 32 bytes (64 hex characters)", err=True)
        raise typer.Exit(1)
    old_key = settings.master_key_bytes()

    async def _run() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                count = await rotate_master_key(session, old_key, new_key)
                audit.record(session, "keys.rotate_master", details={"organizations": count})
                await audit.commit_with_trail(session)
                return count
        finally:
            await engine.dispose()

    count = asyncio.run(_run())
    typer.echo(f"re-wrapped {count} organization key(s) under the new master key")
    if settings.master_key is None:
        assert settings.master_key_file is not None
        install_master_key(settings.master_key_file, new_key)
        typer.echo(f"installed the new master key in {settings.master_key_file}")
    else:
        typer.echo("now set HDX_MASTER_KEY to the new key and restart every exchange and worker process")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the demo exchange (0: any free port)")] = 0,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the exchange's data and logs in this directory")
    ] = None,
) -> None:
    """Three hospitals, a third of the diabetes data each: secure mean and variance with real agents."""
    from hdx.agent.demo import run_demo

    raise typer.Exit(run_demo(port=port, keep=keep))


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run background jobs (deadline sweep, hosted agents) from the Redis queue the API fills."""
    from taskiq.cli.worker.args import WorkerArgs
    from taskiq.cli.worker.run import run_worker

    settings = get_settings()
    if not settings.redis_url:
        typer.echo(
            "hdx worker needs HDX_REDIS_URL; without Redis the API process runs the jobs itself", err=True
        )
        raise typer.Exit(2)
    settings.master_key_bytes()
    raise typer.Exit(
        run_worker(
            WorkerArgs(
                broker="hdx.jobs.worker:broker", modules=[], workers=processes, configure_logging=False
            )
        )
        or 0
    )


def main() -> None:
    app()
