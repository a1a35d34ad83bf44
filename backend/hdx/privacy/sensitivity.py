"""How far one record can move an analysis' summed vector, from the bounds the analysis declares.

Neighbouring inputs differ by adding or removing one record at one party. The secure sum adds the
parties' vectors, so the sum moves exactly as that party's vector does: element i by at most the
per-record bound b_i, which is the analysis' layout at max_rows=1 (every bound is declared as max_rows
times the most one record adds: 1 for a count, max(|lo|, |hi|) for a sum, half the range for a centred
sum, its square for a sum of squares, |x_i| |x_j| for a cross-product, and so on).

Elements that share an `exclusive` label (histogram bins, table cells, event bins) take at most one
record's contribution between them, so together they count as one *slot* whose bound is their largest;
every other element is a slot of its own. Then
    L1 = sum over slots of max b_i        L2 = sqrt(sum over slots of (max b_i)^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hdx.analyses.base import Analysis, Layout

FloatVector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sensitivity:
    """Per-element per-record bounds, which elements hold whole numbers, and the slots that partition
    the elements."""

    bounds: FloatVector
    integer: npt.NDArray[np.bool_]
    slots: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.bounds)

    def _slot_bounds(self) -> list[float]:
        return [max(float(self.bounds[i]) for i in slot) for slot in self.slots]

    @property
    def l1(self) -> float:
        return math.fsum(self._slot_bounds())

    @property
    def l2(self) -> float:
        return math.sqrt(math.fsum(b * b for b in self._slot_bounds()))

    @property
    def active_slots(self) -> int:
        """Slots one record can change at all; a slot whose bound is 0 is the same for everyone."""
        return sum(1 for bound in self._slot_bounds() if bound > 0)


def of_layout(per_record: Layout) -> Sensitivity:
    """The sensitivity of a layout declared with max_rows=1."""
    bounds = per_record.bounds
    if not np.all(np.isfinite(bounds)) or np.any(bounds < 0):
        raise ValueError("per-record bounds must be finite and non-negative")
    slots: list[tuple[int, ...]] = []
    groups: dict[str, list[int]] = {}
    for index, element in enumerate(per_record.elements):
        if element.exclusive is None:
            slots.append((index,))
        else:
            groups.setdefault(element.exclusive, []).append(index)
    slots.extend(tuple(members) for members in groups.values())
    return Sensitivity(bounds=bounds, integer=per_record.integer, slots=tuple(sorted(slots)))


def of_analysis(analysis: Analysis[Any], params: Any) -> Sensitivity:
    """The sensitivity of `analysis` with these (parsed) parameters, clipped count included: it is
    released with the result, so it is noised with the rest."""
    return of_layout(analysis.layout(params, 1))
