"""Password policy and hashing."""

from __future__ import annotations

import httpx
import pytest

from hdx.auth.passwords import (
    check_password_policy,
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)
from hdx.exceptions import Unprocessable
from tests.auth.conftest import registration

GOOD = "Tidal-Basin-Orchid-1987"


def test_common_password_list_is_substantial() -> None:
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert {"password1234", "qwertyuiop123", "iloveyou2024"} <= listed
    assert sum(len(entry) >= 12 for entry in listed) >= 10_000


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Short1!", "at least 12"),
        ("x" * 129, "at most 128"),
        ("Password1234", "too common"),
        ("QWERTYUIOP123", "too common"),
        ("dana.smith-is-the-best", "name part of your email"),
    ],
)
def test_bad_passwords_are_refused(password: str, expected: str) -> None:
    problems = password_problems(password, email="dana.smith@riverside-clinic.org")
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(Unprocessable):
        check_password_policy(password, email="dana.smith@riverside-clinic.org")


def test_good_password_is_accepted() -> None:
    assert password_problems(GOOD, email="dana.smith@riverside-clinic.org") == []
    assert password_problems("x" * 128) == []
    check_password_policy(GOOD)


async def test_hash_is_argon2id_and_verifies() -> None:
    hashed = await hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    assert await verify_password(GOOD, hashed)
    assert not await verify_password(GOOD + "x", hashed)


@pytest.mark.parametrize(
    ("password", "status"),
    [("short pass", 422), ("y" * 129, 422), ("iloveyou2024", 422), (GOOD, 201)],
)
async def test_registration_applies_the_policy(client: httpx.AsyncClient, password: str, status: int) -> None:
    response = await client.post("/register", json=registration("p@riverside-clinic.org", password=password))
    assert response.status_code == status, response.text
    if status == 422:
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"][0]["field"] == "password"
