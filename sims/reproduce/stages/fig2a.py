"""Stage ``fig2a``: Fig. 2a in the linear setting: DecL MIM over graphs of increasing |Ā| and
the FL reference (:func:`sims.trackc.experiments.fig2a`). Writes ``fig2a.json`` and
``fig2a.png``."""

from __future__ import annotations

from sims.reproduce.figures.experiments import make_fig2a_figure
from sims.reproduce.stages._experiment import experiment_stage, rows_summary
from sims.trackc import experiments
from sims.trackc.presets import Fig2aPreset as Config

__all__ = ["Config", "STAGE"]

#: headline numbers for the report: s_N/probe per graph and of the FL reference
summarize = rows_summary(lambda r: f"{r['family']} |A|={r['abar']:.2f}")

STAGE = experiment_stage("fig2a", Config, experiments.fig2a, make_fig2a_figure, summarize)
