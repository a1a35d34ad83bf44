"""Enrolling an agent: keys generated once and kept, their public halves registered with the exchange
under the organization's API key, and the agent's configuration saved beside them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from hdx.agent import config, keystore
from hdx.agent.client import ExchangeClient


@dataclass(frozen=True)
class Enrollment:
    keys: keystore.AgentKeys
    created: bool
    settings: config.AgentConfig


def enroll(state_dir: Path, server: str, api_key: str) -> Enrollment:
    """Idempotent: enrolling again reuses the stored keys, and the exchange answers 200 for keys it has."""
    keys, created = keystore.load_or_create(state_dir)
    with ExchangeClient(server, api_key) as client:
        registered = client.post_json(
            "/agent/keys",
            {
                "x25519_public": base64.b64encode(keys.x25519_public).decode(),
                "ed25519_public": base64.b64encode(keys.ed25519_public).decode(),
            },
        )
        who = client.get_json("/agent/whoami")
    settings = config.AgentConfig(
        server=server.rstrip("/"),
        organization_id=who["organization_id"],
        api_key_id=who["api_key_id"],
        api_key_prefix=who["prefix"],
        party_key_id=registered["id"],
    )
    config.save(state_dir, settings, api_key)
    return Enrollment(keys, created, settings)
