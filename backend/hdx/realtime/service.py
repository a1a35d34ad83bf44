"""Events published after commit, who is connecting, and who may see which channel.

Services call `publish` (or `computation_event`) inside their transaction; the event waits in the
session until the request session commits, and is dropped if the transaction rolls back, so a client is
never told about something that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from hdx.auth.dependencies import user_for_access_token
from hdx.auth.models import Role
from hdx.auth.permissions import Action, allowed
from hdx.computations import repository as computations_repository
from hdx.computations.models import Computation, Participant, ParticipantStatus
from hdx.config import Settings
from hdx.realtime.bus import Event
from hdx.realtime.schemas import ErrorCode

if TYPE_CHECKING:
    from hdx.realtime.hub import Realtime

logger = logging.getLogger("hdx.realtime")

_PENDING = "hdx.realtime.pending"

SYSTEM = "system"
ORG = "org"
COMPUTATION = "computation"
FEDERATED = "federated"


def org_channel(organization_id: str) -> str:
    return f"{ORG}:{organization_id}"


def computation_channel(computation_id: str) -> str:
    return f"{COMPUTATION}:{computation_id}"


def channel_kind(channel: str) -> str | None:
    if channel == SYSTEM:
        return SYSTEM
    kind, separator, ident = channel.partition(":")
    if not separator or not ident or kind not in (ORG, COMPUTATION, FEDERATED):
        return None
    return kind


# Publishing


def publish(
    session: AsyncSession,
    event_type: str,
    data: dict[str, Any],
    *,
    channels: Sequence[str],
    audience: Iterable[str] | None,
) -> None:
    """Queue an event for after the commit; `audience` is the organizations that may see it (None: all)."""
    session.info.setdefault(_PENDING, []).append(
        Event(
            type=event_type,
            channels=tuple(channels),
            audience=None if audience is None else frozenset(audience),
            data=data,
        )
    )


def _publish_for_computation(
    session: AsyncSession,
    computation: Computation,
    parties: Sequence[Participant],
    event_type: str,
    data: dict[str, Any],
) -> None:
    # Everyone who can open the computation over the API: the requester and every invited party.
    organizations = sorted({computation.requester_organization_id, *(p.organization_id for p in parties)})
    publish(
        session,
        event_type,
        {"computation_id": computation.id} | data,
        channels=(computation_channel(computation.id), *(org_channel(o) for o in organizations)),
        audience=organizations,
    )


async def computation_event(
    session: AsyncSession, computation: Computation, event_type: str, data: dict[str, Any]
) -> None:
    """Tell the computation's channel and each involved organization's channel, after commit."""
    parties = await computations_repository.participants(session, computation.id)
    _publish_for_computation(session, computation, parties, event_type, data)


async def round_progress(session: AsyncSession, computation: Computation, sender_index: int) -> None:
    """Who has posted in the current round and who is still waited for: party indexes only, no payloads."""
    parties = await computations_repository.participants(session, computation.id)
    submitted = [p.party_index for p in parties if p.status is ParticipantStatus.submitted]
    waiting = [p.party_index for p in parties if p.status is ParticipantStatus.accepted]
    _publish_for_computation(
        session,
        computation,
        parties,
        "computation.message_received",
        {
            "round": computation.current_round,
            "sender": sender_index,
            "submitted": submitted,
            "waiting": waiting,
        },
    )


async def publish_committed(session: AsyncSession, realtime: Realtime | None) -> None:
    """Hand the committed transaction's events to the bus; the change has succeeded whatever happens here."""
    pending: list[Event] = session.info.pop(_PENDING, [])
    if realtime is None:
        return
    for event in pending:
        try:
            await realtime.bus.publish(event)
        except Exception:
            # The change is committed; a lost notification only delays what clients see until they reload.
            logger.exception("could not publish event %s (%s)", event.id, event.type)


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # Events describe changes of the outermost transaction; once it rolls back none of them happened.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


# Who is connecting


@dataclass(frozen=True)
class Identity:
    user_id: str
    organization_id: str | None
    role: Role
    expires_at: datetime

    @property
    def sees_computations(self) -> bool:
        return self.organization_id is not None and allowed(self.role, Action.computation_read)

    @property
    def platform_admin(self) -> bool:
        return self.role is Role.admin


async def authenticate(session: AsyncSession, settings: Settings, token: str) -> Identity:
    """The same checks as an API request with this access token: signature, expiry, account, revocation."""
    user, claims = await user_for_access_token(session, settings, token)
    return Identity(user.id, user.organization_id, user.role, claims.expires_at)


def own_channels(identity: Identity) -> list[str]:
    """Channels a dashboard client receives without asking: its organization's."""
    if identity.sees_computations and identity.organization_id is not None:
        return [org_channel(identity.organization_id)]
    return []


async def subscription_refusal(
    session: AsyncSession, identity: Identity, channel: str
) -> tuple[ErrorCode, str] | None:
    """Why `identity` may not subscribe to `channel`, or None when it may."""
    kind = channel_kind(channel)
    if kind is None:
        return "unknown_channel", "channels are system, org:<id>, computation:<id> and federated:<id>"
    if kind == SYSTEM:
        return None
    if not identity.sees_computations or identity.organization_id is None:
        return "forbidden", "your role does not see computations"
    ident = channel.partition(":")[2]
    if kind == ORG and ident != identity.organization_id:
        return "forbidden", "only your own organization's channel"
    if kind in (COMPUTATION, FEDERATED):
        # Federated training runs inside a computation: federated:<id> names the computation.
        found = await computations_repository.computation_for_org(session, ident, identity.organization_id)
        if found is None:
            # The same answer for "does not exist" and "not yours": existence is not disclosed.
            return "forbidden", "no such computation among your organization's"
    # Each event is delivered only to its audience as well, checked again on delivery.
    return None
