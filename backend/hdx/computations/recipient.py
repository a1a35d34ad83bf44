"""What paillier and hybrid cannot protect: the result recipient, the requester's party, decrypts the exact
aggregate of every cell before the exchange suppresses small cells, before any organization reviews the
output and, in central mode, before the noise that party adds itself. So neither central differential
privacy nor output review can hold against the requester there; both are refused at initialize."""

from __future__ import annotations

from collections.abc import Sequence

from hdx.computations.models import Computation, ProtocolName
from hdx.computations.schemas import ComputationSpec
from hdx.exceptions import Unprocessable
from hdx.organizations.models import Organization
from hdx.privacy.modes import DpMode

DECRYPTING = {ProtocolName.paillier, ProtocolName.hybrid}


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, detail=[{"field": field, "message": message}])


def check(spec: ComputationSpec, orgs: Sequence[Organization]) -> None:
    """Refuse (422) central noise, or a participant requiring output review, with paillier or hybrid."""
    protocol = ProtocolName(spec.protocol)
    if protocol not in DECRYPTING:
        return
    if spec.dp_mode is DpMode.central:
        raise _invalid(
            "dp_mode",
            f"central differential privacy cannot protect a {protocol.value} computation: the requester's "
            "party decrypts the exact aggregate before adding the noise itself; use dp_mode "
            '"distributed" (each party noises its input before encrypting it, needs delta) or the '
            "shamir or secagg protocol",
        )
    reviewing = [org.name for org in orgs if org.requires_output_review]
    if reviewing:
        verb, their = ("requires", "its") if len(reviewing) == 1 else ("require", "their")
        raise _invalid(
            "protocol",
            f"{', '.join(reviewing)} {verb} output review of every result using {their} data, and with "
            f"{protocol.value} the requester's party decrypts the aggregate before any review: use shamir "
            "or secagg",
        )


def check_acceptance(computation: Computation, organization: Organization) -> None:
    """Refuse (422) an acceptance by an organization that reviews outputs (possibly switched on since
    the invitation) of a computation whose requester's party decrypts the result before any review."""
    if organization.requires_output_review and computation.protocol in DECRYPTING:
        message = (
            f"Your organization reviews every result before release, and with {computation.protocol.value} "
            "the requester's party decrypts the result before any review: decline it, or ask for shamir or "
            "secagg"
        )
        raise _invalid("computation", message)
