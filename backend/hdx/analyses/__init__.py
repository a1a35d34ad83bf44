"""Pure statistical analyses: each party computes a local vector, the protocol sums the vectors
securely, and the analysis finalizes the sum. No web, database or settings imports here."""

from .base import Analysis, AnalysisParams, Contribution, Element, Layout, Result, Run, with_iterations
from .disclosure import require_cohort, suppress_small_cells
from .errors import AnalysisError, DisclosureError, MissingColumns
from .filters import Filter, apply_filters, check_filter_disclosure
from .logistic import LogisticParams, fit_logistic
from .registry import ANALYSES, get_analysis
from .variables import Variable

__all__ = [
    "ANALYSES",
    "Analysis",
    "AnalysisError",
    "AnalysisParams",
    "Contribution",
    "DisclosureError",
    "Element",
    "Filter",
    "Layout",
    "LogisticParams",
    "MissingColumns",
    "Result",
    "Run",
    "Variable",
    "apply_filters",
    "check_filter_disclosure",
    "fit_logistic",
    "get_analysis",
    "require_cohort",
    "suppress_small_cells",
    "with_iterations",
]
