"""The audit report: who may read which part of the trail, and whether the chain still holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import User
from hdx.auth.permissions import Action, allowed
from hdx.exceptions import NotFound, Unprocessable
from hdx.kit.pagination import Page, PageParams
from hdx.security import audit, repository
from hdx.security.schemas import AuditEventOut, AuditReport, ChainStatus


def parse_bound(value: str | None, name: str, *, end: bool) -> datetime | None:
    """A date (YYYY-MM-DD) covers that whole day; an ISO instant without a zone is read as UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                return datetime.combine(day + timedelta(days=1), time.min, UTC) - timedelta(microseconds=1)
            return datetime.combine(day, time.min, UTC)
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Unprocessable(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time, not {text!r}"
        ) from exc
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


async def audit_report(
    session: AsyncSession,
    user: User,
    *,
    start: str | None,
    end: str | None,
    action: str | None,
    page: PageParams,
) -> AuditReport:
    start_at = parse_bound(start, "start_date", end=False)
    end_at = parse_bound(end, "end_date", end=True)
    if start_at is not None and end_at is not None and start_at > end_at:
        raise Unprocessable("start_date must not be after end_date")
    if allowed(user.role, Action.audit_read_all):
        organization_id, scope = None, "all"
    elif user.organization_id is not None:
        organization_id, scope = user.organization_id, "organization"
    else:
        raise NotFound("You belong to no organization")
    report = await audit.verify_chain(session)
    rows, total = await repository.list_events(
        session,
        organization_id=organization_id,
        action=action,
        start=start_at,
        end=end_at,
        offset=page.offset,
        limit=page.size,
    )
    return AuditReport(
        scope=scope,
        chain=ChainStatus(
            intact=report.intact,
            events=report.events,
            first_bad_seq=report.first_bad_seq,
            reason=report.reason,
        ),
        events=Page(
            items=[AuditEventOut.model_validate(row) for row in rows],
            total=total,
            page=page.page,
            size=page.size,
        ),
    )
