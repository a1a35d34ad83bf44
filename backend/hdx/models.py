"""Imports every domain's models so that metadata (and Alembic) sees all tables."""

from hdx.auth.models import OneTimeCode, RefreshToken, User
from hdx.computations.models import (
    Computation,
    ComputationResult,
    Participant,
    PartyKey,
    RoundMessage,
)
from hdx.datasets.models import Dataset, DatasetKey, OrganizationKey, PatientOptOut
from hdx.db import Model
from hdx.hosted.models import HostedPartyKey, HostedPartyState
from hdx.organizations.models import ApiKey, Organization
from hdx.privacy.models import PrivacyBudget, PrivacyBudgetPolicy, PrivacyCharge
from hdx.security.models import AuditEvent

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Computation",
    "ComputationResult",
    "Dataset",
    "DatasetKey",
    "HostedPartyKey",
    "HostedPartyState",
    "Model",
    "OneTimeCode",
    "Organization",
    "OrganizationKey",
    "Participant",
    "PartyKey",
    "PatientOptOut",
    "PrivacyBudget",
    "PrivacyBudgetPolicy",
    "PrivacyCharge",
    "RefreshToken",
    "RoundMessage",
    "User",
]
