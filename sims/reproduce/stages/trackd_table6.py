"""Stage ``trackd_table6``: Table 6 analogue: DecL MAE probe accuracy under data-size, degree-
normalised, doubly stochastic and push-sum mixing (:func:`sims.trackd.experiments.table6`).
Writes ``trackd_table6.json`` and ``trackd_table6.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import decl_summary, experiment_stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per mixing rule and |Ā|, and FL."""
    return decl_summary(results, "{} |A|~{}")


Config, compute, STAGE = experiment_stage("table6", summarize, __name__)
