from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from hdx.computations.compat import METRICS, mean_params, metric_named, protocol_named
from hdx.computations.models import (
    ComputationStatus,
    DataSource,
    ParticipantStatus,
    ProtocolName,
    ResultStatus,
)
from hdx.privacy.modes import DpMode

MAX_PARTIES = 50

Protocol = Annotated[ProtocolName, BeforeValidator(protocol_named)]
OrgReference = Annotated[str, Field(min_length=1, max_length=200, description="organization id or name")]


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acceptance_hours: float = Field(24, gt=0, le=24 * 30, description="time for every invitee to answer")
    round_minutes: float = Field(
        60, gt=0, le=7 * 24 * 60, description="time for the parties to finish a round"
    )
    expires_hours: float = Field(7 * 24, gt=0, le=90 * 24, description="the whole computation, from creation")

    @model_validator(mode="after")
    def _ordered(self) -> Deadlines:
        if self.expires_hours < self.acceptance_hours:
            raise ValueError("expires_hours must not be shorter than acceptance_hours")
        return self


class ComputationSpec(BaseModel):
    """A computation: which analysis, over whose data, under which protocol and privacy settings."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=200)
    analysis: str = Field(min_length=1, max_length=64, examples=["mean"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"variable": "systolic_bp"}])
    participants: list[OrgReference] = Field(
        min_length=2,
        max_length=MAX_PARTIES,
        description="organization ids or names, the requester's included",
    )
    protocol: Protocol = ProtocolName.shamir
    threshold: int = Field(ge=2, le=MAX_PARTIES)
    min_participants: int | None = Field(
        None, ge=2, le=MAX_PARTIES, description="acceptances needed to start; all participants when omitted"
    )
    k: int | None = Field(None, ge=1, le=100_000, description="minimum cohort; raised to every party's own")
    epsilon: float | None = Field(None, gt=0, le=10)
    delta: float | None = Field(None, gt=0, lt=1)
    dp_mode: DpMode | None = Field(
        None,
        description="where the differential-privacy noise comes from (with epsilon; 'central' by default): "
        "'central', whoever first sees the exact aggregate noises it (the exchange, or the result "
        "recipient of paillier and hybrid); 'distributed', every party adds its share of discrete "
        "Gaussian noise to its own input before sharing it, so nobody sees the exact aggregate (needs delta)",
    )
    deadlines: Deadlines = Field(default_factory=Deadlines)

    @model_validator(mode="after")
    def _delta_needs_epsilon(self) -> ComputationSpec:
        if self.delta is not None and self.epsilon is None:
            raise ValueError("delta is only meaningful with epsilon")
        if self.dp_mode is not None and self.epsilon is None:
            raise ValueError("dp_mode is only meaningful with epsilon")
        if self.epsilon is not None and self.dp_mode is None:
            self.dp_mode = DpMode.central
        if self.dp_mode is DpMode.distributed and self.delta is None:
            raise ValueError(
                "dp_mode 'distributed' adds discrete Gaussian noise, which needs delta (for example 1e-6)"
            )
        return self


class OriginalInitialize(BaseModel):
    """The original product's body: a metric, the organizations, a security method and a quorum."""

    metric_type: str = Field(examples=["blood_pressure"])
    participating_orgs: list[OrgReference] = Field(min_length=2, max_length=MAX_PARTIES)
    security_method: Protocol = Field(ProtocolName.shamir, description="standard, homomorphic or hybrid")
    threshold: int = Field(ge=2, le=MAX_PARTIES)
    min_participants: int = Field(ge=2, le=MAX_PARTIES)

    @field_validator("metric_type")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if metric_named(value) is None:
            raise ValueError(f"unknown metric_type; known: {', '.join(sorted(METRICS))}")
        return value

    def to_spec(self) -> ComputationSpec:
        column = metric_named(self.metric_type)
        assert column is not None  # checked by the validator above
        return ComputationSpec(
            title=f"Mean {column.label.lower()}",
            analysis="mean",
            params=mean_params(column),
            participants=self.participating_orgs,
            protocol=self.security_method,
            threshold=self.threshold,
            min_participants=self.min_participants,
        )


def _body_kind(value: Any) -> str:
    return "original" if isinstance(value, dict) and "metric_type" in value else "spec"


InitializeBody = Annotated[
    Annotated[ComputationSpec, Tag("spec")] | Annotated[OriginalInitialize, Tag("original")],
    Discriminator(_body_kind),
]


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = Field(None, max_length=36, description="one of your organization's datasets")
    source: Literal["agent"] | None = Field(None, description="your party agent brings its own data")

    @model_validator(mode="after")
    def _one_source(self) -> AcceptRequest:
        if (self.dataset_id is None) == (self.source is None):
            raise ValueError("give exactly one of dataset_id or source: 'agent'")
        return self


class DeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["release", "withhold"]
    reason: str | None = Field(None, max_length=500)


class DeadlinesOut(BaseModel):
    acceptance_at: datetime
    round_at: datetime | None
    expires_at: datetime


HOSTED = (
    "the exchange's hosted agent plays this party over a vault dataset: weaker trust than a self-hosted "
    "agent, since the exchange operator could read the vault"
)


class PartyOut(BaseModel):
    party_index: int
    organization_id: str
    organization_name: str
    status: ParticipantStatus
    source: DataSource | None
    hosted: bool = Field(description=HOSTED)
    dataset_id: str | None
    responded_at: datetime | None
    accepted_at: datetime | None
    decline_reason: str | None
    dropped_reason: str | None


class PrivacyOut(BaseModel):
    mode: DpMode
    mechanism: str = Field(description="laplace, gaussian or distributed_discrete_gaussian")
    epsilon: float
    delta: float
    noise_scale: float = Field(
        description="the noise's scale (Laplace b, or the Gaussian's standard deviation) per unit of the "
        "most one record can change an element (central mode rounds that bound up to a power of two); "
        "distributed mode: the scale the threshold's shares alone reach, every further contributor adds to it"
    )
    noised_by: str
    honest_parties: int | None = Field(
        None,
        description="distributed mode: the noise shares of any this many contributing parties carry the "
        "whole guarantee (the threshold: no sum covers fewer contributors)",
    )


class ComputationOut(BaseModel):
    id: str
    title: str
    analysis: str
    params: dict[str, Any]
    protocol: ProtocolName
    threshold: int
    min_participants: int
    k: int
    epsilon: float | None
    delta: float | None
    dp_mode: DpMode | None
    differential_privacy: PrivacyOut | None = Field(
        description="what protects the result: where the noise comes from, epsilon, delta and its scale"
    )
    status: ComputationStatus
    current_round: int
    iteration: int = Field(
        description="which secure sum is running: iterative analyses (logistic) take one per iteration"
    )
    requester_organization_id: str
    requester_user_id: str | None
    deadlines: DeadlinesOut
    failure_reason: str | None
    result_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    parties: list[PartyOut]


class AgentComputationOut(ComputationOut):
    my_party_index: int
    my_status: ParticipantStatus
    round_offset: int = Field(
        description="rounds played before the current iteration: its protocol round is current_round - this"
    )
    iteration_params: dict[str, Any] = Field(
        description="the analysis parameters the current iteration computes at (params, with later "
        "iterations' coefficients); parties check them against params before using them"
    )


class ComputationSummary(BaseModel):
    id: str
    title: str
    analysis: str
    protocol: ProtocolName
    status: ComputationStatus
    current_round: int
    requester_organization_id: str
    deadlines: DeadlinesOut
    failure_reason: str | None
    result_id: str | None
    created_at: datetime


class InvitationOut(BaseModel):
    computation_id: str
    title: str
    analysis: str
    params: dict[str, Any]
    protocol: ProtocolName
    threshold: int
    min_participants: int
    k: int
    epsilon: float | None
    delta: float | None
    dp_mode: DpMode | None
    requester_organization_id: str
    requester_organization_name: str
    organizations: list[str]
    party_index: int
    acceptance_deadline_at: datetime
    expires_at: datetime


class CollaboratorOut(BaseModel):
    id: str
    name: str
    type: str


class PartyKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    x25519_public: str = Field(description="32 bytes, base64 or hex")
    ed25519_public: str = Field(description="32 bytes, base64 or hex")


class PartyKeyOut(BaseModel):
    id: str
    organization_id: str
    x25519_public: str = Field(description="base64")
    ed25519_public: str = Field(description="base64")
    x25519_fingerprint: str = Field(description="SHA-256 of the raw public key, hex in groups of four")
    ed25519_fingerprint: str
    created_at: datetime


class AgentKeyOut(PartyKeyOut):
    api_key_id: str | None = Field(description="the API key of the agent that registered these keys")
    hosted: bool = Field(description="keys of the exchange's hosted agent, used for vault datasets")
    superseded_at: datetime | None = Field(description="when newer keys replaced these; null: current")


class PartyKeysOut(BaseModel):
    party_index: int
    organization_id: str
    organization_name: str
    status: ParticipantStatus
    hosted: bool = Field(description=HOSTED)
    keys: PartyKeyOut | None = Field(description="the keys this party uses in this computation")


class RoundMessageOut(BaseModel):
    id: str
    computation_id: str
    round: int
    sender_index: int = Field(description="0 is the exchange")
    recipient_index: int | None = Field(description="null: addressed to the exchange")
    kind: str
    size: int
    sha256: str
    received_at: datetime


class WaitingParty(BaseModel):
    party_index: int
    organization_name: str


class ComputeOut(BaseModel):
    computation_id: str
    status: ComputationStatus
    round: int
    round_complete: bool
    waiting_for: list[WaitingParty]
    advanced: bool


class ResultOut(BaseModel):
    id: str
    computation_id: str
    status: ResultStatus
    values: dict[str, Any] | None = Field(description="only once the result is visible")
    protection: dict[str, Any]
    waiting_for: list[str] = Field(description="organizations whose output review is pending")
    withheld_reason: str | None
    created_at: datetime
    released_at: datetime | None
