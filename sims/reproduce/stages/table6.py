"""Stage ``table6``: Table 6 in the linear setting: DecL MIM under four mixing rules on the
official code's graph (:func:`sims.trackc.experiments.table6`). Writes ``table6.json`` and
``table6.png``."""

from __future__ import annotations

from sims.reproduce.figures.experiments import make_table6_figure
from sims.reproduce.stages._experiment import experiment_stage, rows_summary
from sims.trackc import experiments
from sims.trackc.presets import Table6Preset as Config

__all__ = ["Config", "STAGE"]

#: headline numbers for the report: s_N/probe per (degree, mixing rule) and of the FL reference
summarize = rows_summary(lambda r: f"deg {r['avg_degree']} {r['mixing']}")

STAGE = experiment_stage("table6", Config, experiments.table6, make_table6_figure, summarize)
