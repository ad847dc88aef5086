"""Stage ``report`` (last; never cached): ``report.md`` and ``report.json`` from the rows of
every earlier stage; the plain-language summary is assembled from the verdicts
(:mod:`sims.report`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sims import report
from sims.pipeline import Stage, StageConfig


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``fast``: the run is ``dssl reproduce --fast`` (stated in the report)."""

    fast: bool = False


Config.DEFAULT = Config()
Config.FAST = Config(fast=True)


def compute(cfg: Config, verify: Mapping, runs: list[dict], track_c: Mapping | None = None) -> dict:
    """The report's content (``verify`` is also in ``runs``; it is named to be required)."""
    del verify
    return report.build_report(runs, fast=cfg.fast, track_c=track_c)


def summarize(results: dict) -> dict:
    """Number of summary sentences and of claims."""
    return {"sentences": len(results["summary"]), "claims": len(results["claims"])}


STAGE = Stage(
    "report",
    Config,
    compute,
    summarize=summarize,
    json_files={"report.json": lambda r: r},
    texts={"report.md": report.render_markdown},
    needs=("verify", "runs"),
    uses=("track_c",),
    cache=False,
)
