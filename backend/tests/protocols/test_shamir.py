"""The shamir protocol run in memory: results, dropouts, and every kind of tampering refused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest

from hdx.crypto import shamir, wire
from hdx.crypto.errors import InconsistentSharesError, IntegrityError, SignatureError
from hdx.crypto.field import FIELD_PRIME
from hdx.crypto.wire import MessageType
from hdx.protocols import Envelope, party_protocol, protocol_layout
from hdx.protocols.base import ProtocolFailure, UnknownProtocol
from hdx.protocols.messages import Binding, seal, sign_message
from tests.protocols.conftest import ANALYSES, BP, organizations
from tests.protocols.simulation import Simulation, flip

MEAN = {"variable": BP}


def _pooled_values(name: str, frame: pl.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    values = frame.get_column(params["variable"]["name"]).to_numpy()
    if name == "mean":
        return {"mean": values.mean()}
    if name == "variance":
        return {"mean": values.mean(), "variance": values.var(ddof=1)}
    variable = params["variable"]
    counts, _ = np.histogram(values, bins=np.linspace(variable["lo"], variable["hi"], params["bins"] + 1))
    return {"counts": counts.tolist()}


@pytest.mark.parametrize(
    ("name", "parties", "threshold"), [("mean", 3, 2), ("variance", 4, 3), ("histogram", 5, 3)]
)
def test_result_equals_the_pooled_numpy_value(
    pooled: pl.DataFrame, name: str, parties: int, threshold: int
) -> None:
    sim = Simulation("shamir", name, ANALYSES[name], list(range(1, parties + 1)), threshold)
    aggregate = sim.run(sim.contributions(organizations(pooled, parties)))
    result = sim.finalize(aggregate)
    assert aggregate.contributors == list(range(1, parties + 1))
    assert result.n == pooled.height
    for key, expected in _pooled_values(name, pooled, ANALYSES[name]).items():
        assert result.values[key] == pytest.approx(expected, rel=1e-9)


def test_party_indexes_with_gaps_and_a_party_silent_in_round_two_still_count(pooled: pl.DataFrame) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 3, 4, 7], threshold=3)
    contributions = sim.contributions(organizations(pooled, 4))
    aggregate = sim.run(contributions, silent={4: 2})
    # Party 4 shared its input in round 1, so its data is in the sum though it never sent a partial.
    assert aggregate.contributors == [1, 3, 4, 7]
    assert sim.finalize(aggregate).values["mean"] == pytest.approx(pooled["bp"].mean(), rel=1e-9)


def test_a_party_silent_in_round_one_is_left_out(pooled: pl.DataFrame) -> None:
    frames = organizations(pooled, 4)
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3, 4], threshold=2)
    aggregate = sim.run(sim.contributions(frames), silent={2: 1})
    assert aggregate.contributors == [1, 3, 4]
    kept = pl.concat([frames[0], frames[2], frames[3]])
    assert sim.finalize(aggregate).n == kept.height
    assert sim.finalize(aggregate).values["mean"] == pytest.approx(kept["bp"].mean(), rel=1e-9)


def test_fewer_partials_than_the_threshold_stop_the_computation(pooled: pl.DataFrame) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=3)
    with pytest.raises(
        ProtocolFailure, match="only 2 parties sent a partial sum, fewer than the threshold of 3"
    ):
        sim.run(sim.contributions(organizations(pooled, 3)), silent={3: 2})


def test_a_modified_share_fails_its_signature(pooled: pl.DataFrame) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)

    def corrupt(m: Envelope) -> Envelope:
        return replace(m, payload=flip(m.payload, -100)) if (m.sender, m.recipient) == (1, 2) else m

    with pytest.raises(IntegrityError, match="round 1 message from party 1 to party 2 failed verification"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=corrupt)
    # The recipient refuses it as well, should the exchange have let it through.
    party = party_protocol("shamir")
    state = party.start(
        sim.setup(2), sim.contributions(organizations(pooled, 3))[2], protocol_layout("mean", MEAN)
    )
    contributors = Envelope(2, 0, None, "contributors", b"\x00\x03\x00\x01\x00\x02\x00\x03")
    with pytest.raises(SignatureError):
        party.step(sim.setup(2), state, 2, [*sim.inbox(2, 1), contributors])


def test_a_share_off_the_polynomial_is_caught_by_the_extra_partials(pooled: pl.DataFrame) -> None:
    """A sender that seals and signs a wrong share: the partials no longer lie on one polynomial."""
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3, 4], threshold=2)
    cid = uuid.UUID(sim.computation_id)

    def wrong_share(m: Envelope) -> Envelope:
        if (m.sender, m.recipient, m.kind) != (1, 2, "share"):
            return m
        binding = Binding(cid, 1, 1, 2)
        forged = wire.pack_vector(np.full(sim.plan().length, 12345, dtype=np.uint64))
        sealed = seal(sim.keys[2].info(2).x25519_public, binding, forged)
        return replace(
            m, payload=sign_message(sim.keys[1].ed25519, MessageType.SEALED_SHARE, binding, sealed)
        )

    with pytest.raises(InconsistentSharesError, match="at least one share was modified"):
        sim.run(sim.contributions(organizations(pooled, 4)), tamper=wrong_share)


@pytest.mark.parametrize("resign", [False, True])
def test_a_modified_partial_sum_is_refused(pooled: pl.DataFrame, resign: bool) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)
    cid = uuid.UUID(sim.computation_id)

    def modify(m: Envelope) -> Envelope:
        if (m.sender, m.kind) != (3, "partial"):
            return m
        body = flip(wire.unpack_message(m.payload[:-64])[1], -3)
        if not resign:
            return replace(m, payload=flip(m.payload, -70))
        binding = Binding(cid, 2, 3, 0)
        return replace(m, payload=sign_message(sim.keys[3].ed25519, MessageType.PARTIAL_SUM, binding, body))

    expected = InconsistentSharesError if resign else SignatureError
    with pytest.raises(expected):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=modify)


def test_a_share_replayed_into_another_computation_round_or_recipient_is_refused(
    pooled: pl.DataFrame,
) -> None:
    frames = organizations(pooled, 3)
    first = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)
    first.run(first.contributions(frames))
    second = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)
    second.keys = first.keys  # the same organizations and agent keys
    old_share = next(m for m in first.messages if (m.sender, m.recipient, m.kind) == (1, 2, "share"))
    to_three = next(m for m in first.messages if (m.sender, m.recipient, m.kind) == (1, 3, "share"))

    def replay(m: Envelope) -> Envelope:
        return replace(m, payload=old_share.payload) if (m.sender, m.recipient) == (1, 2) else m

    with pytest.raises(IntegrityError, match="signed for another context"):
        second.run(second.contributions(frames), tamper=replay)
    # Within one computation: party 1's share for party 3 presented to party 2.
    moved = [m for m in first.messages if not (m.sender == 1 and m.recipient == 2)]
    moved.append(replace(to_three, recipient=2))
    party = party_protocol("shamir")
    state = party.start(first.setup(2), first.contributions(frames)[2], protocol_layout("mean", MEAN))
    inbox = [m for m in moved if m.recipient == 2 or (m.sender == 0 and m.round <= 2)]
    with pytest.raises(IntegrityError, match="another context"):
        party.step(first.setup(2), state, 2, inbox)


def test_a_message_signed_with_another_key_is_refused(pooled: pl.DataFrame) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)
    cid = uuid.UUID(sim.computation_id)
    impostor = Simulation("shamir", "mean", MEAN, [1], threshold=1).keys[1]

    def resign(m: Envelope) -> Envelope:
        if (m.sender, m.kind) != (2, "partial"):
            return m
        body = wire.unpack_message(m.payload[:-64])[1]
        return replace(
            m, payload=sign_message(impostor.ed25519, MessageType.PARTIAL_SUM, Binding(cid, 2, 2, 0), body)
        )

    with pytest.raises(SignatureError, match="party 2 to the exchange failed verification"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=resign)


def test_steps_are_deterministic_and_shares_reveal_nothing_alone(pooled: pl.DataFrame) -> None:
    sim = Simulation("shamir", "mean", MEAN, [1, 2, 3], threshold=2)
    contributions = sim.contributions(organizations(pooled, 3))
    sim.run(contributions)
    party = party_protocol("shamir")
    state = party.start(sim.setup(1), contributions[1], protocol_layout("mean", MEAN))
    assert party.step(sim.setup(1), state, 1, []) == party.step(sim.setup(1), state, 1, [])
    inbox = sim.inbox(1, 2)
    assert party.step(sim.setup(1), state, 2, inbox) == party.step(sim.setup(1), state, 2, inbox)
    partials = [m for m in sim.messages if m.kind == "partial"]
    points = [m.sender for m in partials]
    vectors = [wire.unpack_vector(wire.unpack_message(m.payload[:-64])[1][1 + 2 + 2 * 3 :]) for m in partials]
    total = shamir.reconstruct(points, vectors, threshold=2)
    assert int(total[0]) == pooled.height
    assert all(int(v.max()) < FIELD_PRIME for v in vectors)


def test_unknown_protocols_are_named() -> None:
    with pytest.raises(
        UnknownProtocol, match="unknown protocol 'rsa'; this build runs hybrid, paillier, secagg, shamir"
    ):
        party_protocol("rsa")
