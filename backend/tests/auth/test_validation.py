"""Invalid account bodies: every problem at once, each under the name of the field the client sent."""

from __future__ import annotations

import httpx

from hdx.auth.models import Role
from tests.auth.conftest import PASSWORD, Inbox, bearer, login, register_verified, registration
from tests.conftest import MakeUser

EMAIL = "validation@riverside-clinic.org"


def _fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    return {item["field"] for item in response.json()["detail"]}


async def test_register_reports_a_bad_email_and_a_short_password_together(client: httpx.AsyncClient) -> None:
    response = await client.post("/register", json=registration("dana@mailinator.com", password="short"))
    assert _fields(response) == {"email", "password"}
    messages = {item["field"]: item["message"] for item in response.json()["detail"]}
    assert "disposable" in messages["email"]
    assert "at least 12" in messages["password"]


async def test_register_reports_every_invalid_field(client: httpx.AsyncClient) -> None:
    body = registration("dana@[192.168.0.1]", type="BAKERY", password="password1234", privacy_accepted=False)
    assert _fields(await client.post("/register", json=body)) == {
        "email",
        "password",
        "type",
        "privacy_accepted",
    }
    form = registration("not-an-email", type="BAKERY", password="short", privacy_accepted="false")
    assert _fields(await client.post("/register", data=form)) == {
        "email",
        "password",
        "type",
        "privacy_accepted",
    }


async def test_register_password_rules_that_need_the_email(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/register", json=registration("dana.smith@riverside-clinic.org", password="dana.smith-is-the-best")
    )
    assert _fields(response) == {"password"}
    assert "name part of your email" in response.json()["detail"][0]["message"]


async def test_change_password_names_new_password(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    headers = bearer((await login(client, EMAIL))["access_token"])
    short = await client.post(
        "/change-password", json={"current_password": PASSWORD, "new_password": "short"}, headers=headers
    )
    assert _fields(short) == {"new_password"}
    same = await client.post(
        "/change-password", json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=headers
    )
    assert _fields(same) == {"new_password"}


async def test_reset_password_names_new_password(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await register_verified(client, inbox, EMAIL)
    await client.post("/forgot-password", json={"email": EMAIL})
    code = inbox.last_code(EMAIL)
    with_code = await client.post(
        "/reset-password", json={"email": EMAIL, "code": code, "new_password": "short"}
    )
    assert _fields(with_code) == {"new_password"}

    token = await client.post("/verify-reset-otp", json={"email": EMAIL, "code": code})
    assert token.status_code == 200, token.text
    with_token = await client.post(
        "/reset-password", json={"reset_token": token.json()["reset_token"], "new_password": "iloveyou2024"}
    )
    assert _fields(with_token) == {"new_password"}


async def test_update_profile_accepts_a_form_body(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(role=Role.doctor)
    updated = await client.put(
        "/update-profile", data={"full_name": "Dr Ada", "phone": "+1 555 0123"}, headers=user.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["full_name"], updated.json()["phone"]) == ("Dr Ada", "+1 555 0123")

    # An empty phone field clears the number, as null does in JSON.
    cleared = await client.put("/update-profile", data={"phone": ""}, headers=user.headers)
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["full_name"], cleared.json()["phone"]) == ("Dr Ada", None)

    assert _fields(await client.put("/update-profile", data={"role": "admin"}, headers=user.headers)) == {
        "role"
    }
    wrong_type = await client.put(
        "/update-profile", content=b"full_name=x", headers={**user.headers, "content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
