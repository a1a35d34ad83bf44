"""Computations, parties, messages and results as the API shows them."""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations import iterations, protection, repository
from hdx.computations.models import (
    EXCHANGE_INDEX,
    Computation,
    ComputationResult,
    DataSource,
    Participant,
    PartyKey,
    ResultStatus,
    RoundMessage,
)
from hdx.computations.schemas import (
    AgentComputationOut,
    AgentKeyOut,
    ComputationOut,
    ComputationSummary,
    ComputeOut,
    DeadlinesOut,
    InvitationOut,
    PartyKeyOut,
    PartyKeysOut,
    PartyOut,
    PrivacyOut,
    ResultOut,
    RoundMessageOut,
    WaitingParty,
)
from hdx.organizations.models import Organization


def deadlines(computation: Computation) -> DeadlinesOut:
    return DeadlinesOut(
        acceptance_at=computation.acceptance_deadline_at,
        round_at=computation.round_deadline_at,
        expires_at=computation.expires_at,
    )


async def _privacy(item: Computation, parties: Sequence[Participant]) -> PrivacyOut | None:
    """The noise plan for the parties that accepted (before the start: for every invited party)."""
    if item.dp_mode is None or item.dp_epsilon is None:
        return None
    started = [p for p in parties if p.status in iterations.TOOK_PART] if item.started_at else []
    describe = functools.partial(
        protection.describe,
        item.analysis,
        item.params,
        item.protocol.value,
        item.dp_mode,
        item.dp_epsilon,
        item.dp_delta,
        parties=len(started or parties),
        threshold=item.threshold,
    )
    try:
        return PrivacyOut(**await anyio.to_thread.run_sync(describe))
    except protection.Unsound:
        # Checked for every party count when the computation was created; nothing sound to show otherwise.
        return None


async def computation(session: AsyncSession, item: Computation) -> ComputationOut:
    parties = await repository.participants(session, item.id)
    names = {org_id: org.name for org_id, org in (await _orgs(session, parties)).items()}
    return ComputationOut(
        id=item.id,
        title=item.title,
        analysis=item.analysis,
        params=item.params,
        protocol=item.protocol,
        threshold=item.threshold,
        min_participants=item.min_participants,
        k=item.k,
        epsilon=item.dp_epsilon,
        delta=item.dp_delta,
        dp_mode=item.dp_mode,
        differential_privacy=await _privacy(item, parties),
        status=item.status,
        current_round=item.current_round,
        iteration=item.iteration,
        requester_organization_id=item.requester_organization_id,
        requester_user_id=item.requester_user_id,
        deadlines=deadlines(item),
        failure_reason=item.failure_reason,
        result_id=item.result_id,
        created_at=item.created_at,
        started_at=item.started_at,
        finished_at=item.finished_at,
        parties=[
            PartyOut(
                party_index=p.party_index,
                organization_id=p.organization_id,
                organization_name=names[p.organization_id],
                status=p.status,
                source=p.source,
                hosted=p.source is DataSource.vault,
                dataset_id=p.dataset_id,
                responded_at=p.responded_at,
                accepted_at=p.accepted_at,
                decline_reason=p.decline_reason,
                dropped_reason=p.dropped_reason,
            )
            for p in parties
        ],
    )


async def agent_computation(
    session: AsyncSession, item: Computation, party: Participant
) -> AgentComputationOut:
    base = await computation(session, item)
    return AgentComputationOut(
        **base.model_dump(),
        my_party_index=party.party_index,
        my_status=party.status,
        round_offset=item.round_offset,
        iteration_params=iterations.current_params(item),
    )


def summary(item: Computation) -> ComputationSummary:
    return ComputationSummary(
        id=item.id,
        title=item.title,
        analysis=item.analysis,
        protocol=item.protocol,
        status=item.status,
        current_round=item.current_round,
        requester_organization_id=item.requester_organization_id,
        deadlines=deadlines(item),
        failure_reason=item.failure_reason,
        result_id=item.result_id,
        created_at=item.created_at,
    )


async def invitations(
    session: AsyncSession, rows: Sequence[tuple[Computation, Participant]]
) -> list[InvitationOut]:
    out = []
    for item, party in rows:
        parties = await repository.participants(session, item.id)
        orgs = await _orgs(session, parties, extra=[item.requester_organization_id])
        out.append(
            InvitationOut(
                computation_id=item.id,
                title=item.title,
                analysis=item.analysis,
                params=item.params,
                protocol=item.protocol,
                threshold=item.threshold,
                min_participants=item.min_participants,
                k=item.k,
                epsilon=item.dp_epsilon,
                delta=item.dp_delta,
                dp_mode=item.dp_mode,
                requester_organization_id=item.requester_organization_id,
                requester_organization_name=orgs[item.requester_organization_id].name,
                organizations=[orgs[p.organization_id].name for p in parties],
                party_index=party.party_index,
                acceptance_deadline_at=item.acceptance_deadline_at,
                expires_at=item.expires_at,
            )
        )
    return out


def party_key(key: PartyKey) -> PartyKeyOut:
    return PartyKeyOut(
        id=key.id,
        organization_id=key.organization_id,
        x25519_public=base64.b64encode(key.x25519_public).decode(),
        ed25519_public=base64.b64encode(key.ed25519_public).decode(),
        x25519_fingerprint=key.x25519_fingerprint,
        ed25519_fingerprint=key.ed25519_fingerprint,
        created_at=key.created_at,
    )


def agent_key(key: PartyKey) -> AgentKeyOut:
    return AgentKeyOut(
        **party_key(key).model_dump(),
        api_key_id=key.api_key_id,
        hosted=key.hosted,
        superseded_at=key.superseded_at,
    )


async def parties_with_keys(session: AsyncSession, item: Computation) -> list[PartyKeysOut]:
    parties = await repository.participants(session, item.id)
    orgs = await _orgs(session, parties)
    keys = await repository.party_keys(session, [p.party_key_id for p in parties if p.party_key_id])
    return [
        PartyKeysOut(
            party_index=p.party_index,
            organization_id=p.organization_id,
            organization_name=orgs[p.organization_id].name,
            status=p.status,
            hosted=p.source is DataSource.vault,
            keys=party_key(keys[p.party_key_id]) if p.party_key_id in keys else None,
        )
        for p in parties
    ]


def message(item: RoundMessage) -> RoundMessageOut:
    return RoundMessageOut(
        id=item.id,
        computation_id=item.computation_id,
        round=item.round,
        sender_index=item.sender_index,
        recipient_index=None if item.recipient_index == EXCHANGE_INDEX else item.recipient_index,
        kind=item.kind,
        size=item.size,
        sha256=item.sha256,
        received_at=item.received_at,
    )


async def compute_outcome(
    session: AsyncSession, item: Computation, waiting: list[Participant], advanced: bool
) -> ComputeOut:
    orgs = await _orgs(session, waiting)
    return ComputeOut(
        computation_id=item.id,
        status=item.status,
        round=item.current_round,
        round_complete=not waiting,
        waiting_for=[
            WaitingParty(party_index=p.party_index, organization_name=orgs[p.organization_id].name)
            for p in waiting
        ],
        advanced=advanced,
    )


async def result(session: AsyncSession, item: ComputationResult, *, review_copy: bool = False) -> ResultOut:
    """A result as everyone sees it; `review_copy` shows a reviewer the values its review holds back."""
    pending = [org_id for org_id, state in item.reviews.items() if state == "pending"]
    orgs = await repository.organizations_by_id(session, pending)
    released = item.status is ResultStatus.visible
    review_copy = review_copy and item.status is ResultStatus.awaiting_release
    return ResultOut(
        id=item.id,
        computation_id=item.computation_id,
        status=item.status,
        values=item.values if released or review_copy else None,
        released=released,
        review_copy=review_copy,
        protection=item.protection,
        waiting_for=sorted(orgs[org_id].name for org_id in pending),
        withheld_reason=item.withheld_reason,
        created_at=item.created_at,
        released_at=item.released_at,
    )


async def _orgs(
    session: AsyncSession, parties: Sequence[Participant], extra: Sequence[str] = ()
) -> dict[str, Organization]:
    return await repository.organizations_by_id(session, [*(p.organization_id for p in parties), *extra])
