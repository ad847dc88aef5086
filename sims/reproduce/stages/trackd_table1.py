"""Stage ``trackd_table1``: Table 1 analogue: MAE vs SimSiam × MLP/ViT × IID/label/feature skew in
FL, probe accuracy and drop from IID (:func:`sims.trackd.experiments.table1`). Writes
``trackd_table1.json``, ``trackd_table1.png`` and the learning curves
``trackd_table1_curves.png`` (:func:`sims.reproduce.figures.trackd.make_trackd_curves_figure`).
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import experiment_stage, mean_se_text

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per method, encoder and skew."""
    return {
        f"{c['method']}+{c['arch']} {c['skew']}": mean_se_text(c["probe"]) for c in results["cells"]
    }


Config, compute, STAGE = experiment_stage("table1", summarize, __name__)
