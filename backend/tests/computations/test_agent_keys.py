"""GET /organizations/me/agent-keys: an organization administrator checks its agents' key fingerprints."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hdx.crypto.signing import fingerprint
from tests.computations.conftest import Org, b64, raw_public

PATH = "/organizations/me/agent-keys"


async def register(
    client: httpx.AsyncClient, org: Org, x_key: X25519PrivateKey, ed_key: Ed25519PrivateKey
) -> str:
    body = {"x25519_public": b64(raw_public(x_key)), "ed25519_public": b64(raw_public(ed_key))}
    response = await client.post("/agent/keys", json=body, headers=org.agent)
    assert response.status_code == 201, response.text
    key_id: str = response.json()["id"]
    return key_id


async def test_an_org_admin_sees_current_and_superseded_fingerprints_newest_first(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    ed_key = Ed25519PrivateKey.generate()
    first_x, second_x = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    first = await register(client, orgs[0], first_x, ed_key)
    second = await register(client, orgs[0], second_x, ed_key)

    response = await client.get(PATH, headers=orgs[0].admin.headers)
    assert response.status_code == 200, response.text
    keys = response.json()
    assert [key["id"] for key in keys] == [second, first]
    current, old = keys
    assert current["superseded_at"] is None
    assert old["superseded_at"] is not None
    assert current["x25519_fingerprint"] == fingerprint(raw_public(second_x))
    assert old["x25519_fingerprint"] == fingerprint(raw_public(first_x))
    assert current["ed25519_fingerprint"] == fingerprint(raw_public(ed_key))
    assert current["x25519_public"] == b64(raw_public(second_x))
    assert current["hosted"] is False
    assert current["organization_id"] == orgs[0].id
    api_keys = (await client.get("/organizations/me/api-keys", headers=orgs[0].admin.headers)).json()
    assert current["api_key_id"] == api_keys[0]["id"]


async def test_other_organizations_see_none_of_them_and_staff_are_refused(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    await register(client, orgs[0], X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    other = await client.get(PATH, headers=orgs[1].admin.headers)
    assert (other.status_code, other.json()) == (200, [])
    assert (await client.get(PATH, headers=orgs[0].doctor.headers)).status_code == 403
    assert (await client.get(PATH)).status_code == 401
