from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hdx.db import IdMixin, Model, TimestampMixin, UTCDateTime, utcnow
from hdx.privacy.modes import DpMode


def _enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class ComputationStatus(enum.StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    running = "running"
    awaiting_release = "awaiting_release"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"
    expired = "expired"


class ProtocolName(enum.StrEnum):
    shamir = "shamir"
    secagg = "secagg"
    paillier = "paillier"
    hybrid = "hybrid"


class ParticipantStatus(enum.StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    dropped = "dropped"
    # Has posted its messages for the current round; reset to accepted when the round advances.
    submitted = "submitted"


class DataSource(enum.StrEnum):
    vault = "vault"
    agent = "agent"


class ResultStatus(enum.StrEnum):
    visible = "visible"
    awaiting_release = "awaiting_release"
    withheld = "withheld"


class Computation(IdMixin, TimestampMixin, Model):
    __tablename__ = "computations"
    __table_args__ = (Index("ix_computations_status", "status"),)

    requester_organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    requester_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    analysis: Mapped[str] = mapped_column(String(64), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    protocol: Mapped[ProtocolName] = mapped_column(_enum(ProtocolName, 16), nullable=False)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False)
    min_participants: Mapped[int] = mapped_column(Integer, nullable=False)
    # The largest of the requested k, the exchange default and every participant's own minimum.
    k: Mapped[int] = mapped_column(Integer, nullable=False)
    dp_epsilon: Mapped[float | None] = mapped_column(Float)
    dp_delta: Mapped[float | None] = mapped_column(Float)
    # hdx.privacy.modes.DpMode: set exactly when dp_epsilon is.
    dp_mode: Mapped[DpMode | None] = mapped_column(_enum(DpMode, 16))
    status: Mapped[ComputationStatus] = mapped_column(_enum(ComputationStatus), nullable=False)
    # 0 until the computation runs; protocol rounds count from 1.
    current_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Iterative analyses (logistic regression) run one secure sum per iteration, each a complete protocol
    # run whose rounds follow the previous one's: `iteration` counts from 1, `round_offset` is the number
    # of rounds played before it (the protocol's own round is current_round - round_offset), and
    # `iteration_params` are the analysis parameters it evaluates at (NULL: `params`, as requested).
    iteration: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    round_offset: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    iteration_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    round_timeout_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    acceptance_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    round_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Points at ComputationResult.id; the foreign key lives on the result (one per computation).
    result_id: Mapped[str | None] = mapped_column(String(36))


class PartyKey(IdMixin, Model):
    """An organization agent's long-term public keys; registering new ones supersedes the old."""

    __tablename__ = "party_keys"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    ed25519_public: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    # SHA-256 of the raw key in groups of four hex digits, as the agent shows it (hdx.crypto.signing).
    x25519_fingerprint: Mapped[str] = mapped_column(String(80), nullable=False)
    ed25519_fingerprint: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Keys of the exchange's hosted agent for this organization (hdx.hosted): bound only to parties that
    # accept with a vault dataset, never "current" for a self-hosted agent, which keeps its own keys.
    hosted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Participant(IdMixin, Model):
    __tablename__ = "computation_participants"
    __table_args__ = (
        UniqueConstraint("computation_id", "organization_id"),
        UniqueConstraint("computation_id", "party_index", name="uq_computation_participants_party_index"),
        Index("ix_computation_participants_organization_id_status", "organization_id", "status"),
    )

    computation_id: Mapped[str] = mapped_column(
        ForeignKey("computations.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    party_index: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[ParticipantStatus] = mapped_column(_enum(ParticipantStatus), nullable=False)
    source: Mapped[DataSource | None] = mapped_column(_enum(DataSource, 16))
    dataset_id: Mapped[str | None] = mapped_column(String(36))
    # The agent keys this party uses in this computation, fixed when it accepts or when the run starts,
    # so that a later key rotation cannot swap keys under a running protocol.
    party_key_id: Mapped[str | None] = mapped_column(ForeignKey("party_keys.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    dropped_reason: Mapped[str | None] = mapped_column(String(500))


# Party index 0 is the exchange: as a recipient it means "to the exchange", as a sender it marks
# what the exchange publishes to every party. Zero rather than NULL keeps the uniqueness constraint
# effective on every database (NULLs never collide in a unique index).
EXCHANGE_INDEX = 0


class RoundMessage(IdMixin, Model):
    """An opaque protocol message, sealed and signed by its sender's agent; the exchange only relays it."""

    __tablename__ = "round_messages"
    __table_args__ = (
        UniqueConstraint(
            "computation_id",
            "round",
            "sender_index",
            "recipient_index",
            "kind",
            name="uq_round_messages_identity",
        ),
        Index("ix_round_messages_recipient", "computation_id", "recipient_index", "round"),
    )

    computation_id: Mapped[str] = mapped_column(
        ForeignKey("computations.id", ondelete="CASCADE"), nullable=False
    )
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    sender_index: Mapped[int] = mapped_column(Integer, nullable=False)
    recipient_index: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ComputationResult(IdMixin, Model):
    __tablename__ = "computation_results"

    computation_id: Mapped[str] = mapped_column(
        ForeignKey("computations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # protocol, threshold, parties, k, epsilon_spent, suppressed, clipped: how the values were protected.
    protection: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[ResultStatus] = mapped_column(_enum(ResultStatus), nullable=False)
    # organization id -> "pending" | "released" | "withheld", for organizations that review outputs.
    reviews: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    withheld_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
