"""Imports every domain's models so that metadata (and Alembic) sees all tables."""

from hdx.auth.models import OneTimeCode, RefreshToken, User
from hdx.db import Model
from hdx.organizations.models import ApiKey, Organization
from hdx.security.models import AuditEvent

__all__ = ["ApiKey", "AuditEvent", "Model", "OneTimeCode", "Organization", "RefreshToken", "User"]
