"""Where the agent keeps its settings: the exchange's address, its organization and its API key."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from hdx.agent.files import mode_of, private_dir, write_private

CONFIG_FILE = "config.json"
API_KEY_FILE = "api-key"
STATE_DIR_ENV = "HDX_AGENT_STATE_DIR"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class AgentConfig:
    server: str
    organization_id: str
    api_key_id: str
    api_key_prefix: str
    party_key_id: str


def default_state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or Path.home() / ".hdx-agent")


def save(state_dir: Path, config: AgentConfig, api_key: str) -> None:
    private_dir(state_dir)
    # The API key lives apart from the config so that the config can be shown or shared without it.
    write_private(state_dir / API_KEY_FILE, api_key.encode() + b"\n")
    write_private(state_dir / CONFIG_FILE, json.dumps(asdict(config), indent=2).encode() + b"\n")


def load(state_dir: Path) -> AgentConfig:
    path = state_dir / CONFIG_FILE
    try:
        raw = json.loads(path.read_text())
        return AgentConfig(**raw)
    except FileNotFoundError as exc:
        raise ConfigError(f"no agent configuration in {state_dir}: run `hdx agent init` first") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a valid agent configuration: {exc}") from exc


def load_api_key(state_dir: Path) -> str:
    path = state_dir / API_KEY_FILE
    if not path.exists():
        raise ConfigError(f"no API key in {state_dir}: run `hdx agent init` first")
    if mode_of(path) & 0o077:
        raise ConfigError(f"{path} is readable by other users (mode {mode_of(path):o}); chmod 600 it")
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty")
    return key
