"""Every protocol this build runs, by name: party sides for agents, exchange sides for coordinators."""

from __future__ import annotations

from hdx.protocols.base import ExchangeProtocol, PartyProtocol
from hdx.protocols.hybrid import HybridExchange, HybridParty
from hdx.protocols.paillier import PaillierExchange, PaillierParty
from hdx.protocols.secagg import SecaggExchange, SecaggParty
from hdx.protocols.shamir import ShamirExchange, ShamirParty

PARTY_PROTOCOLS: dict[str, PartyProtocol] = {
    p.name: p for p in (ShamirParty(), SecaggParty(), PaillierParty(), HybridParty())
}
EXCHANGE_PROTOCOLS: dict[str, ExchangeProtocol] = {
    p.name: p for p in (ShamirExchange(), SecaggExchange(), PaillierExchange(), HybridExchange())
}
