"""Stage ``trackd_fig2a``: Fig 2a analogue: DecL MAE probe accuracy vs |Ā| for general and uniform
graphs with an FL reference (:func:`sims.trackd.experiments.fig2a`). Writes
``trackd_fig2a.json`` and ``trackd_fig2a.png``.
"""

from __future__ import annotations

import dataclasses

from sims.figures.trackd import make_trackd_fig2a_figure
from sims.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The experiment preset (:class:`sims.trackd.presets.Fig2a`)."""

    experiment: presets.Fig2a = presets.preset("default", "fig2a")


# `make reproduce` runs the Track D experiments at the FAST preset: the DEFAULT preset takes
# several minutes per experiment on 2 CPU cores (run it with
# `dssl trackd --experiment fig2a --preset default`; docs/track_d.md has its results).
Config.DEFAULT = Config(presets.preset("fast", "fig2a"))
Config.FAST = Config(presets.preset("fast", "fig2a"))


def compute(cfg: Config) -> dict:
    """Run the experiment (pure; seeds inside)."""
    return experiments.fig2a(cfg.experiment)


def summarize(results: dict) -> dict:
    """Probe accuracy (mean ± SE) per graph kind and |Ā|, and FL."""
    out = {
        f"DecL {k} |A|={a}": f"{s['mean']:.3f} ± {s['se']:.3f}"
        for k, per in results["summary"].items()
        for a, s in per.items()
    }
    fl = results["fl_summary"]
    out["FL"] = f"{fl['mean']:.3f} ± {fl['se']:.3f}"
    return out


STAGE = Stage(
    "trackd_fig2a",
    Config,
    compute,
    figures={"trackd_fig2a.png": make_trackd_fig2a_figure},
    summarize=summarize,
)
