"""The hosted agent's secrets, each sealed under its organization's vault key (never stored in plaintext)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, UTCDateTime, utcnow


class HostedPartyKey(Model):
    """The private halves of an organization's hosted-agent keys (the public halves are its PartyKey)."""

    __tablename__ = "hosted_party_keys"

    party_key_id: Mapped[str] = mapped_column(
        ForeignKey("party_keys.id", ondelete="CASCADE"), primary_key=True
    )
    # One hosted key pair per organization, made the first time it accepts with a vault dataset.
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class HostedPartyState(IdMixin, Model):
    """One hosted party's progress in a running computation; deleted once the computation ends."""

    __tablename__ = "hosted_party_states"
    __table_args__ = (UniqueConstraint("computation_id", "party_index"),)

    computation_id: Mapped[str] = mapped_column(
        ForeignKey("computations.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    party_index: Mapped[int] = mapped_column(Integer, nullable=False)
    # Public facts, as the self-hosted agent keeps them in meta.json: the parties' keys pinned at the
    # start, rows contributed, rounds.
    public: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    stepped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The protocol state after round `stepped` (the party's input, shares, mask keys), sealed.
    sealed_state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
