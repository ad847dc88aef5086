"""Stage ``fig2a``: Fig. 2a in the linear setting: DecL MIM over graphs of
increasing |Ā| + FL reference
(:func:`sims.experiments.fig2a`). Writes ``fig2a.json`` and ``fig2a.png``."""

from __future__ import annotations

from sims import experiments
from sims.config import Fig2aPreset as Config
from sims.figures.experiments import make_fig2a_figure
from sims.pipeline import Stage

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Headline numbers for the report."""

    def r4(x):
        return None if x is None else round(float(x), 4)

    out = {
        f"{r['family']} |A|={r['abar']:.2f} s_N/probe": f"{r4(r['s_N'])}/{r4(r['probe'])}"
        for r in results["rows"]
    }
    out["FL s_N/probe"] = f"{r4(results['fl']['s_N'])}/{r4(results['fl']['probe'])}"
    return out


STAGE = Stage(
    "fig2a",
    Config,
    experiments.fig2a,
    figures={"fig2a.png": make_fig2a_figure},
    summarize=summarize,
)
