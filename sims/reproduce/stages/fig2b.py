"""Stage ``fig2b``: Fig. 2b in the linear setting: MAR vs MIM over Dirichlet α, FL and DecL
(:func:`sims.trackc.experiments.fig2b`). Writes ``fig2b.json`` and ``fig2b.png``."""

from __future__ import annotations

from sims.reproduce.figures.experiments import make_fig2b_figure
from sims.reproduce.stages._experiment import experiment_stage, r4
from sims.trackc import experiments
from sims.trackc.presets import Fig2bPreset as Config

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Headline numbers for the report: probe accuracy per (framework, method, α)."""
    return {
        f"{r['framework']} {r['method']} a={r['alpha']} probe": r4(r["probe"])
        for r in results["rows"]
    }


STAGE = experiment_stage("fig2b", Config, experiments.fig2b, make_fig2b_figure, summarize)
