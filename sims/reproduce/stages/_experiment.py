"""The shape shared by the stages of the Section 6 experiments (``fig2a``, ``table6``,
``fig2b``, ``mim_vs_cl``, ``consensus``): one preset class, one function of
:mod:`sims.trackc.experiments`, one figure named after the stage, and a summary of a few rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sims.reproduce.pipeline import Stage


def r4(x):
    """``x`` rounded to 4 decimals for the report (``None`` stays ``None``)."""
    return None if x is None else round(float(x), 4)


def s_n_probe(row: Mapping) -> str:
    """``"s_N/probe"`` of one result row, each to 4 decimals."""
    return f"{r4(row['s_N'])}/{r4(row['probe'])}"


def rows_summary(label: Callable[[Mapping], str]) -> Callable[[Mapping], dict]:
    """The summary "label of each row -> s_N/probe", plus the FL reference row ``fl``."""

    def summarize(results: Mapping) -> dict:
        out = {f"{label(r)} s_N/probe": s_n_probe(r) for r in results["rows"]}
        out["FL s_N/probe"] = s_n_probe(results["fl"])
        return out

    return summarize


def experiment_stage(name: str, config, compute, make_figure, summarize) -> Stage:
    """``Stage(name, config, compute)`` writing ``<name>.json`` and ``<name>.png``."""
    return Stage(name, config, compute, figures={f"{name}.png": make_figure}, summarize=summarize)
