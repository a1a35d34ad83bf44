"""Creating computations, answering invitations, cancelling, and reading them back."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.analyses.errors import AnalysisError
from hdx.analyses.registry import get_analysis
from hdx.auth.models import Role, User
from hdx.computations import lifecycle, protection, recipient, repository, requirements, suitability
from hdx.computations.models import (
    Computation,
    ComputationStatus,
    DataSource,
    Participant,
    ParticipantStatus,
    PartyKey,
)
from hdx.computations.schemas import MAX_PARTIES, AcceptRequest, ComputationSpec
from hdx.config import Settings
from hdx.crypto.errors import CapacityError, CryptoError
from hdx.datasets import repository as datasets_repository
from hdx.exceptions import Conflict, Forbidden, Gone, NotFound, Unprocessable
from hdx.hosted import keys as hosted_keys
from hdx.organizations import repository as organizations_repository
from hdx.organizations.models import Organization
from hdx.organizations.names import canonical_id
from hdx.protocols import fixed_point
from hdx.protocols.registry import EXCHANGE_PROTOCOLS
from hdx.security import audit


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, detail=[{"field": field, "message": message}])


def _checked_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The analysis' own validation of its parameters; stored as it normalizes them."""
    try:
        analysis = get_analysis(name)
    except AnalysisError as exc:
        raise _invalid("analysis", str(exc)) from exc
    try:
        parsed = analysis.parse(params)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(["params", *(str(part) for part in err["loc"])]), "message": err["msg"]}
            for err in exc.errors()
        ]
        raise Unprocessable(f"params do not fit the {name} analysis", detail=problems) from exc
    except AnalysisError as exc:
        raise _invalid("params", str(exc)) from exc
    normalized: dict[str, Any] = parsed.model_dump(mode="json")
    return normalized


def _check_privacy(spec: ComputationSpec) -> None:
    """Differential privacy is calibrated to one release of one aggregate; an iterative analysis would
    reveal a noised aggregate at every iteration (and its Newton steps would not converge on noise)."""
    if spec.epsilon is not None and get_analysis(spec.analysis).iterative:
        raise _invalid(
            "epsilon",
            f"differential privacy is not available for {spec.analysis}: it runs one secure sum per "
            "iteration and the noise is calibrated to a single release; leave epsilon out",
        )


async def _check_noise(spec: ComputationSpec, params: dict[str, Any], party_counts: tuple[int, ...]) -> None:
    """Refuse a privacy setting no release could meet, planned now as the parties and the exchange will
    plan it, for every number of parties the computation may start with."""
    if spec.dp_mode is None or spec.epsilon is None:
        return
    check = functools.partial(
        protection.check,
        spec.analysis,
        params,
        spec.protocol.value,
        spec.dp_mode,
        spec.epsilon,
        spec.delta,
        party_counts=party_counts,
        threshold=spec.threshold,
    )
    try:
        await anyio.to_thread.run_sync(check)
    except protection.Unsound as exc:
        raise _invalid(
            "dp_mode", f"{spec.dp_mode.value} differential privacy cannot protect this computation: {exc}"
        ) from exc


def _check_capacity(analysis: str, params: dict[str, Any], protocol: str, n_parties: int) -> None:
    """Refuse now, not at round 1, when the parties' summed vectors could not fit the protocol's modulus."""
    exchange_side = EXCHANGE_PROTOCOLS.get(protocol)
    if exchange_side is None:
        return
    try:
        fixed_point.plan(analysis, params, n_parties, exchange_side.modulus())
    except CapacityError as exc:
        raise _invalid("params", str(exc)) from exc
    except (CryptoError, OverflowError) as exc:
        # The parameters' checks should keep bounds within what the encoding holds; refuse, never 500.
        raise _invalid("params", f"the parameters cannot be encoded for a secure sum: {exc}") from exc


def _matches(reference: str, found: Sequence[Organization]) -> list[Organization]:
    """An id-shaped reference names the organization with that id and never one whose name it is; any
    other reference names an organization by its exact name (or by an id of that form, had one any)."""
    org_id = canonical_id(reference)
    if org_id is not None:
        return [org for org in found if org.id == org_id]
    return [org for org in found if reference in (org.name, org.id)]


def match_participants(references: Sequence[str], found: Sequence[Organization]) -> list[Organization]:
    """The organization each reference names among `found`; 422 on `participants` for a reference that
    names none, or more than one."""
    matches = {ref: _matches(ref, found) for ref in references}
    unknown = [ref for ref in references if not matches[ref]]
    if unknown:
        raise _invalid("participants", f"no such organizations: {', '.join(unknown)}")
    for ref, orgs in matches.items():
        if len(orgs) > 1:
            listed = "; ".join(f"{org.name} (id {org.id})" for org in orgs)
            raise _invalid(
                "participants", f"{ref} names more than one organization: {listed}; name them by id"
            )
    return [matches[ref][0] for ref in references]


async def _resolve_participants(session: AsyncSession, references: list[str]) -> list[Organization]:
    ids = [org_id for ref in references if (org_id := canonical_id(ref)) is not None]
    others = [ref for ref in references if canonical_id(ref) is None]
    found = await repository.organizations_by_reference(session, ids=ids, names=others)
    orgs = match_participants(references, found)
    if len({org.id for org in orgs}) != len(orgs):
        raise _invalid("participants", "an organization is listed more than once")
    inactive = [org.name for org in orgs if not org.active]
    if inactive:
        raise _invalid("participants", f"organizations not active: {', '.join(inactive)}")
    return orgs


def _check_quorum(spec: ComputationSpec, n: int) -> int:
    if n > MAX_PARTIES:
        raise _invalid("participants", f"at most {MAX_PARTIES} organizations may take part")
    if not 2 <= spec.threshold <= n:
        raise _invalid("threshold", f"threshold must be between 2 and the number of participants ({n})")
    minimum = spec.min_participants if spec.min_participants is not None else n
    if not spec.threshold <= minimum <= n:
        raise _invalid(
            "min_participants",
            f"min_participants must be at least the threshold ({spec.threshold}) and at most {n}",
        )
    return minimum


async def initialize(
    session: AsyncSession, spec: ComputationSpec, *, requester: User, settings: Settings, now: datetime
) -> Computation:
    if requester.organization_id is None:
        raise Forbidden("Only members of an organization can propose computations")
    params = _checked_params(spec.analysis, spec.params)
    _check_privacy(spec)
    orgs = await _resolve_participants(session, spec.participants)
    if requester.organization_id not in {org.id for org in orgs}:
        raise _invalid("participants", "the requesting organization must be one of the participants")
    requirements.check(spec, orgs)
    recipient.check(spec, orgs)
    min_participants = _check_quorum(spec, len(orgs))
    _check_capacity(spec.analysis, params, spec.protocol.value, len(orgs))
    await _check_noise(spec, params, tuple(range(min_participants, len(orgs) + 1)))
    k = max([spec.k or 0, settings.min_cohort_k, *(org.min_cohort_k for org in orgs)])
    deadlines = spec.deadlines
    computation = Computation(
        requester_organization_id=requester.organization_id,
        requester_user_id=requester.id,
        title=spec.title,
        analysis=spec.analysis,
        params=params,
        protocol=spec.protocol,
        threshold=spec.threshold,
        min_participants=min_participants,
        k=k,
        dp_epsilon=spec.epsilon,
        dp_delta=spec.delta,
        dp_mode=spec.dp_mode,
        status=ComputationStatus.draft,
        current_round=0,
        round_timeout_seconds=round(deadlines.round_minutes * 60),
        acceptance_deadline_at=now + timedelta(hours=deadlines.acceptance_hours),
        expires_at=now + timedelta(hours=deadlines.expires_hours),
        # The deadlines count from the request, however long the checks above took.
        created_at=now,
    )
    session.add(computation)
    await session.flush()
    for index, org in enumerate(orgs, start=1):
        session.add(
            Participant(
                computation_id=computation.id,
                organization_id=org.id,
                party_index=index,
                status=ParticipantStatus.invited,
            )
        )
    await session.flush()
    actor = audit.Actor(
        user_id=requester.id, email=requester.email, organization_id=requester.organization_id
    )
    audit.record(
        session,
        "computation.created",
        actor=actor,
        target_type="computation",
        target_id=computation.id,
        details={
            "analysis": spec.analysis,
            "protocol": spec.protocol.value,
            "threshold": spec.threshold,
            "min_participants": min_participants,
            "k": k,
            "epsilon": spec.epsilon,
            "delta": spec.delta,
            "dp_mode": spec.dp_mode.value if spec.dp_mode else None,
            "parties": [org.id for org in orgs],
        },
    )
    await lifecycle.transition(session, computation, ComputationStatus.pending_approval, now=now, actor=actor)
    return computation


async def visible(session: AsyncSession, computation_id: str, organization_id: str | None) -> Computation:
    found = (
        await repository.computation_for_org(session, computation_id, organization_id)
        if organization_id is not None
        else None
    )
    if found is None:
        raise NotFound("Computation not found")
    return found


async def _own_invitation(
    session: AsyncSession, computation_id: str, organization_id: str
) -> tuple[Computation, Participant]:
    computation = await repository.computation_for_org(session, computation_id, organization_id, lock=True)
    party = await repository.participant(session, computation_id, organization_id)
    if computation is None or party is None:
        raise NotFound("Computation not found")
    if computation.status is not ComputationStatus.pending_approval:
        raise Conflict(
            f"The computation is {computation.status.value}; invitations can no longer be answered"
        )
    if party.status is not ParticipantStatus.invited:
        raise Conflict(f"Your organization already answered this invitation ({party.status.value})")
    return computation, party


def _check_acceptance_open(computation: Computation, now: datetime) -> None:
    if computation.acceptance_deadline_at <= now:
        raise Gone(f"The acceptance deadline passed at {computation.acceptance_deadline_at.isoformat()}")


async def _check_dataset(
    session: AsyncSession, computation: Computation, dataset_id: str, organization_id: str
) -> None:
    dataset = await datasets_repository.dataset(session, organization_id, dataset_id)
    if dataset is None:
        raise _invalid("dataset_id", "no dataset with this id belongs to your organization")
    suitability.check(dataset, computation.analysis, computation.params)


async def accept(
    session: AsyncSession,
    computation_id: str,
    choice: AcceptRequest,
    *,
    organization_id: str,
    actor: audit.Actor,
    settings: Settings,
    now: datetime,
) -> Computation:
    computation, party = await _own_invitation(session, computation_id, organization_id)
    _check_acceptance_open(computation, now)
    organization = await organizations_repository.organization(session, organization_id)
    if organization is not None:
        requirements.check_acceptance(computation, organization)
        recipient.check_acceptance(computation, organization)
    if choice.dataset_id is not None:
        await _check_dataset(session, computation, choice.dataset_id, organization_id)
        party.source, party.dataset_id = DataSource.vault, choice.dataset_id
        # The exchange's hosted agent plays this party, with its own keys for the organization.
        key: PartyKey | None = await hosted_keys.ensure(session, settings, organization_id, now=now)
    else:
        party.source = DataSource.agent
        key = await repository.current_party_key(session, organization_id)
    party.party_key_id = key.id if key is not None else None
    party.status = ParticipantStatus.accepted
    party.responded_at = party.accepted_at = now
    await session.flush()
    audit.record(
        session,
        "computation.accepted",
        actor=actor,
        target_type="computation",
        target_id=computation.id,
        details={
            "party_index": party.party_index,
            "source": party.source.value,
            "dataset_id": party.dataset_id,
        },
    )
    await lifecycle.settle_responses(session, computation, now=now, actor=actor)
    return computation


async def decline(
    session: AsyncSession,
    computation_id: str,
    reason: str | None,
    *,
    organization_id: str,
    actor: audit.Actor,
    now: datetime,
) -> Computation:
    computation, party = await _own_invitation(session, computation_id, organization_id)
    _check_acceptance_open(computation, now)
    party.status = ParticipantStatus.declined
    party.responded_at = now
    party.decline_reason = reason
    await session.flush()
    audit.record(
        session,
        "computation.declined",
        actor=actor,
        target_type="computation",
        target_id=computation.id,
        details={"party_index": party.party_index} | ({"reason": reason} if reason else {}),
    )
    await lifecycle.settle_responses(session, computation, now=now, actor=actor)
    return computation


async def requested(session: AsyncSession, computation_id: str, user: User) -> Computation:
    """A computation the user's organization requested, locked for a change by its requester."""
    computation = await repository.computation_for_org(
        session, computation_id, user.organization_id or "", lock=True
    )
    if computation is None:
        raise NotFound("Computation not found")
    if computation.requester_organization_id != user.organization_id:
        raise Forbidden("Only the requesting organization can do this")
    return computation


async def cancel(session: AsyncSession, computation_id: str, user: User, *, now: datetime) -> Computation:
    computation = await requested(session, computation_id, user)
    if computation.requester_user_id != user.id and user.role is not Role.org_admin:
        raise Forbidden("Only the requester or an administrator of the requesting organization can cancel")
    await lifecycle.transition(
        session,
        computation,
        ComputationStatus.cancelled,
        now=now,
        actor=audit.Actor(user_id=user.id, email=user.email, organization_id=user.organization_id),
        reason=f"cancelled by {user.email}",
    )
    return computation


async def for_org(
    session: AsyncSession,
    organization_id: str | None,
    *,
    status: ComputationStatus | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Computation], int]:
    if organization_id is None:
        return [], 0
    return await repository.computations_for_org(
        session, organization_id, status=status, offset=offset, limit=limit
    )


async def party_of(session: AsyncSession, computation: Computation, organization_id: str) -> Participant:
    party = await repository.participant(session, computation.id, organization_id)
    if party is None:
        raise NotFound("Your organization is not a party to this computation")
    return party
