"""What a noisy release spent, as recorded with its result and charged to each dataset's budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import PrivacyError


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
