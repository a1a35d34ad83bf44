"""Regression design matrices: an optional constant column followed by bounded covariates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, Field, field_validator

from .variables import Variable, require_distinct

CONSTANT = "const"


class DesignParams(BaseModel):
    covariates: list[Variable] = Field(min_length=1, max_length=50)
    intercept: bool = True

    @field_validator("covariates")
    @classmethod
    def _distinct(cls, covariates: list[Variable]) -> list[Variable]:
        require_distinct([v.name for v in covariates], "covariates")
        if CONSTANT in (v.name for v in covariates):
            raise ValueError(f"{CONSTANT!r} is reserved for the intercept")
        return covariates

    def terms(self) -> list[str]:
        return ([CONSTANT] if self.intercept else []) + [v.term for v in self.covariates]

    def magnitudes(self) -> list[float]:
        return ([1.0] if self.intercept else []) + [v.magnitude for v in self.covariates]

    def design(self, frame: pl.DataFrame) -> npt.NDArray[np.float64]:
        covariates = frame.select(v.name for v in self.covariates).to_numpy().astype(np.float64)
        if not self.intercept:
            return covariates
        return np.column_stack([np.ones(frame.height), covariates])
