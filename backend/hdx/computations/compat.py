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

from hdx.computations.models import ProtocolName
from hdx.datasets.catalog import KNOWN_COLUMNS, SYSTOLIC, Column, Kind, lookup, normalize_name

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


def metric_named(value: str) -> Column | None:
    return METRICS.get(normalize_name(value))


def mean_params(column: Column) -> dict[str, Any]:
    return {"variable": {"name": column.name, "lo": column.minimum, "hi": column.maximum}}


def protocol_named(value: object) -> object:
    """Accept the original method names beside ours; anything else is left for validation to refuse."""
    if isinstance(value, str):
        return SECURITY_METHODS.get(value.strip().lower(), value)
    return value
