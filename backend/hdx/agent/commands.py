"""`hdx agent init | run | status`: the party agent on an organization's own machine."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from hdx.datasets.catalog import Category

agent_app = typer.Typer(help="The party agent: your keys, your data, your policy", no_args_is_help=True)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Where keys, configuration and computation state live (default ~/.hdx-agent)",
        envvar="HDX_AGENT_STATE_DIR",
        show_default=False,
    ),
]


def _state_dir(given: Path | None) -> Path:
    from hdx.agent.config import default_state_dir

    return (given or default_state_dir()).expanduser()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@agent_app.command("init")
def init(
    server: Annotated[str, typer.Option(help="The exchange, e.g. https://hdx.example.org")],
    api_key: Annotated[
        str,
        typer.Option(
            help="An API key of your organization (POST /organizations/me/api-keys)",
            envvar="HDX_AGENT_API_KEY",
        ),
    ],
    state_dir: StateDir = None,
) -> None:
    """Generate (or reuse) this agent's keys and register their public halves with the exchange."""
    from hdx.agent.client import ExchangeError
    from hdx.agent.enroll import enroll
    from hdx.agent.keystore import KeystoreError, keys_dir

    directory = _state_dir(state_dir)
    try:
        enrolled = enroll(directory, server, api_key)
    except (KeystoreError, ExchangeError) as exc:
        raise _fail(str(exc)) from exc
    keys = enrolled.keys
    typer.echo(f"{'generated new' if enrolled.created else 'reusing'} keys in {keys_dir(directory)}")
    typer.echo(f"registered with {server} for organization {enrolled.settings.organization_id}")
    typer.echo(f"X25519 fingerprint:  {keys.x25519_fingerprint}")
    typer.echo(f"Ed25519 fingerprint: {keys.ed25519_fingerprint}")


@agent_app.command("run")
def run(
    data: Annotated[Path, typer.Option(help="Your local data: a CSV or Parquet file")],
    server: Annotated[str | None, typer.Option(help="Override the exchange given at init")] = None,
    category: Annotated[
        Category, typer.Option(help="Catalog category the data is validated against")
    ] = Category.custom,
    policy: Annotated[
        Path | None,
        typer.Option(help="TOML policy (docs/agent.md); without one every invitation waits for a person"),
    ] = None,
    once: Annotated[bool, typer.Option(help="Handle what is pending now, then exit")] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.1, help="Pause between polls")] = 2.0,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
    state_dir: StateDir = None,
) -> None:
    """Answer invitations by policy and run this organization's part of every computation."""
    from hdx.agent import config, keystore, source
    from hdx.agent import policy as policies
    from hdx.agent.client import ExchangeClient, Unreachable
    from hdx.agent.runner import Agent
    from hdx.agent.store import ComputationStore
    from hdx.kit.logging import configure_logging

    configure_logging(log_level)
    # One line per HTTP request at every poll would bury what the agent decides and does.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    logger = logging.getLogger("hdx.agent")
    directory = _state_dir(state_dir)
    try:
        settings = config.load(directory)
        api_key = config.load_api_key(directory)
        keys = keystore.load(directory)
        rules = policies.load(policy) if policy is not None else policies.Policy()
        local = source.load(data, category)
    except (config.ConfigError, keystore.KeystoreError, policies.PolicyError, source.SourceError) as exc:
        raise _fail(str(exc)) from exc
    report = local.report
    logger.info(
        "local data loaded",
        extra={"path": str(data), "rows": local.rows, "rejected": report.rows_rejected}
        | {"columns": local.frame.columns, "ignored_columns": report.ignored_columns},
    )
    with ExchangeClient(server or settings.server, api_key) as client:
        agent = Agent(client=client, keys=keys, store=ComputationStore(directory), data=local, rules=rules)
        try:
            agent.run(poll_seconds=poll_seconds, once=once)
        except Unreachable as exc:
            raise _fail(f"the exchange is unreachable: {exc}") from exc
        except KeyboardInterrupt:
            logger.info("stopped; state is saved and the next run resumes from it")


@agent_app.command("status")
def status(state_dir: StateDir = None) -> None:
    """Configuration, key fingerprints, and the computations this agent took part in."""
    from hdx.agent import config, keystore
    from hdx.agent.store import ComputationStore

    directory = _state_dir(state_dir)
    try:
        settings = config.load(directory)
        keys = keystore.load(directory)
    except (config.ConfigError, keystore.KeystoreError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"state directory:     {directory}")
    typer.echo(f"exchange:            {settings.server}")
    typer.echo(f"organization:        {settings.organization_id}")
    typer.echo(f"API key:             {settings.api_key_prefix}... ({settings.api_key_id})")
    typer.echo(f"X25519 fingerprint:  {keys.x25519_fingerprint}")
    typer.echo(f"Ed25519 fingerprint: {keys.ed25519_fingerprint}")
    computations = ComputationStore(directory).all()
    typer.echo(f"computations:        {len(computations)}")
    for item in computations:
        progress = f"round {item.stepped - item.round_offset}/{item.rounds}"
        if item.iteration > 1:
            progress = f"iteration {item.iteration} {progress}"
        line = (
            f"  {item.computation_id}  {item.analysis}/{item.protocol}  party {item.my_index}  "
            f"{item.status}  {progress} (posted {item.posted - item.round_offset})  rows {item.rows}"
        )
        if item.result_id:
            line += f"  result {item.result_id}"
        if item.halted:
            line += f"  [{item.halted}]"
        typer.echo(line)
