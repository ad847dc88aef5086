"""Stage ``mim_vs_cl``: MIM vs CL in FL on the paper's model across d
(Thm 4.4) and on digits across α
(:func:`sims.experiments.mim_vs_cl`). Writes ``mim_vs_cl.json`` and ``mim_vs_cl.png``."""

from __future__ import annotations

from sims import experiments
from sims.config import MimVsClPreset as Config
from sims.figures.experiments import make_mim_vs_cl_figure
from sims.pipeline import Stage

__all__ = ["Config", "STAGE"]


def _r4(x):
    return None if x is None else round(float(x), 4)


def summarize(results: dict) -> dict:
    """Headline numbers for the report."""
    model = {
        f"d={r['d']} {r['method']} s_N (exact)": f"{_r4(r['s_N'])} ({_r4(r['exact_s_N'])})"
        for r in results["model_rows"]
    }
    digits = {
        f"digits a={r['alpha']} {r['method']} probe": _r4(r["probe"])
        for r in results["digits_rows"]
    }
    return {**model, **digits}


STAGE = Stage(
    "mim_vs_cl",
    Config,
    experiments.mim_vs_cl,
    figures={"mim_vs_cl.png": make_mim_vs_cl_figure},
    summarize=summarize,
)
