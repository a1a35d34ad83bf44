"""Distributed differential privacy through the protocols' own code: every party adds its share of
discrete Gaussian noise to its fixed-point vector (hdx.protocols.party_noise) before sharing it, the
secure sum adds the noised vectors, and nothing else adds noise.

The plan counts on the threshold t: the shares of any t contributors carry the whole (epsilon, delta)
guarantee, so with m contributors the released noise has m / t times the variance of the calibrated
Gaussian (per element, spend.element_scales^2)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from hdx.crypto import encoding as ring
from hdx.crypto import paillier as he
from hdx.crypto import wire
from hdx.privacy import distributed
from hdx.protocols import fixed_point, paillier, party_noise, state
from tests.protocols.conftest import BP, organizations
from tests.protocols.simulation import Simulation

MEAN = {"variable": BP}
PARTIES, THRESHOLD = 5, 3
RELEASES = 1000
ALPHA = 1e-4


def _simulation(protocol: str) -> Simulation:
    return Simulation(
        protocol,
        "mean",
        MEAN,
        list(range(1, PARTIES + 1)),
        THRESHOLD,
        epsilon=1.0,
        delta=1e-6,
        dp_mode="distributed",
    )


def test_the_released_noise_has_the_declared_scale(pooled: pl.DataFrame) -> None:
    sim = _simulation("shamir")
    contributions = sim.contributions(organizations(pooled, PARTIES))
    encoding = sim.plan()
    assert encoding.split.size == 0  # noise lives on the grid: one element per value
    noise = party_noise.noise_plan(sim.context(), encoding)
    contributors = [1, 2, 4, 5]  # party 3 accepted, then dropped out: the plan is still for 5
    exact = fixed_point.decode_sum(
        encoding, sum(fixed_point.encode_contribution(encoding, contributions[i]) for i in contributors)
    )
    released = np.array(
        [
            fixed_point.decode_sum(
                encoding,
                sum(party_noise.input_vector(sim.setup(i), encoding, contributions[i]) for i in contributors),
            )
            for _ in range(RELEASES)
        ]
    )
    errors = released - exact
    declared = np.array(noise.spend.element_scales) * math.sqrt(len(contributors) / THRESHOLD)
    low, high = stats.chi2.ppf([ALPHA / 2, 1 - ALPHA / 2], RELEASES - 1)
    names = encoding.layout.names
    assert names == ["n", "sum_centered[bp]", "clipped"]
    for element in range(len(names)):
        statistic = (RELEASES - 1) * float(np.var(errors[:, element], ddof=1)) / declared[element] ** 2
        assert low < statistic < high, (names[element], statistic / (RELEASES - 1))
        assert abs(float(np.mean(errors[:, element]))) < 5 * declared[element] / math.sqrt(RELEASES)
    # Counts stay whole numbers; the sum's noise is on the grid 2^-F.
    assert np.all(errors[:, 0] == np.rint(errors[:, 0]))
    grid = np.ldexp(errors[:, 1], encoding.frac_bits)
    assert np.all(grid == np.rint(grid))


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


def _noised_input(protocol: str, party_state: bytes) -> np.ndarray:
    fields = state.load(protocol, party_state)
    raw = state.decode_bytes(fields["input"])
    if protocol == "secagg":
        return ring.from_ring(wire.unpack_vector(raw, 3))
    return np.frombuffer(raw, dtype="<i8").astype(np.int64)


@pytest.mark.parametrize("protocol", ["secagg", "paillier"])
def test_the_release_is_the_sum_of_the_noised_inputs_and_nothing_more(
    pooled: pl.DataFrame, protocol: str
) -> None:
    sim = _simulation(protocol)
    contributions = sim.contributions(organizations(pooled, PARTIES))
    aggregate = sim.run(contributions)
    noised = sum(_noised_input(protocol, sim.states[i]) for i in aggregate.contributors)
    np.testing.assert_array_equal(aggregate.values, noised)
    exact = sum(fixed_point.encode_contribution(aggregate.encoding, c) for c in contributions.values())
    assert not np.array_equal(aggregate.values, exact)
    noise = party_noise.noise_plan(sim.context(), aggregate.encoding)
    if protocol == "paillier":
        # The recipient decrypted the noised sum and added nothing: it declares the parties' plan.
        assert aggregate.noise == distributed.describe(noise)
    else:
        assert aggregate.noise is None
    result = sim.finalize(aggregate)
    assert result.values["mean"] != pytest.approx(pooled.get_column("bp").mean(), rel=1e-9)
