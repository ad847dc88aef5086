"""Stage ``trackd_table1``: Table 1 analogue: MAE vs SimSiam × MLP/ViT × IID/label/feature skew in
FL, probe accuracy and drop from IID (:func:`sims.trackd.experiments.table1`). Writes
``trackd_table1.json`` and ``trackd_table1.png``.
"""

from __future__ import annotations

import dataclasses

from sims.figures.trackd import make_trackd_table1_figure
from sims.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The experiment preset (:class:`sims.trackd.presets.Table1`)."""

    experiment: presets.Table1 = presets.preset("default", "table1")


# `make reproduce` runs the Track D experiments at the FAST preset: the DEFAULT preset takes
# several minutes per experiment on 2 CPU cores (run it with
# `dssl trackd --experiment table1 --preset default`; docs/track_d.md has its results).
Config.DEFAULT = Config(presets.preset("fast", "table1"))
Config.FAST = Config(presets.preset("fast", "table1"))


def compute(cfg: Config) -> dict:
    """Run the experiment (pure; seeds inside)."""
    return experiments.table1(cfg.experiment)


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per method, encoder and skew."""
    return {
        f"{c['method']}+{c['arch']} {c['skew']}": (
            f"{c['probe']['mean']:.3f} ± {c['probe']['se']:.3f}"
        )
        for c in results["cells"]
    }


STAGE = Stage(
    "trackd_table1",
    Config,
    compute,
    figures={"trackd_table1.png": make_trackd_table1_figure},
    summarize=summarize,
)
