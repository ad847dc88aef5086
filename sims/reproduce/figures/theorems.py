"""Figures of the ``track_a`` and ``track_c`` stages: Track A bands and lines (Thms 4.2–4.6),
Track B exact optima, and the three tracks side by side.

This module draws the figures against the input dimension d: the sensitivity bound of
Thms 4.2 and 4.3 and the ratio of Thm 4.4. The figures against the connectivity |Ā|
(Cor 4.5, Thm 4.6) are in :mod:`sims.reproduce.figures.connectivity`, the three tracks side by side
in :mod:`sims.reproduce.figures.tracks_overlay`, and the pieces they share in
``sims.reproduce.figures._theorem_parts``; every one of their public names is importable from here
too.

All figures use the house style of :mod:`sims.reproduce.figures.style`: Track A in the colour of its
framework (local, DecL, FL), Track B in black and grey with one marker shape per target, exact
zeros as open triangles on the axis floor (:func:`~sims.reproduce.figures.style.mark_zero`, "= 0" in
the legend), one legend beside the panels and the configuration in the footer.
"""

from __future__ import annotations

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._theorem_parts import (  # noqa: F401  (ZERO_TOL ... relayout: re-exported)
    _EXACT_STYLE,
    _FW,
    _METHOD_TITLES,
    ABAR_LABEL,
    D_LABEL,
    S_LABEL,
    ZERO_TOL,
    _arr,
    _band_line,
    _constants_text,
    _exact_series,
    _finish,
    _is_zero,
    _log_floor,
    _styled,
    _upper,
    relayout,
    wrap_note,
)
from sims.reproduce.figures.connectivity import (  # noqa: F401  (re-exported)
    make_connectivity_figure,
    make_decl_vs_fl_figure,
)
from sims.reproduce.figures.tracks_overlay import (  # noqa: F401  (re-exported)
    TRACK_C_COLOUR,
    TRACK_C_LABEL,
    ZERO_LABEL,
    make_tracks_overlay_figure,
)
from theory.sweeps import EXACT_TO_BOUND

# ---------------------------------------------------------------------------------------------
# Thms 4.2 / 4.3: sensitivity vs d
# ---------------------------------------------------------------------------------------------


@_styled
def make_sensitivity_figure(results: dict):
    """Thms 4.2 / 4.3: the paper's sensitivity bound vs the exact model over d = 10² … 10¹².

    Rows: MIM, CL similar, CL dissimilar; columns: local, DecL, FL. Track A, the bound
    s = 1 − LB: line (hidden constants = 1) and band (constants swept). Track B, the exact
    optimum's gap 1 − min_{k∈[N]} r_k (what the bound controls: r_k ≥ LB) at every d of the
    structured grid (``exact_all_d``); dissimilar CL also at the dense ``exact`` points with a
    rotation of all d axes. Exact zeros: open triangles on the axis floor. ``results``: the
    ``track_a`` stage result.
    """
    d = np.asarray(results["d"], dtype=float)
    cfg = results["config"]
    ex = results["exact_all_d"]
    dense = results["exact"]
    methods = list(results["bounds"])
    xs = np.asarray(ex["d"], dtype=float)
    series = {m: {} for m in methods}  # bound method -> {exact method: {fw: gap array}}
    for em, by_fw in ex["methods"].items():
        bm = EXACT_TO_BOUND[em]
        if bm in series:
            series[bm][em] = {f: _upper(by_fw[f]["gap_N"]) for f in _FW}
    dense_dis = [r for r in dense["records"] if "cl-dissimilar" in r["methods"]]
    every = [results["bounds"][m][f]["lo"] for m in methods for f in _FW]
    every += [y for by in series.values() for s in by.values() for y in s.values()]
    floor = _log_floor(*every)
    fig, axes = style.new_figure(
        len(methods),
        3,
        width=4.0,
        height=2.9,
        sharex=True,
        sharey=True,
        title="Thms 4.2 and 4.3: the paper's sensitivity bound (Track A) vs the exact linear "
        "model (Track B), d = 10² … 10¹²",
    )
    axes = np.atleast_2d(axes)
    for row, method in enumerate(methods):
        for col, fw in enumerate(_FW):
            ax = axes[row, col]
            colour = style.COLOURS[fw]
            _band_line(
                ax,
                d,
                results["bounds"][method][fw],
                colour,
                f"Track A {style.FRAMEWORK_LABELS[fw]}: 1 − LB (constants = 1)",
                f"Track A band: {_constants_text(cfg)}",
            )
            for em, by_fw in series[method].items():
                marker, ecol, name = _EXACT_STYLE[em]
                if em == "cl-dissimilar":
                    name += f" ({ex['structured_transform']} H)"
                _exact_series(
                    ax,
                    xs,
                    by_fw[fw],
                    marker=marker,
                    colour=ecol,
                    label=f"Track B {name}: 1 − min r",
                    floor=floor,
                )
            if method == "cl_dissimilar" and dense_dis:
                _exact_series(
                    ax,
                    [r["d"] for r in dense_dis],
                    _arr([r["methods"]["cl-dissimilar"][fw]["gap_N"] for r in dense_dis]),
                    marker="X",
                    colour="#777777",
                    label="Track B exact CL, dissimilar (dense rotation of all d axes): 1 − min r",
                    floor=floor,
                    hollow=True,
                    ms=7,
                )
            ax.axhline(1.0, color="#777777", ls=":", lw=1, label="s = 1 (a vacuous bound)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(floor, 3.0)
            ax.set_title(f"{_METHOD_TITLES[method]}: {style.FRAMEWORK_LABELS[fw]}")
            if row == len(methods) - 1:
                ax.set_xlabel(D_LABEL)
            if col == 0:
                ax.set_ylabel(S_LABEL)
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "p": float(cfg["p"]),
            "DecL graph": f"{ex['graph']} (|Ā| = {float(results['abar']):.3g})",
            "d (Track A)": f"{len(d)} points",
            "d (Track B)": f"{len(xs)} points",
        },
        note="Track B: exact population optimum (gap 1 − min over k ∈ [N] of r_k; local: the "
        "worst client, k ≠ i); |value| < 1e-12 is an exact 0, drawn as ▽ on the axis floor. "
        "A Track B marker above the line violates the bound at constants = 1.",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Thm 4.4: s^C / s^M
# ---------------------------------------------------------------------------------------------


def ratio_cases(num: np.ndarray, den: np.ndarray) -> dict:
    """Classify num / den elementwise: ``"defined"`` (both > 0), ``"zero"`` (0 / positive),
    ``"undefined"`` (0 / 0) and ``"infinite"`` (positive / 0); exact zeros below ZERO_TOL.

    >>> {k: v.tolist() for k, v in ratio_cases(np.array([0.0, 1.0, 0.0, 2.0]),
    ...                                         np.array([0.5, 0.0, 0.0, 4.0])).items()}
    {'defined': [False, False, False, True], 'zero': [True, False, False, False], 'undefined': [False, False, True, False], 'infinite': [False, True, False, False]}
    """  # noqa: E501
    zn, zd = _is_zero(num), _is_zero(den)
    ok = np.isfinite(num) & np.isfinite(den)
    return {
        "defined": ok & ~zn & ~zd,
        "zero": ok & zn & ~zd,
        "undefined": ok & zn & zd,
        "infinite": ok & ~zn & zd,
    }


def _where_text(d: np.ndarray, mask: np.ndarray) -> str:
    if mask.all():
        return f"at all {mask.size} d"
    vals = d[mask]
    return f"at {mask.sum()} of {mask.size} d ({vals.min():.0e} … {vals.max():.0e})"


@_styled
def make_ratio_figure(results: dict):
    """Thm 4.4: the ratio s^C / s^M of CL's to MIM's sensitivity vs d, one panel per framework.

    Track A: the ratio of the paper's bounds (line: constants = 1, with its fitted slope and
    the predicted d^{1/5}; band: constants chosen independently per method). Track B: the ratio
    of the exact gaps 1 − min r (CL over exact Eq. (4) MIM, and over the paper's Eq. (17) MIM)
    where it is defined; an exact 0 (CL's gap is 0, MIM's is not) is a triangle on the axis
    floor; where it is not defined (0/0, or x/0) the panel says so under its axis.
    ``results``: the ``track_a`` stage result.
    """
    d = np.asarray(results["d"], dtype=float)
    cfg = results["config"]
    ex = results["exact_all_d"]
    xs = np.asarray(ex["d"], dtype=float)
    m = ex["methods"]
    pairs = [(k, name) for k, name in (("mim", "Eq. (4) MIM"), ("mim-paper", "Eq. (17) MIM"))]
    pairs = [(k, name) for k, name in pairs if k in m and "cl" in m]
    floor = _log_floor(*[results["ratio"][f]["lo"] for f in _FW])
    fig, axes = style.new_figure(
        1,
        3,
        width=4.0,
        height=3.6,
        sharey=True,
        title=r"Thm 4.4: the ratio $s^C/s^M$ of CL's to MIM's sensitivity vs d (MIM is more "
        "robust where it exceeds 1)",
    )
    central_fl = np.asarray(results["ratio"]["fl"]["central"], dtype=float)
    spread = max(
        float(np.max(np.abs(np.asarray(results["ratio"][f]["central"], float) / central_fl - 1)))
        for f in _FW
    )
    for ax, fw in zip(axes, _FW, strict=True):
        r = results["ratio"][fw]
        central = np.asarray(r["central"], dtype=float)
        _band_line(
            ax,
            d,
            r,
            style.COLOURS[fw],
            f"Track A {style.FRAMEWORK_LABELS[fw]}: constants = 1 (fitted slope "
            f"{r['fitted_slope']:.3f})",
            f"Track A band: constants per method in [{cfg['constants_range'][0]:g}, "
            f"{cfg['constants_range'][1]:g}]",
        )
        ax.plot(
            d,
            4.0 * central[-1] * (d / d[-1]) ** 0.2,
            color="#000000",
            ls="--",
            lw=1.0,
            label=r"reference $\propto d^{1/5}$ (predicted slope; drawn ×4 above the line)",
        )
        ax.axhline(1.0, color="#777777", ls=":", lw=1.2, label="ratio = 1")
        notes = []
        for k, name in pairs:
            num = _upper(m["cl"][fw]["gap_N"])
            den = _upper(m[k][fw]["gap_N"])
            cases = ratio_cases(num, den)
            marker, colour, _ = _EXACT_STYLE[k]
            label = f"Track B: exact CL / {name} (gaps 1 − min r)"
            if cases["defined"].any():
                ax.plot(
                    xs[cases["defined"]],
                    num[cases["defined"]] / den[cases["defined"]],
                    marker=marker,
                    color=colour,
                    ls="none",
                    ms=5,
                    label=label,
                )
            if cases["zero"].any():
                style.mark_zero(
                    ax, xs[cases["zero"]], floor=floor, colour=colour, label=f"{label} = 0"
                )
            for case, why in (
                ("undefined", "0/0, both gaps 0"),
                ("infinite", "x/0, MIM's gap 0"),
            ):
                if cases[case].any():
                    notes.append(f"CL / {name} not defined {_where_text(xs, cases[case])} ({why})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(floor, None)
        ax.set_xlabel(D_LABEL)
        ax.set_title(f"{style.FRAMEWORK_LABELS[fw]}: Track A bound ratio, Track B exact ratio")
        if notes:
            ax.text(
                0.0,
                -0.3,
                "Not drawn:\n" + "\n".join(notes),
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=7,
                color="#444444",
            )
    axes[0].set_ylabel(r"ratio $s^{C}/s^{M}$ (dimensionless, log scale)")
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "p": float(cfg["p"]),
            "DecL graph": f"{ex['graph']} (|Ā| = {float(results['abar']):.3g})",
            "slope fitted on d ≥": f"1e{float(cfg['fit_from_log10']):g}",
        },
        note=f"Track A's central ratios of the three frameworks differ by at most "
        f"{100 * spread:.2g} % (relative to FL). Track B: exact population optimum; a ratio "
        f"of exact 0 is drawn as ▽ on the axis floor.",
    )
    return fig
