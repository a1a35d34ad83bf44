"""Organization registration, profile updates, address checks and platform admins."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role, User
from hdx.auth.service import create_platform_admin
from hdx.exceptions import Conflict
from hdx.organizations.models import Organization
from hdx.security import audit
from tests.auth.conftest import PASSWORD, Inbox, bearer, login, register_verified, registration
from tests.conftest import MakeUser

EMAIL = "admin@lakeside-lab.org"


async def test_register_with_the_original_form_body(
    client: httpx.AsyncClient, inbox: Inbox, db: AsyncSession
) -> None:
    form = registration(EMAIL, "Lakeside Lab", type="laboratory", privacy_accepted="true")
    response = await client.post("/register", data=form)
    assert response.status_code == 201, response.text
    organization = await db.scalar(select(Organization).where(Organization.name == "Lakeside Lab"))
    assert organization is not None
    assert organization.type.value == "laboratory"
    user = await db.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    assert user.role is Role.org_admin
    assert user.organization_id == organization.id
    assert user.email_verified_at is None
    assert inbox.to(EMAIL), "a verification code is mailed"


async def test_duplicates_conflict(client: httpx.AsyncClient, inbox: Inbox) -> None:
    assert (await client.post("/register", json=registration(EMAIL, "Lakeside Lab"))).status_code == 201
    same_name = await client.post("/register", json=registration("other@lakeside-lab.org", "lakeside lab"))
    assert same_name.status_code == 409
    same_email = await client.post("/register", json=registration(EMAIL, "Another Lab"))
    assert same_email.status_code == 409


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"privacy_accepted": False}, "privacy_accepted"),
        ({"type": "BAKERY"}, "type"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "someone@mailinator.com"}, "email"),
    ],
)
async def test_bad_registrations_are_refused(
    client: httpx.AsyncClient, changes: dict[str, object], field: str
) -> None:
    response = await client.post("/register", json=registration(EMAIL, **changes))
    assert response.status_code == 422, response.text
    assert any(item["field"] == field for item in response.json()["detail"])


async def test_profile_update_cannot_change_role_or_organization(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    user = await make_user(role=Role.doctor)
    other = await make_user(org="Other Hospital")
    for forbidden in ({"role": "admin"}, {"organization_id": other.organization_id}, {"email": "x@y.org"}):
        response = await client.put(
            "/update-profile", json={"full_name": "Dr Who", **forbidden}, headers=user.headers
        )
        assert response.status_code == 422, forbidden
    stored = await db.get(User, user.id)
    assert stored is not None
    assert (stored.role, stored.organization_id, stored.full_name) == (
        Role.doctor,
        user.organization_id,
        "Test doctor",
    )

    ok = await client.put(
        "/update-profile", json={"full_name": "Dr Ada", "phone": "+1 555 0123"}, headers=user.headers
    )
    assert ok.status_code == 200
    assert (ok.json()["full_name"], ok.json()["phone"], ok.json()["role"]) == (
        "Dr Ada",
        "+1 555 0123",
        "doctor",
    )


async def test_change_password_needs_the_current_one(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL, "Lakeside Lab")
    tokens = await login(client, EMAIL)
    wrong = await client.post(
        "/change-password",
        json={"current_password": "Not The Password 123", "new_password": "Brand New Phrase 2024x"},
        headers=bearer(tokens["access_token"]),
    )
    assert wrong.status_code == 400
    common = await client.post(
        "/change-password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=bearer(tokens["access_token"]),
    )
    assert common.status_code == 422
    assert (await client.get("/me", headers=bearer(tokens["access_token"]))).status_code == 200


@pytest.mark.parametrize(
    ("address", "valid", "reason"),
    [
        ("dana@riverside-clinic.org", True, None),
        ("dana@@riverside", False, "Not a valid email address"),
        ("dana@[192.168.0.1]", False, "IP address literal"),
        ("dana@123.45.67.89", False, "numeric"),
        ("dana@tmp.yopmail.com", False, "disposable"),
        ("dana@guerrillamail.com", False, "disposable"),
    ],
)
async def test_verify_email_checks_an_address(
    client: httpx.AsyncClient, address: str, valid: bool, reason: str | None
) -> None:
    response = await client.post("/verify-email", json={"email": address})
    assert response.status_code == 200
    assert response.json()["valid"] is valid
    if reason:
        assert any(reason in item for item in response.json()["reasons"]), response.json()


async def test_verify_email_with_a_code_points_to_verify_otp(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await client.post("/register", json=registration(EMAIL, "Lakeside Lab"))
    code = inbox.last_code(EMAIL)
    response = await client.post("/verify-email", json={"email": EMAIL, "code": code})
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["field"] == "code"
    assert "/verify-otp" in problem["message"]
    # Nothing was verified, and the code still works where it belongs.
    unverified = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
    assert unverified.json()["error"] == "email_not_verified"
    assert (await client.post("/verify-otp", json={"email": EMAIL, "code": code})).status_code == 200


async def test_create_platform_admin(db: AsyncSession, client: httpx.AsyncClient) -> None:
    admin = await create_platform_admin(
        db, email="Root@Example-Health.org", password="Platform Keeper Lighthouse 9", full_name="Root"
    )
    await audit.commit_with_trail(db)
    assert (admin.role, admin.organization_id, admin.email) == (Role.admin, None, "root@example-health.org")
    assert admin.email_verified_at is not None
    tokens = await login(client, "root@example-health.org", "Platform Keeper Lighthouse 9")
    me = await client.get("/me", headers=bearer(tokens["access_token"]))
    assert me.json()["role"] == "admin"
    assert me.json()["organization"] is None
    with pytest.raises(Conflict):
        await create_platform_admin(
            db, email="root@example-health.org", password="Platform Keeper Lighthouse 9", full_name="Root"
        )
