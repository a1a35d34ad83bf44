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
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from hdx.computations.compat import METRICS, PROTOCOL_NAMES, mean_params, metric_named, protocol_named
from hdx.computations.models import (
    ComputationStatus,
    DataSource,
    ParticipantStatus,
    ProtocolName,
    ResultStatus,
)
from hdx.privacy.modes import DpMode
from hdx.privacy.spend import MAX_DELTA, MAX_EPSILON, MIN_DELTA, MIN_EPSILON

MAX_PARTIES = 50

# Our protocol names and the original product's methods; the schema lists every accepted value.
Protocol = Annotated[
    ProtocolName,
    BeforeValidator(protocol_named),
    WithJsonSchema({"type": "string", "enum": PROTOCOL_NAMES}),
]
OrgReference = Annotated[str, Field(min_length=1, max_length=200, description="organization id or name")]


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acceptance_hours: float = Field(24, gt=0, le=24 * 30, description="time for every invitee to answer")
    round_minutes: float = Field(
        60, gt=0, le=7 * 24 * 60, description="time for the parties to finish a round"
    )
    expires_hours: float = Field(7 * 24, gt=0, le=90 * 24, description="the whole computation, from creation")

    @field_validator("expires_hours")
    @classmethod
    def _ordered(cls, expires_hours: float, info: ValidationInfo) -> float:
        acceptance = info.data.get("acceptance_hours")
        if acceptance is not None and expires_hours < acceptance:
            raise ValueError("expires_hours must not be shorter than acceptance_hours")
        return expires_hours


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
    epsilon: float | None = Field(
        None,
        description=f"differential privacy: the privacy loss of the release, {MIN_EPSILON:g} to {MAX_EPSILON:g}",
        json_schema_extra={"minimum": MIN_EPSILON, "maximum": MAX_EPSILON},
    )
    delta: float | None = Field(
        None,
        description=f"with epsilon: the chance the guarantee fails (Gaussian noise), {MIN_DELTA:g} to {MAX_DELTA:g}",
        json_schema_extra={"minimum": MIN_DELTA, "maximum": MAX_DELTA},
    )
    dp_mode: DpMode | None = Field(
        None,
        description="where the differential-privacy noise comes from (with epsilon; 'central' by default): "
        "'central', whoever first sees the exact aggregate noises it (the exchange, or the result "
        "recipient of paillier and hybrid); 'distributed', every party adds its share of discrete "
        "Gaussian noise to its own input before sharing it, so nobody sees the exact aggregate (needs delta)",
    )
    deadlines: Deadlines = Field(default_factory=Deadlines)

    @field_validator("epsilon")
    @classmethod
    def _epsilon_in_range(cls, epsilon: float | None) -> float | None:
        if epsilon is not None and not MIN_EPSILON <= epsilon <= MAX_EPSILON:
            raise ValueError(
                f"epsilon must lie between {MIN_EPSILON:g} and {MAX_EPSILON:g}, got {epsilon:g}: below, the "
                "noise would swamp any result (and cannot be calibrated near 0); above, it protects little"
            )
        return epsilon

    @field_validator("delta")
    @classmethod
    def _delta_in_range(cls, delta: float | None) -> float | None:
        if delta is not None and not MIN_DELTA <= delta <= MAX_DELTA:
            raise ValueError(
                f"delta must lie between {MIN_DELTA:g} and {MAX_DELTA:g}, got {delta:g}: it is the chance "
                "the guarantee fails, and should stay well below one over the number of records"
            )
        return delta

    # Cross-field checks are field validators, so that an error names the field to change. A field that
    # failed its own validation is absent from info.data and is not checked against again.
    @field_validator("delta")
    @classmethod
    def _delta_needs_epsilon(cls, delta: float | None, info: ValidationInfo) -> float | None:
        if delta is not None and "epsilon" in info.data and info.data["epsilon"] is None:
            raise ValueError("delta is only meaningful with epsilon")
        return delta

    @field_validator("dp_mode")
    @classmethod
    def _mode_needs_epsilon(cls, mode: DpMode | None, info: ValidationInfo) -> DpMode | None:
        if mode is not None and "epsilon" in info.data and info.data["epsilon"] is None:
            raise ValueError("dp_mode is only meaningful with epsilon")
        if mode is DpMode.distributed and "delta" in info.data and info.data["delta"] is None:
            raise ValueError(
                "dp_mode 'distributed' adds discrete Gaussian noise, which needs delta (for example 1e-6)"
            )
        return mode

    @model_validator(mode="after")
    def _central_by_default(self) -> ComputationSpec:
        if self.epsilon is not None and self.dp_mode is None:
            self.dp_mode = DpMode.central
        return self


class OriginalInitialize(BaseModel):
    """The original product's body: a metric, the organizations, a security method and a quorum."""

    metric_type: str = Field(examples=["blood_pressure"])
    participating_orgs: list[OrgReference] = Field(min_length=2, max_length=MAX_PARTIES)
    security_method: Protocol = Field(
        ProtocolName.shamir,
        description="standard (shamir), homomorphic (paillier), hybrid, or any protocol name: shamir, secagg, paillier",
    )
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

    decision: Literal["release", "withhold"] = Field(
        description="release: your organization lets the values out; withhold: nobody ever sees them"
    )
    reason: str | None = Field(
        None, max_length=500, description="why; shown as withheld_reason when withheld"
    )


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
    values: dict[str, Any] | None = Field(
        description="once every reviewing organization released the result; before that, only for the "
        "administrators of an organization whose review holds it (review_copy), null for everyone else"
    )
    released: bool = Field(description="true once the values are released to every party")
    review_copy: bool = Field(
        description="true: these values are NOT released; they are shown only to you, an administrator of "
        "an organization whose review holds the result, to decide whether to release or withhold it"
    )
    protection: dict[str, Any]
    waiting_for: list[str] = Field(description="organizations whose output review is pending")
    withheld_reason: str | None
    created_at: datetime
    released_at: datetime | None
