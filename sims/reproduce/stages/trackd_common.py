"""One factory for the Track D experiment stages (``trackd_table1``, ``trackd_fig2a``,
``trackd_fig2b``): each runs an experiment of :mod:`sims.trackd.experiments` at a preset of
:mod:`sims.trackd.presets` and writes ``trackd_<name>.json`` and the figures of
:func:`sims.reproduce.figures.trackd.figures_of` (Table 1 also ``trackd_table1_curves.png``).
Two stages run a second experiment that trains some of the same arms, handing both one
:class:`sims.trackd.arms.Arms` so that no arm is trained twice: ``trackd_table1`` then Table 5
(its SimSiam and MAE arms are Table 1's label-skew arms) and ``trackd_fig2a`` then Table 6
(its FedAvg reference is Fig 2a's).

Presets: ``--fast`` (CI, ``Config.FAST``) runs the FAST preset; ``make reproduce``
(``Config.DEFAULT``) runs :data:`REPRODUCE_PRESET` (budgets in :mod:`sims.trackd.presets`;
``dssl trackd --preset default`` runs the DEFAULT preset of one experiment).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable

from sims.reproduce.figures import trackd as figs
from sims.reproduce.pipeline import Stage, StageConfig
from sims.trackd import experiments, presets
from sims.trackd.arms import Arms

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


def experiment_stage(
    name: str,
    summarize: Callable[[dict], dict],
    module: str,
    *,
    then: tuple[str, Callable[[dict], dict]] | None = None,
):
    """``(Config, compute, STAGE)`` of the stage ``trackd_<name>``.

    The stage writes ``trackd_<name>.json`` and draws the figures of
    :func:`sims.reproduce.figures.trackd.figures_of` (``trackd_<name>.png``; Table 1 also its
    learning curves). ``then = (other, summarize_other)``: the stage runs the experiment
    ``other`` after ``name``, handing both one :class:`sims.trackd.arms.Arms` so that the arms
    they share are trained once, and writes ``other``'s JSON file and figures as well; its
    results are the first experiment's with the other's under the key ``other``.

    ``Config`` is a frozen :class:`sims.reproduce.pipeline.StageConfig` with the field
    ``experiment`` (the preset dataclass of ``name``) and, with ``then``, a field named
    ``other`` (its preset dataclass); ``DEFAULT`` = the :data:`REPRODUCE_PRESET` presets,
    ``FAST`` = the FAST presets; ``compute(cfg)`` runs the experiments (pure; seeds inside).
    """
    names = (name,) if then is None else (name, then[0])
    fields = [("experiment", name), *(() if then is None else ((then[0], then[0]),))]
    kinds = {f: type(presets.preset("default", n)) for f, n in fields}
    config = dataclasses.make_dataclass(
        "Config",
        [(f, kinds[f], dataclasses.field(default=presets.preset("default", n))) for f, n in fields],
        bases=(StageConfig,),
        frozen=True,
        namespace={
            "__doc__": "The experiment presets ("
            + ", ".join(f":class:`sims.trackd.presets.{k.__name__}`" for k in kinds.values())
            + ").",
            "__module__": module,
        },
    )
    config.DEFAULT = config(*(presets.preset(REPRODUCE_PRESET, n) for n in names))
    config.FAST = config(*(presets.preset("fast", n) for n in names))
    runs = [(f, experiments.EXPERIMENTS[n]) for f, n in fields]

    def compute(cfg) -> dict:
        """Run the experiments (pure; seeds inside), sharing the arms they both train."""
        arms = Arms()
        results = runs[0][1](cfg.experiment, arms=arms)
        for f, run in runs[1:]:
            results = {**results, f: run(getattr(cfg, f), arms=arms)}
        return results

    compute.__module__ = module
    json_files, figures, summary = {f"trackd_{name}.json": _without(names[1:])}, {}, summarize
    figures.update(figs.figures_of(name))
    if then is not None:
        other, summarize_other = then
        json_files[f"trackd_{other}.json"] = operator.itemgetter(other)
        figures.update({f: _of(other, make) for f, make in figs.figures_of(other).items()})
        summary = _summaries(summarize, other, summarize_other)
    stage = Stage(
        f"trackd_{name}", config, compute, figures=figures, summarize=summary,
        json_files=json_files,
    )  # fmt: skip
    return config, compute, stage


def _without(keys: tuple) -> Callable[[dict], dict]:
    """The results without the other experiments' entries ``keys``."""
    return lambda results: {k: v for k, v in results.items() if k not in keys}


def _of(key: str, make: Callable) -> Callable:
    """``make`` applied to ``results[key]`` (a figure of the stage's second experiment; named
    and documented as ``make``, whose docstring the report's caption is)."""

    @functools.wraps(make)
    def figure(results: dict):
        return make(results[key])

    return figure


def _summaries(first: Callable, other: str, second: Callable) -> Callable[[dict], dict]:
    """The stage summary: the first experiment's, then the other's with keys ``"<other> …"``."""

    def summary(results: dict) -> dict:
        out = first(results)
        out.update({f"{other} {k}": v for k, v in second(results[other]).items()})
        return out

    return summary
