"""An organization that requires differential privacy takes part only in computations that carry epsilon:
an exact query, or an analysis that cannot be noised, is refused at initialize naming the organization."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.computations.conftest import BASE, Org, create, spec

LOGISTIC: dict[str, Any] = {
    "outcome": "target",
    "covariates": [{"name": "age", "lo": 0, "hi": 120}],
}


async def _require(client: httpx.AsyncClient, org: Org, required: bool | None) -> dict[str, Any]:
    body: dict[str, Any] = {"min_cohort_k": 5, "requires_output_review": False}
    if required is not None:
        body["require_differential_privacy"] = required
    response = await client.put("/organizations/me/settings", json=body, headers=org.admin.headers)
    assert response.status_code == 200, response.text
    settings: dict[str, Any] = response.json()
    return settings


async def _initialize(client: httpx.AsyncClient, org: Org, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{BASE}/initialize", json=body, headers=org.doctor.headers)


async def test_the_setting_is_off_by_default_and_kept_when_left_out(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    south = orgs[1]
    mine = await client.get("/organizations/me", headers=south.doctor.headers)
    assert mine.json()["require_differential_privacy"] is False
    assert (await _require(client, south, True))["require_differential_privacy"] is True
    # A client that does not know the setting leaves it as it is.
    assert (await _require(client, south, None))["require_differential_privacy"] is True
    assert (await _require(client, south, False))["require_differential_privacy"] is False
    denied = await client.put(
        "/organizations/me/settings",
        json={"min_cohort_k": 5, "requires_output_review": False, "require_differential_privacy": True},
        headers=south.doctor.headers,
    )
    assert denied.status_code == 403


async def test_an_exact_query_is_refused_naming_the_organization_that_requires_privacy(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    await _require(client, orgs[1], True)
    response = await _initialize(client, orgs[0], spec(orgs))
    assert response.status_code == 422, response.text
    message = (
        "South Clinic requires differential privacy on every computation using its data: set epsilon "
        "(each release is charged to the privacy budget of every dataset it uses)"
    )
    assert response.json()["detail"] == [{"field": "epsilon", "message": message}]
    # The same query with differential privacy is accepted, and so is any query without South Clinic.
    assert (await create(client, orgs[0].doctor, spec(orgs, epsilon=1.0)))["epsilon"] == 1.0
    await create(client, orgs[0].doctor, spec([orgs[0], orgs[2]]))


async def test_every_organization_that_requires_privacy_is_named(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    await _require(client, orgs[0], True)
    await _require(client, orgs[2], True)
    response = await _initialize(client, orgs[1], spec(orgs))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["message"].startswith(
        "North Hospital, East Laboratory require differential privacy on every computation using their data"
    )


@pytest.mark.parametrize("dp_mode", ["central", "distributed"])
async def test_differential_privacy_in_any_valid_mode_meets_the_requirement(
    client: httpx.AsyncClient, orgs: list[Org], dp_mode: str
) -> None:
    await _require(client, orgs[1], True)
    body = spec(orgs, epsilon=1.0, delta=1e-6, dp_mode=dp_mode)
    assert (await create(client, orgs[0].doctor, body))["dp_mode"] == dp_mode


async def test_an_analysis_without_differential_privacy_is_refused_with_the_reason(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    await _require(client, orgs[2], True)
    response = await _initialize(client, orgs[0], spec(orgs, analysis="logistic", params=LOGISTIC))
    assert response.status_code == 422, response.text
    message = (
        "East Laboratory requires differential privacy on every computation using its data, and logistic "
        "cannot provide it (it runs one secure sum per iteration and the noise is calibrated to a single "
        "release): leave it out of this analysis"
    )
    assert response.json()["detail"] == [{"field": "participants", "message": message}]
    # Without East Laboratory the regression may run exactly, as before.
    await create(client, orgs[0].doctor, spec(orgs[:2], analysis="logistic", params=LOGISTIC))


async def test_a_setting_turned_on_after_the_invitation_refuses_the_acceptance(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    computation = await create(client, orgs[0].doctor, spec(orgs))
    await _require(client, orgs[1], True)
    refused = await client.post(
        f"{BASE}/{computation['id']}/accept", json={"source": "agent"}, headers=orgs[1].admin.headers
    )
    assert refused.status_code == 422, refused.text
    assert "requires differential privacy" in refused.text
    # The invitation stays open: the organization can still decline it.
    declined = await client.post(
        f"{BASE}/{computation['id']}/decline", json={"reason": "no noise"}, headers=orgs[1].admin.headers
    )
    assert declined.status_code == 200, declined.text


async def test_output_review_turned_on_after_a_paillier_invitation_refuses_the_acceptance(
    client: httpx.AsyncClient, orgs: list[Org]
) -> None:
    computation = await create(client, orgs[0].doctor, spec(orgs, protocol="paillier"))
    review = await client.put(
        "/organizations/me/settings",
        json={"min_cohort_k": 5, "requires_output_review": True},
        headers=orgs[1].admin.headers,
    )
    assert review.status_code == 200, review.text
    refused = await client.post(
        f"{BASE}/{computation['id']}/accept", json={"source": "agent"}, headers=orgs[1].admin.headers
    )
    assert refused.status_code == 422, refused.text
    assert "decrypts the result before any review" in refused.text
