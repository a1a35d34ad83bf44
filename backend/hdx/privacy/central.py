"""Central differential privacy at release: one calibration, shared by whoever first sees an aggregate.

For shamir and secagg that is the exchange (DESIGN §5.5: the exchange noises the aggregate). For paillier
and hybrid the exchange never sees the aggregate, only ciphertexts, so the result recipient's party adds
the noise right after decrypting: the trust the design places in the exchange moves to the recipient,
which could skip the noise on its own copy of the values. Every other reader gets the noised values only.

Pure code (OpenDP, no database): agents and the exchange calibrate identically, so the exchange can check
that the noise the recipient declares is the one the computation asked for.
"""

from __future__ import annotations

import math
from typing import Any

from hdx.analyses import get_analysis

from .errors import PrivacyError
from .mechanisms import CentralNoise, plan_gaussian, plan_laplace
from .sensitivity import of_analysis
from .spend import Spend

# Noise declared by a recipient is accepted when its scale matches the exchange's own calibration to
# this relative precision (both run the same OpenDP search; only float formatting could differ).
_SCALE_TOLERANCE = 1e-9


def plan(analysis: str, params: dict[str, Any], epsilon: float, delta: float | None) -> CentralNoise:
    """Laplace for pure epsilon-DP, Gaussian when the computation also declares delta."""
    chosen = get_analysis(analysis)
    sensitivity = of_analysis(chosen, chosen.parse(params))
    if delta:
        return plan_gaussian(sensitivity, epsilon, delta)
    return plan_laplace(sensitivity, epsilon)


def describe(spend: Spend) -> dict[str, Any]:
    """What a release spent, as the recipient signs it and the result records it."""
    return {
        "mechanism": spend.mechanism,
        "epsilon": spend.epsilon,
        "delta": spend.delta,
        "scale": spend.scale,
    }


def check_declared(declared: dict[str, Any], expected: Spend) -> None:
    """Refuse noise that is not the calibration this computation asked for."""
    wanted = describe(expected)
    scale = declared.get("scale")
    same = (
        declared.get("mechanism") == wanted["mechanism"]
        and declared.get("epsilon") == wanted["epsilon"]
        and declared.get("delta") == wanted["delta"]
        and isinstance(scale, int | float)
        and math.isclose(float(scale), expected.scale, rel_tol=_SCALE_TOLERANCE)
    )
    if not same:
        raise PrivacyError(f"the recipient declared noise {declared}, the computation calls for {wanted}")
