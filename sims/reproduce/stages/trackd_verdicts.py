"""Stage ``trackd_verdicts``: the Track D column of the claims table — each empirical claim's
verdict from the Track D runs by rule D4 (:mod:`sims.trackd.verdicts`; D3's word beside it),
with its minimum detectable effect, beside the paper's reported direction, scale and effect
size; and the committed DECISIVE and PAPER-SCALE results
(``figures/trackd_decisive/trackd_verdicts.json``, ``figures/trackd_paper_scale/...``) where
they exist. Writes ``trackd_verdicts.json``.

Not cached: it reads the DECISIVE file, which is no stage's output (and it computes in
milliseconds)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sims.reproduce.pipeline import Stage, StageConfig, field
from sims.reproduce.stages.trackd_common import REPRODUCE_PRESET
from sims.trackd import power as td_power
from sims.trackd import verdict_rows as td_rows
from sims.trackd import verdicts

__all__ = ["Config", "STAGE"]


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """The margin m of the rule (2 standard errors; fixed before the runs); the preset the
    Track D stages ran at (a row's ``preset`` where its results do not record one); the folder
    of the committed DECISIVE results."""

    margin: float = field(td_power.MARGIN, lo=0.0)
    preset: str = REPRODUCE_PRESET
    decisive_dir: str = verdicts.DECISIVE_DIR
    paper_scale_dir: str = verdicts.PAPER_SCALE_DIR


Config.DEFAULT = Config()
Config.FAST = Config(preset="fast")

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
    rule id); ``decisive``: the DECISIVE preset's rows from ``cfg.decisive_dir``, or
    ``not-run`` with the command that writes them."""
    rows = {"trackd_table1": trackd_table1, "trackd_fig2a": trackd_fig2a,
            "trackd_fig2b": trackd_fig2b}  # fmt: skip
    results = {_SOURCES[k]: r["result"] for k, r in rows.items() if r is not None}
    return {
        **td_rows.verdicts_doc(results, margin=cfg.margin, preset=cfg.preset),
        "decisive": td_rows.decisive_entry(cfg.decisive_dir, field="decisive_dir"),
        "paper_scale_run": td_rows.paper_scale_entry(cfg.paper_scale_dir, field="paper_scale_dir"),
    }


def summarize(results: dict) -> dict:
    """Track D verdict (D3's beside it), mean ± SE, MDE and scale per claim (and per DECISIVE
    and PAPER-SCALE row)."""
    out = {}
    decisive = results.get("decisive") or {}
    paper = results.get("paper_scale_run") or {}
    for label, doc in (("", results), ("decisive ", decisive), ("paper-scale ", paper)):
        for r in doc.get("rows") or []:
            key = f"track D {label}{r['claim']}"
            if r["track_d"] == "not-run":
                if not label:
                    out[key] = "not-run"
                continue
            se = "n/a" if r.get("se") is None else f"{r['se']:.4f}"
            mde = "n/a" if r.get("mde") is None else f"{r['mde']:.4f}"
            out[key] = (
                f"{td_rows.word_text(r)} ({r['mean']:+.4f} ± {se}; MDE {mde}; "
                f"{td_rows.claim_tag(doc, r['claim'])})"
            )
    if "rows" not in decisive:
        out["track D decisive"] = f"not run ({verdicts.DECISIVE_COMMAND})"
    return out


STAGE = Stage(
    "trackd_verdicts",
    Config,
    compute,
    summarize=summarize,
    uses=("trackd_table1", "trackd_fig2a", "trackd_fig2b"),
    cache=False,
)
