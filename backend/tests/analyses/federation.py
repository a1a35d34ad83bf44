"""Run an analysis the way the protocol will: local vectors at each organization, summed, finalized."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.datasets import load_breast_cancer, load_diabetes

from hdx.analyses import Analysis, Result


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


def diabetes() -> pl.DataFrame:
    return pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame)


def breast_cancer() -> pl.DataFrame:
    return pl.from_pandas(load_breast_cancer(as_frame=True).frame)
