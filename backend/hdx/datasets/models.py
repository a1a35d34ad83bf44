from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, TimestampMixin, UTCDateTime, utcnow


class OrganizationKey(Model):
    """An organization's key-encryption key (KEK), stored only wrapped by the master key."""

    __tablename__ = "organization_keys"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    wrapped_kek: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # Fingerprint of the master key that wrapped it: tells "wrong master key" apart from tampering.
    master_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Dataset(IdMixin, TimestampMixin, Model):
    """An accepted upload. Its rows live encrypted in the vault, never in the database."""

    __tablename__ = "datasets"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    uploaded_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    original_filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # Part of the associated data of the blob and its key: a blob cannot pass for another version.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False)
    upload_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stored_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    delimiter: Mapped[str] = mapped_column(String(16), nullable=False)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class DatasetKey(Model):
    """A dataset's data key (DEK) wrapped by its organization's KEK. Deleting it shreds the dataset."""

    __tablename__ = "dataset_keys"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class PatientOptOut(IdMixin, Model):
    """A patient who objects to the use of their data, known only by their pseudonym."""

    __tablename__ = "patient_opt_outs"
    __table_args__ = (UniqueConstraint("organization_id", "pseudonym"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
