"""Stage ``trackd_table5``: Table 5 analogue: summed layer-wise ℓ2 distances local 1 / local N /
global, per-client vs global probes and uniformity for SimSiam, MAE and MAR
(:func:`sims.trackd.experiments.table5`). Writes ``trackd_table5.json`` and
``trackd_table5.png``.
"""

from __future__ import annotations

import dataclasses

from sims.figures.trackd import make_trackd_table5_figure
from sims.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The experiment preset (:class:`sims.trackd.presets.Table5`)."""

    experiment: presets.Table5 = presets.preset("default", "table5")


# `make reproduce` runs the Track D experiments at the FAST preset: the DEFAULT preset takes
# several minutes per experiment on 2 CPU cores (run it with
# `dssl trackd --experiment table5 --preset default`; docs/track_d.md has its results).
Config.DEFAULT = Config(presets.preset("fast", "table5"))
Config.FAST = Config(presets.preset("fast", "table5"))


def compute(cfg: Config) -> dict:
    """Run the experiment (pure; seeds inside)."""
    return experiments.table5(cfg.experiment)


def summarize(results: dict) -> dict:
    """Summed layer-wise distances (mean) per method and pair."""
    return {
        f"{m} {k}": f"{s[k]['mean']:.3f}"
        for m, s in results["summary"].items()
        for k in ("local1_vs_localN", "local1_vs_global", "localN_vs_global")
    }


STAGE = Stage(
    "trackd_table5",
    Config,
    compute,
    figures={"trackd_table5.png": make_trackd_table5_figure},
    summarize=summarize,
)
