from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from hdx.auth.models import Role
from hdx.organizations.models import OrganizationType


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    type: OrganizationType
    email: str
    contact: str
    location: str
    min_cohort_k: int
    requires_output_review: bool
    require_differential_privacy: bool
    active: bool
    created_at: datetime


class OrganizationSummary(OrganizationOut):
    user_count: int


class OrganizationSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The lower bound is the platform's minimum (settings.min_cohort_k), checked by the service.
    min_cohort_k: int = Field(le=1_000_000, description="Smallest cohort any result may rest on")
    requires_output_review: bool = Field(description="Results wait for this organization's release")
    require_differential_privacy: bool | None = Field(
        None,
        description="Every computation on this organization's data must carry epsilon (differential "
        "privacy charged to the data's budget); left out, the current setting stays",
    )


class MemberRole(enum.StrEnum):
    """Roles an organization admin may give; the platform admin role is never granted here."""

    org_admin = Role.org_admin.value
    doctor = Role.doctor.value
    lab_technician = Role.lab_technician.value
    pharmacist = Role.pharmacist.value
    patient = Role.patient.value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    full_name: str
    role: Role
    active: bool
    email_verified_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None


class UserInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    full_name: str = Field(min_length=1, max_length=200)
    role: MemberRole


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole | None = None
    active: bool | None = None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself; shown this once and never again")


class AgentIdentity(BaseModel):
    organization_id: str
    api_key_id: str
    prefix: str
