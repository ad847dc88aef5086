"""Stage ``trackd_verdicts``: the Track D column of the claims table — each empirical claim's
verdict from the Track D runs with the rule fixed before them (:mod:`sims.trackd.verdicts`),
beside the paper's reported direction and scale. Writes ``trackd_verdicts.json``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sims.pipeline import Stage, StageConfig, field
from sims.trackd import verdicts

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The margin m of the rule (2 standard errors; fixed before the runs)."""

    margin: float = field(verdicts.MARGIN, lo=0.0)


Config.DEFAULT = Config()
Config.FAST = Config()

_SOURCES = {"trackd_table1": "table1", "trackd_fig2a": "fig2a", "trackd_fig2b": "fig2b"}


def compute(
    cfg: Config,
    trackd_table1: Mapping | None = None,
    trackd_fig2a: Mapping | None = None,
    trackd_fig2b: Mapping | None = None,
) -> dict:
    """Verdict rows (claim, Track D verdict by rule D3, mean ± SE, tolerance, minimum
    detectable effect, reading, rules D2's and D1's words, paper direction and scale; a claim
    whose stage did not run is ``not-run``) and the rule changes D1 → D2 and D2 → D3, each
    with the claims whose word it changed (:data:`sims.trackd.verdicts.RULE_CHANGES`, keyed by
    rule id)."""
    rows = {"trackd_table1": trackd_table1, "trackd_fig2a": trackd_fig2a,
            "trackd_fig2b": trackd_fig2b}  # fmt: skip
    results = {_SOURCES[k]: r["result"] for k, r in rows.items() if r is not None}
    dec = verdicts.decisions(results, margin=cfg.margin)
    scale = {k: r["meta"] for k, r in results.items()}
    rows = verdicts.verdict_table(dec)
    evaluated = any(r["track_d"] != "not-run" for r in rows)
    changes = [
        {**ch, "changed_cells": _changed(rows, *verdicts.RULE_WORD_KEYS[ch["rule"]])}
        for ch in verdicts.RULE_CHANGES
        if evaluated
    ]
    return {"rows": rows, "scale": scale, "margin": cfg.margin, "rule_changes": changes}


def _changed(rows: list[dict], old_key: str, new_key: str) -> list[dict]:
    """The claims whose word differs between the rows' ``old_key`` and ``new_key`` (one rule
    change of :data:`sims.trackd.verdicts.RULE_CHANGES`, keyed by its rule id)."""
    return [
        {"reading": {"claim": r["claim"]}, "old": r[old_key], "new": r[new_key], "cells": 1}
        for r in rows
        if r.get(old_key) is not None and r.get(new_key) not in (None, r[old_key])
    ]


def summarize(results: dict) -> dict:
    """Track D verdict and mean ± SE per claim."""
    out = {}
    for r in results["rows"]:
        if r["track_d"] == "not-run":
            out[f"track D {r['claim']}"] = "not-run"
        else:
            out[f"track D {r['claim']}"] = f"{r['track_d']} ({r['mean']:+.4f} ± {r['se']:.4f})"
    return out


STAGE = Stage(
    "trackd_verdicts",
    Config,
    compute,
    summarize=summarize,
    uses=("trackd_table1", "trackd_fig2a", "trackd_fig2b"),
)
