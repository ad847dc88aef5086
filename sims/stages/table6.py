"""Stage ``table6``: Table 6 in the linear setting: DecL MIM under four
mixing rules on the official code's graph
(:func:`sims.experiments.table6`). Writes ``table6.json`` and ``table6.png``."""

from __future__ import annotations

from sims import experiments
from sims.config import Table6Preset as Config
from sims.figures.experiments import make_table6_figure
from sims.pipeline import Stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Headline numbers for the report."""

    def r4(x):
        return None if x is None else round(float(x), 4)

    out = {
        f"deg {r['avg_degree']} {r['mixing']} s_N/probe": f"{r4(r['s_N'])}/{r4(r['probe'])}"
        for r in results["rows"]
    }
    out["FL s_N/probe"] = f"{r4(results['fl']['s_N'])}/{r4(results['fl']['probe'])}"
    return out


STAGE = Stage(
    "table6",
    Config,
    experiments.table6,
    figures={"table6.png": make_table6_figure},
    summarize=summarize,
)
