"""Central mode: the exchange adds OpenDP-calibrated noise to the decoded aggregate before release.

Elements of one vector differ by orders of magnitude (a count moves by 1 per record, a sum of squares
by hundreds), so each element is divided by the power of two at or above its per-record bound before
OpenDP adds noise of one common scale, and multiplied back afterwards. Dividing by a power of two is
exact in binary floating point, so the sensitivity OpenDP is given is exactly what the bounds imply;
the price is that an element's share of the noise is up to twice its proportional share. Elements no
record can move (bound 0) are left as they are.

The scale is found by OpenDP's binary search and then checked with the measurement's own privacy map,
so a release never spends more than declared. Sampling costs tens of microseconds per element: callers
on the event loop run `release` in a thread.

Limits: neighbouring datasets differ by one added or removed record; the guarantee covers the exact
sum of the parties' vectors, not floating-point rounding inside a party's local sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import PrivacyError
from .opendp_setup import dp
from .sensitivity import Sensitivity
from .spend import Spend, check_delta, check_epsilon

FloatVector = npt.NDArray[np.float64]

# Covers the rounding of the few float operations that turn bounds into L1 and L2 norms.
_ROUNDING_MARGIN = 1 + 2.0**-40


def power_of_two_at_least(bound: float) -> float:
    """The smallest power of two >= bound (0 for 0)."""
    if bound == 0:
        return 0.0
    mantissa, exponent = math.frexp(bound)
    return bound if mantissa == 0.5 else math.ldexp(1.0, exponent)


def normalizers(sensitivity: Sensitivity) -> FloatVector:
    return np.array([power_of_two_at_least(float(b)) for b in sensitivity.bounds], dtype=np.float64)


def normalized(sensitivity: Sensitivity) -> Sensitivity:
    """The sensitivity of the vector divided element-wise by its normalizers (every bound in (1/2, 1])."""
    weights = normalizers(sensitivity)
    bounds = np.divide(sensitivity.bounds, weights, out=np.zeros_like(weights), where=weights > 0)
    return Sensitivity(bounds=bounds, integer=sensitivity.integer, slots=sensitivity.slots)


@dataclass(frozen=True)
class Noisy:
    vector: FloatVector
    spend: Spend


@dataclass(frozen=True)
class CentralNoise:
    """A calibrated mechanism for vectors of one layout: plan once, release any number of times (each
    release spends `spend` again)."""

    spend: Spend
    weights: FloatVector
    measurement: Any

    def release(self, vector: FloatVector) -> Noisy:
        values = np.asarray(vector, dtype=np.float64)
        if values.shape != self.weights.shape:
            raise PrivacyError(f"expected a vector of {len(self.weights)} elements, got shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise PrivacyError("cannot add noise to a vector with non-finite elements")
        active = self.weights > 0
        noisy = values.copy()
        if active.any():
            scaled = (values[active] / self.weights[active]).tolist()
            noisy[active] = np.asarray(self.measurement(scaled), dtype=np.float64) * self.weights[active]
        return Noisy(vector=noisy, spend=self.spend)


def _uncalibrated(mechanism: str, setting: str) -> PrivacyError:
    """OpenDP refused every noise scale (its own message spells out numbers of hundreds of digits)."""
    return PrivacyError(
        f"OpenDP cannot calibrate {mechanism} mechanism to {setting}: the noise scale it needs is out of "
        "range; choose a larger epsilon"
    )


def _float_vectors() -> Any:
    return dp.vector_domain(dp.atom_domain(T=float, nan=False))


def _central(
    mechanism: str, measurement: Any, scale: float, weights: FloatVector, epsilon: float, delta: float
) -> CentralNoise:
    spend = Spend(
        mechanism=mechanism,
        epsilon=epsilon,
        delta=delta,
        scale=scale,
        element_scales=tuple(float(w) * scale for w in weights),
    )
    return CentralNoise(spend=spend, weights=weights, measurement=measurement)


def plan_laplace(sensitivity: Sensitivity, epsilon: float) -> CentralNoise:
    """Pure epsilon-DP: Laplace noise with scale L1 / epsilon on the normalized vector."""
    check_epsilon(epsilon)
    d_in = normalized(sensitivity).l1 * _ROUNDING_MARGIN
    space = (_float_vectors(), dp.l1_distance(T=float))
    if d_in == 0:
        raise PrivacyError("no element depends on any record: there is nothing to protect")

    def make(scale: float) -> Any:
        return dp.m.make_laplace(*space, scale=scale)

    try:
        scale = dp.binary_search_param(make, d_in=d_in, d_out=epsilon)
        measurement = make(scale)
    except dp.OpenDPException:
        raise _uncalibrated("a Laplace", f"epsilon={epsilon}") from None
    if not measurement.map(d_in) <= epsilon:
        raise PrivacyError(f"OpenDP could not calibrate a Laplace mechanism to epsilon={epsilon}")
    return _central("laplace", measurement, scale, normalizers(sensitivity), epsilon, 0.0)


def gaussian_measurement(space: tuple[Any, Any], scale: float, delta: float) -> Any:
    """OpenDP's Gaussian mechanism (zero-concentrated DP) read as (epsilon, delta)-DP at fixed delta."""
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(dp.m.make_gaussian(*space, scale=scale)), delta)


def plan_gaussian(sensitivity: Sensitivity, epsilon: float, delta: float) -> CentralNoise:
    """(epsilon, delta)-DP: Gaussian noise calibrated to the L2 sensitivity of the normalized vector."""
    check_epsilon(epsilon)
    check_delta(delta)
    d_in = normalized(sensitivity).l2 * _ROUNDING_MARGIN
    if d_in == 0:
        raise PrivacyError("no element depends on any record: there is nothing to protect")
    space = (_float_vectors(), dp.l2_distance(T=float))
    try:
        scale = dp.binary_search_param(
            lambda s: gaussian_measurement(space, s, delta), d_in=d_in, d_out=(epsilon, delta)
        )
        measurement = gaussian_measurement(space, scale, delta)
        spent_epsilon, spent_delta = measurement.map(d_in)
    except dp.OpenDPException:
        raise _uncalibrated("a Gaussian", f"epsilon={epsilon}, delta={delta}") from None
    if not (spent_epsilon <= epsilon and spent_delta <= delta):
        raise PrivacyError(f"OpenDP could not calibrate a Gaussian mechanism to ({epsilon}, {delta})")
    return _central("gaussian", measurement, scale, normalizers(sensitivity), epsilon, delta)
