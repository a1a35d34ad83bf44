"""Recording to the audit trail.

Services call `record()`; the request session writes the pending events, chained, just before it
commits. Events marked `persist_on_failure` (failed logins, denials, refused requests) are written in
a fresh transaction after the request's own work was rolled back, so a refusal is never lost.
This is the one place besides the session dependency that commits, and it only ever appends audit rows.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.db import utcnow
from hdx.kit.context import request_id_var
from hdx.security import repository
from hdx.security.models import AuditEvent

GENESIS = "0" * 64
_PENDING = "hdx.audit.pending"
_CONTEXT = "hdx.audit.context"


@dataclass
class Actor:
    user_id: str | None = None
    email: str | None = None
    organization_id: str | None = None


@dataclass
class _Pending:
    action: str
    outcome: str
    actor: Actor
    organization_id: str | None
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
    persist_on_failure: bool
    created_at: datetime = field(default_factory=utcnow)


def bind_request(session: AsyncSession, request: Request) -> None:
    client = request.client.host if request.client else None
    session.info[_CONTEXT] = {"ip": getattr(request.state, "client_ip", None) or client}


def record(
    session: AsyncSession,
    action: str,
    *,
    outcome: str = "success",
    actor: Actor | None = None,
    organization_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    persist_on_failure: bool = False,
) -> None:
    """Queue one event; it is written with the request's transaction (or after it fails, if asked)."""
    actor = actor or Actor()
    session.info.setdefault(_PENDING, []).append(
        _Pending(
            action=action,
            outcome=outcome,
            actor=actor,
            organization_id=organization_id if organization_id is not None else actor.organization_id,
            target_type=target_type,
            target_id=target_id,
            details=details or {},
            persist_on_failure=persist_on_failure,
        )
    )


def canonical(event: AuditEvent) -> bytes:
    content = {
        "created_at": event.created_at.isoformat(),
        "action": event.action,
        "outcome": event.outcome,
        "actor_user_id": event.actor_user_id,
        "actor_email": event.actor_email,
        "organization_id": event.organization_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "request_id": event.request_id,
        "details": event.details,
    }
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(event)).hexdigest()


async def _append(session: AsyncSession, pending: list[_Pending]) -> None:
    """Append events at the end of the chain.

    The rows are inserted first with provisional hashes: on SQLite that insert takes the database's
    single write lock, on PostgreSQL the advisory lock is taken before it. Either way no other
    transaction can append until this one ends, so the predecessor read afterwards is final.
    No in-process lock: a transaction already holding SQLite's write lock must never wait for one.
    """
    await repository.lock_chain(session)
    context = session.info.get(_CONTEXT, {})
    events = [
        AuditEvent(
            created_at=item.created_at,
            action=item.action,
            outcome=item.outcome,
            actor_user_id=item.actor.user_id,
            actor_email=item.actor.email,
            organization_id=item.organization_id,
            target_type=item.target_type,
            target_id=item.target_id,
            ip=context.get("ip"),
            request_id=request_id_var.get(),
            details=item.details,
            prev_hash=GENESIS,
            hash=uuid.uuid4().hex,
        )
        for item in pending
    ]
    session.add_all(events)
    await session.flush()
    prev = await repository.hash_before(session, events[0].seq) or GENESIS
    for event in events:
        event.prev_hash = prev
        event.hash = chain_hash(prev, event)
        prev = event.hash
    await session.flush()


async def commit_with_trail(session: AsyncSession) -> None:
    """Append the queued events and commit; appends are serialized so the chain never forks."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        await session.commit()
        return
    await _append(session, pending)
    await session.commit()


async def persist_after_failure(session: AsyncSession) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    keep = [item for item in pending if item.persist_on_failure]
    if not keep:
        return
    await _append(session, keep)
    await session.commit()


@dataclass
class ChainReport:
    intact: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession) -> ChainReport:
    prev = GENESIS
    count = 0
    async for event in repository.iterate_chain(session):
        count += 1
        if event.prev_hash != prev:
            return ChainReport(
                False, count, event.seq, "link to the previous event is broken (row removed or reordered)"
            )
        if chain_hash(prev, event) != event.hash:
            return ChainReport(False, count, event.seq, "content does not match its hash (row edited)")
        prev = event.hash
    return ChainReport(True, count)
