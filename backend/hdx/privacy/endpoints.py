from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from hdx.auth.dependencies import Permit
from hdx.auth.models import User
from hdx.auth.permissions import Action
from hdx.db import SessionDep
from hdx.kit.pagination import Page, PageDep
from hdx.privacy import service
from hdx.privacy.schemas import BudgetPolicyIn, BudgetPolicyOut, DatasetBudget, LedgerEntry

router = APIRouter(tags=["privacy"])


def _policy_out(view: service.PolicyView) -> BudgetPolicyOut:
    return BudgetPolicyOut(
        organization_id=view.organization_id,
        dataset_epsilon=service.to_epsilon(view.units),
        is_default=view.is_default,
        datasets_updated=view.datasets_updated,
    )


@router.get(
    "/datasets/{dataset_id}/privacy-budget",
    summary="A dataset's differential-privacy budget and the ledger of what releases spent",
)
async def dataset_budget(
    dataset_id: str, session: SessionDep, user: Annotated[User, Permit(Action.dataset_read)], page: PageDep
) -> DatasetBudget:
    view = await service.dataset_budget(session, user, dataset_id, page)
    entries = [
        LedgerEntry(
            id=charge.id,
            reference=charge.reference,
            epsilon=service.to_epsilon(charge.epsilon_units),
            delta=charge.delta,
            created_at=charge.created_at,
        )
        for charge in view.charges
    ]
    return DatasetBudget(
        dataset_id=view.dataset_id,
        epsilon_total=service.to_epsilon(view.total_units),
        epsilon_spent=service.to_epsilon(view.spent_units),
        epsilon_remaining=service.to_epsilon(view.total_units - view.spent_units),
        delta_spent=view.delta_spent,
        ledger=Page(items=entries, total=view.charge_count, page=page.page, size=page.size),
    )


@router.get("/organizations/me/privacy-budget", summary="Your organization's per-dataset privacy budget")
async def budget_policy(
    session: SessionDep, user: Annotated[User, Permit(Action.org_read)]
) -> BudgetPolicyOut:
    return _policy_out(await service.policy(session, user))


@router.put(
    "/organizations/me/privacy-budget",
    summary="Set the epsilon budget of each of your organization's datasets, new and existing",
    responses={409: {"description": "A dataset has already spent more than the new budget"}},
)
async def set_budget_policy(
    session: SessionDep, user: Annotated[User, Permit(Action.org_settings)], data: BudgetPolicyIn
) -> BudgetPolicyOut:
    return _policy_out(await service.set_policy(session, user, data.dataset_epsilon))
