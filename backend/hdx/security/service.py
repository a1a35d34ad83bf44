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


def _as_utc(value: datetime) -> datetime:
    # Naive datetimes in a query string are read as UTC, the zone the trail is written in.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period_start(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return None if value is None else _as_utc(value)
    return datetime.combine(value, time.min, UTC)


def period_end(value: date | datetime | None) -> datetime | None:
    """A bare end date includes that whole day."""
    if value is None or isinstance(value, datetime):
        return None if value is None else _as_utc(value)
    return datetime.combine(value + timedelta(days=1), time.min, UTC) - timedelta(microseconds=1)


async def audit_report(
    session: AsyncSession,
    user: User,
    *,
    start: date | datetime | None,
    end: date | datetime | None,
    action: str | None,
    page: PageParams,
) -> AuditReport:
    start_at, end_at = period_start(start), period_end(end)
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
