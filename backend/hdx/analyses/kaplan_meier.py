"""Kaplan-Meier survival over fixed time bins: each party counts events and people at risk per bin."""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import Field, JsonValue, model_validator

from .base import Analysis, AnalysisParams, Element, FloatVector, Release
from .disclosure import require_cohort
from .errors import AnalysisError
from .variables import Variable


class KaplanMeierParams(AnalysisParams):
    """Bins are (edge_j, edge_j+1] over the time variable's bounds (the first also takes the lower
    bound); with one bin per distinct time this is the exact Kaplan-Meier estimate."""

    time: Variable
    event: str = Field(min_length=1, max_length=200)
    bins: int = Field(ge=1, le=10_000)
    confidence: float = Field(default=0.95, gt=0, lt=1)

    @model_validator(mode="after")
    def _distinct(self) -> KaplanMeierParams:
        if self.event == self.time.name:
            raise ValueError("time and event must be different columns")
        return self

    def edges(self) -> FloatVector:
        return np.linspace(self.time.lo, self.time.hi, self.bins + 1)


class KaplanMeierAnalysis(Analysis[KaplanMeierParams]):
    name = "kaplan_meier"
    params_model = KaplanMeierParams

    def variables(self, params: KaplanMeierParams) -> list[Variable]:
        return [params.time]

    def extra_columns(self, params: KaplanMeierParams) -> list[str]:
        return [params.event]

    def elements(self, params: KaplanMeierParams, max_rows: int) -> list[Element]:
        # A record's event falls in one bin; it is at risk in every bin up to its own.
        events = [
            Element(f"events[{j}]", float(max_rows), integer=True, exclusive="events")
            for j in range(params.bins)
        ]
        return events + [Element(f"at_risk[{j}]", float(max_rows), integer=True) for j in range(params.bins)]

    def select_rows(self, frame: pl.DataFrame, params: KaplanMeierParams) -> pl.DataFrame:
        event = frame.get_column(params.event)
        if not (event.dtype.is_numeric() or event.dtype == pl.Boolean):
            raise AnalysisError(f"event column {params.event!r} is {event.dtype}, not 0/1")
        if not event.cast(pl.Float64).is_in([0.0, 1.0]).all():
            raise AnalysisError(f"event column {params.event!r} holds values other than 0 and 1")
        return frame

    def compute(self, frame: pl.DataFrame, params: KaplanMeierParams) -> FloatVector:
        times = frame.get_column(params.time.name).to_numpy()
        events = frame.get_column(params.event).cast(pl.Float64).to_numpy()
        # A time equal to an edge ends that bin; the lower bound itself belongs to the first bin.
        index = np.clip(np.searchsorted(params.edges(), times, side="left") - 1, 0, params.bins - 1)
        event_counts = np.bincount(index, weights=events, minlength=params.bins)
        exits = np.bincount(index, minlength=params.bins)
        at_risk = np.cumsum(exits[::-1])[::-1]
        return np.concatenate([event_counts, at_risk]).astype(np.float64)

    def release(self, vector: FloatVector, params: KaplanMeierParams, k: int) -> Release:
        from scipy import stats  # imported on use: scipy adds ~75 MiB to every server process

        # Exact counts have fewer events than people at risk in a bin, and fewer people at risk in every
        # later bin; counts noised under differential privacy need not. Restoring both is post-processing
        # of the noised output (it cannot weaken the guarantee) and leaves exact counts as they are.
        at_risk = np.minimum.accumulate(vector[params.bins :])
        events = np.minimum(vector[: params.bins], at_risk)
        n = int(at_risk[0])
        require_cohort(n, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(at_risk > 0, events / at_risk, 0.0)
            survival = np.cumprod(1 - hazard)
            # Greenwood's sum; a bin where everyone left adds nothing, as in lifelines.
            terms = events / (at_risk * (at_risk - events))
            greenwood = np.cumsum(np.where(np.isfinite(terms), terms, 0.0))
            # Exponential Greenwood (log-log) band: stays inside [0, 1].
            z = float(stats.norm.ppf(0.5 + params.confidence / 2))
            log_s = np.log(survival)
            lower = np.exp(-np.exp(np.log(-log_s) - z * np.sqrt(greenwood) / log_s))
            upper = np.exp(-np.exp(np.log(-log_s) + z * np.sqrt(greenwood) / log_s))
        lower = np.where(np.isnan(lower), 1.0, lower)
        upper = np.where(np.isnan(upper), 1.0, upper)
        # Bins where fewer than k people are at risk would describe those few people; the curve stops.
        shown = int(np.argmax(at_risk < k)) if np.any(at_risk < k) else params.bins
        edges = params.edges()
        values: dict[str, JsonValue] = {
            "time": params.time.name,
            "event": params.event,
            "times": edges[1 : shown + 1].tolist(),
            "at_risk": at_risk[:shown].astype(np.int64).tolist(),
            "events": events[:shown].astype(np.int64).tolist(),
            "survival": survival[:shown].tolist(),
            "lower": lower[:shown].tolist(),
            "upper": upper[:shown].tolist(),
            "confidence": params.confidence,
        }
        notes = []
        if shown < params.bins:
            notes.append(
                f"the curve stops at time {edges[shown]:g}, where fewer than k={k} people remain at risk"
            )
        return Release(n=n, values=values, notes=notes)
