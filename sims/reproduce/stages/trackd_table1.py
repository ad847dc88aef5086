"""Stage ``trackd_table1``: Table 1 analogue: MAE vs SimSiam × MLP/ViT × IID/label/feature skew in
FL, probe accuracy and drop from IID (:func:`sims.trackd.experiments.table1`); then Table 5,
summed layer-wise ℓ2 distances local 1 / local N / global, per-client vs global probes and
uniformity for SimSiam, MAE and MAR (:func:`sims.trackd.experiments.table5`), whose SimSiam and
MAE arms are Table 1's label-skew arms, read instead of trained again
(:mod:`sims.trackd.arms`). Writes ``trackd_table1.json``, ``trackd_table1.png``, the learning
curves ``trackd_table1_curves.png``
(:func:`sims.reproduce.figures.trackd.make_trackd_curves_figure`), ``trackd_table5.json`` and
``trackd_table5.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import experiment_stage, mean_se_text

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per method, encoder and skew."""
    return {
        f"{c['method']}+{c['arch']} {c['skew']}": mean_se_text(c["probe"]) for c in results["cells"]
    }


def summarize_table5(results: dict) -> dict:
    """Table 5: summed layer-wise distances (mean) per method and pair."""
    return {
        f"{m} {k}": f"{s[k]['mean']:.3f}"
        for m, s in results["summary"].items()
        for k in ("local1_vs_localN", "local1_vs_global", "localN_vs_global")
    }


Config, compute, STAGE = experiment_stage(
    "table1", summarize, __name__, then=("table5", summarize_table5)
)
