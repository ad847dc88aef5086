"""Stage ``trackd_fig2b``: Fig 2b analogue: MAR vs MIM (MAE) probe accuracy over the Dirichlet α,
FL and DecL (:func:`sims.trackd.experiments.fig2b`). Writes ``trackd_fig2b.json`` and
``trackd_fig2b.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import experiment_stage, mean_se_text

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per framework, method and α."""
    return {
        f"{f} {m} alpha={a}": mean_se_text(s)
        for f, per_f in results["summary"].items()
        for m, per in per_f.items()
        for a, s in per.items()
    }


Config, compute, STAGE = experiment_stage("fig2b", summarize, __name__)
