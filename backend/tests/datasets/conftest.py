"""Real clinical data (scikit-learn's diabetes study: 442 patients) and helpers to upload CSVs."""

from __future__ import annotations

from pathlib import Path

import httpx
import polars as pl
import pytest
from sklearn.datasets import load_diabetes

from hdx.config import Settings

# Diabetes study columns mapped to catalog columns where the measure is the same.
DIABETES_COLUMNS = {
    "age": "age",
    "sex": "sex_code",
    "bmi": "bmi",
    "bp": "mean_arterial_pressure",
    "s1": "total_cholesterol",
    "s2": "ldl_cholesterol",
    "s3": "hdl_cholesterol",
    "s4": "tch_hdl_ratio",
    "s5": "log_triglycerides",
    "s6": "glucose",
    "target": "progression",
}


@pytest.fixture(scope="session")
def diabetes() -> pl.DataFrame:
    """The 442 patients with hospital-style identifiers, as a hospital would export them."""
    frame = pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame).rename(DIABETES_COLUMNS)
    ids = pl.Series("patient_id", [f"MRN-{100_000 + i}" for i in range(frame.height)])
    return frame.insert_column(0, ids)


@pytest.fixture(scope="session")
def diabetes_csv(diabetes: pl.DataFrame) -> bytes:
    return diabetes.write_csv().encode()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    category: str = "custom",
    *,
    filename: str = "data.csv",
    name: str | None = None,
) -> httpx.Response:
    data = {"category": category}
    if name is not None:
        data["name"] = name
    return await client.post(
        "/upload", headers=headers, data=data, files={"file": (filename, content, "text/csv")}
    )


def vault_files(settings: Settings) -> list[Path]:
    """Every file the vault holds, including leftovers of failed uploads."""
    found = []
    for folder in (settings.data_dir / "vault", settings.data_dir / "tmp"):
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.is_file()]
    return found
