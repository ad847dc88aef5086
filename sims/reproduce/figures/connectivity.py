"""Figures of the ``track_a`` stage against the average connectivity |Ā| of the DecL graph:
Cor 4.5 (DecL sensitivity vs |Ā|) and Thm 4.6 (is FL no less robust than DecL?).

Track A: the paper's bounds s = 1 − LB of Thms 4.2 and 4.3 at each d of
``connectivity.bound_d`` (line: hidden constants = 1; band: constants swept). Track B: the exact
optimum of the DecL objective, Eq. (1) (clients weighted by the stationary distribution π of
the mixing matrix), on graphs of increasing |Ā|, against the FL optimum. House style as in
:mod:`sims.reproduce.figures.theorems`; exact zeros are open triangles on the axis floor.
"""

from __future__ import annotations

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._theorem_parts import (
    ABAR_LABEL,
    S_LABEL,
    ZERO_TOL,
    _arr,
    _constants_text,
    _exact_series,
    _finish,
    _fmt,
    _is_zero,
    _log_floor,
    _styled,
)

_D_STYLES = ("-", "--", "-.", ":")


def _flat_gap_note(ex: dict, em: str, name: str) -> str:
    """One sentence on the gap 1 − min r over graphs, from the numbers (and rank) themselves."""
    recs = ex["records"]
    gaps = _arr([r[em]["gap_N"] for r in recs])
    spreads = _arr([r[em]["spread_N"] for r in recs])
    fl = ex["fl"][em]
    n = int(ex["n_clients"])
    if _is_zero(gaps).all() and _is_zero(spreads).all():
        return f"{name}: 1 − min r and the spread are exact 0 on every graph (r_k = 1, k ∈ [N])."
    text = (
        f"{name}: 1 − min r stays in [{np.nanmin(gaps):.3f}, {np.nanmax(gaps):.3f}] on every "
        f"graph (FL: {float(fl['gap_N']):.3f}) while the spread over [N] goes from "
        f"{_fmt(spreads[0])} at |Ā| = {float(recs[0]['abar']):.3g} to {_fmt(spreads[-1])} at "
        f"|Ā| = {float(recs[-1]['abar']):.3g}."
    )
    ranks = {r[em].get("rank") for r in recs} | {fl.get("rank")}
    if ranks == {1}:
        text += (
            f" The optimum has rank 1 on every graph: one direction shared by the N client "
            f"axes, r_k ≈ 1/N = {1 / n:.3f}, so 1 − min r ≈ 1 − 1/N; connectivity only evens "
            "out the weights π (Eq. 1), which shrinks the spread, not the gap."
        )
    return text


@_styled
def make_connectivity_figure(results: dict):
    """Cor 4.5: DecL sensitivity against the average connectivity |Ā| at one N.

    Rows: MIM, CL (similar). Left: Track A, the DecL bound 1 − LB vs |Ā| at each d of
    ``connectivity.bound_d`` (line: constants = 1; band: constants swept) with the FL bound at
    that d. Right: Track B, the exact Eq. (1) DecL optimum on graphs of increasing |Ā|: gap
    1 − min r (filled) and spread max − min r over [N] (hollow), with the FL values; exact
    zeros on the axis floor. The footer says why the gap is flat where it is. ``results``:
    ``track_a``.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    cfg = results["config"]
    abar = np.asarray(conn["abar_grid"], dtype=float)
    rows = (("mim", "mim", "MIM (Thm 4.2)"), ("cl_similar", "cl", "CL, similar (Thm 4.3)"))
    fig, axes = style.new_figure(
        2,
        2,
        width=4.6,
        height=3.0,
        sharex=True,
        title=f"Cor 4.5: DecL sensitivity vs connectivity |Ā| at N = {ex['n_clients']}: "
        "the paper's bound (left) and the exact optimum (right)",
    )
    recs = ex["records"]
    xa = np.asarray([r["abar"] for r in recs], dtype=float)
    floor_b = _log_floor(
        *[_arr([r[em][k] for r in recs]) for _, em, _ in rows for k in ("gap_N", "spread_N")],
        *[[ex["fl"][em][k]] for _, em, _ in rows for k in ("gap_N", "spread_N")],
    )
    floor_a = _log_floor(*[b[m]["lo"] for b in conn["bounds"].values() for m, _, _ in rows])
    for row, (m, em, name) in enumerate(rows):
        ax = axes[row, 0]
        for (dv, by_method), ls in zip(conn["bounds"].items(), _D_STYLES, strict=False):
            b = by_method[m]
            ax.fill_between(abar, b["lo"], b["hi"], color=style.COLOURS["decl"], alpha=0.12, lw=0)
            ax.plot(
                abar,
                b["central"],
                color=style.COLOURS["decl"],
                ls=ls,
                lw=1.8,
                label=f"Track A DecL bound, d = {float(dv):g}",
            )
            ax.axhline(
                b["fl_central"],
                color=style.COLOURS["fl"],
                ls=ls,
                lw=1.2,
                label=f"Track A FL bound, d = {float(dv):g}",
            )
        ax.fill_between(
            [],
            [],
            [],
            color=style.COLOURS["decl"],
            alpha=0.12,
            lw=0,
            label=f"Track A band: {_constants_text(cfg)}",
        )
        ax.set_yscale("log")
        ax.set_ylim(floor_a, 3.0)
        ax.set_ylabel(S_LABEL)
        ax.set_title(f"{name}: Track A bound")
        ax = axes[row, 1]
        gap = _arr([r[em]["gap_N"] for r in recs])
        spr = _arr([r[em]["spread_N"] for r in recs])
        both = _is_zero(gap) & _is_zero(spr)
        if both.any():
            style.mark_zero(
                ax,
                xa[both],
                floor=floor_b,
                colour="#000000",
                label="Track B DecL: 1 − min r = spread = 0",
            )
        for y, hollow, what in ((gap, False, "1 − min r"), (spr, True, "spread over [N]")):
            y = np.where(both, np.nan, y)
            _exact_series(
                ax,
                xa,
                y,
                marker="o",
                colour="#000000" if not hollow else "#555555",
                label=f"Track B DecL: {what}",
                floor=floor_b,
                hollow=hollow,
                join=False,
                ms=6,
            )
        for k, ls, what in (("gap_N", "-.", "1 − min r"), ("spread_N", ":", "spread over [N]")):
            val = float(ex["fl"][em][k])
            if not _is_zero(np.array([val]))[0]:
                ax.axhline(
                    val, color=style.COLOURS["fl"], ls=ls, lw=1.2, label=f"Track B FL: {what}"
                )
        named = {"star": (-3, "right"), "ring": (3, "left"), "complete": (0, "center")}
        for r in recs:
            if r["graph"] in named:
                y = r[em]["gap_N"]
                y = floor_b if abs(y) < ZERO_TOL else y
                dx, ha = named[r["graph"]]
                ax.annotate(
                    r["graph"],
                    (r["abar"], y),
                    textcoords="offset points",
                    xytext=(dx, 7),
                    ha=ha,
                    fontsize=6,
                    color="#444444",
                )
        ax.set_yscale("log")
        ax.set_ylim(floor_b, 3.0)
        ax.set_title(f"{name}: Track B exact optimum (d = {ex['d']})")
    for ax in axes[-1]:
        ax.set_xlabel(ABAR_LABEL)
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "d (Track B)": ex["d"],
            "p": float(cfg["p"]),
            "graphs": "star, ring, official generator (degrees 1 … N − 2), complete",
            "generator seeds": _conn_seeds(cfg),
        },
        note="\n".join(_flat_gap_note(ex, em, name.split(" (")[0]) for _, em, name in rows),
    )
    return fig


def _conn_seeds(cfg: dict):
    """Seeds of the official code's graph generator in the connectivity sweep."""
    return (cfg.get("connectivity") or {}).get("paper_code_seeds")


@_styled
def make_decl_vs_fl_figure(results: dict):
    """Thm 4.6: is FL no less robust than DecL (s_Dec ≥ s_Fed)? Both panels at one N.

    Left: Track A, the ratio s_Dec / s_Fed of the paper's bounds (constants = 1) against |Ā|
    at each d of ``connectivity.bound_d`` (≥ 1 is the claim). Right: Track B, the exact
    differences DecL − FL of 1 − min r (filled) and of the spread over [N] (hollow) on graphs
    of increasing |Ā| (≥ 0 is the claim), on a linear axis; exact zeros are triangles on 0.
    ``results``: ``track_a``.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    cfg = results["config"]
    abar = np.asarray(conn["abar_grid"], dtype=float)
    fig, (ax0, ax1) = style.new_figure(
        1,
        2,
        width=4.8,
        height=3.8,
        title=f"Thm 4.6: is FL no less robust than DecL (s_Dec ≥ s_Fed)? N = {ex['n_clients']} "
        "in both panels",
    )
    meths = (("mim", "mim", "MIM"), ("cl_similar", "cl", "CL"))
    for (dv, by_method), ls in zip(conn["bounds"].items(), _D_STYLES, strict=False):
        for m, em, name in meths:
            b = by_method[m]
            ax0.plot(
                abar,
                np.asarray(b["central"], float) / float(b["fl_central"]),
                color=style.COLOURS[em],
                ls=ls,
                lw=3.2 if em == "mim" else 1.4,
                label=f"Track A {name}, d = {float(dv):g}",
            )
    ax0.axhline(1.0, color="#777777", ls=":", lw=1.2, label="ratio = 1 (DecL bound = FL bound)")
    ax0.set_xlabel(ABAR_LABEL)
    ax0.set_ylabel(r"$s_{Dec}/s_{Fed}$ of the bounds (dimensionless)")
    ax0.set_title("Track A: ratio of the paper's bounds (constants = 1)")
    recs = ex["records"]
    xa = np.asarray([r["abar"] for r in recs], dtype=float)
    for _, em, name in meths:
        gap = _arr([r[em]["gap_N"] for r in recs]) - float(ex["fl"][em]["gap_N"])
        spr = _arr([r[em]["spread_N"] for r in recs]) - float(ex["fl"][em]["spread_N"])
        both = _is_zero(gap) & _is_zero(spr)
        marker = "o" if em == "mim" else "s"
        size = 70 if em == "mim" else 28  # MIM's triangles around CL's where both are 0
        if both.any():
            pts = style.mark_zero(
                ax1,
                xa[both],
                floor=0.0,
                colour=style.COLOURS[em],
                label=f"Track B {name}: both differences = 0",
            )
            pts.set_sizes([size])
        for y, hollow, what in ((gap, False, "Δ(1 − min r)"), (spr, True, "Δ spread over [N]")):
            _exact_series(
                ax1,
                xa,
                np.where(both, np.nan, y),
                marker=marker,
                colour=style.COLOURS[em],
                label=f"Track B {name}: {what}",
                floor=0.0,
                hollow=hollow,
                ms=6,
                join=False,
                zero_size=size,
            )
    ax1.axhline(0.0, color="#777777", ls=":", lw=1.2, label="difference = 0")
    ax1.set_xlabel(ABAR_LABEL)
    ax1.set_ylabel("DecL − FL (dimensionless)")
    ax1.set_title(f"Track B: exact Eq. (1) optimum, d = {ex['d']}")
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "d (Track A)": ", ".join(f"{float(x):g}" for x in conn["bounds"]),
            "d (Track B)": ex["d"],
            "p": float(cfg["p"]),
            "generator seeds": _conn_seeds(cfg),
        },
        note="Claim: left ≥ 1 and right ≥ 0. Graphs: star, ring, the official generator "
        "(degrees 1 … N − 2) and complete. The ratio vs d at the stage's N is in track_a.json "
        "(thm46_ratio).",
    )
    return fig
