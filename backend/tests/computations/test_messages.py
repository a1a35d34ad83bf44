from __future__ import annotations

import hashlib
import os

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import framing
from hdx.computations.models import RoundMessage
from hdx.config import Settings
from hdx.crypto.signing import fingerprint
from tests.computations.conftest import (
    BASE,
    Org,
    accept_all,
    b64,
    create,
    post_message,
    raw_public,
    running,
    spec,
)


async def test_same_bytes_again_is_200_with_the_stored_record_and_different_bytes_409(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    computation = await running(client, orgs)
    cid = computation["id"]
    payload = os.urandom(4096)
    first = await post_message(client, orgs[0], cid, payload, recipient=2)
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["sender_index"] == 1
    assert stored["recipient_index"] == 2
    assert stored["sha256"] == hashlib.sha256(payload).hexdigest()
    assert stored["size"] == 4096

    again = await post_message(client, orgs[0], cid, payload, recipient=2)
    assert again.status_code == 200
    assert again.json() == stored

    different = await post_message(client, orgs[0], cid, payload[:-1] + b"\x00", recipient=2)
    assert different.status_code == 409
    assert different.json()["detail"]["sha256"] == stored["sha256"]

    count = await db.scalar(
        select(func.count()).select_from(RoundMessage).where(RoundMessage.computation_id == cid)
    )
    assert count == 1


async def test_a_party_fetches_exactly_the_messages_addressed_to_it(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    computation = await running(client, orgs)
    cid = computation["id"]
    to_second = {1: b"share 1->2", 3: b"share 3->2"}
    for sender, payload in to_second.items():
        assert (await post_message(client, orgs[sender - 1], cid, payload, recipient=2)).status_code == 201
    assert (await post_message(client, orgs[0], cid, b"share 1->3", recipient=3)).status_code == 201
    to_exchange = await post_message(client, orgs[0], cid, b"partial of 1", kind="partial")
    assert to_exchange.json()["recipient_index"] is None

    response = await client.get(
        f"{BASE}/{cid}/rounds/1/messages", params={"recipient": "me"}, headers=orgs[1].agent
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["X-HDX-Message-Count"] == "2"
    frames = framing.decode(response.content)
    assert [(f.sender, f.recipient, f.kind, f.payload) for f in frames] == [
        (1, 2, "share", b"share 1->2"),
        (3, 2, "share", b"share 3->2"),
    ]
    only_third = await client.get(
        f"{BASE}/{cid}/rounds/1/messages", params={"sender": 3}, headers=orgs[1].agent
    )
    assert [f.payload for f in framing.decode(only_third.content)] == [b"share 3->2"]
    nothing = await client.get(f"{BASE}/{cid}/rounds/2/messages", headers=orgs[1].agent)
    assert framing.decode(nothing.content) == []


async def test_submit_posts_to_the_current_round(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    computation = await running(client, orgs)
    response = await client.post(
        f"{BASE}/{computation['id']}/submit",
        params={"kind": "share", "recipient": 3},
        content=b"sealed share",
        headers={**orgs[1].agent, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    assert (response.json()["round"], response.json()["sender_index"]) == (1, 2)
    status = (await client.get(f"{BASE}/{computation['id']}/status", headers=orgs[0].doctor.headers)).json()
    assert [p["status"] for p in status["parties"]] == ["accepted", "submitted", "accepted"]


async def test_messages_are_refused_outside_the_rules(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    pending = await create(client, orgs[0].doctor, spec(orgs))
    early = await post_message(client, orgs[0], pending["id"], b"too early")
    assert early.status_code == 409
    assert "pending_approval" in early.json()["detail"]

    cid = (await running(client, orgs))["id"]
    future = await post_message(client, orgs[0], cid, b"x", round_number=2)
    assert future.status_code == 409
    assert "current round is 1" in future.json()["detail"]
    as_other = await client.post(
        f"{BASE}/{cid}/rounds/1/messages",
        params={"kind": "share", "sender": 2},
        content=b"x",
        headers={**orgs[0].agent, "Content-Type": "application/octet-stream"},
    )
    assert as_other.status_code == 403
    assert (await post_message(client, orgs[0], cid, b"x", recipient=9)).status_code == 422
    assert (await post_message(client, orgs[0], cid, b"x", kind="Bad Kind")).status_code == 422
    assert (await post_message(client, orgs[0], cid, b"")).status_code == 422
    as_json = await client.post(
        f"{BASE}/{cid}/rounds/1/messages", params={"kind": "share"}, json={"a": 1}, headers=orgs[0].agent
    )
    assert as_json.status_code == 415
    no_key = await client.post(
        f"{BASE}/{cid}/rounds/1/messages",
        params={"kind": "share"},
        content=b"x",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert no_key.status_code == 401


async def test_a_declined_party_takes_no_part(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    await client.post(f"{BASE}/{created['id']}/decline", json={}, headers=orgs[2].admin.headers)
    started = await accept_all(client, orgs[:2], created["id"])
    assert started["status"] == "running"
    response = await post_message(client, orgs[2], created["id"], b"uninvited")
    assert response.status_code == 409
    assert "declined" in response.json()["detail"]
    to_declined = await post_message(client, orgs[0], created["id"], b"x", recipient=3)
    assert to_declined.status_code == 422


async def test_payload_over_the_limit_is_413(
    settings: Settings, client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession
) -> None:
    cid = (await running(client, orgs))["id"]
    settings.max_message_bytes = 1024
    assert (await post_message(client, orgs[0], cid, b"x" * 1024)).status_code == 201
    too_big = await post_message(client, orgs[1], cid, b"x" * 1025)
    assert too_big.status_code == 413
    count = await db.scalar(
        select(func.count()).select_from(RoundMessage).where(RoundMessage.computation_id == cid)
    )
    assert count == 1


async def test_agent_keys_register_and_show_per_party(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    x_key, ed_key = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = {"x25519_public": b64(raw_public(x_key)), "ed25519_public": raw_public(ed_key).hex()}
    registered = await client.post("/agent/keys", json=body, headers=orgs[0].agent)
    assert registered.status_code == 201, registered.text
    key = registered.json()
    assert key["x25519_fingerprint"] == fingerprint(raw_public(x_key))
    assert key["ed25519_fingerprint"] == fingerprint(raw_public(ed_key))
    again = await client.post("/agent/keys", json=body, headers=orgs[0].agent)
    assert (again.status_code, again.json()["id"]) == (200, key["id"])

    computation = await running(client, orgs)
    parties = (await client.get(f"{BASE}/{computation['id']}/parties", headers=orgs[1].doctor.headers)).json()
    assert parties[0]["keys"]["id"] == key["id"]
    assert parties[0]["keys"]["ed25519_public"] == b64(raw_public(ed_key))
    assert parties[1]["keys"] is None

    rotated = X25519PrivateKey.generate()
    body_rotated = {"x25519_public": b64(raw_public(rotated)), "ed25519_public": body["ed25519_public"]}
    assert (await client.post("/agent/keys", json=body_rotated, headers=orgs[0].agent)).status_code == 201
    after = (
        await client.get(f"/agent/computations/{computation['id']}/parties", headers=orgs[2].agent)
    ).json()
    assert after[0]["keys"]["id"] == key["id"], "a running computation keeps the keys it started with"


async def test_malformed_keys_are_422(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    good = b64(raw_public(Ed25519PrivateKey.generate()))
    for x25519, ed25519 in [("abc", good), (b64(bytes(32)), good), (b64(os.urandom(31)), good)]:
        response = await client.post(
            "/agent/keys", json={"x25519_public": x25519, "ed25519_public": ed25519}, headers=orgs[0].agent
        )
        assert response.status_code == 422, (x25519, response.text)


async def test_agents_see_and_answer_invitations(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs))
    listed = (await client.get("/agent/computations", headers=orgs[1].agent)).json()
    assert [(item["id"], item["my_party_index"], item["my_status"]) for item in listed] == [
        (created["id"], 2, "invited")
    ]
    for org in orgs:
        answer = await client.post(
            f"/agent/computations/{created['id']}/accept", json={"source": "agent"}, headers=org.agent
        )
        assert answer.status_code == 200
    mine = (await client.get(f"/agent/computations/{created['id']}", headers=orgs[2].agent)).json()
    assert (mine["status"], mine["my_party_index"], mine["my_status"]) == ("running", 3, "accepted")
