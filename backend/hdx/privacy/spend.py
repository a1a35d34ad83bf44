"""What a noisy release spent, as recorded with its result and charged to each dataset's budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import PrivacyError

# The privacy parameters a computation may ask for. Below MIN_EPSILON the noise is over a thousand
# times the most one record can change a value (no release is of use) and OpenDP's Laplace scale
# overflows long before epsilon reaches zero; above MAX_EPSILON the guarantee means little.
# Delta is the chance the epsilon guarantee fails outright: at most MAX_DELTA (it should stay well
# below one over the number of records), and at least MIN_DELTA, below which the Gaussian noise
# keeps growing for no practical gain.
MIN_EPSILON = 1e-3
MAX_EPSILON = 10.0
MIN_DELTA = 1e-12
MAX_DELTA = 1e-3


@dataclass(frozen=True)
class Spend:
    """`scale` is the noise per unit of per-record bound (Laplace b, or the Gaussian's sigma);
    `element_scales` is each element's noise in the vector's own units (0 where an element cannot
    depend on any one record)."""

    mechanism: str
    epsilon: float
    delta: float
    scale: float
    element_scales: tuple[float, ...]


def check_epsilon(epsilon: float) -> None:
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise PrivacyError(f"epsilon must be a positive number, got {epsilon!r}")


def check_delta(delta: float) -> None:
    if not (math.isfinite(delta) and 0 < delta < 1):
        raise PrivacyError(f"delta must lie strictly between 0 and 1, got {delta!r}")
