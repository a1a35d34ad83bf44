"""scikit-learn's diabetes data (442 patients) under catalog column names, split among hospitals.

The raw columns map to the catalog where the meaning matches: s1 is total serum cholesterol, s2 LDL,
s3 HDL and s6 blood glucose (mg/dL). bp is a mean arterial pressure, which is neither the systolic nor
the diastolic pressure of the catalog, so it stays a custom column under its own name, as do the
cholesterol/HDL ratio (s4), the log of serum triglycerides (s5) and the disease progression score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

COLUMNS = {
    "age": "age",
    "sex": "sex",
    "bmi": "bmi",
    "bp": "mean_arterial_pressure",
    "s1": "total_cholesterol",
    "s2": "ldl_cholesterol",
    "s3": "hdl_cholesterol",
    "s4": "cholesterol_hdl_ratio",
    "s5": "log_triglycerides",
    "s6": "glucose",
    "target": "disease_progression",
}


def diabetes() -> pl.DataFrame:
    from sklearn.datasets import load_diabetes

    raw = load_diabetes(as_frame=True, scaled=False).frame
    frame = pl.from_pandas(raw).rename(COLUMNS)
    return frame.with_columns(
        # Whole numbers in the source are stored as floats; the catalog types age as an integer and
        # sex as a code (1 and 2, ISO 5218).
        pl.col("age").cast(pl.Int64),
        pl.col("sex").cast(pl.Int64),
        pl.format("D{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(4)).alias("patient_id"),
    ).select("patient_id", *COLUMNS.values())


def split(frame: pl.DataFrame, directory: Path, parts: int) -> list[Path]:
    """Contiguous, nearly equal shares written as CSV files share-1.csv ... share-N.csv."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, rows in enumerate(np.array_split(np.arange(frame.height), parts), start=1):
        path = directory / f"share-{number}.csv"
        frame[rows.tolist()].write_csv(path)
        paths.append(path)
    return paths
