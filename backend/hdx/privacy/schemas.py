from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hdx.kit.pagination import Page


class LedgerEntry(BaseModel):
    id: str
    reference: str
    epsilon: float
    delta: float
    created_at: datetime


class DatasetBudget(BaseModel):
    dataset_id: str
    epsilon_total: float
    epsilon_spent: float
    epsilon_remaining: float
    delta_spent: float = Field(
        description="Sum of the deltas of the charges (deltas add up; they are not capped)"
    )
    ledger: Page[LedgerEntry]


class BudgetPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_epsilon: float = Field(
        gt=0, le=1000, description="Epsilon each dataset of the organization may spend over its lifetime"
    )


class BudgetPolicyOut(BaseModel):
    organization_id: str
    dataset_epsilon: float
    is_default: bool = Field(description="True while the organization has not set its own budget")
    datasets_updated: int = Field(0, description="Existing dataset budgets changed by this request")
