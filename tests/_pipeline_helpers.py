"""Small stages for the pipeline tests: a one-file stage with a counter, the way a contributor
would write one."""

from __future__ import annotations

import dataclasses

from sims.reproduce.pipeline import Stage, StageConfig, field


@dataclasses.dataclass(frozen=True)
class CountConfig(StageConfig):
    x: int = field(1, lo=0)


CountConfig.DEFAULT = CountConfig()
CountConfig.FAST = CountConfig(x=101)


def _fig(results):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, results["x"]])
    return fig


def counting_stage(calls: list, name: str = "count", *, figure: bool = False) -> Stage:
    """A stage that appends its config to ``calls`` and returns ``{"x": cfg.x}``; writes
    ``<name>.json`` (and ``<name>.png`` with ``figure``)."""

    def compute(cfg: CountConfig) -> dict:
        calls.append(cfg)
        return {"x": cfg.x}

    figures = {f"{name}.png": _fig} if figure else {}
    return Stage(name, CountConfig, compute, figures=figures, summarize=lambda r: {"x": r["x"]})


def with_presets(cls: type, cfg: StageConfig) -> type:
    """A subclass of the stage config ``cls`` whose DEFAULT and FAST are ``cfg``."""
    sub = dataclasses.dataclass(frozen=True)(type(cls.__name__, (cls,), {}))
    sub.DEFAULT = sub.FAST = sub.from_json(cfg.to_json())
    return sub


def run_stage(stage: Stage, cfg: StageConfig, out) -> dict:
    """Run ``stage`` alone at ``cfg`` under ``out`` (through the runner, cache ignored); return
    its row: name, files, figures, summary, config, result, ..."""
    from pathlib import Path

    from sims.reproduce.pipeline import runner

    (Path(out) / runner.CACHE_DIR).mkdir(parents=True, exist_ok=True)
    tiny = dataclasses.replace(stage, Config=with_presets(stage.Config, cfg))
    return runner.run_one(tiny, [], fast=False, out=Path(out), force=True)
