"""Stage ``trackd_table6``: Table 6 analogue: DecL MAE probe accuracy under data-size, degree-
normalised, doubly stochastic and push-sum mixing (:func:`sims.trackd.experiments.table6`).
Writes ``trackd_table6.json`` and ``trackd_table6.png``.
"""

from __future__ import annotations

import dataclasses

from sims.figures.trackd import make_trackd_table6_figure
from sims.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The experiment preset (:class:`sims.trackd.presets.Table6`)."""

    experiment: presets.Table6 = presets.preset("default", "table6")


# `make reproduce` runs the Track D experiments at the FAST preset: the DEFAULT preset takes
# several minutes per experiment on 2 CPU cores (run it with
# `dssl trackd --experiment table6 --preset default`; docs/track_d.md has its results).
Config.DEFAULT = Config(presets.preset("fast", "table6"))
Config.FAST = Config(presets.preset("fast", "table6"))


def compute(cfg: Config) -> dict:
    """Run the experiment (pure; seeds inside)."""
    return experiments.table6(cfg.experiment)


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per mixing rule and |Ā|, and FL."""
    out = {
        f"{r} |A|~{a}": f"{s['mean']:.3f} ± {s['se']:.3f}"
        for r, per in results["summary"].items()
        for a, s in per.items()
    }
    fl = results["fl_summary"]
    out["FL"] = f"{fl['mean']:.3f} ± {fl['se']:.3f}"
    return out


STAGE = Stage(
    "trackd_table6",
    Config,
    compute,
    figures={"trackd_table6.png": make_trackd_table6_figure},
    summarize=summarize,
)
