"""Central mode: over many releases of one fixed aggregate, the noise has exactly the scale the declared
epsilon (and delta) call for, element by element."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import optimize, stats

from hdx.analyses import get_analysis
from hdx.privacy.errors import PrivacyError
from hdx.privacy.mechanisms import Noisy, normalized, plan_gaussian, plan_laplace
from hdx.privacy.sensitivity import Sensitivity, of_analysis

RELEASES = 20_000
# Under the right scale a KS p-value is uniform: 1e-4 fails one run in 10,000 per check.
KS_ALPHA = 1e-4
# The aggregate a sum analysis released: n, sum of x, values clipped.
AGGREGATE = np.array([250.0, 3100.5, 4.0])


def sum_of_x() -> Sensitivity:
    analysis = get_analysis("sum")
    return of_analysis(analysis, analysis.parse({"variable": {"name": "x", "lo": -5.0, "hi": 20.0}}))


def released_noise(release: Callable[[np.ndarray], Noisy]) -> np.ndarray:
    samples = np.array([release(AGGREGATE).vector for _ in range(RELEASES)])
    return samples - AGGREGATE


def test_laplace_scale_matches_epsilon() -> None:
    epsilon = 0.7
    plan = plan_laplace(sum_of_x(), epsilon)
    # Per-record bounds (1, 20, 1) are divided by the powers of two (1, 32, 1): normalized L1 is
    # 1 + 20/32 + 1 = 2.625, so the Laplace scale is 2.625 / epsilon per unit of normalizer.
    expected = np.array([1.0, 32.0, 1.0]) * 2.625 / epsilon
    np.testing.assert_allclose(plan.spend.element_scales, expected, rtol=1e-9)
    assert plan.spend.mechanism == "laplace"
    assert (plan.spend.epsilon, plan.spend.delta) == (epsilon, 0.0)
    assert plan.measurement.map(normalized(sum_of_x()).l1) <= epsilon

    noise = released_noise(plan.release) / expected
    for column in noise.T:
        # E|X| = b and Var X = 2 b^2 for Laplace(b); the standard errors over 20,000 releases are 0.7%
        # and 1.6%, so these bounds sit more than four standard errors out.
        mad = float(np.mean(np.abs(column)))
        assert mad == pytest.approx(1.0, abs=0.03)
        assert float(np.var(column)) == pytest.approx(2.0, rel=0.07)
        assert abs(float(np.mean(column))) < 0.05
        assert stats.kstest(column, stats.laplace(scale=1.0).cdf).pvalue > KS_ALPHA
        # The same check tells a scale 10% off apart: it can fail.
        assert abs(mad / 1.1 - 1.0) > 0.03


def balle_wang_delta(sigma: float, epsilon: float, sensitivity: float) -> float:
    """The exact delta of the Gaussian mechanism at epsilon (Balle and Wang 2018, Theorem 8)."""
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return float(stats.norm.cdf(a - b) - math.exp(epsilon) * stats.norm.cdf(-a - b))


def test_gaussian_scale_matches_epsilon_and_delta() -> None:
    epsilon, delta = 1.0, 1e-6
    sensitivity = sum_of_x()
    plan = plan_gaussian(sensitivity, epsilon, delta)
    l2 = math.sqrt(1 + (20 / 32) ** 2 + 1)
    assert normalized(sensitivity).l2 == pytest.approx(l2)
    sigma = plan.spend.scale
    # Independently of OpenDP: the calibrated sigma is (epsilon, delta)-DP by the exact Gaussian
    # formula, and at most 15% above the smallest sigma that is.
    assert balle_wang_delta(sigma, epsilon, l2) <= delta
    smallest = optimize.brentq(lambda s: balle_wang_delta(s, epsilon, l2) - delta, 0.1, 1000)
    assert smallest <= sigma <= 1.15 * smallest
    expected = np.array([1.0, 32.0, 1.0]) * sigma
    np.testing.assert_allclose(plan.spend.element_scales, expected, rtol=1e-12)

    noise = released_noise(plan.release) / expected
    for column in noise.T:
        # The standard error of a sample standard deviation over 20,000 draws is 0.5%.
        assert float(np.std(column)) == pytest.approx(1.0, abs=0.025)
        assert float(np.mean(np.abs(column))) == pytest.approx(math.sqrt(2 / math.pi), abs=0.02)
        assert stats.kstest(column, stats.norm.cdf).pvalue > KS_ALPHA


def test_halving_epsilon_doubles_the_laplace_scale() -> None:
    one, half = plan_laplace(sum_of_x(), 1.0), plan_laplace(sum_of_x(), 0.5)
    np.testing.assert_allclose(np.array(half.spend.element_scales), 2 * np.array(one.spend.element_scales))


def test_elements_no_record_can_move_are_released_as_they_are() -> None:
    sensitivity = Sensitivity(
        bounds=np.array([1.0, 0.0]), integer=np.array([True, False]), slots=((0,), (1,))
    )
    plan = plan_laplace(sensitivity, 1.0)
    released = plan.release(np.array([10.0, 7.25])).vector
    assert released[1] == 7.25
    assert plan.spend.element_scales[1] == 0.0


@pytest.mark.parametrize(
    ("epsilon", "delta"), [(0.0, 1e-6), (-1.0, 1e-6), (math.inf, 1e-6), (1.0, 0.0), (1.0, 1.0)]
)
def test_impossible_parameters_are_refused(epsilon: float, delta: float) -> None:
    with pytest.raises(PrivacyError):
        plan_gaussian(sum_of_x(), epsilon, delta)


def test_a_vector_of_another_layout_is_refused() -> None:
    plan = plan_laplace(sum_of_x(), 1.0)
    with pytest.raises(PrivacyError):
        plan.release(np.array([1.0, 2.0]))
    with pytest.raises(PrivacyError):
        plan.release(np.array([1.0, math.nan, 2.0]))
