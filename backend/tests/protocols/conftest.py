"""The diabetes data set (scikit-learn) split across organizations, and analysis parameters over it."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from tests.analyses.federation import diabetes, split

BP = {"name": "bp", "lo": 40, "hi": 140}
ANALYSES: dict[str, dict[str, Any]] = {
    "mean": {"variable": BP},
    "variance": {"variable": BP},
    "histogram": {"variable": {"name": "age", "lo": 19, "hi": 79}, "bins": 6},
}


@pytest.fixture(scope="session")
def pooled() -> pl.DataFrame:
    return diabetes()


def organizations(frame: pl.DataFrame, parties: int) -> list[pl.DataFrame]:
    return split(frame, parties)
