"""Secure-sum protocols: the party side agents run and the exchange side coordinators run (pure code)."""

from hdx.protocols.base import (
    Envelope,
    Outgoing,
    PartyInfo,
    PartyProtocol,
    PartySetup,
    UnknownProtocol,
    party_protocol,
)
from hdx.protocols.fixed_point import MAX_ROWS, protocol_layout

__all__ = [
    "MAX_ROWS",
    "Envelope",
    "Outgoing",
    "PartyInfo",
    "PartyProtocol",
    "PartySetup",
    "UnknownProtocol",
    "party_protocol",
    "protocol_layout",
]
