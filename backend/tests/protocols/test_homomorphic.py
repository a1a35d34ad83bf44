"""The paillier and hybrid protocols run in memory: pooled results, dropouts, tampering, the recipient's noise."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any
from uuid import UUID

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from hdx.analyses import Contribution
from hdx.crypto import paillier as he
from hdx.crypto.encoding import RING_MODULUS
from hdx.crypto.errors import IntegrityError, SignatureError
from hdx.crypto.field import FIELD_PRIME, lagrange_coefficients
from hdx.crypto.wire import MessageType
from hdx.privacy import central
from hdx.protocols import Envelope, fixed_point, hybrid, paillier, party_protocol, state
from hdx.protocols.base import ProtocolFailure
from hdx.protocols.messages import Binding, open_message, sign_message
from tests.analyses.federation import diabetes, split
from tests.protocols.conftest import ANALYSES, BP, organizations
from tests.protocols.simulation import Simulation, flip

MEAN = {"variable": BP}
# All ten diabetes covariates (s1, s2, s3 and s5 nearly collinear: X'X has a condition number of 5e7),
# with generous bounds: two-limb fixed point keeps 40 fractional bits on every sum of the field and ring.
COVARIATES = {
    "age": (0, 120),
    "sex": (1, 2),
    "bmi": (10, 60),
    "bp": (40, 200),
    "s1": (50, 400),
    "s2": (20, 300),
    "s3": (10, 120),
    "s4": (1, 12),
    "s5": (2, 8),
    "s6": (40, 160),
}
OLS = {
    "outcome": {"name": "target", "lo": 0, "hi": 400},
    "covariates": [{"name": name, "lo": lo, "hi": hi} for name, (lo, hi) in COVARIATES.items()],
}


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1024-bit keys keep the suite fast; test_a_production_size_key_runs_the_protocol uses 2048.
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


def _pooled(name: str, frame: pl.DataFrame) -> dict[str, Any]:
    values = frame.get_column("bp" if name != "histogram" else "age").to_numpy()
    if name == "mean":
        return {"mean": values.mean()}
    if name == "variance":
        return {"mean": values.mean(), "variance": values.var(ddof=1)}
    counts, _ = np.histogram(values, bins=np.linspace(19, 79, 7))
    return {"counts": counts.tolist()}


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
@pytest.mark.parametrize(
    ("name", "parties", "threshold"), [("mean", 3, 2), ("variance", 4, 3), ("histogram", 5, 3)]
)
def test_result_equals_the_pooled_numpy_value(
    pooled: pl.DataFrame, protocol: str, name: str, parties: int, threshold: int
) -> None:
    sim = Simulation(protocol, name, ANALYSES[name], list(range(1, parties + 1)), threshold)
    aggregate = sim.run(sim.contributions(organizations(pooled, parties)))
    result = sim.finalize(aggregate)
    assert aggregate.contributors == list(range(1, parties + 1))
    assert aggregate.noise is None
    assert result.n == pooled.height
    for key, expected in _pooled(name, pooled).items():
        assert result.values[key] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("protocol", "parties", "threshold"),
    [("paillier", 3, 2), ("paillier", 5, 3), ("hybrid", 3, 2), ("hybrid", 5, 3)],
)
def test_ols_coefficients_match_statsmodels_on_the_pooled_data(
    protocol: str, parties: int, threshold: int
) -> None:
    frame = diabetes()
    x = frame.select(list(COVARIATES)).to_numpy()
    reference = sm.OLS(frame.get_column("target").to_numpy(), sm.add_constant(x)).fit()
    sim = Simulation(protocol, "ols", OLS, list(range(1, parties + 1)), threshold)
    result = sim.finalize(sim.run(sim.contributions(split(frame, parties, seed=parties))))
    np.testing.assert_allclose(result.values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(result.values["std_errors"], reference.bse, rtol=1e-6)
    assert result.values["r_squared"] == pytest.approx(reference.rsquared, rel=1e-6)


def test_a_production_size_key_runs_the_protocol(
    pooled: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paillier, "KEY_BITS", he.KEY_BITS)
    sim = Simulation("paillier", "mean", MEAN, [1, 2, 3], threshold=2)
    aggregate = sim.run(sim.contributions(organizations(pooled, 3)))
    key = he.public_key_from_bytes(_key_body(sim))
    assert key.n.bit_length() == 2048
    assert sim.finalize(aggregate).values["mean"] == pytest.approx(pooled["bp"].mean(), rel=1e-9)


def _key_body(sim: Simulation) -> bytes:
    assert sim.recipient is not None
    message = next(m for m in sim.messages if m.kind == paillier.PAILLIER_KEY and m.sender == sim.recipient)
    binding = Binding(UUID(sim.computation_id), 1, sim.recipient, 0)
    return open_message(
        sim.keys[sim.recipient].info(0).ed25519_public, MessageType.PAILLIER_KEY, binding, message.payload
    )


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
def test_the_private_key_never_leaves_the_recipients_state(pooled: pl.DataFrame, protocol: str) -> None:
    sim = Simulation(protocol, "mean", MEAN, [1, 2, 3], threshold=2, recipient=2)
    sim.run(sim.contributions(organizations(pooled, 3)))
    fields = state.load(protocol, sim.states[2])
    secret = he.private_key_from_bytes(state.decode_bytes(fields["paillier_private"]))
    primes = [secret.p.to_bytes((secret.p.bit_length() + 7) // 8, "big")]
    primes.append(secret.q.to_bytes((secret.q.bit_length() + 7) // 8, "big"))
    assert not any(prime in m.payload for m in sim.messages for prime in primes)
    assert all("paillier_private" not in state.load(protocol, sim.states[i]) for i in (1, 3))


def test_paillier_leaves_a_party_silent_in_round_two_out(pooled: pl.DataFrame) -> None:
    frames = organizations(pooled, 4)
    sim = Simulation("paillier", "mean", MEAN, [1, 2, 3, 4], threshold=2)
    aggregate = sim.run(sim.contributions(frames), silent={3: 2})
    assert aggregate.contributors == [1, 2, 4]
    kept = pl.concat([frames[0], frames[1], frames[3]])
    result = sim.finalize(aggregate)
    assert result.n == kept.height
    assert result.values["mean"] == pytest.approx(kept["bp"].mean(), rel=1e-9)


@pytest.mark.parametrize(("protocol", "round_number"), [("paillier", 1), ("paillier", 2), ("hybrid", 2)])
def test_the_recipient_dropping_out_stops_the_computation(
    pooled: pl.DataFrame, protocol: str, round_number: int
) -> None:
    sim = Simulation(protocol, "mean", MEAN, [1, 2, 3], threshold=2, recipient=1)
    with pytest.raises(ProtocolFailure, match=r"the result recipient \(party 1\) dropped out"):
        sim.run(sim.contributions(organizations(pooled, 3)), silent={1: round_number})


@pytest.mark.parametrize(
    ("protocol", "kind"), [("paillier", "ciphertext"), ("hybrid", "partial"), ("paillier", "paillier-key")]
)
def test_a_modified_message_fails_its_signature(pooled: pl.DataFrame, protocol: str, kind: str) -> None:
    sim = Simulation(protocol, "mean", MEAN, [1, 2, 3], threshold=2)

    def tamper(message: Envelope) -> Envelope:
        return replace(message, payload=flip(message.payload, -100)) if message.kind == kind else message

    with pytest.raises(SignatureError, match="failed verification"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=tamper)


def _resigned(sim: Simulation, message: Envelope, message_type: MessageType, rewrite: Any) -> Envelope:
    """The message as its (dishonest) sender would post it: body rewritten, then signed with its own key."""
    recipient = message.recipient or 0
    binding = Binding(UUID(sim.computation_id), message.round, message.sender, recipient)
    verify = sim.keys[message.sender].info(0).ed25519_public
    body = rewrite(open_message(verify, message_type, binding, message.payload))
    return replace(
        message, payload=sign_message(sim.keys[message.sender].ed25519, message_type, binding, body)
    )


def test_a_garbled_ciphertext_is_detected_when_the_recipient_decrypts(pooled: pl.DataFrame) -> None:
    sim = Simulation("paillier", "mean", MEAN, [1, 2, 3], threshold=2)

    def garble(body: bytes) -> bytes:
        public_key = he.public_key_from_bytes(_key_body(sim))
        packed = he.PackedCiphertext.from_bytes(body[1:], public_key)
        noise = secrets.randbelow(public_key.nsquare - 1) + 1
        return body[:1] + replace(packed, ciphertexts=(noise, *packed.ciphertexts[1:])).to_bytes()

    def tamper(message: Envelope) -> Envelope:
        if message.kind == "ciphertext" and message.sender == 2:
            return _resigned(sim, message, MessageType.CIPHERTEXT, garble)
        return message

    with pytest.raises(IntegrityError, match="decryption gave values outside the packing"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=tamper)


@pytest.mark.parametrize(("analysis", "params"), [("ols", OLS), ("mean", MEAN)])
def test_paillier_slots_follow_each_elements_declared_bound(analysis: str, params: dict[str, Any]) -> None:
    plan = fixed_point.plan(analysis, params, 10, RING_MODULUS)
    bounds = plan.element_max_abs()
    spec = paillier.packing(plan, 10)
    # Each width is the tightest that holds [-bound, bound] after the offset.
    assert all(
        2 * b < 1 << w and (w == 1 or 2 * b >= 1 << (w - 1)) for b, w in zip(bounds, spec.widths, strict=True)
    )
    # A party at its bounds, either sign, stays within every element's own bound.
    for sign in (1, -1):
        at_bounds = Contribution(sign * plan.layout.bounds, fixed_point.MAX_ROWS, 0)
        encoded = fixed_point.encode_contribution(plan, at_bounds).tolist()
        assert all(abs(v) <= b for v, b in zip(encoded, bounds, strict=True))
    uniform = he.PackingSpec.for_signed(plan.max_abs(), 10)
    assert len(spec.chunks(he.KEY_BITS, plan.length)) <= -(-plan.length // uniform.slots(he.KEY_BITS))


def test_a_party_overflowing_a_narrow_slot_is_detected_by_the_recipient(pooled: pl.DataFrame) -> None:
    sim = Simulation("paillier", "mean", MEAN, [1, 2, 3], threshold=2)
    spec = paillier.packing(sim.plan(), 3)
    narrow = spec.widths.index(min(spec.widths))
    # Sets the top bit of the narrowest slot: far below the widest element's bound, beyond this slot's.
    top_bit = 1 << (spec.widths[narrow] + spec.headroom_bits - 1)
    assert top_bit < spec.value_limit
    excess = top_bit << sum(w + spec.headroom_bits for w in spec.widths[:narrow])

    def overflow(body: bytes) -> bytes:
        public_key = he.public_key_from_bytes(_key_body(sim))
        packed = he.PackedCiphertext.from_bytes(body[1:], public_key)
        first = packed.ciphertexts[0] * public_key.raw_encrypt(excess) % public_key.nsquare
        return body[:1] + replace(packed, ciphertexts=(first, *packed.ciphertexts[1:])).to_bytes()

    def tamper(message: Envelope) -> Envelope:
        if message.kind == "ciphertext" and message.sender == 2:
            return _resigned(sim, message, MessageType.CIPHERTEXT, overflow)
        return message

    with pytest.raises(IntegrityError, match="decryption gave values outside the packing"):
        sim.run(sim.contributions(organizations(pooled, 3)), tamper=tamper)


def test_an_aggregate_garbled_by_the_relay_is_refused_by_the_recipient(pooled: pl.DataFrame) -> None:
    sim = Simulation("paillier", "mean", MEAN, [1, 2, 3], threshold=2, recipient=1)
    sim.run(sim.contributions(organizations(pooled, 3)))
    inbox = sim.inbox(1, 3)
    announced = next(m for m in inbox if m.kind == paillier.AGGREGATE)
    garbled = replace(announced, payload=flip(announced.payload, -40))
    with pytest.raises(IntegrityError, match="the encrypted aggregate"):
        party_protocol("paillier").step(
            sim.setup(1), sim.states[1], 3, [garbled if m is announced else m for m in inbox]
        )


def test_hybrid_with_more_than_t_partials_refuses_a_modified_partial_sum(pooled: pl.DataFrame) -> None:
    sim = Simulation("hybrid", "mean", MEAN, [1, 2, 3, 4], threshold=2)
    spec = hybrid.packing(2)

    def shift(body: bytes) -> bytes:
        # Party 2 adds 1 to the first element of its partial sum, under encryption.
        public_key = he.public_key_from_bytes(_key_body(sim))
        offset = 1 + 2 + 2 * 4
        packed = he.PackedCiphertext.from_bytes(body[offset:], public_key)
        one = he.encrypt_vector(public_key, [1] + [0] * (packed.length - 1), spec)
        shifted = replace(he.add(packed, one), bound=spec.value_limit)
        return body[:offset] + shifted.to_bytes()

    def tamper(message: Envelope) -> Envelope:
        if message.kind == hybrid.PARTIAL and message.sender == 2:
            return _resigned(sim, message, MessageType.CIPHERTEXT, shift)
        return message

    contributions = sim.contributions(organizations(pooled, 4))
    with pytest.raises(IntegrityError, match="do not lie on one polynomial"):
        sim.run(contributions, tamper=tamper)


def test_hybrid_with_exactly_t_partials_sends_one_combination(pooled: pl.DataFrame) -> None:
    sim = Simulation("hybrid", "mean", MEAN, [1, 2, 3], threshold=2)
    aggregate = sim.run(sim.contributions(organizations(pooled, 3)), silent={3: 2})
    # Party 3 shared in round 1: its rows are in the sum though only two partials came.
    assert aggregate.contributors == [1, 2, 3]
    assert sim.finalize(aggregate).values["mean"] == pytest.approx(pooled["bp"].mean(), rel=1e-9)
    announced = next(m for m in sim.messages if m.kind == hybrid.AGGREGATE)
    _, combinations = hybrid.unpack_combinations(announced.payload)
    assert [points for points, _ in combinations] == [[1, 2]]


def test_hybrid_masks_the_integer_combination_the_recipient_decrypts(pooled: pl.DataFrame) -> None:
    sim = Simulation("hybrid", "mean", MEAN, [1, 2, 3], threshold=3, recipient=1)
    sim.run(sim.contributions(organizations(pooled, 3)))
    secret = he.private_key_from_bytes(
        state.decode_bytes(state.load("hybrid", sim.states[1])["paillier_private"])
    )
    announced = next(m for m in sim.messages if m.kind == hybrid.AGGREGATE)
    _, [(points, data)] = hybrid.unpack_combinations(announced.payload)
    spec = hybrid.packing(3)
    packed = he.PackedCiphertext.from_bytes(data, secret.public_key)
    assert packed.bound == hybrid.combination_bound(spec, points)
    raw = he.decrypt_vector(secret, packed, spec)
    # Unmasked, sum(lambda_i * s_i) < t * p^2; the mask p * r lifts every slot far above that.
    unmasked_limit = sum(lagrange_coefficients(points)) * FIELD_PRIME
    assert min(raw) > unmasked_limit


@pytest.mark.parametrize("protocol", ["paillier", "hybrid"])
@pytest.mark.parametrize("delta", [None, 1e-6])
def test_the_recipient_noises_the_aggregate_it_decrypts(
    pooled: pl.DataFrame, protocol: str, delta: float | None
) -> None:
    sim = Simulation(protocol, "mean", MEAN, [1, 2, 3], threshold=2, epsilon=0.5, delta=delta)
    aggregate = sim.run(sim.contributions(organizations(pooled, 3)))
    expected = central.plan("mean", MEAN, 0.5, delta).spend
    assert aggregate.noise is not None
    central.check_declared(aggregate.noise, expected)
    assert aggregate.noise["mechanism"] == ("gaussian" if delta else "laplace")
    exact = Simulation(protocol, "mean", MEAN, [1, 2, 3], threshold=2)
    truth = exact.run(exact.contributions(organizations(pooled, 3)))
    assert not np.array_equal(aggregate.values, truth.values)
