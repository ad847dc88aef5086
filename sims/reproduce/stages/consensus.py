"""Stage ``consensus``: the measured consensus distance over rounds against its derived
bounds (an extension: docs/theory/consensus.md §3 D2–D5, D7;
:func:`sims.trackc.experiments.consensus`). Writes ``consensus.json`` and ``consensus.png``."""

from __future__ import annotations

from sims.reproduce.figures.experiments import make_consensus_figure
from sims.reproduce.stages._experiment import experiment_stage
from sims.trackc import experiments
from sims.trackc.presets import ConsensusPreset as Config

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Max measured/bound per run for the one-step (D2), stepwise (D3/D5) and closed-form
    (D4/D5) bounds of docs/theory/consensus.md §3."""
    out = {}
    for r in results["runs"]:
        ratios = "/".join(
            "n/a" if r["ratio"][b] is None else f"{r['ratio'][b]:.3f}"
            for b in ("d2", "stepwise", "closed_form")
        )
        out[f"{r['method']} {r['label']} max e/bound D2/D3-D5/D4-D5"] = ratios
    return out


STAGE = experiment_stage(
    "consensus", Config, experiments.consensus, make_consensus_figure, summarize
)
