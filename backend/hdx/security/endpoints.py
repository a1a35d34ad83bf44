from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hdx.auth.dependencies import Permit
from hdx.auth.models import User
from hdx.auth.permissions import Action
from hdx.db import SessionDep
from hdx.kit.pagination import PageDep
from hdx.security import service
from hdx.security.schemas import AuditReport

router = APIRouter(prefix="/security", tags=["security"])


@router.get(
    "/audit-report",
    summary="Audit events (platform admin: all; organization admin: own organization) and chain integrity",
)
async def audit_report(
    session: SessionDep,
    user: Annotated[User, Permit(Action.audit_read_org)],
    page: PageDep,
    start_date: Annotated[
        str | None,
        Query(max_length=40, description="From this date (YYYY-MM-DD) or ISO instant; UTC if no zone"),
    ] = None,
    end_date: Annotated[
        str | None, Query(max_length=40, description="Until this date (inclusive) or ISO instant")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Only actions starting with this, e.g. 'auth.'")
    ] = None,
) -> AuditReport:
    return await service.audit_report(session, user, start=start_date, end=end_date, action=action, page=page)
