"""A secure sum of a million elements: a 1000 x 1000 cross-tabulation over secagg, run in memory."""

from __future__ import annotations

import numpy as np
import polars as pl

from hdx.protocols import protocol_layout
from tests.protocols.simulation import Simulation

ROWS = list(range(40, 1040))
COLUMNS = list(range(20, 1020))
PARAMS = {
    "row": {"name": "glucose", "categories": ROWS},
    "column": {"name": "triglycerides", "categories": COLUMNS},
}


def lab_values(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "glucose": rng.lognormal(np.log(110), 0.4, n).round().clip(30, 1200),
            "triglycerides": rng.lognormal(np.log(140), 0.6, n).round().clip(10, 3000),
        }
    )


def test_a_thousand_by_thousand_table_sums_exactly_over_secagg() -> None:
    frames = [lab_values(seed, 5_000) for seed in range(4)]
    sim = Simulation("secagg", "crosstab", PARAMS, [1, 2, 3, 4], threshold=3, k=1)

    aggregate = sim.run(sim.contributions(frames))
    result = sim.finalize(aggregate)

    pooled = pl.concat(frames)
    inside = pooled.filter(
        pl.col("glucose").is_between(40, 1039), pl.col("triglycerides").is_between(20, 1019)
    )
    expected = np.zeros((len(ROWS), len(COLUMNS)), dtype=np.int64)
    np.add.at(
        expected,
        (
            inside["glucose"].to_numpy().astype(np.int64) - 40,
            inside["triglycerides"].to_numpy().astype(np.int64) - 20,
        ),
        1,
    )
    assert len(protocol_layout("crosstab", PARAMS)) == 1_000_001
    assert result.values["counts"] == expected.tolist()
    assert result.n == inside.height
    masked = [m for m in sim.messages if m.kind == "masked"]
    # The upload is the vector at 8 bytes an element, plus a header and a signature of well under 1%.
    assert all(8 * 1_000_001 < len(m.payload) < 8 * 1_000_001 * 1.001 for m in masked)
