"""Each iteration of an iterative analysis binds its messages to itself: a message signed or sealed in
one iteration is refused in any other, as one of another computation is."""

from __future__ import annotations

import uuid

import pytest

from hdx.crypto.errors import IntegrityError
from hdx.crypto.wire import MessageType
from hdx.protocols.base import session_id
from hdx.protocols.messages import Binding, open_message, open_sealed, seal, sign_message
from tests.protocols.simulation import Keys

CID = str(uuid.uuid4())


def test_the_first_iteration_is_bound_to_the_computation_and_each_later_one_to_itself() -> None:
    sessions = [session_id(CID, iteration) for iteration in range(1, 52)]
    assert sessions[0] == uuid.UUID(CID)
    assert len(set(sessions)) == len(sessions)
    assert session_id(str(uuid.uuid4()), 2) != sessions[1]
    with pytest.raises(ValueError, match="iterations count from 1"):
        session_id(CID, 0)


def test_a_message_of_iteration_1_is_refused_in_iteration_2() -> None:
    sender, recipient = Keys.generate(), Keys.generate()
    first, second = Binding(session_id(CID, 1), 1, 2, 1), Binding(session_id(CID, 2), 1, 2, 1)
    sealed = seal(recipient.info(1).x25519_public, first, b"a share of iteration 1")
    payload = sign_message(sender.ed25519, MessageType.SEALED_SHARE, first, sealed)
    verify = sender.info(2).ed25519_public

    assert open_message(verify, MessageType.SEALED_SHARE, first, payload) == sealed
    with pytest.raises(IntegrityError, match="signed for another context"):
        open_message(verify, MessageType.SEALED_SHARE, second, payload)
    with pytest.raises(IntegrityError):
        open_sealed(recipient.x25519, second, sealed)
