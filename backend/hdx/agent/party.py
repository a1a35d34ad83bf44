"""Between the agent's records and a protocol's party side: setups, contributions and messages.

Transport-independent: the self-hosted agent (over HTTP, state on disk) and the exchange's hosted agent
(in process, state sealed in the database) run a party's rounds through these same functions."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import polars as pl

from hdx.agent.keystore import AgentKeys
from hdx.agent.store import LocalComputation, StoredParty
from hdx.analyses import AnalysisError, Contribution, Layout, get_analysis
from hdx.computations import framing
from hdx.computations.models import EXCHANGE_INDEX
from hdx.computations.schemas import PartyKeysOut
from hdx.protocols.base import Envelope, Outgoing, PartyInfo, PartySetup, party_protocol


def stored_parties(bound: Iterable[PartyKeysOut], indices: set[int]) -> list[StoredParty]:
    """The keys the exchange bound to each starting party, pinned for the whole computation: a key
    swapped later by the exchange is never followed."""
    parties = []
    for party in sorted(bound, key=lambda p: p.party_index):
        if party.party_index not in indices:
            continue
        if party.keys is None:
            raise ValueError(f"party {party.party_index} ({party.organization_name}) has no agent keys")
        parties.append(
            StoredParty(
                index=party.party_index,
                organization_id=party.organization_id,
                x25519_public=party.keys.x25519_public,
                ed25519_public=party.keys.ed25519_public,
            )
        )
    return parties


def setup_of(local: LocalComputation, keys: AgentKeys) -> PartySetup:
    return PartySetup(
        computation_id=local.computation_id,
        protocol=local.protocol,
        threshold=local.threshold,
        my_index=local.my_index,
        parties=tuple(
            PartyInfo(
                index=p.index,
                organization_id=p.organization_id,
                x25519_public=base64.b64decode(p.x25519_public),
                ed25519_public=base64.b64decode(p.ed25519_public),
            )
            for p in local.parties
        ),
        x25519_private=keys.x25519_private,
        ed25519_private=keys.ed25519_private,
        analysis=local.analysis,
        params=local.current_params,
        k=local.k,
        requester_organization_id=local.requester_organization_id,
        epsilon=local.epsilon,
        delta=local.delta,
        dp_mode=local.dp_mode,
        iteration=local.iteration,
    )


def contribution(
    frame: pl.DataFrame, analysis: str, params: dict[str, object], k: int
) -> tuple[Contribution, Layout]:
    """This party's vector and the layout bounding it; raises AnalysisError or DisclosureError when
    the local rows cannot be used (missing columns, fewer than k rows)."""
    implementation = get_analysis(analysis)
    parsed = implementation.parse(params)
    local = implementation.local(frame, parsed, k=k)
    return local, implementation.layout(parsed, max_rows=max(1, frame.height))


def next_iteration(
    local: LocalComputation, iteration: int, round_offset: int, params: dict[str, Any]
) -> LocalComputation:
    """The party's records for the iteration the exchange announces, refused (AnalysisError) unless it is
    the next one, starts after every round already stepped, and changes nothing the party accepted but
    the analysis' iteration parameters (valid ones: the right number of finite coefficients)."""
    if iteration != local.iteration + 1 or round_offset < max(local.stepped, local.round_offset + 1):
        raise AnalysisError(
            f"the exchange announces iteration {iteration} after round {round_offset}, but this party is in "
            f"iteration {local.iteration} and has played up to round {local.stepped}"
        )
    checked = get_analysis(local.analysis).check_iteration(local.params, params)
    return local.but(
        iteration=iteration,
        round_offset=round_offset,
        iteration_params=checked.model_dump(mode="json"),
        stepped=round_offset,
        posted=round_offset,
    )


def start(local: LocalComputation, keys: AgentKeys, contribution: Contribution, layout: Layout) -> bytes:
    """The party's initial protocol state (secret)."""
    return party_protocol(local.protocol).start(setup_of(local, keys), contribution, layout)


def step(
    local: LocalComputation, keys: AgentKeys, state: bytes, round_number: int, frames: Iterable[framing.Frame]
) -> tuple[bytes, list[framing.Frame]]:
    """One round of the party's side: every message of the current iteration's rounds up to round_number
    addressed to it (or broadcast) in, the new state and the messages it posts in that round out.
    Rounds are the computation's; the protocol sees them numbered from 1 in each iteration."""
    protocol = party_protocol(local.protocol)
    offset = local.round_offset
    inbox = [replace(e, round=e.round - offset) for e in envelopes(frames) if e.round > offset]
    new_state, outgoing = protocol.step(setup_of(local, keys), state, round_number - offset, inbox)
    return new_state, outbox(round_number, local.my_index, outgoing)


def envelopes(frames: Iterable[framing.Frame]) -> list[Envelope]:
    """Round messages as the protocol reads them, each once even when fetched more than once."""
    unique: dict[tuple[int, int, int, str], framing.Frame] = {}
    for frame in frames:
        unique.setdefault((frame.round, frame.sender, frame.recipient, frame.kind), frame)
    return [
        Envelope(
            round=f.round,
            sender=f.sender,
            recipient=None if f.recipient == EXCHANGE_INDEX else f.recipient,
            kind=f.kind,
            payload=f.payload,
        )
        for f in unique.values()
    ]


def outbox(round_number: int, sender: int, outgoing: Sequence[Outgoing]) -> list[framing.Frame]:
    return [
        framing.Frame(
            round_number,
            sender,
            EXCHANGE_INDEX if message.recipient is None else message.recipient,
            message.kind,
            message.payload,
        )
        for message in outgoing
    ]
