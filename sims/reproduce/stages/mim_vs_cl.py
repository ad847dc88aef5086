"""Stage ``mim_vs_cl``: MIM vs CL in FL on the paper's model across d (Thm 4.4) and on digits
across α (:func:`sims.trackc.experiments.mim_vs_cl`). Writes ``mim_vs_cl.json`` and
``mim_vs_cl.png``."""

from __future__ import annotations

from sims.reproduce.figures.experiments import make_mim_vs_cl_figure
from sims.reproduce.stages._experiment import experiment_stage, r4
from sims.trackc import experiments
from sims.trackc.presets import MimVsClPreset as Config

__all__ = ["Config", "STAGE"]


def summarize(results: dict) -> dict:
    """Headline numbers for the report: trained (exact) s_N per d and method, digits probe."""
    model = {
        f"d={r['d']} {r['method']} s_N (exact)": f"{r4(r['s_N'])} ({r4(r['exact_s_N'])})"
        for r in results["model_rows"]
    }
    digits = {
        f"digits a={r['alpha']} {r['method']} probe": r4(r["probe"]) for r in results["digits_rows"]
    }
    return {**model, **digits}


STAGE = experiment_stage(
    "mim_vs_cl", Config, experiments.mim_vs_cl, make_mim_vs_cl_figure, summarize
)
