"""Distributed mode: each party's discrete Gaussian share has variance sigma^2 / n, and the secure sum of
the n shares carries the full sigma^2 the declared (epsilon, delta) call for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hdx.analyses import get_analysis
from hdx.privacy.distributed import grid_sensitivities, plan_distributed, tau
from hdx.privacy.errors import PrivacyError
from hdx.privacy.mechanisms import plan_gaussian
from hdx.privacy.opendp_setup import dp
from hdx.privacy.sensitivity import Sensitivity, of_analysis

PARTIES = 5
FRAC_BITS = 8
BINS = 4000
ROUNDS = 5  # 5 rounds of 4,000 bins: 20,000 summed noise values
KS_ALPHA = 1e-4


def histogram(bins: int = BINS) -> Sensitivity:
    analysis = get_analysis("histogram")
    return of_analysis(analysis, analysis.parse({"variable": {"name": "x", "lo": 0, "hi": 1}, "bins": bins}))


def test_the_sum_of_the_parties_noise_has_the_planned_variance() -> None:
    plan = plan_distributed(histogram(), 1.0, 1e-6, parties=PARTIES, frac_bits=FRAC_BITS)
    grid = 1  # counts travel as whole numbers, without fractional bits: one record moves one by 1
    sigma = plan.spend.scale * grid
    # No meaningful correction for the sum not being one discrete Gaussian at this size, so the
    # total noise is the central Gaussian's for the same sensitivity.
    assert plan.spend.scale == pytest.approx(plan_gaussian(histogram(), 1.0, 1e-6).spend.scale, rel=1e-9)
    assert plan.party_scales[0] == pytest.approx(sigma / math.sqrt(PARTIES))

    rng = np.random.default_rng(7)
    exact_rounds, noise, one_party = [], [], []
    for _ in range(ROUNDS):
        vectors = [np.append(rng.integers(0, 40, BINS), 0).astype(np.int64) for _ in range(PARTIES)]
        shared = [plan.add_share(vector) for vector in vectors]
        exact = sum(vectors)
        exact_rounds.append(exact)
        noise.append((sum(shared) - exact)[:BINS])
        one_party.append((shared[0] - vectors[0])[:BINS])
    total = np.concatenate(noise).astype(np.float64)
    share = np.concatenate(one_party).astype(np.float64)

    # Standard error of a variance over 20,000 draws: 1%. Within 5%, and a 10% error would fail.
    assert float(np.var(total)) / sigma**2 == pytest.approx(1.0, abs=0.05)
    assert float(np.var(share)) / (sigma**2 / PARTIES) == pytest.approx(1.0, abs=0.05)
    assert abs(float(np.mean(total))) < 0.05 * sigma
    # Spread each integer uniformly over its unit cell: a discrete Gaussian of this sigma is then a normal
    # of variance sigma^2 + 1/12 for any test 20,000 draws can make.
    spread = (total + rng.uniform(-0.5, 0.5, total.size)) / math.sqrt(sigma**2 + 1 / 12)
    assert stats.kstest(spread, stats.norm.cdf).pvalue > KS_ALPHA
    assert np.all(np.concatenate(noise) == np.rint(np.concatenate(noise)))


def test_tolerating_colluders_raises_every_share() -> None:
    honest_only = plan_distributed(histogram(10), 1.0, 1e-6, parties=5, frac_bits=FRAC_BITS, colluders=2)
    trusting = plan_distributed(histogram(10), 1.0, 1e-6, parties=5, frac_bits=FRAC_BITS)
    # The three honest parties' shares alone must carry the whole variance.
    assert honest_only.party_scales[0] ** 2 * 3 == pytest.approx(trusting.party_scales[0] ** 2 * 5)


def test_coarse_grids_pay_for_the_sum_not_being_one_discrete_gaussian() -> None:
    sensitivity = histogram(10)
    parties, epsilon, delta = 10, 2.0, 1e-6
    plan = plan_distributed(sensitivity, epsilon, delta, parties=parties, frac_bits=0)
    central = plan_gaussian(sensitivity, epsilon, delta).spend.scale
    # Shares of parameter about 1 are far from continuous: the plan adds about 1% to the noise.
    assert 1.001 * central < plan.spend.scale < 1.05 * central
    # Recomputed from Proposition 14: rho of the sum stays within the rho OpenDP converts to
    # (epsilon, delta).
    grid = grid_sensitivities(sensitivity, 0)
    c = plan.spend.scale
    rho = 2 / (2 * c**2) + sum(tau(c * d / math.sqrt(parties), parties) for d in grid if d > 0)
    space = (dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float))
    budget = dp.m.make_gaussian(*space, scale=central).map(math.sqrt(2) * (1 + 2.0**-40))
    assert rho == pytest.approx(plan.rho)
    assert rho <= budget


def test_a_grid_too_coarse_for_the_noise_is_refused() -> None:
    with pytest.raises(PrivacyError, match="fractional bits"):
        plan_distributed(histogram(10), 10.0, 1e-6, parties=50, frac_bits=0)


def test_real_valued_elements_get_one_grid_unit_for_rounding() -> None:
    analysis = get_analysis("sum")
    sensitivity = of_analysis(analysis, analysis.parse({"variable": {"name": "x", "lo": -5, "hi": 20}}))
    # The count and the clipped count travel as whole numbers; the sum on the grid 2^-4.
    np.testing.assert_array_equal(grid_sensitivities(sensitivity, 4), [1, 20 * 16 + 1, 1])


def test_a_share_must_fit_the_plan() -> None:
    plan = plan_distributed(histogram(10), 1.0, 1e-6, parties=3, frac_bits=FRAC_BITS)
    with pytest.raises(PrivacyError):
        plan.add_share(np.zeros(5, dtype=np.int64))
    with pytest.raises(PrivacyError):
        plan.add_share(np.zeros(11, dtype=np.float64))  # type: ignore[arg-type]
