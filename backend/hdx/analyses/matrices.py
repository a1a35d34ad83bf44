"""Symmetric matrices travel as their upper triangle, row by row (numpy.triu_indices order), which
halves the vector."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatVector = npt.NDArray[np.float64]
FloatMatrix = npt.NDArray[np.float64]


def upper_names(prefix: str, names: Sequence[str]) -> list[str]:
    size = len(names)
    return [f"{prefix}[{names[i]},{names[j]}]" for i in range(size) for j in range(i, size)]


def upper_bounds(magnitudes: Sequence[float]) -> list[float]:
    """Bounds of the upper triangle of x x' when |x_i| <= magnitudes[i]."""
    size = len(magnitudes)
    return [magnitudes[i] * magnitudes[j] for i in range(size) for j in range(i, size)]


def pack_upper(matrix: FloatMatrix) -> FloatVector:
    return matrix[np.triu_indices(matrix.shape[0])].astype(np.float64)


def unpack_symmetric(packed: FloatVector, size: int) -> FloatMatrix:
    matrix = np.zeros((size, size), dtype=np.float64)
    matrix[np.triu_indices(size)] = packed
    return matrix + np.triu(matrix, 1).T


def triangle_size(size: int) -> int:
    return size * (size + 1) // 2
