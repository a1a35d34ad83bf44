"""The secagg protocol run in memory: results, dropouts, the one-share-per-party rule, tampering."""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from hdx.crypto import wire
from hdx.crypto.errors import InconsistentSharesError, IntegrityError, SignatureError
from hdx.crypto.wire import MessageType
from hdx.protocols import Envelope, party_protocol, protocol_layout
from hdx.protocols.base import ProtocolFailure
from hdx.protocols.messages import Binding, pack_indexes, sign_message, unpack_indexes
from hdx.protocols.secagg import KEY_SHARE, SEED_SHARE, SHARE_BYTES
from tests.protocols.conftest import ANALYSES, organizations
from tests.protocols.simulation import Simulation, flip

VARIANCE = ANALYSES["variance"]


def test_histogram_counts_are_exact(pooled: pl.DataFrame) -> None:
    params = ANALYSES["histogram"]
    sim = Simulation("secagg", "histogram", params, [1, 2, 3, 4, 5], threshold=3)
    result = sim.finalize(sim.run(sim.contributions(organizations(pooled, 5))))
    edges = np.linspace(19, 79, 7)
    assert result.values["counts"] == np.histogram(pooled["age"].to_numpy(), bins=edges)[0].tolist()


def test_a_party_silent_before_its_masked_input_is_unmasked_out(pooled: pl.DataFrame) -> None:
    frames = organizations(pooled, 4)
    sim = Simulation("secagg", "variance", VARIANCE, [1, 2, 5, 6], threshold=3)
    aggregate = sim.run(sim.contributions(frames), silent={5: 2})
    assert aggregate.contributors == [1, 2, 6]
    kept = pl.concat([frames[0], frames[1], frames[3]])["bp"].to_numpy()
    result = sim.finalize(aggregate)
    assert result.n == kept.size
    assert result.values["variance"] == pytest.approx(kept.var(ddof=1), rel=1e-9)
    # Survivors revealed the dropout's mask key share and every survivor's seed share, never both.
    for reveal in (m for m in sim.messages if m.kind == "reveal"):
        body = wire.unpack_message(reveal.payload[:-64])[1]
        survivors, offset = unpack_indexes(body)
        entries = [
            body[offset + i * (3 + SHARE_BYTES) : offset + i * (3 + SHARE_BYTES) + 3] for i in range(4)
        ]
        kinds = {int.from_bytes(e[:2], "big"): e[2] for e in entries}
        assert survivors == [1, 2, 6]
        assert kinds == {1: SEED_SHARE, 2: SEED_SHARE, 5: KEY_SHARE, 6: SEED_SHARE}


def test_a_party_silent_in_round_one_is_left_out_and_below_threshold_stops(pooled: pl.DataFrame) -> None:
    frames = organizations(pooled, 4)
    sim = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3, 4], threshold=2)
    assert sim.run(sim.contributions(frames), silent={3: 1}).contributors == [1, 2, 4]
    short = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3, 4], threshold=3)
    with pytest.raises(ProtocolFailure, match="only 2 parties sent a masked input"):
        short.run(short.contributions(frames), silent={3: 2, 4: 2})


def test_parties_refuse_an_announcement_that_would_expose_one_input(pooled: pl.DataFrame) -> None:
    sim = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3], threshold=2)
    contributions = sim.contributions(organizations(pooled, 3))
    sim.run(contributions)
    party = party_protocol("secagg")
    state = sim.states[1]
    inbox = [m for m in sim.inbox(1, 3) if m.kind != "survivors"]
    with pytest.raises(IntegrityError, match="announced 1 survivors, fewer than the threshold 2"):
        party.step(sim.setup(1), state, 3, [*inbox, Envelope(3, 0, None, "survivors", pack_indexes([1]))])


def test_a_modified_masked_input_fails_its_signature(pooled: pl.DataFrame) -> None:
    sim = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3], threshold=2)

    def corrupt(m: Envelope) -> Envelope:
        return replace(m, payload=flip(m.payload, -70)) if (m.sender, m.kind) == (2, "masked") else m

    with pytest.raises(SignatureError, match="round 2 message from party 2 to the exchange"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=corrupt)


def test_a_modified_revealed_share_is_caught_by_the_extra_shares(pooled: pl.DataFrame) -> None:
    sim = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3, 4], threshold=2)
    cid = uuid.UUID(sim.computation_id)

    def wrong_share(m: Envelope) -> Envelope:
        if (m.sender, m.kind) != (4, "reveal"):
            return m
        body = flip(wire.unpack_message(m.payload[:-64])[1], -1)
        signed = sign_message(sim.keys[4].ed25519, MessageType.UNMASKING_SHARES, Binding(cid, 3, 4, 0), body)
        return replace(m, payload=signed)

    with pytest.raises(InconsistentSharesError, match="party 4's self-mask seed"):
        sim.run(sim.contributions(organizations(pooled, 4)), tamper=wrong_share)


def test_key_shares_replayed_from_another_computation_are_refused(pooled: pl.DataFrame) -> None:
    frames = organizations(pooled, 3)
    first = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3], threshold=2)
    first.run(first.contributions(frames))
    old = next(m for m in first.messages if (m.sender, m.recipient, m.kind) == (3, 1, "keyshare"))
    second = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3], threshold=2)
    second.keys = first.keys

    def replay(m: Envelope) -> Envelope:
        return replace(m, payload=old.payload) if (m.sender, m.recipient, m.kind) == (3, 1, "keyshare") else m

    with pytest.raises(IntegrityError, match="signed for another context"):
        second.run(second.contributions(frames), tamper=replay)


def test_steps_are_deterministic(pooled: pl.DataFrame) -> None:
    sim = Simulation("secagg", "mean", ANALYSES["mean"], [1, 2, 3], threshold=2)
    contributions = sim.contributions(organizations(pooled, 3))
    sim.run(contributions)
    party = party_protocol("secagg")
    setup = sim.setup(2)
    state = sim.states[2]
    assert party.start(setup, contributions[2], protocol_layout("mean", ANALYSES["mean"])) != state
    for round_number in (1, 2, 3):
        inbox = sim.inbox(2, round_number)
        assert party.step(setup, state, round_number, inbox) == party.step(setup, state, round_number, inbox)
