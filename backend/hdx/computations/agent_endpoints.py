"""What party agents call with their organization's API key (X-API-Key): keys, invitations, round messages.

Round messages are binary (application/octet-stream). An agent posts one message per request and
fetches everything addressed to it in a round as one framed stream (see `hdx.computations.framing`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from hdx.auth.dependencies import Agent, CurrentAgent, SettingsDep
from hdx.computations import framing, keys, relay, repository, service, views
from hdx.computations.lifecycle import ACTIVE
from hdx.computations.schemas import (
    AcceptRequest,
    AgentComputationOut,
    DeclineRequest,
    PartyKeyIn,
    PartyKeyOut,
    PartyKeysOut,
    RoundMessageOut,
)
from hdx.db import SessionDep, utcnow
from hdx.exceptions import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from hdx.security import audit

agent_router = APIRouter(prefix="/agent", tags=["agent"])
relay_router = APIRouter(prefix="/secure-computations", tags=["secure computations: agents"])

OCTET_STREAM = "application/octet-stream"
_BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
    }
}
_STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
}

Round = Annotated[int, Path(ge=1, le=0xFFFF)]
Kind = Annotated[str, Query(min_length=1, max_length=32, description="protocol message kind, e.g. share")]
Recipient = Annotated[
    int | None, Query(ge=1, le=0xFFFF, description="party index; omit to address the exchange")
]
Sender = Annotated[int | None, Query(ge=1, le=0xFFFF, description="your party index, checked when given")]


def _actor(agent: Agent) -> audit.Actor:
    return audit.Actor(organization_id=agent.organization_id)


@agent_router.post("/keys", summary="Register the agent's X25519 and Ed25519 public keys")
async def register_keys(
    session: SessionDep, agent: CurrentAgent, body: PartyKeyIn, response: Response
) -> PartyKeyOut:
    key, created = await keys.register(
        session,
        organization_id=agent.organization_id,
        api_key_id=agent.api_key_id,
        x25519_text=body.x25519_public,
        ed25519_text=body.ed25519_public,
        now=utcnow(),
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return views.party_key(key)


@agent_router.get("/computations", summary="Your organization's invitations and unfinished computations")
async def agent_computations(session: SessionDep, agent: CurrentAgent) -> list[AgentComputationOut]:
    rows = await repository.computations_of_party(session, agent.organization_id, ACTIVE)
    return [await views.agent_computation(session, computation, party) for computation, party in rows]


@agent_router.get("/computations/{computation_id}", summary="One computation, with your party index")
async def agent_computation(
    session: SessionDep, agent: CurrentAgent, computation_id: str
) -> AgentComputationOut:
    computation = await service.visible(session, computation_id, agent.organization_id)
    party = await service.party_of(session, computation, agent.organization_id)
    return await views.agent_computation(session, computation, party)


@agent_router.get("/computations/{computation_id}/parties", summary="Every party's keys for this computation")
async def agent_parties(session: SessionDep, agent: CurrentAgent, computation_id: str) -> list[PartyKeysOut]:
    computation = await service.visible(session, computation_id, agent.organization_id)
    return await views.parties_with_keys(session, computation)


@agent_router.post("/computations/{computation_id}/accept", summary="Accept by the agent's local policy")
async def agent_accept(
    session: SessionDep, settings: SettingsDep, agent: CurrentAgent, computation_id: str, body: AcceptRequest
) -> AgentComputationOut:
    computation = await service.accept(
        session,
        computation_id,
        body,
        organization_id=agent.organization_id,
        actor=_actor(agent),
        settings=settings,
        now=utcnow(),
    )
    party = await service.party_of(session, computation, agent.organization_id)
    return await views.agent_computation(session, computation, party)


@agent_router.post("/computations/{computation_id}/decline", summary="Decline by the agent's local policy")
async def agent_decline(
    session: SessionDep, agent: CurrentAgent, computation_id: str, body: DeclineRequest
) -> AgentComputationOut:
    computation = await service.decline(
        session,
        computation_id,
        body.reason,
        organization_id=agent.organization_id,
        actor=_actor(agent),
        now=utcnow(),
    )
    party = await service.party_of(session, computation, agent.organization_id)
    return await views.agent_computation(session, computation, party)


async def _read_payload(request: Request, limit: int) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != OCTET_STREAM:
        raise UnsupportedMediaType(f"Send protocol messages as {OCTET_STREAM}")
    too_large = PayloadTooLarge(f"A protocol message may be at most {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    if size == 0:
        raise Unprocessable("The message is empty", detail=[{"field": "body", "message": "no bytes sent"}])
    return b"".join(chunks)


async def _post(
    session: SessionDep,
    request: Request,
    response: Response,
    settings: SettingsDep,
    agent: Agent,
    computation_id: str,
    *,
    round_number: int | None,
    kind: str,
    recipient: int | None,
    sender: int | None,
) -> RoundMessageOut:
    payload = await _read_payload(request, settings.max_message_bytes)
    delivery = await relay.submit(
        session,
        computation_id,
        organization_id=agent.organization_id,
        actor=_actor(agent),
        round_number=round_number,
        recipient=recipient,
        kind=kind,
        sender=sender,
        payload=payload,
        now=utcnow(),
    )
    response.status_code = status.HTTP_201_CREATED if delivery.created else status.HTTP_200_OK
    return views.message(delivery.message)


@relay_router.post(
    "/{computation_id}/rounds/{round_number}/messages",
    summary="Post one protocol message (idempotent: the same bytes again answer 200 with the stored record)",
    openapi_extra=_BINARY_BODY,
    responses={409: {"description": "a different message with the same identity is already stored"}},
)
async def post_message(
    session: SessionDep,
    request: Request,
    response: Response,
    settings: SettingsDep,
    agent: CurrentAgent,
    computation_id: str,
    round_number: Round,
    kind: Kind,
    recipient: Recipient = None,
    sender: Sender = None,
) -> RoundMessageOut:
    return await _post(
        session,
        request,
        response,
        settings,
        agent,
        computation_id,
        round_number=round_number,
        kind=kind,
        recipient=recipient,
        sender=sender,
    )


@relay_router.post(
    "/{computation_id}/submit",
    summary="Post one protocol message to the current round (or to `round`)",
    openapi_extra=_BINARY_BODY,
)
async def submit(
    session: SessionDep,
    request: Request,
    response: Response,
    settings: SettingsDep,
    agent: CurrentAgent,
    computation_id: str,
    kind: Kind,
    round_number: Annotated[int | None, Query(alias="round", ge=1, le=0xFFFF)] = None,
    recipient: Recipient = None,
    sender: Sender = None,
) -> RoundMessageOut:
    return await _post(
        session,
        request,
        response,
        settings,
        agent,
        computation_id,
        round_number=round_number,
        kind=kind,
        recipient=recipient,
        sender=sender,
    )


@relay_router.get(
    "/{computation_id}/rounds/{round_number}/messages",
    summary="The messages of a round addressed to you, as one framed application/octet-stream",
    response_class=Response,
    responses=_STREAM_RESPONSE,
)
async def fetch_messages(
    session: SessionDep,
    agent: CurrentAgent,
    computation_id: str,
    round_number: Round,
    recipient: Annotated[Literal["me"], Query(description="only your own messages can be fetched")] = "me",
    kind: Annotated[str | None, Query(max_length=32)] = None,
    sender: Annotated[int | None, Query(ge=0, le=0xFFFF)] = None,
) -> Response:
    messages = await relay.inbox_for_party(
        session, computation_id, round_number, organization_id=agent.organization_id, kind=kind, sender=sender
    )
    body = framing.encode(
        [framing.Frame(m.round, m.sender_index, m.recipient_index, m.kind, m.payload) for m in messages]
    )
    return Response(body, media_type=OCTET_STREAM, headers={"X-HDX-Message-Count": str(len(messages))})
