"""The one place that switches OpenDP's feature flags on.

OpenDP keeps every constructor outside its small core behind the "contrib" flag, among them the
Laplace and Gaussian measurements and the zCDP-to-approximate-DP conversion used here. Their privacy
proofs are published with the library (linked from each constructor's documentation) and this package
relies on them. Nothing else is enabled: not "floating-point" (no float-sensitive transformations are
used; the noise measurements themselves sample on a discrete grid) and not "honest-but-curious"
(every function handed to OpenDP is OpenDP's own).
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any


@cache
def _prelude() -> ModuleType:
    import opendp.prelude as prelude

    prelude.enable_features("contrib")
    return prelude


class _OnFirstUse:
    # OpenDP takes seconds to import; party agents and API processes that never release a noisy
    # result should not pay for it at start-up.
    def __getattr__(self, name: str) -> Any:
        return getattr(_prelude(), name)


dp: Any = _OnFirstUse()

__all__ = ["dp"]
