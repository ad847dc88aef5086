"""Stage ``fig2b``: Fig. 2b in the linear setting: MAR vs MIM over Dirichlet α, FL and DecL
(:func:`sims.experiments.fig2b`). Writes ``fig2b.json`` and ``fig2b.png``."""

from __future__ import annotations

from sims import experiments
from sims.config import Fig2bPreset as Config
from sims.figures.experiments import make_fig2b_figure
from sims.pipeline import Stage

__all__ = ["Config", "STAGE"]


def _r4(x):
    return None if x is None else round(float(x), 4)


def summarize(results: dict) -> dict:
    """Headline numbers for the report."""
    return {
        f"{r['framework']} {r['method']} a={r['alpha']} probe": _r4(r["probe"])
        for r in results["rows"]
    }


STAGE = Stage(
    "fig2b",
    Config,
    experiments.fig2b,
    figures={"fig2b.png": make_fig2b_figure},
    summarize=summarize,
)
