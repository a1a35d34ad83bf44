"""Which organizations a computation invites: an id-shaped reference names an organization by its id
only, a name is matched exactly and unambiguously, and no organization may take a name shaped like an id
(else it could stand in for the organization whose id it copies)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from hdx.auth.models import Role
from hdx.computations.service import match_participants
from hdx.exceptions import Unprocessable
from hdx.organizations.models import Organization, OrganizationType
from tests.auth.conftest import registration
from tests.computations.conftest import BASE, Org, create, spec
from tests.conftest import MakeUser


def _id_forms(org_id: str) -> list[str]:
    parsed = uuid.UUID(org_id)
    return [org_id, org_id.upper(), parsed.hex, f"{{{org_id}}}", parsed.urn]


def _invited(created: dict[str, Any]) -> list[tuple[str, str]]:
    return [(party["organization_id"], party["organization_name"]) for party in created["parties"]]


async def _inbox(client: httpx.AsyncClient, org: Org) -> list[str]:
    response = await client.get(f"{BASE}/inbox", headers=org.admin.headers)
    assert response.status_code == 200, response.text
    return [item["computation_id"] for item in response.json()]


async def test_an_impostor_cannot_register_under_a_partners_id_and_be_invited_in_its_place(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    alpha, beta, _ = orgs
    impostor = await client.post("/register", json=registration("mallory@mallory.example.org", beta.id))
    assert impostor.status_code == 422, impostor.text
    detail = impostor.json()["detail"]
    assert [problem["field"] for problem in detail] == ["name"]
    assert "organization id" in detail[0]["message"]

    # The dashboard sends ids: the organizations invited are exactly the ones with those ids.
    created = await create(client, alpha.doctor, spec(orgs[:2]))
    assert _invited(created) == [(alpha.id, alpha.name), (beta.id, beta.name)]
    assert created["id"] in await _inbox(client, beta)


@pytest.mark.parametrize("form", range(5))
async def test_no_form_of_an_id_is_accepted_as_an_organization_name(
    client: httpx.AsyncClient, orgs: list[Org], form: int
) -> None:
    name = _id_forms(orgs[1].id)[form]
    response = await client.post("/register", json=registration("mallory@mallory.example.org", name))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "name"


async def test_an_organization_already_named_like_an_id_is_never_taken_for_that_id(
    client: httpx.AsyncClient, orgs: list[Org], make_user: MakeUser
) -> None:
    alpha, beta, _ = orgs
    # An organization whose name copies Beta's id, as one registered before such names were refused.
    mallory = await make_user(Role.org_admin, org=beta.id)
    assert mallory.organization_id not in {beta.id, None}

    created = await create(client, alpha.doctor, spec(orgs[:2]))
    assert _invited(created) == [(alpha.id, alpha.name), (beta.id, beta.name)]
    assert created["id"] in await _inbox(client, beta)
    mallory_inbox = await client.get(f"{BASE}/inbox", headers=mallory.headers)
    assert mallory_inbox.json() == []


async def test_an_unknown_id_is_refused_even_when_an_organization_bears_it_as_its_name(
    client: httpx.AsyncClient, orgs: list[Org], make_user: MakeUser
) -> None:
    ghost = str(uuid.uuid4())
    await make_user(Role.org_admin, org=ghost)
    response = await client.post(
        f"{BASE}/initialize",
        json=spec(orgs[:1], participants=[orgs[0].id, ghost]),
        headers=orgs[0].doctor.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"field": "participants", "message": f"no such organizations: {ghost}"}
    ]


async def test_ids_in_any_uuid_form_and_exact_names_still_name_organizations(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    alpha, beta, east = orgs
    body = spec(orgs, participants=[alpha.id, beta.id.upper(), east.name])
    created = await create(client, alpha.doctor, body)
    assert _invited(created) == [(org.id, org.name) for org in orgs]


async def test_a_name_in_another_case_is_not_a_match(client: httpx.AsyncClient, orgs: list[Org]) -> None:
    body = spec(orgs, participants=[orgs[0].id, orgs[1].name.upper()])
    response = await client.post(f"{BASE}/initialize", json=body, headers=orgs[0].doctor.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["message"] == f"no such organizations: {orgs[1].name.upper()}"


def _organization(org_id: str, name: str) -> Organization:
    return Organization(id=org_id, name=name, type=OrganizationType.clinic, active=True)


def test_a_reference_two_organizations_answer_to_is_refused_listing_both() -> None:
    # Ids are UUIDs on this exchange; a reference that is not one is matched against names, and against
    # an id only if one ever had that form.
    first, second = _organization("org-1", "Lakeside"), _organization("Lakeside", "Other Lab")
    with pytest.raises(Unprocessable) as refused:
        match_participants(["Lakeside"], [first, second])
    message = refused.value.detail[0]["message"]  # type: ignore[index]
    assert message.startswith("Lakeside names more than one organization")
    assert "org-1" in message
    assert "Other Lab" in message
