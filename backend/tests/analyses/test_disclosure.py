from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hdx.analyses import suppress_small_cells


@given(
    counts=arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 40)),
    k=st.integers(1, 12),
)
def test_no_published_cell_counts_one_to_k_minus_one_and_no_lone_cell_is_withheld(
    counts: np.ndarray, k: int
) -> None:
    hidden = suppress_small_cells(counts, k)

    published = counts[~hidden]
    assert not np.any((published > 0) & (published < k))
    assert hidden.sum() != 1 or counts.size == 1
    # Only one cell beyond the small ones is ever withheld.
    assert hidden.sum() - np.count_nonzero((counts > 0) & (counts < k)) <= 1


def test_two_dimensional_tables_keep_their_shape() -> None:
    table = np.array([[2, 30], [40, 50]])

    hidden = suppress_small_cells(table, 5)

    assert hidden.tolist() == [[True, True], [False, False]]
