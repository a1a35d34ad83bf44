"""Counts in equal-width bins over a variable's declared bounds, and quantiles read off them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import Field, JsonValue, field_validator

from .base import Analysis, AnalysisParams, Element, FloatVector, Release, Run
from .disclosure import require_cohort, suppress_small_cells
from .variables import Variable


class HistogramParams(AnalysisParams):
    variable: Variable
    bins: int = Field(ge=1, le=10_000)
    quantiles: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75], max_length=99)

    @field_validator("quantiles")
    @classmethod
    def _probabilities(cls, quantiles: list[float]) -> list[float]:
        if any(not 0 < q < 1 for q in quantiles):
            raise ValueError("quantiles must lie strictly between 0 and 1")
        return quantiles

    def edges(self) -> FloatVector:
        return np.linspace(self.variable.lo, self.variable.hi, self.bins + 1)


def interpolated_quantiles(
    counts: npt.NDArray[np.int64], edges: FloatVector, probabilities: list[float]
) -> list[float | None]:
    """Invert the cumulative distribution that is linear inside each bin (values spread evenly in a bin)."""
    total = int(counts.sum())
    if total == 0:
        return [None for _ in probabilities]
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    quantiles: list[float | None] = []
    for probability in probabilities:
        target = probability * total
        # First bin whose cumulative count reaches the target; it holds at least one value.
        index = int(np.searchsorted(cumulative[1:], target, side="left"))
        below = cumulative[index]
        fraction = (target - below) / counts[index]
        quantiles.append(float(edges[index] + fraction * (edges[index + 1] - edges[index])))
    return quantiles


class HistogramAnalysis(Analysis[HistogramParams]):
    name = "histogram"
    params_model = HistogramParams

    def variables(self, params: HistogramParams) -> list[Variable]:
        return [params.variable]

    def elements(self, params: HistogramParams, max_rows: int) -> list[Element | Run]:
        return [Run("count", (tuple(range(params.bins)),), float(max_rows), integer=True, exclusive="bins")]

    def compute(self, frame: pl.DataFrame, params: HistogramParams) -> FloatVector:
        values = frame.get_column(params.variable.name).to_numpy()
        # numpy's binning (last bin closed) is the reference the pooled histogram is compared with.
        counts, _ = np.histogram(values, bins=params.edges())
        return counts.astype(np.float64)

    def release(self, vector: FloatVector, params: HistogramParams, k: int) -> Release:
        counts = vector.astype(np.int64)
        n = int(counts.sum())
        require_cohort(n, k)
        hidden = suppress_small_cells(counts, k)
        edges = params.edges()
        published = np.where(hidden, 0, counts)
        values: dict[str, JsonValue] = {
            "variable": params.variable.name,
            "edges": edges.tolist(),
            "counts": [None if hide else int(count) for hide, count in zip(hidden, counts, strict=True)],
            "quantiles": {
                str(p): q
                for p, q in zip(
                    params.quantiles, interpolated_quantiles(published, edges, params.quantiles), strict=True
                )
            },
        }
        notes = []
        if hidden.any():
            notes.append(
                f"cells counting fewer than k={k} people are withheld (with the smallest other cell when one "
                "alone would follow from the total); quantiles use the published cells only"
            )
        return Release(
            n=n, values=values, suppressed=[f"count[{i}]" for i in np.flatnonzero(hidden)], notes=notes
        )
