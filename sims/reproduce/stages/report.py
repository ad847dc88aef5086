"""Stage ``report`` (last; never cached): ``report.md``, ``report.html`` and ``report.json``
from the rows of every earlier stage (:mod:`sims.reproduce.report`), opening with the answer table,
and ``README_finding.md``, README's block between its finding markers (the same answer table,
:func:`sims.reproduce.report.render_block`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sims.reproduce import report
from sims.reproduce.pipeline import Stage, StageConfig


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``fast``: the run is ``dssl reproduce --fast`` (stated in the report)."""

    fast: bool = False


Config.DEFAULT = Config()
Config.FAST = Config(fast=True)


def compute(
    cfg: Config,
    verify: Mapping,
    runs: list[dict],
    track_c: Mapping | None = None,
    catalogue: tuple = (),
) -> dict:
    """The report's content (``verify`` is also in ``runs``; it is named to be required);
    ``catalogue``: every stage of the run order, handed down by the runner (figures of stages
    that did not run are listed as not run)."""
    del verify
    return report.build_report(runs, fast=cfg.fast, track_c=track_c, stages=catalogue)


def summarize(results: dict) -> dict:
    """Number of claims, verdict-map rows and figures (produced / listed)."""
    figs = results["figures"]
    return {
        "claims": len(results["claims"]),
        "map rows": len(results["readings"]),
        "figures": f"{sum(f['status'] == 'written' for f in figs)} of {len(figs)}",
    }


def _finding(results: Mapping) -> str:
    answer = results.get("answer")
    if not answer:
        return "No answer table: the verdict_map stage did not run or its cells are missing.\n"
    return report.render_block(answer, "markdown") + "\n"


STAGE = Stage(
    "report",
    Config,
    compute,
    summarize=summarize,
    json_files={"report.json": lambda r: r},
    texts={
        "report.md": report.render_markdown,
        "report.html": report.render_html,
        "README_finding.md": _finding,
    },
    needs=("verify", "runs"),
    uses=("track_c", "catalogue"),
    cache=False,
)
