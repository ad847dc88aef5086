"""Stage ``trackd_fig2b``: Fig 2b analogue: MAR vs MIM (MAE) probe accuracy over the Dirichlet α,
FL and DecL (:func:`sims.trackd.experiments.fig2b`). Writes ``trackd_fig2b.json`` and
``trackd_fig2b.png``.
"""

from __future__ import annotations

import dataclasses

from sims.figures.trackd import make_trackd_fig2b_figure
from sims.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The experiment preset (:class:`sims.trackd.presets.Fig2b`)."""

    experiment: presets.Fig2b = presets.preset("default", "fig2b")


# `make reproduce` runs the Track D experiments at the FAST preset: the DEFAULT preset takes
# several minutes per experiment on 2 CPU cores (run it with
# `dssl trackd --experiment fig2b --preset default`; docs/track_d.md has its results).
Config.DEFAULT = Config(presets.preset("fast", "fig2b"))
Config.FAST = Config(presets.preset("fast", "fig2b"))


def compute(cfg: Config) -> dict:
    """Run the experiment (pure; seeds inside)."""
    return experiments.fig2b(cfg.experiment)


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per framework, method and α."""
    return {
        f"{f} {m} alpha={a}": f"{s['mean']:.3f} ± {s['se']:.3f}"
        for f, per_f in results["summary"].items()
        for m, per in per_f.items()
        for a, s in per.items()
    }


STAGE = Stage(
    "trackd_fig2b",
    Config,
    compute,
    figures={"trackd_fig2b.png": make_trackd_fig2b_figure},
    summarize=summarize,
)
