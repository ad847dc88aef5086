"""Stage ``trackd_table5``: Table 5 analogue: summed layer-wise ℓ2 distances local 1 / local N /
global, per-client vs global probes and uniformity for SimSiam, MAE and MAR
(:func:`sims.trackd.experiments.table5`). Writes ``trackd_table5.json`` and
``trackd_table5.png``.
"""

from __future__ import annotations

from sims.reproduce.stages.trackd_common import experiment_stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Summed layer-wise distances (mean) per method and pair."""
    return {
        f"{m} {k}": f"{s[k]['mean']:.3f}"
        for m, s in results["summary"].items()
        for k in ("local1_vs_localN", "local1_vs_global", "localN_vs_global")
    }


Config, compute, STAGE = experiment_stage("table5", summarize, __name__)
