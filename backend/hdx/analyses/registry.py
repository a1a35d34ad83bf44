"""Every analysis by name; the exchange and the agents look requests up here."""

from __future__ import annotations

from typing import Any

from .base import Analysis
from .count import CountAnalysis
from .covariance import CovarianceAnalysis
from .crosstab import CrosstabAnalysis
from .errors import AnalysisError
from .histogram import HistogramAnalysis
from .kaplan_meier import KaplanMeierAnalysis
from .logistic import LOGISTIC
from .mean import MeanAnalysis
from .ols import OlsAnalysis
from .sums import SumAnalysis
from .variance import VarianceAnalysis

ANALYSES: dict[str, Analysis[Any]] = {
    analysis.name: analysis
    for analysis in (
        CountAnalysis(),
        SumAnalysis(),
        MeanAnalysis(),
        VarianceAnalysis(),
        HistogramAnalysis(),
        CrosstabAnalysis(),
        CovarianceAnalysis(),
        OlsAnalysis(),
        LOGISTIC,
        KaplanMeierAnalysis(),
    )
}


def get_analysis(name: str) -> Analysis[Any]:
    try:
        return ANALYSES[name]
    except KeyError:
        raise AnalysisError(f"unknown analysis {name!r}; known: {', '.join(sorted(ANALYSES))}") from None
