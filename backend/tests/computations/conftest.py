"""Three organizations with an admin, a doctor and a party agent each, and helpers to drive computations."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hdx.auth.models import Role
from hdx.computations import coordination
from hdx.computations.models import ProtocolName
from tests.conftest import MakeUser, UserHandle

ORGS = ("North Hospital", "South Clinic", "East Laboratory")
BASE = "/secure-computations"


@dataclass
class Org:
    name: str
    id: str
    admin: UserHandle
    doctor: UserHandle
    api_key: str

    @property
    def agent(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def raw_public(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


async def _org(client: httpx.AsyncClient, make_user: MakeUser, name: str) -> Org:
    admin = await make_user(Role.org_admin, org=name)
    doctor = await make_user(Role.doctor, org=name)
    created = await client.post(
        "/organizations/me/api-keys", json={"name": "party agent"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    assert admin.organization_id is not None
    return Org(name, admin.organization_id, admin, doctor, created.json()["key"])


@pytest.fixture
async def orgs(client: httpx.AsyncClient, make_user: MakeUser) -> list[Org]:
    return [await _org(client, make_user, name) for name in ORGS]


@pytest.fixture
async def outsider(client: httpx.AsyncClient, make_user: MakeUser) -> Org:
    return await _org(client, make_user, "West Pharmacy")


def spec(orgs: list[Org], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Mean systolic blood pressure",
        "analysis": "mean",
        "params": {"variable": {"name": "systolic_bp", "lo": 40, "hi": 300}},
        "participants": [org.id for org in orgs],
        "protocol": "shamir",
        "threshold": 2,
        "min_participants": 2,
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, requester: UserHandle, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/initialize", json=body, headers=requester.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def accept_all(client: httpx.AsyncClient, orgs: list[Org], computation_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for org in orgs:
        response = await client.post(
            f"{BASE}/{computation_id}/accept", json={"source": "agent"}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
    return body


async def running(client: httpx.AsyncClient, orgs: list[Org]) -> dict[str, Any]:
    computation = await create(client, orgs[0].doctor, spec(orgs))
    started = await accept_all(client, orgs, computation["id"])
    assert started["status"] == "running"
    return started


async def post_message(
    client: httpx.AsyncClient,
    org: Org,
    computation_id: str,
    payload: bytes,
    *,
    round_number: int = 1,
    kind: str = "share",
    recipient: int | None = None,
) -> httpx.Response:
    params: dict[str, Any] = {"kind": kind}
    if recipient is not None:
        params["recipient"] = recipient
    return await client.post(
        f"{BASE}/{computation_id}/rounds/{round_number}/messages",
        params=params,
        content=payload,
        headers={**org.agent, "Content-Type": "application/octet-stream"},
    )


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def paillier_unavailable() -> Iterator[None]:
    """An exchange on which paillier has no coordinator, as on a build that does not run it."""
    real = coordination.coordinator_for(ProtocolName.paillier)
    coordination.unregister(ProtocolName.paillier)
    try:
        yield
    finally:
        if real is not None:
            coordination.register(ProtocolName.paillier, real)
