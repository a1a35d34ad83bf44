"""Where the differential-privacy noise of a computation comes from."""

from __future__ import annotations

import enum


class DpMode(enum.StrEnum):
    # Whoever first sees the exact aggregate noises it: the exchange (shamir, secagg) or the result
    # recipient after decrypting (paillier, hybrid).
    central = "central"
    # Every party adds its share of discrete Gaussian noise before sharing: nobody sees the exact aggregate.
    distributed = "distributed"
