"""What protects a computation's result under differential privacy, as the exchange plans it: checked
when the computation is created (an unsound combination is refused with 422) and shown with its status.

Pure apart from OpenDP (imported on first use, seconds): callers on the event loop run these in a thread.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from hdx.analyses import AnalysisError
from hdx.crypto.errors import CapacityError, CryptoError
from hdx.privacy import central
from hdx.privacy.errors import PrivacyError
from hdx.privacy.modes import DpMode
from hdx.protocols import fixed_point, party_noise
from hdx.protocols.registry import EXCHANGE_PROTOCOLS

RECIPIENT_NOISES = frozenset({"paillier", "hybrid"})


class Unsound(ValueError):
    """This privacy setting cannot be met for this computation; the message says why."""


def check(
    analysis: str,
    params: dict[str, Any],
    protocol: str,
    mode: DpMode,
    epsilon: float,
    delta: float | None,
    *,
    party_counts: tuple[int, ...],
    threshold: int,
) -> None:
    """Raise Unsound unless the setting is sound for every number of parties the computation may start with."""
    for parties in party_counts:
        describe(analysis, params, protocol, mode, epsilon, delta, parties=parties, threshold=threshold)


def describe(
    analysis: str,
    params: dict[str, Any],
    protocol: str,
    mode: DpMode,
    epsilon: float,
    delta: float | None,
    *,
    parties: int,
    threshold: int,
) -> dict[str, Any]:
    """mode, mechanism, epsilon, delta, noise_scale, noised_by (and honest_parties when distributed);
    raises Unsound."""
    if mode is not DpMode.distributed:
        # Central noise depends on neither.
        parties = threshold = 0
    params_json = json.dumps(params, sort_keys=True)
    return dict(_describe(analysis, params_json, protocol, mode, epsilon, delta, parties, threshold))


@functools.lru_cache(maxsize=256)
def _describe(
    analysis: str,
    params_json: str,
    protocol: str,
    mode: DpMode,
    epsilon: float,
    delta: float | None,
    parties: int,
    threshold: int,
) -> tuple[tuple[str, Any], ...]:
    params = json.loads(params_json)
    try:
        if mode is DpMode.distributed:
            found = _distributed(analysis, params, protocol, epsilon, delta, parties, threshold)
        else:
            spend = central.plan(analysis, params, epsilon, delta).spend
            noised_by = (
                "the result recipient's party, right after decrypting"
                if protocol in RECIPIENT_NOISES
                else "the exchange, before anyone sees the aggregate"
            )
            found = {"mechanism": spend.mechanism, "noise_scale": spend.scale, "noised_by": noised_by}
    except (PrivacyError, CryptoError) as exc:
        raise Unsound(str(exc)) from exc
    except (OverflowError, AnalysisError) as exc:
        # Bounds the checks before let through but the float arithmetic of a plan cannot carry.
        raise Unsound(f"the noise cannot be planned for these parameters ({exc})") from exc
    described = {"mode": mode.value, "epsilon": epsilon, "delta": delta or 0.0} | found
    return tuple(described.items())


def _distributed(
    analysis: str,
    params: dict[str, Any],
    protocol: str,
    epsilon: float,
    delta: float | None,
    parties: int,
    threshold: int,
) -> dict[str, Any]:
    if delta is None:
        raise PrivacyError("distributed mode adds discrete Gaussian noise, which needs delta")
    modulus = EXCHANGE_PROTOCOLS[protocol].modulus()
    try:
        # The noise lives on the fixed-point grid: one element per value, no limbs.
        plan = fixed_point.plan(analysis, params, parties, modulus, limbs=1)
    except CapacityError as exc:
        raise PrivacyError(
            f"distributed noise needs every value in one element of the modulus, and {exc}"
        ) from exc
    noise = party_noise.noise_for(
        analysis, params, epsilon, delta, parties=parties, threshold=threshold, plan=plan
    )
    return {
        "mechanism": noise.spend.mechanism,
        "noise_scale": noise.spend.scale,
        "noised_by": "each contributing party, on its own input before sharing it",
        "honest_parties": threshold,
    }
