"""The original product's vocabulary, translated to analyses and protocols.

The original `POST /secure-computations/initialize` named a `metric_type` (e.g. "blood_pressure") and a
`security_method`. A metric becomes a secure `mean` over one numeric column of the schema catalog, with
that column's plausible range as the declared bounds (values outside are clipped by the agents):

- "blood_pressure" means systolic blood pressure (`systolic_bp`, LOINC 8480-6, 40..300 mm[Hg]);
- any other metric is looked up among the catalog's numeric columns by name or alias, e.g.
  "glucose" -> `glucose` (2345-7, 10..2000 mg/dL), "cholesterol" -> `total_cholesterol`,
  "heart_rate", "hba1c", "bmi", "temperature", "weight", "oxygen_saturation", "creatinine".

A method becomes a protocol: "standard" -> shamir, "homomorphic" -> paillier, "hybrid" -> hybrid.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

from hdx.computations.models import ProtocolName
from hdx.datasets.catalog import KNOWN_COLUMNS, SYSTOLIC, Column, Kind, lookup, normalize_name
from hdx.exceptions import Unprocessable

_NUMERIC = tuple(
    column
    for column in KNOWN_COLUMNS.values()
    if column.kind in (Kind.number, Kind.integer)
    and column.minimum is not None
    and column.maximum is not None
)
METRICS: dict[str, Column] = lookup(_NUMERIC) | {"blood_pressure": SYSTOLIC}

SECURITY_METHODS: dict[str, ProtocolName] = {
    "standard": ProtocolName.shamir,
    "homomorphic": ProtocolName.paillier,
    "hybrid": ProtocolName.hybrid,
    **{p.value: p for p in ProtocolName},
}

# Every value a protocol or security_method field accepts: ours first, then the original's aliases.
PROTOCOL_NAMES: list[str] = [
    *(p.value for p in ProtocolName),
    *(name for name, p in SECURITY_METHODS.items() if name != p.value),
]


def metric_named(value: str) -> Column | None:
    return METRICS.get(normalize_name(value))


def mean_params(column: Column) -> dict[str, Any]:
    return {"variable": {"name": column.name, "lo": column.minimum, "hi": column.maximum}}


def _accepted() -> str:
    return ", ".join(
        name if name == SECURITY_METHODS[name].value else f"{name} (= {SECURITY_METHODS[name].value})"
        for name in PROTOCOL_NAMES
    )


def protocol_named(value: object) -> object:
    """Our protocol names and the original method names, in any case; anything else is refused with
    every accepted value."""
    if isinstance(value, ProtocolName):
        return value
    found = SECURITY_METHODS.get(value.strip().lower()) if isinstance(value, str) else None
    if found is None:
        raise PydanticCustomError(
            "unknown_protocol",
            "unknown protocol {value}; accepted: {accepted}",
            {"value": repr(value), "accepted": _accepted()},
        )
    return found


# Where the original body's fields went in the spec, to name them as the client sent them.
_ORIGINAL_FIELDS = {
    "participants": "participating_orgs",
    "protocol": "security_method",
    "analysis": "metric_type",
    "params": "metric_type",
}


def original_fields(error: Unprocessable) -> Unprocessable:
    """A refusal of the spec an original body became, with the fields named as that body names them."""
    if not isinstance(error.detail, list):
        return error
    detail = [
        item | {"field": _ORIGINAL_FIELDS.get(str(item.get("field", "")).split(".")[0], item.get("field"))}
        for item in error.detail
        if isinstance(item, dict)
    ]
    return Unprocessable(error.message, detail=detail)
