from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from hdx.analyses import AnalysisError, get_analysis
from tests.analyses.federation import breast_cancer, diabetes, federated, split

DIABETES = diabetes()
CANCER = breast_cancer()


def bounded(frame: pl.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    # Declared bounds a little wider than the data, as a catalog's plausible range would be.
    return [
        {"name": c, "lo": float(frame.get_column(c).min()) - 1, "hi": float(frame.get_column(c).max()) + 1}
        for c in columns
    ]


@pytest.mark.parametrize(
    ("frame", "columns", "parts"),
    [
        (DIABETES, ["age", "bmi", "bp", "s1", "s2", "s5", "target"], 3),
        (CANCER, ["mean radius", "mean texture", "mean area", "worst concavity"], 5),
    ],
)
def test_covariance_and_correlation_equal_numpy_on_pooled_data(
    frame: pl.DataFrame, columns: list[str], parts: int
) -> None:
    pooled = frame.select(columns).to_numpy()

    result = federated(
        get_analysis("covariance"), {"variables": bounded(frame, columns)}, split(frame, parts)
    )

    np.testing.assert_allclose(
        result.values["correlation"], np.corrcoef(pooled, rowvar=False), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(result.values["covariance"], np.cov(pooled, rowvar=False), rtol=1e-9)
    np.testing.assert_allclose(result.values["means"], pooled.mean(axis=0), rtol=1e-9)
    assert result.n == frame.height


def test_repeated_variables_and_constants_are_rejected() -> None:
    analysis = get_analysis("covariance")
    with pytest.raises(ValueError, match="names 'age' twice"):
        analysis.parse({"variables": [{"name": "age", "lo": 0, "hi": 1}, {"name": "age", "lo": 0, "hi": 2}]})

    params = analysis.parse({"variables": [{"name": "a", "lo": 0, "hi": 1}, {"name": "b", "lo": 0, "hi": 1}]})
    # n=10, sums 1 and 2; b's centred squares equal sum^2 / n, so b has no variance.
    vector = np.array([10.0, 1.0, 2.0, 3.0, 0.5, 0.4, 0.0])
    with pytest.raises(AnalysisError, match="constant variable: b"):
        analysis.finalize(vector, params, k=5)
