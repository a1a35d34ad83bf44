"""What the participating organizations require of a computation before their data may go into it.

An organization with `require_differential_privacy` takes part only in computations that carry epsilon:
every release on its data is then noised and charged to the data's privacy budget, so differencing two
queries is bounded by that budget and an exhausted budget stops every query on the data.
"""

from __future__ import annotations

from collections.abc import Sequence

from hdx.analyses.registry import get_analysis
from hdx.computations.models import Computation
from hdx.computations.schemas import ComputationSpec
from hdx.exceptions import Unprocessable
from hdx.organizations.models import Organization


def check(spec: ComputationSpec, orgs: Sequence[Organization]) -> None:
    """Refuse (422) a computation without differential privacy when a participant requires it."""
    requiring = [org.name for org in orgs if org.require_differential_privacy]
    if not requiring or spec.epsilon is not None:
        return
    names = ", ".join(requiring)
    verb, their, them = ("requires", "its", "it") if len(requiring) == 1 else ("require", "their", "them")
    if get_analysis(spec.analysis).iterative:
        message = (
            f"{names} {verb} differential privacy on every computation using {their} data, and "
            f"{spec.analysis} cannot provide it (it runs one secure sum per iteration and the noise is "
            f"calibrated to a single release): leave {them} out of this analysis"
        )
        raise Unprocessable(message, detail=[{"field": "participants", "message": message}])
    message = (
        f"{names} {verb} differential privacy on every computation using {their} data: set epsilon "
        "(each release is charged to the privacy budget of every dataset it uses)"
    )
    raise Unprocessable(message, detail=[{"field": "epsilon", "message": message}])


def check_acceptance(computation: Computation, organization: Organization) -> None:
    """Refuse (422) an acceptance without differential privacy by an organization that requires it
    (possibly switched on since the invitation)."""
    if organization.require_differential_privacy and computation.dp_epsilon is None:
        message = (
            "Your organization requires differential privacy on every computation using its data, and "
            "this computation has none: decline it, or ask the requester for one with epsilon"
        )
        raise Unprocessable(message, detail=[{"field": "computation", "message": message}])
