"""Run an analysis the way the protocol will: local vectors at each organization, summed, finalized."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.datasets import load_breast_cancer, load_diabetes

from hdx.analyses import Analysis, Result
from hdx.protocols.fixed_point import decode_sum, encode_contribution, plan


def split(frame: pl.DataFrame, parts: int, seed: int = 7) -> list[pl.DataFrame]:
    """Shuffle rows, then cut them into `parts` organizations of unequal size (each at least half the
    even share)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(frame.height)
    weights = rng.uniform(1, 2, size=parts)
    cuts = np.cumsum(weights / weights.sum() * frame.height).astype(int)[:-1]
    return [frame[indices] for indices in np.split(order, cuts)]


def summed(analysis: Analysis[Any], params: Any, parties: list[pl.DataFrame], k: int) -> np.ndarray:
    return np.sum([analysis.local(part, params, k=k).vector for part in parties], axis=0)


def federated(
    analysis: Analysis[Any], raw: dict[str, Any], parties: list[pl.DataFrame], k: int = 5
) -> Result:
    params = analysis.parse(raw)
    return analysis.finalize(summed(analysis, params, parties, k), params, k=k)


def federated_encoded(
    analysis: Analysis[Any], raw: dict[str, Any], parties: list[pl.DataFrame], modulus: int, k: int = 5
) -> Result:
    """As `federated`, but the vectors are summed as the protocols sum them: each party's vector in the
    computation's fixed-point encoding (two limbs where one element is too small), added element-wise
    mod `modulus`, lifted to signed integers and decoded."""
    params = analysis.parse(raw)
    chosen = plan(analysis.name, raw, len(parties), modulus)
    wire = [encode_contribution(chosen, analysis.local(part, params, k=k)) for part in parties]
    totals = [sum(int(vector[i]) for vector in wire) % modulus for i in range(chosen.length)]
    lifted = np.array([t - modulus if t > modulus // 2 else t for t in totals], dtype=np.int64)
    return analysis.finalize(decode_sum(chosen, lifted), params, k=k)


def diabetes() -> pl.DataFrame:
    return pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame)


def breast_cancer() -> pl.DataFrame:
    return pl.from_pandas(load_breast_cancer(as_frame=True).frame)
