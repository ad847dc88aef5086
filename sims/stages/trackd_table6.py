"""Stage ``trackd_table6``: Table 6 analogue: DecL MAE probe accuracy under data-size, degree-
normalised, doubly stochastic and push-sum mixing (:func:`sims.trackd.experiments.table6`).
Writes ``trackd_table6.json`` and ``trackd_table6.png``.
"""

from __future__ import annotations

from sims.stages.trackd_common import experiment_stage, mean_se_text

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per mixing rule and |Ā|, and FL."""
    out = {
        f"{r} |A|~{a}": mean_se_text(s)
        for r, per in results["summary"].items()
        for a, s in per.items()
    }
    fl = results["fl_summary"]
    out["FL"] = mean_se_text(fl)
    return out


Config, compute, STAGE = experiment_stage("table6", summarize, __name__)
