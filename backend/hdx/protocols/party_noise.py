"""Distributed differential privacy at a party: its share of discrete Gaussian noise (OpenDP, through
hdx.privacy.distributed), added to its own fixed-point vector before the vector is shared, masked or
encrypted. Nothing downstream adds noise again: the secure sum of the noised vectors is the release.

The plan depends only on what every party and the exchange know alike (the analysis and its bounds,
epsilon and delta, the number of parties that accepted, the threshold and the encoding's fractional
bits), so the exchange can state, and the result recipient of paillier and hybrid can sign, exactly
which noise protects the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hdx.analyses import Contribution
from hdx.privacy import distributed
from hdx.privacy.errors import PrivacyError
from hdx.privacy.modes import DpMode
from hdx.protocols import fixed_point
from hdx.protocols.base import ExchangeContext, PartySetup, ProtocolFailure

# Room left in the modulus above the largest aggregate must hold the noise out to this many standard
# deviations (a discrete Gaussian beyond 40 sigma has probability below e^-800).
NOISE_TAIL = 40


def noise_plan(
    item: PartySetup | ExchangeContext, plan: fixed_point.EncodingPlan
) -> distributed.DistributedNoise:
    """The distributed noise plan of this computation; PrivacyError when it has none that is sound."""
    if item.dp_mode != DpMode.distributed or item.epsilon is None or item.delta is None:
        raise PrivacyError("distributed noise needs dp_mode 'distributed' with epsilon and delta")
    return noise_for(
        item.analysis,
        item.params,
        item.epsilon,
        item.delta,
        parties=len(item.parties),
        threshold=item.threshold,
        plan=plan,
    )


def noise_for(
    analysis: str,
    params: dict[str, Any],
    epsilon: float,
    delta: float,
    *,
    parties: int,
    threshold: int,
    plan: fixed_point.EncodingPlan,
) -> distributed.DistributedNoise:
    """The plan for `parties` that accepted, counting on the shares of any `threshold` of them
    (hdx.privacy.distributed.for_computation), checked to fit the encoding."""
    if plan.split.size:
        raise PrivacyError("distributed noise is added on a one-element-per-value encoding, not on limbs")
    noise = distributed.for_computation(
        analysis, params, epsilon, delta, parties=parties, threshold=threshold, frac_bits=plan.frac_bits
    )
    half = (plan.modulus - 1) // 2
    room = half - (half >> fixed_point.HEADROOM_BITS)
    if NOISE_TAIL * math.sqrt(parties) * max(noise.party_scales) > room:
        raise PrivacyError(
            f"the noise ({max(noise.party_scales):.3g} grid units per party) does not fit the modulus "
            "beside the aggregate: raise epsilon or narrow the bounds"
        )
    return noise


def input_vector(
    setup: PartySetup, plan: fixed_point.EncodingPlan, contribution: Contribution
) -> NDArray[np.int64]:
    """This party's wire vector: its contribution encoded, plus its noise share in distributed mode."""
    encoded = fixed_point.encode_contribution(plan, contribution)
    if setup.dp_mode != DpMode.distributed:
        return encoded
    try:
        return noise_plan(setup, plan).add_share(encoded)
    except PrivacyError as exc:
        raise ProtocolFailure(f"cannot add this party's noise: {exc}") from exc
