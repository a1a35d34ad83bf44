"""The privacy-budget ledger. Epsilon is stored as whole nano-epsilons (EPSILON_UNITS per 1.0): integer
sums are exact on every database, so a budget of 1.0 takes exactly ten charges of 0.1."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, TimestampMixin, UTCDateTime, utcnow

EPSILON_UNITS = 10**9


class PrivacyBudgetPolicy(TimestampMixin, Model):
    """An organization's epsilon budget per dataset, for its new and existing datasets."""

    __tablename__ = "privacy_budget_policies"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_epsilon_units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PrivacyBudget(TimestampMixin, Model):
    """One dataset's budget and what its releases spent. Created on the first charge; the checks make
    the database itself refuse an overdraft whatever the code above it does."""

    __tablename__ = "privacy_budgets"
    __table_args__ = (
        CheckConstraint("epsilon_spent_units >= 0", name="spent_not_negative"),
        CheckConstraint("epsilon_spent_units <= epsilon_total_units", name="spent_within_total"),
    )

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    epsilon_total_units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    epsilon_spent_units: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class PrivacyCharge(IdMixin, Model):
    """One release's charge to one dataset; rows are only ever added."""

    __tablename__ = "privacy_charges"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_budgets.dataset_id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The computation id or another reference naming the release.
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    epsilon_units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    delta: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
