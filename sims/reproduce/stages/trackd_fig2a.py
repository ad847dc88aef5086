"""Stage ``trackd_fig2a``: Fig 2a analogue: DecL MAE probe accuracy vs |Ā| for general and uniform
graphs with an FL reference (:func:`sims.trackd.experiments.fig2a`). Writes
``trackd_fig2a.json`` and ``trackd_fig2a.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import decl_summary, experiment_stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per graph kind and |Ā|, and FL."""
    return decl_summary(results, "DecL {} |A|={}")


Config, compute, STAGE = experiment_stage("fig2a", summarize, __name__)
