"""/secure-computations for people: propose, answer, follow, cancel, advance, release, read results."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from hdx.auth.dependencies import Permit, SettingsDep, actor_of
from hdx.auth.models import User
from hdx.auth.permissions import Action
from hdx.computations import relay, repository, service, views
from hdx.computations.compat import original_fields
from hdx.computations.models import ComputationStatus
from hdx.computations.schemas import (
    AcceptRequest,
    AgentKeyOut,
    CollaboratorOut,
    ComputationOut,
    ComputationSummary,
    ComputeOut,
    DeclineRequest,
    InitializeBody,
    InvitationOut,
    OriginalInitialize,
    PartyKeysOut,
    ReleaseRequest,
    ResultOut,
)
from hdx.db import SessionDep, utcnow
from hdx.exceptions import Unprocessable
from hdx.kit.pagination import Page, PageDep


class _BodyRoute(APIRoute):
    """Names fields as the client's body nests them: the initialize body is one of two shapes, and the
    shape pydantic tried (`spec` or `original`) is not part of the client's request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError(
                    [_without_shape(error) for error in exc.errors()], body=exc.body
                ) from exc

        return handle


def _without_shape(error: Any) -> Any:
    loc = tuple(error.get("loc", ()))
    if loc[:1] == ("body",) and loc[1:2] in (("spec",), ("original",)):
        return {**error, "loc": ("body", *loc[2:])}
    return error


router = APIRouter(prefix="/secure-computations", tags=["secure computations"], route_class=_BodyRoute)
# The original product served results at the top level; both paths answer the same.
results_router = APIRouter(tags=["secure computations"])
keys_router = APIRouter(tags=["secure computations"])

Creator = Annotated[User, Permit(Action.computation_create)]
Reader = Annotated[User, Permit(Action.computation_read)]
Responder = Annotated[User, Permit(Action.computation_respond)]
Releaser = Annotated[User, Permit(Action.computation_release)]
KeyManager = Annotated[User, Permit(Action.api_keys_manage)]

MAX_AGENT_KEYS = 100


@router.post(
    "/initialize",
    status_code=status.HTTP_201_CREATED,
    summary="Propose a computation; invitations go to every participating organization",
    description=(
        "Takes the analysis spec `{analysis, params, participants, protocol, threshold, min_participants, "
        "k, epsilon, delta, deadlines}` or the original body `{metric_type, participating_orgs, "
        "security_method, threshold, min_participants}` (a secure mean of the metric's catalog column)."
    ),
)
async def initialize(
    session: SessionDep, settings: SettingsDep, user: Creator, body: Annotated[InitializeBody, Body()]
) -> ComputationOut:
    if not isinstance(body, OriginalInitialize):
        computation = await service.initialize(session, body, requester=user, settings=settings, now=utcnow())
        return await views.computation(session, computation)
    try:
        computation = await service.initialize(
            session, body.to_spec(), requester=user, settings=settings, now=utcnow()
        )
    except Unprocessable as exc:
        raise original_fields(exc) from exc
    return await views.computation(session, computation)


@router.get("", summary="Computations your organization requested or takes part in")
# The original product listed at `/secure-computations/`; answer there too instead of redirecting.
@router.get("/", include_in_schema=False)
async def list_computations(
    session: SessionDep,
    user: Reader,
    page: PageDep,
    status_filter: Annotated[ComputationStatus | None, Query(alias="status")] = None,
) -> Page[ComputationSummary]:
    rows, total = await service.for_org(
        session, user.organization_id, status=status_filter, offset=page.offset, limit=page.size
    )
    return Page(items=[views.summary(c) for c in rows], total=total, page=page.page, size=page.size)


@router.get("/organizations", summary="Active organizations your organization can invite")
async def collaborators(session: SessionDep, user: Creator, page: PageDep) -> Page[CollaboratorOut]:
    rows, total = await repository.collaborators(
        session, user.organization_id or "", offset=page.offset, limit=page.size
    )
    items = [CollaboratorOut(id=org.id, name=org.name, type=org.type.value) for org in rows]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get("/inbox", summary="Invitations waiting for your organization's answer")
async def inbox(session: SessionDep, user: Reader) -> list[InvitationOut]:
    if user.organization_id is None:
        return []
    return await views.invitations(session, await repository.invitations(session, user.organization_id))


RESULT_SUMMARY = (
    "A result; values once every reviewing organization released it (before that, only to the "
    "administrators of an organization whose review holds it, marked review_copy)"
)


@results_router.get("/result/{result_id}", summary=RESULT_SUMMARY)
@router.get("/result/{result_id}", summary=RESULT_SUMMARY)
async def result(session: SessionDep, user: Reader, result_id: str) -> ResultOut:
    item = await relay.result_for_org(session, result_id, user.organization_id)
    reviewer = relay.is_reviewer(item, user)
    if reviewer:
        relay.record_review_read(session, item, user)
    return await views.result(session, item, review_copy=reviewer)


@router.get("/{computation_id}/status", summary="Status, round, every party's status, deadlines and failure")
async def computation_status(session: SessionDep, user: Reader, computation_id: str) -> ComputationOut:
    computation = await service.visible(session, computation_id, user.organization_id)
    return await views.computation(session, computation)


@router.get("/{computation_id}/parties", summary="The parties and the agent keys each uses here")
async def parties(session: SessionDep, user: Reader, computation_id: str) -> list[PartyKeysOut]:
    computation = await service.visible(session, computation_id, user.organization_id)
    return await views.parties_with_keys(session, computation)


@router.post("/{computation_id}/accept", summary="Accept for your organization, with a dataset or your agent")
async def accept(
    session: SessionDep, settings: SettingsDep, user: Responder, computation_id: str, body: AcceptRequest
) -> ComputationOut:
    computation = await service.accept(
        session,
        computation_id,
        body,
        organization_id=user.organization_id or "",
        actor=actor_of(user),
        settings=settings,
        now=utcnow(),
    )
    return await views.computation(session, computation)


@router.post("/{computation_id}/decline", summary="Decline for your organization")
async def decline(
    session: SessionDep, user: Responder, computation_id: str, body: DeclineRequest
) -> ComputationOut:
    computation = await service.decline(
        session,
        computation_id,
        body.reason,
        organization_id=user.organization_id or "",
        actor=actor_of(user),
        now=utcnow(),
    )
    return await views.computation(session, computation)


@router.post("/{computation_id}/cancel", summary="Cancel a computation your organization requested")
async def cancel(session: SessionDep, user: Creator, computation_id: str) -> ComputationOut:
    computation = await service.cancel(session, computation_id, user, now=utcnow())
    return await views.computation(session, computation)


@router.post(
    "/{computation_id}/compute",
    summary="Advance the current round once every party has delivered",
    description=(
        "Answers which parties the round still waits for, or hands the complete round to the protocol's "
        "coordinator (which the last message of a round also does by itself). 409 when the computation "
        "is not running or its protocol is not available on this exchange."
    ),
)
async def compute(session: SessionDep, user: Creator, computation_id: str) -> ComputeOut:
    computation = await service.requested(session, computation_id, user)
    waiting, advanced = await relay.advance(session, computation)
    return await views.compute_outcome(session, computation, waiting, advanced)


@router.post(
    "/{computation_id}/release",
    summary="Release or withhold a result under your organization's review",
    description=(
        'Body `{"decision": "release" | "withhold", "reason": "..."}` (reason optional, at most 500 '
        "characters; it is shown as the result's withheld_reason). Only administrators of an organization "
        "whose review holds the result may call it, while the computation is awaiting_release (403 for "
        "anyone else, 409 when nothing awaits release). They read the values first with GET "
        "/result/{id}, marked review_copy. The values are released once every reviewing organization "
        "released them; one withholding fails the computation and the values are never shown."
    ),
)
async def release(
    session: SessionDep, user: Releaser, computation_id: str, body: ReleaseRequest
) -> ResultOut:
    item = await relay.release(
        session, computation_id, user, decision=body.decision, reason=body.reason, now=utcnow()
    )
    return await views.result(session, item)


@keys_router.get(
    "/organizations/me/agent-keys",
    summary="Your organization's agent keys and their fingerprints, newest first",
    description=(
        "Every X25519 and Ed25519 public key your party agents registered (and the hosted agent's, for "
        "vault datasets), current and superseded, at most 100. Compare the fingerprints with the ones "
        "`hdx agent` prints to check that the exchange relays shares to your own agent."
    ),
)
async def agent_keys(session: SessionDep, user: KeyManager) -> list[AgentKeyOut]:
    rows = await repository.organization_party_keys(session, user.organization_id or "", limit=MAX_AGENT_KEYS)
    return [views.agent_key(key) for key in rows]
