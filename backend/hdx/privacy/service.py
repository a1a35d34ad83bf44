"""The privacy-budget ledger: every DP release charges each contributing dataset before its result is
visible, all or nothing; budgets never refill.

`charge` runs inside the caller's transaction and does not commit: the caller stores the result in the
same transaction, so the result and its charges become visible together or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.dependencies import actor_of
from hdx.auth.models import User
from hdx.exceptions import Conflict, HdxError, NotFound, Unprocessable
from hdx.kit.pagination import PageParams
from hdx.privacy import repository
from hdx.privacy.models import EPSILON_UNITS, PrivacyBudget, PrivacyCharge
from hdx.security import audit

# Until an organization sets its own: room for a handful of releases at epsilon 0.5 to 1 before its
# admin has to decide, deliberately, that a dataset may reveal more.
DEFAULT_DATASET_EPSILON = 3.0
MAX_REFERENCE_LENGTH = 200


class PrivacyBudgetExhausted(HdxError):
    """429 without Retry-After: a spent budget never refills, so waiting does not help; only the data
    owner raising the budget does."""

    status_code = 429
    error = "privacy_budget_exhausted"

    def __init__(self, message: str, *, dataset_id: str, organization_id: str, detail: object) -> None:
        super().__init__(message, detail=detail)
        # The message and detail name the dataset: for its own organization only. Whoever tells other
        # organizations names the owner instead (organization_id).
        self.dataset_id = dataset_id
        self.organization_id = organization_id


def to_units(epsilon: float, *, round_up: bool) -> int:
    """Whole nano-epsilons from the decimal the caller wrote (0.1 is exactly 10^8 units). Charges round
    up and budgets down, so rounding never grants more than was declared."""
    exact = Decimal(repr(epsilon)) * EPSILON_UNITS
    return int(exact.to_integral_value(rounding=ROUND_CEILING if round_up else ROUND_FLOOR))


def to_epsilon(units: int) -> float:
    return units / EPSILON_UNITS


DEFAULT_DATASET_UNITS = to_units(DEFAULT_DATASET_EPSILON, round_up=False)


def _remaining(budget: PrivacyBudget) -> dict[str, object]:
    return {
        "dataset_id": budget.dataset_id,
        "epsilon_remaining": to_epsilon(budget.epsilon_total_units - budget.epsilon_spent_units),
    }


async def charge(
    session: AsyncSession,
    dataset_ids: Sequence[str],
    epsilon: float,
    delta: float,
    reference: str,
    *,
    actor: audit.Actor | None = None,
) -> list[PrivacyCharge]:
    """Charge (epsilon, delta) to every dataset, or to none of them (PrivacyBudgetExhausted, 429, with
    each dataset's remaining epsilon). Budgets are updated in sorted order, so concurrent releases over
    overlapping datasets lock rows in the same order and cannot deadlock."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise Unprocessable(f"epsilon must be a positive number, got {epsilon!r}")
    if not (math.isfinite(delta) and 0 <= delta < 1):
        raise Unprocessable(f"delta must lie in [0, 1), got {delta!r}")
    if not 0 < len(reference) <= MAX_REFERENCE_LENGTH:
        raise Unprocessable(f"a charge needs a reference of 1 to {MAX_REFERENCE_LENGTH} characters")
    ids = sorted(set(dataset_ids))
    if not ids:
        raise Unprocessable("a charge needs at least one dataset")
    units = to_units(epsilon, round_up=True)

    await repository.ensure_budgets(session, ids, DEFAULT_DATASET_UNITS)
    owners = {budget.dataset_id: budget.organization_id for budget in await repository.budgets(session, ids)}
    if missing := [dataset_id for dataset_id in ids if dataset_id not in owners]:
        raise NotFound(f"No such dataset: {', '.join(missing)}")

    charged: list[str] = []
    for dataset_id in ids:
        if await repository.spend(session, dataset_id, units):
            charged.append(dataset_id)
            continue
        # Undone here rather than left to the caller's rollback: no caller can keep half a charge.
        for done in charged:
            await repository.unspend(session, done, units)
        remaining = [_remaining(budget) for budget in await repository.budgets(session, ids)]
        _record(session, "privacy.charge_refused", owners, epsilon, delta, reference, actor, outcome="denied")
        raise PrivacyBudgetExhausted(
            f"The privacy budget of dataset {dataset_id} cannot cover epsilon={epsilon}",
            dataset_id=dataset_id,
            organization_id=owners[dataset_id],
            detail={
                "message": f"The privacy budget of dataset {dataset_id} cannot cover epsilon={epsilon}; "
                "budgets do not refill, only the dataset's organization can raise them",
                "requested_epsilon": epsilon,
                "remaining": remaining,
            },
        )

    charges = [
        PrivacyCharge(dataset_id=dataset_id, reference=reference, epsilon_units=units, delta=delta)
        for dataset_id in ids
    ]
    repository.add_charges(session, charges)
    await session.flush()
    _record(session, "privacy.charged", owners, epsilon, delta, reference, actor)
    return charges


def _record(
    session: AsyncSession,
    action: str,
    owners: dict[str, str],
    epsilon: float,
    delta: float,
    reference: str,
    actor: audit.Actor | None,
    *,
    outcome: str = "success",
) -> None:
    # One event per dataset, in its owner's trail: each organization sees what its data was charged.
    for dataset_id, organization_id in sorted(owners.items()):
        audit.record(
            session,
            action,
            outcome=outcome,
            actor=actor,
            organization_id=organization_id,
            target_type="dataset",
            target_id=dataset_id,
            details={"epsilon": epsilon, "delta": delta, "reference": reference},
            persist_on_failure=outcome != "success",
        )


def _organization_id(user: User) -> str:
    if user.organization_id is None:
        raise NotFound("You belong to no organization")
    return user.organization_id


async def _policy_units(session: AsyncSession, organization_id: str) -> tuple[int, bool]:
    policy = await repository.policy(session, organization_id)
    if policy is None:
        return DEFAULT_DATASET_UNITS, True
    return policy.dataset_epsilon_units, False


@dataclass(frozen=True)
class BudgetView:
    dataset_id: str
    total_units: int
    spent_units: int
    delta_spent: float
    charges: Sequence[PrivacyCharge]
    charge_count: int


async def dataset_budget(session: AsyncSession, user: User, dataset_id: str, page: PageParams) -> BudgetView:
    organization_id = _organization_id(user)
    if await repository.dataset_organization(session, dataset_id) != organization_id:
        raise NotFound("Dataset not found")
    budget = await repository.budget(session, dataset_id)
    if budget is None:
        # Never charged: the budget it will get is the organization's current one.
        total, _ = await _policy_units(session, organization_id)
        return BudgetView(dataset_id, total, 0, 0.0, [], 0)
    charges, count, delta = await repository.ledger(session, dataset_id, offset=page.offset, limit=page.size)
    return BudgetView(
        dataset_id, budget.epsilon_total_units, budget.epsilon_spent_units, delta, charges, count
    )


@dataclass(frozen=True)
class PolicyView:
    organization_id: str
    units: int
    is_default: bool
    datasets_updated: int = 0


async def policy(session: AsyncSession, user: User) -> PolicyView:
    organization_id = _organization_id(user)
    units, is_default = await _policy_units(session, organization_id)
    return PolicyView(organization_id, units, is_default)


async def set_policy(session: AsyncSession, user: User, dataset_epsilon: float) -> PolicyView:
    """Set the organization's per-dataset budget, for its new and existing datasets; refused (409) if
    a dataset has already spent more than the new budget."""
    organization_id = _organization_id(user)
    units = to_units(dataset_epsilon, round_up=False)
    if units <= 0:
        raise Unprocessable("the budget must be at least one nano-epsilon")
    before, _ = await _policy_units(session, organization_id)
    updated = await repository.set_organization_totals(session, organization_id, units)
    if overspent := await repository.overspent(session, organization_id, units):
        # Raising rolls the request back, the totals changed just above included.
        raise Conflict(
            f"{len(overspent)} dataset(s) already spent more than epsilon={dataset_epsilon}",
            detail={
                "message": "The budget cannot be set below what a dataset has already spent",
                "spent": [
                    {"dataset_id": b.dataset_id, "epsilon_spent": to_epsilon(b.epsilon_spent_units)}
                    for b in overspent
                ],
            },
        )
    await repository.save_policy(session, organization_id, units, user.id)
    audit.record(
        session,
        "privacy.budget_policy_changed",
        actor=actor_of(user),
        target_type="organization",
        target_id=organization_id,
        details={
            "before": to_epsilon(before),
            "after": to_epsilon(units),
            "datasets_updated": updated,
        },
    )
    return PolicyView(organization_id, units, False, updated)
