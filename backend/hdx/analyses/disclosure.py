"""Minimum cohort k: refuse small aggregates, and suppress small cells so no published number counts
between 1 and k-1 people and no withheld cell can be recovered from the published total."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import AnalysisError, DisclosureError


def check_k(k: int) -> None:
    if k < 1:
        raise AnalysisError(f"minimum cohort k must be at least 1, got {k}")


def require_cohort(n: int, k: int) -> None:
    check_k(k)
    if n < k:
        raise DisclosureError(f"the result covers fewer than k={k} records, so it is not released")


def suppress_small_cells(counts: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.bool_]:
    """Mask of cells to withhold: every cell counting 1 to k-1 people, and, when that is a single cell,
    also the smallest other cell, because the published total minus the published cells would give
    a lone withheld cell's count. Empty cells describe no one and stay published otherwise."""
    check_k(k)
    flat = counts.ravel()
    hidden = (flat > 0) & (flat < k)
    if int(hidden.sum()) == 1 and flat.size > 1:
        others = np.flatnonzero(~hidden)
        hidden[others[np.argmin(flat[others])]] = True
    return hidden.reshape(counts.shape)
