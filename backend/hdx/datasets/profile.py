"""Per-column summary of a dataset, shown only to the organization that owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl


def profile(frame: pl.DataFrame, columns: list[dict[str, Any]]) -> dict[str, Any]:
    exprs: list[pl.Expr] = []
    for column in columns:
        name = column["name"]
        exprs += [
            pl.col(name).count().alias(f"{name}:count"),
            pl.col(name).null_count().alias(f"{name}:missing"),
        ]
        if column["kind"] in ("number", "integer", "flag", "datetime"):
            exprs += [pl.col(name).min().alias(f"{name}:min"), pl.col(name).max().alias(f"{name}:max")]
        if column["kind"] in ("number", "integer", "flag"):
            exprs.append(pl.col(name).mean().alias(f"{name}:mean"))
        if column["kind"] in ("pseudonym", "category", "code"):
            exprs.append(pl.col(name).n_unique().alias(f"{name}:distinct"))
    stats = frame.select(exprs).row(0, named=True) if exprs else {}
    out = []
    for column in columns:
        name = column["name"]
        entry: dict[str, Any] = {"name": name, "kind": column["kind"], "unit": column.get("unit")}
        for stat in ("count", "missing", "min", "max", "mean", "distinct"):
            if f"{name}:{stat}" in stats:
                value = stats[f"{name}:{stat}"]
                entry[stat] = value.isoformat() if isinstance(value, datetime) else value
        out.append(entry)
    return {"rows": frame.height, "columns": out}
