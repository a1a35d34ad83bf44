"""Test agents: each plays its party's side of a protocol through the HTTP API, as the party agent does.

Only the loop is written here; every protocol step is hdx.protocols' PartyProtocol itself. Rounds are
the computation's; in an iterative analysis each iteration restarts the protocol at the parameters the
exchange announces, and the protocol sees that iteration's rounds numbered from 1.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import polars as pl

from hdx.analyses import Contribution, get_analysis
from hdx.computations import framing
from hdx.protocols import Envelope, Outgoing, PartyInfo, PartySetup, party_protocol, protocol_layout
from tests.computations.conftest import BASE, Org, b64
from tests.protocols.simulation import Keys

# Rewrites a message between the party protocol and the exchange (a tampering relay or party).
Rewrite = Callable[[int, Outgoing], Outgoing]


async def register_keys(client: httpx.AsyncClient, org: Org) -> Keys:
    keys = Keys.generate()
    info = keys.info(0)
    body = {"x25519_public": b64(info.x25519_public), "ed25519_public": b64(info.ed25519_public)}
    response = await client.post("/agent/keys", json=body, headers=org.agent)
    assert response.status_code == 201, response.text
    return keys


@dataclass
class HttpAgent:
    client: httpx.AsyncClient
    org: Org
    keys: Keys
    frame: pl.DataFrame
    computation_id: str = ""
    setup: PartySetup | None = None
    contribution: Contribution | None = None
    state: bytes = b""
    rewrite: Rewrite | None = None
    posted: list[bytes] = field(default_factory=list)
    iteration: int = 1
    round_offset: int = 0

    async def _mine(self) -> dict[str, Any]:
        response = await self.client.get(f"/agent/computations/{self.computation_id}", headers=self.org.agent)
        assert response.status_code == 200, response.text
        mine: dict[str, Any] = response.json()
        return mine

    async def join(self, computation_id: str) -> None:
        """First sight of a running computation: the setup from the API, the contribution, `start`."""
        self.computation_id = computation_id
        mine = await self._mine()
        listed = (
            await self.client.get(f"/agent/computations/{computation_id}/parties", headers=self.org.agent)
        ).json()
        parties = tuple(
            PartyInfo(
                p["party_index"],
                p["organization_id"],
                _raw(p["keys"]["x25519_public"]),
                _raw(p["keys"]["ed25519_public"]),
            )
            for p in listed
            if p["status"] in ("accepted", "submitted", "dropped")
        )
        self.setup = PartySetup(
            computation_id=computation_id,
            protocol=mine["protocol"],
            threshold=mine["threshold"],
            my_index=mine["my_party_index"],
            parties=parties,
            x25519_private=self.keys.x25519,
            ed25519_private=self.keys.ed25519,
            analysis=mine["analysis"],
            params=mine["params"],
            k=mine["k"],
            requester_organization_id=mine["requester_organization_id"],
            epsilon=mine["epsilon"],
            delta=mine["delta"],
            dp_mode=mine["dp_mode"],
        )
        self._begin(mine)

    def _begin(self, mine: dict[str, Any]) -> None:
        """The contribution at the current iteration's parameters, and a fresh protocol state."""
        assert self.setup is not None
        self.iteration, self.round_offset = mine["iteration"], mine["round_offset"]
        params = mine["iteration_params"]
        analysis = get_analysis(self.setup.analysis)
        if self.iteration > 1:
            analysis.check_iteration(mine["params"], params)
        self.setup = replace(self.setup, params=params, iteration=self.iteration)
        self.contribution = analysis.local(self.frame, analysis.parse(params), k=self.setup.k)
        layout = protocol_layout(self.setup.analysis, params)
        self.state = party_protocol(self.setup.protocol).start(self.setup, self.contribution, layout)

    async def inbox(self, round_number: int) -> list[Envelope]:
        """This iteration's messages of rounds up to `round_number`, numbered as the protocol numbers them."""
        envelopes = []
        for r in range(self.round_offset + 1, round_number + 1):
            response = await self.client.get(
                f"{BASE}/{self.computation_id}/rounds/{r}/messages",
                params={"recipient": "me"},
                headers=self.org.agent,
            )
            assert response.status_code == 200, response.text
            envelopes += [
                Envelope(f.round - self.round_offset, f.sender, f.recipient or None, f.kind, f.payload)
                for f in framing.decode(response.content)
            ]
        return envelopes

    async def play(self, round_number: int) -> list[httpx.Response]:
        assert self.setup is not None
        mine = await self._mine()
        if mine["iteration"] != self.iteration:
            self._begin(mine)
        if round_number <= self.round_offset:
            return []  # a round of an iteration that is over
        protocol = party_protocol(self.setup.protocol)
        self.state, outgoing = protocol.step(
            self.setup, self.state, round_number - self.round_offset, await self.inbox(round_number)
        )
        responses = []
        for message in outgoing:
            if self.rewrite is not None:
                message = self.rewrite(round_number, message)
            params: dict[str, str | int] = {"kind": message.kind, "sender": self.setup.my_index}
            if message.recipient is not None:
                params["recipient"] = message.recipient
            response = await self.client.post(
                f"{BASE}/{self.computation_id}/rounds/{round_number}/messages",
                params=params,
                content=message.payload,
                headers={**self.org.agent, "Content-Type": "application/octet-stream"},
            )
            assert response.status_code in (200, 201), response.text
            self.posted.append(message.payload)
            responses.append(response)
        return responses


def _raw(text: str) -> bytes:
    return base64.b64decode(text)
