from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, TimestampMixin, UTCDateTime


class Role(enum.StrEnum):
    admin = "admin"
    org_admin = "org_admin"
    doctor = "doctor"
    lab_technician = "lab_technician"
    pharmacist = "pharmacist"
    patient = "patient"


class User(IdMixin, TimestampMixin, Model):
    __tablename__ = "users"

    # Platform admins belong to no organization.
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=32, validate_strings=True), nullable=False
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Bumped on password change/reset: access tokens issued before it stop working.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The 30-second time step of the last accepted TOTP code: a code of that step or an earlier
    # one is refused, so every code works once (RFC 6238, section 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RefreshToken(IdMixin, Model):
    """One link of a rotating refresh-token family. Reusing a rotated link revokes the family."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    family_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    family_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OtpPurpose(enum.StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"
    login = "login"


class OneTimeCode(IdMixin, Model):
    """An emailed code, stored only as a hash; single use, short-lived, few attempts."""

    __tablename__ = "one_time_codes"

    email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    purpose: Mapped[OtpPurpose] = mapped_column(
        Enum(OtpPurpose, native_enum=False, length=32, validate_strings=True), nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
