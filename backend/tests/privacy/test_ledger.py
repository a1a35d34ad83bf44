"""The budget ledger: every dataset of a release is charged or none is, concurrent releases never
overdraw (run against PostgreSQL when HDX_TEST_DATABASE_URL is set), and the API shows and guards it."""

from __future__ import annotations

import asyncio
import random
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hdx.auth.dependencies import Permit, actor_of
from hdx.auth.models import Role, User
from hdx.auth.permissions import Action
from hdx.db import SessionDep
from hdx.privacy import service
from hdx.privacy.models import PrivacyBudget, PrivacyCharge
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser
from tests.privacy.conftest import MakeDataset

pytestmark = pytest.mark.asyncio


async def set_budget(client: httpx.AsyncClient, headers: dict[str, str], epsilon: float) -> httpx.Response:
    return await client.put(
        "/organizations/me/privacy-budget", headers=headers, json={"dataset_epsilon": epsilon}
    )


async def release(app: FastAPI, dataset_ids: list[str], epsilon: float, reference: str) -> bool:
    """One release in its own session and transaction. Its audit events are left unwritten: on SQLite,
    appending them from many concurrent sessions contends for the one write lock (the audit trail of
    charges is checked through the API below)."""
    async with app.state.sessionmaker() as session:
        try:
            await service.charge(session, dataset_ids, epsilon, 1e-7, reference)
        except service.PrivacyBudgetExhausted:
            await session.rollback()
            return False
        await session.commit()
        return True


async def budgets(app: FastAPI, dataset_ids: list[str]) -> dict[str, PrivacyBudget]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(select(PrivacyBudget).where(PrivacyBudget.dataset_id.in_(dataset_ids)))
        return {row.dataset_id: row for row in rows}


async def charges(app: FastAPI) -> list[PrivacyCharge]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(PrivacyCharge)))


async def test_concurrent_releases_never_overdraw(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    admin = await make_user(Role.org_admin)
    assert admin.organization_id is not None
    assert (await set_budget(client, admin.headers, 1.0)).status_code == 200
    dataset = await make_dataset(admin.organization_id)

    outcomes = await asyncio.gather(*(release(app, [dataset], 0.15, f"release-{i}") for i in range(20)))

    # floor(1.0 / 0.15) = 6: exactly six fit, whatever the interleaving.
    assert sum(outcomes) == 6
    budget = (await budgets(app, [dataset]))[dataset]
    assert budget.epsilon_spent_units == 6 * 150_000_000
    assert 0 <= budget.epsilon_total_units - budget.epsilon_spent_units == 100_000_000
    assert len(await charges(app)) == 6


async def test_overlapping_concurrent_releases_charge_all_or_nothing(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    admin = await make_user(Role.org_admin)
    assert admin.organization_id is not None
    assert (await set_budget(client, admin.headers, 1.0)).status_code == 200
    datasets = [await make_dataset(admin.organization_id) for _ in range(3)]
    picker = random.Random(5)
    plans = [picker.sample(datasets, picker.randint(1, 3)) for _ in range(20)]

    outcomes = await asyncio.gather(*(release(app, ids, 0.3, f"r{i}") for i, ids in enumerate(plans)))

    ledger = await charges(app)
    by_reference: dict[str, set[str]] = {}
    for charge in ledger:
        by_reference.setdefault(charge.reference, set()).add(charge.dataset_id)
    # A release that went through charged every one of its datasets; a refused one charged none.
    for i, (ids, succeeded) in enumerate(zip(plans, outcomes, strict=True)):
        assert by_reference.get(f"r{i}", set()) == (set(ids) if succeeded else set())
    for dataset_id, budget in (await budgets(app, datasets)).items():
        spent = sum(c.epsilon_units for c in ledger if c.dataset_id == dataset_id)
        assert budget.epsilon_spent_units == spent <= budget.epsilon_total_units
        assert spent // 300_000_000 <= 3


async def test_a_refused_release_leaves_every_budget_as_it_was(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    admin = await make_user(Role.org_admin)
    assert admin.organization_id is not None
    assert (await set_budget(client, admin.headers, 1.0)).status_code == 200
    roomy, tight = await make_dataset(admin.organization_id), await make_dataset(admin.organization_id)
    assert await release(app, [tight], 0.9, "first")

    async with app.state.sessionmaker() as session:
        with pytest.raises(service.PrivacyBudgetExhausted) as refused:
            await service.charge(session, [roomy, tight], 0.5, 0.0, "second")
        # Even a caller that commits after the refusal keeps no partial charge.
        await session.commit()

    remaining = {item["dataset_id"]: item["epsilon_remaining"] for item in refused.value.detail["remaining"]}
    assert remaining == {roomy: pytest.approx(1.0), tight: pytest.approx(0.1)}
    spent = {k: v.epsilon_spent_units for k, v in (await budgets(app, [roomy, tight])).items()}
    assert spent == {roomy: 0, tight: 900_000_000}


@pytest.fixture
def release_route(app: FastAPI) -> None:
    """The protocol layer charges inside its release request exactly like this route does."""

    async def release_endpoint(
        dataset_id: str, session: SessionDep, user: Annotated[User, Permit(Action.computation_create)]
    ) -> dict[str, Any]:
        made = await service.charge(session, [dataset_id], 0.4, 1e-6, "computation-42", actor=actor_of(user))
        return {"charged": len(made)}

    app.add_api_route("/test-releases/{dataset_id}", release_endpoint, methods=["POST"])


async def test_an_exhausted_budget_answers_429_and_the_ledger_shows_the_releases(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_dataset: MakeDataset,
    release_route: None,
) -> None:
    admin = await make_user(Role.org_admin)
    doctor = await make_user(Role.doctor)
    assert admin.organization_id is not None
    assert (await set_budget(client, admin.headers, 1.0)).status_code == 200
    dataset = await make_dataset(admin.organization_id)

    for _ in range(2):
        assert (await client.post(f"/test-releases/{dataset}", headers=doctor.headers)).status_code == 200
    refused = await client.post(f"/test-releases/{dataset}", headers=doctor.headers)

    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "privacy_budget_exhausted"
    assert body["detail"]["remaining"] == [{"dataset_id": dataset, "epsilon_remaining": pytest.approx(0.2)}]
    # Budgets do not refill: no Retry-After invites a retry that cannot succeed.
    assert "retry-after" not in refused.headers

    shown = await client.get(f"/datasets/{dataset}/privacy-budget", headers=doctor.headers)
    assert shown.status_code == 200
    budget = shown.json()
    assert (budget["epsilon_total"], budget["epsilon_spent"]) == (1.0, 0.8)
    assert budget["epsilon_remaining"] == pytest.approx(0.2)
    assert budget["delta_spent"] == pytest.approx(2e-6)
    assert budget["ledger"]["total"] == 2
    assert [(e["reference"], e["epsilon"], e["delta"]) for e in budget["ledger"]["items"]] == [
        ("computation-42", 0.4, 1e-6)
    ] * 2

    async with app.state.sessionmaker() as session:
        events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action.like("privacy.%"))))
    actions = sorted((e.action, e.outcome) for e in events)
    assert actions == [
        ("privacy.budget_policy_changed", "success"),
        ("privacy.charge_refused", "denied"),
        ("privacy.charged", "success"),
        ("privacy.charged", "success"),
    ]
    assert all(e.target_id == dataset for e in events if e.action != "privacy.budget_policy_changed")
    # Each charge lands in the trail of the dataset's organization.
    assert {e.organization_id for e in events} == {admin.organization_id}


async def test_other_organizations_see_no_budget(
    client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    owner = await make_user(Role.doctor, org="Owner Hospital")
    stranger = await make_user(Role.org_admin, org="Other Clinic")
    assert owner.organization_id is not None
    dataset = await make_dataset(owner.organization_id)

    assert (await client.get(f"/datasets/{dataset}/privacy-budget", headers=owner.headers)).status_code == 200
    foreign = await client.get(f"/datasets/{dataset}/privacy-budget", headers=stranger.headers)
    missing = await client.get("/datasets/no-such-dataset/privacy-budget", headers=owner.headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_a_dataset_never_charged_shows_its_organization_budget(
    client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    admin = await make_user(Role.org_admin)
    assert admin.organization_id is not None
    dataset = await make_dataset(admin.organization_id)
    default = (await client.get(f"/datasets/{dataset}/privacy-budget", headers=admin.headers)).json()
    assert (default["epsilon_total"], default["epsilon_spent"]) == (service.DEFAULT_DATASET_EPSILON, 0.0)
    assert default["ledger"]["items"] == []
    policy = await client.get("/organizations/me/privacy-budget", headers=admin.headers)
    assert policy.json()["is_default"] is True

    assert (await set_budget(client, admin.headers, 2.5)).status_code == 200
    updated = (await client.get(f"/datasets/{dataset}/privacy-budget", headers=admin.headers)).json()
    assert updated["epsilon_total"] == 2.5


async def test_the_organization_budget_applies_to_existing_datasets_but_not_below_their_spend(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_dataset: MakeDataset
) -> None:
    admin = await make_user(Role.org_admin)
    doctor = await make_user(Role.doctor)
    assert admin.organization_id is not None
    dataset = await make_dataset(admin.organization_id)
    assert await release(app, [dataset], 0.6, "early")

    assert (await set_budget(client, doctor.headers, 5.0)).status_code == 403
    too_low = await set_budget(client, admin.headers, 0.5)
    assert too_low.status_code == 409
    assert too_low.json()["detail"]["spent"] == [{"dataset_id": dataset, "epsilon_spent": 0.6}]
    assert (await budgets(app, [dataset]))[dataset].epsilon_total_units == 3_000_000_000

    raised = await set_budget(client, admin.headers, 0.75)
    assert raised.status_code == 200
    assert raised.json() == {
        "organization_id": admin.organization_id,
        "dataset_epsilon": 0.75,
        "is_default": False,
        "datasets_updated": 1,
    }
    assert await release(app, [dataset], 0.15, "fits exactly")
    assert not await release(app, [dataset], 1e-9, "one nano-epsilon too many")


async def test_charges_are_validated(app: FastAPI, make_user: MakeUser, make_dataset: MakeDataset) -> None:
    admin = await make_user(Role.org_admin)
    assert admin.organization_id is not None
    dataset = await make_dataset(admin.organization_id)
    async with app.state.sessionmaker() as session:
        for ids, epsilon, delta, reference in [
            ([dataset], 0.0, 0.0, "r"),
            ([dataset], 0.1, 1.0, "r"),
            ([], 0.1, 0.0, "r"),
            ([dataset], 0.1, 0.0, ""),
        ]:
            with pytest.raises(service.Unprocessable):
                await service.charge(session, ids, epsilon, delta, reference)
        with pytest.raises(service.NotFound):
            await service.charge(session, [dataset, "no-such-dataset"], 0.1, 0.0, "r")
