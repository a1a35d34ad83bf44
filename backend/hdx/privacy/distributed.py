"""Distributed mode: every party adds its share of discrete Gaussian noise to its fixed-point vector
before sharing it, so the secure sum carries the whole noise and nobody, the exchange included, ever
sees the exact aggregate.

Each party adds integer noise N_Z(0, s_i^2) with s_i^2 = (c * D_i)^2 / h to element i, where D_i is
the element's sensitivity on the fixed-point grid and h the number of parties whose noise is counted
on (below). The sum of h such shares is close to, but not exactly, a discrete Gaussian of variance
(c * D_i)^2. Kairouz, Liu and Steinke ("The Distributed Discrete Gaussian Mechanism for Federated
Learning with Secure Aggregation", ICML 2021, Proposition 14) bound the Renyi divergence of that sum by
alpha * D^2 / (2 h s^2) + tau with tau = 10 * sum_{k=1}^{h-1} exp(-2 pi^2 s^2 k / (k + 1)), for s >= 1/2.
Since alpha >= 1 the sum is rho-zCDP with rho = S / (2 c^2) + (the sum of tau over every element), S
being the number of slots (sensitivity.py). The plan picks c so that this rho is no more than the rho
at which OpenDP's own Gaussian measurement reaches (epsilon, delta), which OpenDP's privacy map checks.

Assumptions, stated where the guarantee is claimed:
- Parties are honest: each adds its share. A party that skips its noise, drops out after sharing, or
  colludes (knows its own noise and subtracts it) removes its share from what protects the others. With
  `colluders` = t - 1 (the most a t-of-n threshold tolerates), each party adds variance
  (c D_i)^2 / (n - t + 1) so that the honest parties' shares alone still carry the full noise; the
  released sum then carries n / (n - t + 1) times the variance. With colluders = 0 and t - 1 parties
  colluding, the remaining noise has variance (n - t + 1) / n of the planned one and rho grows by the
  inverse of that factor.
- D_i = ceil(b_i * 2^F) + 1: one record moves a party's real-valued element by at most b_i, and the
  rounding to the grid adds at most one unit. Whole-number elements (counts) travel without fractional
  bits and exactly: D_i = b_i.
- The modulus must leave room for the noise beside the aggregate: hdx.protocols.party_noise requires
  40 standard deviations of the summed noise to fit above the encoding's capacity.

Computations (for_computation) count on `threshold` honest parties: colluders = n - t, so any t shares
carry the whole guarantee, whoever drops out (no sum covers fewer than t contributors).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hdx.analyses import get_analysis

from .errors import PrivacyError
from .mechanisms import gaussian_measurement
from .opendp_setup import dp
from .sensitivity import Sensitivity, of_analysis
from .spend import Spend, check_delta, check_epsilon

I64Array = npt.NDArray[np.int64]

# Covers the rounding of sqrt(S).
_ROUNDING_MARGIN = 1 + 2.0**-40
# Proposition 14 of Kairouz, Liu and Steinke holds for discrete Gaussian parameters of at least 1/2.
_MIN_PARTY_SCALE = 0.5


def grid_sensitivities(sensitivity: Sensitivity, frac_bits: int) -> npt.NDArray[np.float64]:
    """Per-element sensitivity in units of the fixed-point grid (0 where no record can move it). Whole
    numbers travel as they are (hdx.protocols.fixed_point gives them no fractional bits) and move by
    their bound; real values travel on the grid 2^-F, where rounding can add one unit."""
    return np.array(
        [
            math.ceil(float(b)) if whole else math.ceil(math.ldexp(float(b), frac_bits)) + (1 if b else 0)
            for b, whole in zip(sensitivity.bounds, sensitivity.integer, strict=True)
        ],
        dtype=np.float64,
    )


def grid_unit(sensitivity: Sensitivity, frac_bits: int) -> npt.NDArray[np.float64]:
    """What one grid unit of each element is worth in the element's own units: 1 for whole numbers,
    2^-F for real values."""
    return np.where(sensitivity.integer, 1.0, math.ldexp(1.0, -frac_bits))


def tau(party_scale: float, honest: int) -> float:
    """The additive Renyi-divergence term of Proposition 14 for a sum of `honest` shares."""
    return 10 * math.fsum(math.exp(-2 * math.pi**2 * party_scale**2 * k / (k + 1)) for k in range(1, honest))


@dataclass(frozen=True)
class DistributedNoise:
    """The noise plan every party of one release follows; `party_scales` are in grid units."""

    parties: int
    colluders: int
    frac_bits: int
    party_scales: tuple[float, ...]
    rho: float
    spend: Spend

    def add_share(self, encoded: I64Array) -> I64Array:
        """This party's fixed-point vector with its share of the noise added (OpenDP's discrete
        Gaussian sampler)."""
        values = np.asarray(encoded)
        if values.dtype != np.int64 or values.shape != (len(self.party_scales),):
            raise PrivacyError(
                f"expected an int64 vector of {len(self.party_scales)} elements, got {values.dtype} {values.shape}"
            )
        scales = np.array(self.party_scales)
        noisy = values.copy()
        for scale in np.unique(scales[scales > 0]):
            where = scales == scale
            measurement = dp.m.make_gaussian(
                dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T=float), scale=float(scale)
            )
            noisy[where] = np.asarray(measurement(values[where].tolist()), dtype=np.int64)
        return noisy


def plan_distributed(
    sensitivity: Sensitivity,
    epsilon: float,
    delta: float,
    *,
    parties: int,
    frac_bits: int,
    colluders: int = 0,
) -> DistributedNoise:
    check_epsilon(epsilon)
    check_delta(delta)
    if parties < 1 or not 0 <= colluders < parties:
        raise PrivacyError(f"need parties >= 1 and 0 <= colluders < parties, got {parties} and {colluders}")
    honest = parties - colluders
    grid = grid_sensitivities(sensitivity, frac_bits)
    slots = sensitivity.active_slots
    if slots == 0:
        raise PrivacyError("no element depends on any record: there is nothing to protect")
    d_in = math.sqrt(slots) * _ROUNDING_MARGIN
    space = (dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float))
    try:
        central = dp.binary_search_param(
            lambda s: gaussian_measurement(space, s, delta), d_in=d_in, d_out=(epsilon, delta)
        )
        spent_epsilon, spent_delta = gaussian_measurement(space, central, delta).map(d_in)
        # The zCDP the (epsilon, delta) allows: OpenDP's own map of the same Gaussian before conversion.
        zcdp: Any = dp.m.make_gaussian(*space, scale=central)
        rho_budget = float(zcdp.map(d_in))
    except dp.OpenDPException:
        raise PrivacyError(
            f"OpenDP cannot calibrate a Gaussian mechanism to epsilon={epsilon}, delta={delta}: the noise "
            "scale it needs is out of range"
        ) from None
    if not (spent_epsilon <= epsilon and spent_delta <= delta):
        raise PrivacyError(f"OpenDP could not calibrate a Gaussian mechanism to ({epsilon}, {delta})")

    def total_tau(c: float) -> float:
        return math.fsum(tau(c * float(d) / math.sqrt(honest), honest) for d in grid if d > 0)

    slack = rho_budget - total_tau(central)
    if slack <= 0:
        raise PrivacyError(
            "the noise is too fine for the fixed-point grid: lower epsilon or the threshold (fewer, larger "
            "shares), or use more fractional bits"
        )
    # tau falls as c grows, so the c solving rho = budget with tau at `central` keeps rho within budget.
    c = max(central, d_in / math.sqrt(2 * slack))
    rho = d_in**2 / (2 * c**2) + total_tau(c)
    party_scales = tuple(c * float(d) / math.sqrt(honest) for d in grid)
    if rho > rho_budget or any(0 < s < _MIN_PARTY_SCALE for s in party_scales):
        raise PrivacyError("no distributed noise plan meets these privacy parameters")
    spend = Spend(
        mechanism="distributed_discrete_gaussian",
        epsilon=epsilon,
        delta=delta,
        scale=c,
        element_scales=tuple((c * grid * grid_unit(sensitivity, frac_bits)).tolist()),
    )
    return DistributedNoise(
        parties=parties,
        colluders=colluders,
        frac_bits=frac_bits,
        party_scales=party_scales,
        rho=rho,
        spend=spend,
    )


def for_computation(
    analysis: str,
    params: dict[str, Any],
    epsilon: float,
    delta: float,
    *,
    parties: int,
    threshold: int,
    frac_bits: int,
) -> DistributedNoise:
    """The plan of a computation's parties: calibrated so that the shares of any `threshold` of them
    alone carry the full (epsilon, delta) guarantee.

    Why the threshold: every secure sum covers at least t contributors (the protocols refuse fewer), so
    however many parties drop out, the released sum holds at least t honest shares as long as the
    contributors are honest; the shares of further contributors are independent noise on top of an
    (epsilon, delta)-DP value, which cannot weaken it (post-processing). The price is accuracy: with m
    contributors the released noise has m / t times the variance a trusted curator would add. What it
    does not cover: a contributor that skips its noise or reveals it to the exchange removes its share;
    with h < t such honest shares left, rho grows by t / h (see the module's assumptions)."""
    if not 1 <= threshold <= parties:
        raise PrivacyError(f"need 1 <= threshold <= parties, got {threshold} and {parties}")
    return _for_computation(
        analysis, json.dumps(params, sort_keys=True), epsilon, delta, parties, threshold, frac_bits
    )


# OpenDP's calibration takes about half a second; every party, the exchange and the status view plan the
# same computation, and a plan is immutable.
@functools.lru_cache(maxsize=128)
def _for_computation(
    analysis: str,
    params_json: str,
    epsilon: float,
    delta: float,
    parties: int,
    threshold: int,
    frac_bits: int,
) -> DistributedNoise:
    chosen = get_analysis(analysis)
    sensitivity = of_analysis(chosen, chosen.parse(json.loads(params_json)))
    return plan_distributed(
        sensitivity, epsilon, delta, parties=parties, frac_bits=frac_bits, colluders=parties - threshold
    )


def describe(noise: DistributedNoise) -> dict[str, Any]:
    """What protects a distributed release, as the result records it (and the recipient of paillier
    and hybrid signs it): the central mechanism's fields, plus the parties counted on."""
    return {
        "mechanism": noise.spend.mechanism,
        "epsilon": noise.spend.epsilon,
        "delta": noise.spend.delta,
        "scale": noise.spend.scale,
        "honest_parties": noise.parties - noise.colluders,
    }
