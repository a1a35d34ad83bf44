from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from hdx.kit.pagination import Page


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    created_at: datetime
    action: str
    outcome: str
    actor_user_id: str | None
    actor_email: str | None
    organization_id: str | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]
    hash: str


class ChainStatus(BaseModel):
    intact: bool
    events: int
    first_bad_seq: int | None
    reason: str | None


class AuditReport(BaseModel):
    scope: str
    chain: ChainStatus
    events: Page[AuditEventOut]
