"""Stage ``trackd_fig2a``: Fig 2a analogue: DecL MAE probe accuracy vs |Ā| for general and uniform
graphs with an FL reference (:func:`sims.trackd.experiments.fig2a`); then Table 6, DecL MAE
probe accuracy under data-size, degree-normalised, doubly stochastic and push-sum mixing
(:func:`sims.trackd.experiments.table6`), whose FedAvg reference is Fig 2a's, read instead of
trained again (:mod:`sims.trackd.arms`). Writes ``trackd_fig2a.json``, ``trackd_fig2a.png``,
``trackd_table6.json`` and ``trackd_table6.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import decl_summary, experiment_stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per graph kind and |Ā|, and FL."""
    return decl_summary(results, "DecL {} |A|={}")


def summarize_table6(results: dict) -> dict:
    """Table 6: probe accuracy (mean ± SE) per mixing rule and |Ā|, and FL."""
    return decl_summary(results, "{} |A|~{}")


Config, compute, STAGE = experiment_stage(
    "fig2a", summarize, __name__, then=("table6", summarize_table6)
)
