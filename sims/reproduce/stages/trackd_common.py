"""One factory for the Track D experiment stages (``trackd_table1`` … ``trackd_table5``): each
runs one experiment of :mod:`sims.trackd.experiments` at a preset of
:mod:`sims.trackd.presets` and writes ``trackd_<name>.json`` and the figures of
:func:`sims.reproduce.figures.trackd.figures_of` (Table 1 also ``trackd_table1_curves.png``).

Presets: ``--fast`` (CI, ``Config.FAST``) runs the FAST preset; ``make reproduce``
(``Config.DEFAULT``) runs :data:`REPRODUCE_PRESET` (budgets in :mod:`sims.trackd.presets`;
``dssl trackd --preset default`` runs the DEFAULT preset of one experiment).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sims.reproduce.figures import trackd as figs
from sims.reproduce.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets

__all__ = ["REPRODUCE_PRESET", "decl_summary", "experiment_stage", "mean_se_text"]

#: the preset ``make reproduce`` runs the Track D stages at: DEFAULT (times in docs/track_d.md)
REPRODUCE_PRESET = "default"


def mean_se_text(s: dict) -> str:
    """``"0.912 ± 0.004"`` of a ``{"mean", "se"}`` summary."""
    return f"{s['mean']:.3f} ± {s['se']:.3f}"


def decl_summary(results: dict, label: str) -> dict:
    """``{label.format(arm, |Ā|): "mean ± SE"}`` over ``results["summary"]`` plus ``"FL"``
    (the DecL experiments' summaries)."""
    out = {
        label.format(arm, a): mean_se_text(s)
        for arm, per in results["summary"].items()
        for a, s in per.items()
    }
    out["FL"] = mean_se_text(results["fl_summary"])
    return out


def experiment_stage(name: str, summarize: Callable[[dict], dict], module: str):
    """``(Config, compute, STAGE)`` of the stage ``trackd_<name>``.

    The stage draws the figures of :func:`sims.reproduce.figures.trackd.figures_of`
    (``trackd_<name>.png``; Table 1 also its learning curves).

    ``Config`` is a frozen :class:`sims.reproduce.pipeline.StageConfig` with one field
    ``experiment`` (the preset dataclass of ``name``), ``DEFAULT`` = the :data:`REPRODUCE_PRESET`
    preset, ``FAST`` = the FAST preset; ``compute(cfg)`` runs ``experiments.<name>`` (pure; seeds
    inside).
    """
    default = presets.preset("default", name)
    kind = type(default)
    config = dataclasses.make_dataclass(
        "Config",
        [("experiment", kind, dataclasses.field(default=default))],
        bases=(StageConfig,),
        frozen=True,
        namespace={
            "__doc__": f"The experiment preset (:class:`sims.trackd.presets.{kind.__name__}`).",
            "__module__": module,
        },
    )
    config.DEFAULT = config(presets.preset(REPRODUCE_PRESET, name))
    config.FAST = config(presets.preset("fast", name))
    run = experiments.EXPERIMENTS[name]

    def compute(cfg) -> dict:
        """Run the experiment (pure; seeds inside)."""
        return run(cfg.experiment)

    compute.__module__ = module
    stage = Stage(
        f"trackd_{name}", config, compute, figures=figs.figures_of(name), summarize=summarize
    )
    return config, compute, stage
