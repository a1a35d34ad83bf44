from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, TimestampMixin, UTCDateTime


class OrganizationType(enum.StrEnum):
    hospital = "hospital"
    clinic = "clinic"
    laboratory = "laboratory"
    pharmacy = "pharmacy"


class Organization(IdMixin, TimestampMixin, Model):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    type: Mapped[OrganizationType] = mapped_column(
        Enum(OrganizationType, native_enum=False, length=16, validate_strings=True), nullable=False
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    contact: Mapped[str] = mapped_column(String(64), nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    privacy_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Disclosure control: the smallest cohort this organization lets any result rest on.
    min_cohort_k: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    # When set, results using this organization's data wait for its admin's release.
    requires_output_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When set, every computation this organization takes part in must carry differential privacy, so
    # each query on its data is charged to the data's privacy budget and an exhausted budget stops them all.
    require_differential_privacy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ApiKey(IdMixin, TimestampMixin, Model):
    """An organization-scoped credential for a party agent; only its hash is stored."""

    __tablename__ = "api_keys"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
