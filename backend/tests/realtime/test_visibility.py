"""What each user may see over WebSockets: counts of their own scope, channels of their own computations."""

from __future__ import annotations

import httpx

from hdx.auth.models import Role
from hdx.realtime.schemas import POLICY_VIOLATION
from tests.computations.conftest import Org, create, spec
from tests.conftest import TEST_PASSWORD, MakeUser
from tests.realtime.conftest import ws_client

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_system_metrics_count_platform_wide_only_for_platform_admins(
    server: str, client: httpx.AsyncClient, orgs: list[Org], outsider: Org, make_user: MakeUser
) -> None:
    north = orgs[0]
    await create(client, north.doctor, spec(orgs))
    await create(client, north.doctor, spec(orgs[:2]))
    admin = await make_user(Role.admin)
    patient = await make_user(Role.patient, org=outsider.name)
    seen: dict[str, dict[str, object]] = {}
    for name, token in [
        ("admin", admin.token),
        ("north", north.doctor.token),
        ("east", orgs[2].doctor.token),
        ("outsider", outsider.doctor.token),
        ("patient", patient.token),
    ]:
        async with ws_client(server, token=token) as feed:
            seen[name] = await feed.next_type("metrics")
    counts = {name: metrics["computations"] for name, metrics in seen.items()}
    assert counts["admin"] == {"pending_approval": 2, "running": 0, "awaiting_release": 0}
    assert counts["north"] == {"pending_approval": 2, "running": 0, "awaiting_release": 0}
    assert counts["east"] == {"pending_approval": 1, "running": 0, "awaiting_release": 0}
    assert counts["outsider"] == {"pending_approval": 0, "running": 0, "awaiting_release": 0}
    assert counts["patient"] == counts["outsider"]
    assert {name: metrics["scope"] for name, metrics in seen.items()} == {
        "admin": "platform",
        "north": "organization",
        "east": "organization",
        "outsider": "organization",
        "patient": "organization",
    }
    # The server process's own figures are platform-wide too.
    assert seen["admin"]["process"] is not None
    assert all(seen[name]["process"] is None for name in ("north", "east", "outsider", "patient"))


async def test_federated_channels_only_of_the_organizations_computations(
    server: str, client: httpx.AsyncClient, orgs: list[Org], outsider: Org
) -> None:
    created = await create(client, orgs[0].doctor, spec(orgs[:2]))
    channel = f"federated:{created['id']}"
    async with ws_client(server, path="/ws/federated", token=orgs[1].doctor.token) as feed:
        await feed.next_type("ready")
        assert await feed.subscribe(channel) == {"type": "subscribed", "channel": channel}
    async with ws_client(server, path="/ws/federated", token=outsider.doctor.token) as feed:
        await feed.next_type("ready")
        not_yours = await feed.subscribe(channel)
        unknown = await feed.subscribe(f"federated:{UNKNOWN}")
    assert (not_yours["type"], not_yours["code"]) == ("error", "forbidden")
    # The same answer for a computation that does not exist: existence is not disclosed.
    assert {k: v for k, v in unknown.items() if k != "channel"} == {
        k: v for k, v in not_yours.items() if k != "channel"
    }


async def test_a_subscription_after_sign_out_is_refused_and_closes_the_connection(
    server: str, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(Role.doctor)
    response = await client.post("/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.text
    signed_in = response.json()
    channel = f"org:{user.organization_id}"
    async with ws_client(server, token=signed_in["access_token"]) as feed:
        await feed.next_type("ready")
        assert (await feed.subscribe(channel))["type"] == "subscribed"
        logout = await client.post("/logout", json={"refresh_token": signed_in["refresh_token"]})
        assert logout.status_code == 200, logout.text
        before = len(feed.received)
        await feed.send({"type": "subscribe", "channel": channel})
        code, reason = await feed.closed(timeout=5.0)
    assert code == POLICY_VIOLATION
    assert "signed out" in reason
    assert not any('"subscribed"' in text for text in feed.received[before:])
