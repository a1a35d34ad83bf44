"""The one place that switches OpenDP's feature flags on.

OpenDP keeps every constructor outside its small core behind the "contrib" flag, among them the
Laplace and Gaussian measurements and the zCDP-to-approximate-DP conversion used here. Their privacy
proofs are published with the library (linked from each constructor's documentation) and this package
relies on them. Nothing else is enabled: not "floating-point" (no float-sensitive transformations are
used; the noise measurements themselves sample on a discrete grid) and not "honest-but-curious"
(every function handed to OpenDP is OpenDP's own).
"""

from __future__ import annotations

import opendp.prelude as dp

dp.enable_features("contrib")

__all__ = ["dp"]
