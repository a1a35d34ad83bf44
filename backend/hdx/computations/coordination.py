"""Where protocol coordinators plug into the lifecycle.

The lifecycle knows rounds, deadlines and who has spoken; only a protocol knows what the messages
mean. A protocol registers one `Coordinator` per protocol name; until one is registered, the exchange
says plainly that the protocol is not available rather than pretending to run it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from hdx.computations.models import ProtocolName

if TYPE_CHECKING:
    from hdx.computations.models import Computation


class Coordinator(Protocol):
    """The exchange side of one protocol.

    Every hook runs inside the caller's transaction: flush, never commit. To move the computation on,
    use the lifecycle and relay helpers (`lifecycle.start_round`, `lifecycle.drop_party`,
    `lifecycle.transition`, `relay.publish`, `relay.round_messages`, `relay.record_result`), which
    persist and audit every step. A protocol failure (a bad share, a wrong signature) is a transition to
    failed with a reason, not an exception: an exception rolls back the request that triggered the hook.
    """

    async def waiting_for(self, session: AsyncSession, computation: Computation) -> list[int]:
        """Indices of the parties in play whose messages for the current round have not all arrived.

        Called after every stored message and on `compute`; an empty list completes the round.
        """
        ...

    async def on_round_complete(self, session: AsyncSession, computation: Computation) -> None:
        """`waiting_for` came back empty for `computation.current_round`.

        Verify the round's messages, then open the next round, record the result, or fail with a reason.
        """
        ...

    async def on_round_deadline(self, session: AsyncSession, computation: Computation, now: datetime) -> None:
        """The round deadline passed with parties still silent: drop them and continue, or fail."""
        ...


_registry: dict[ProtocolName, Coordinator] = {}


def register(protocol: ProtocolName, coordinator: Coordinator) -> None:
    _registry[protocol] = coordinator


def unregister(protocol: ProtocolName) -> None:
    _registry.pop(protocol, None)


def coordinator_for(protocol: ProtocolName) -> Coordinator | None:
    return _registry.get(protocol)


def available_protocols() -> list[ProtocolName]:
    return sorted(_registry)
