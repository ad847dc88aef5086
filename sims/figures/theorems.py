"""Figures of the ``track_a`` and ``track_c`` stages: Track A bands and lines (Thms 4.2–4.6),
Track B exact optima, and the three tracks side by side.

All figures use the house style of :mod:`sims.figures.style`: Track A in the colour of its
framework (local, DecL, FL), Track B in black and grey with one marker shape per target, exact
zeros as open triangles on the axis floor (:func:`~sims.figures.style.mark_zero`, "= 0" in the
legend), one legend beside the panels and the configuration in the footer.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import functools  # noqa: E402
import textwrap  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sims.figures import style  # noqa: E402
from theory.sweeps import EXACT_TO_BOUND  # noqa: E402

#: a value of the exact model with |value| below this is an exact 0 (rounding of sums of
#: O(1) terms in float64 leaves ~1e-16)
ZERO_TOL = 1e-12
_FW = ("local", "decl", "fl")
_METHOD_TITLES = {
    "mim": "MIM (Thm 4.2)",
    "cl_similar": "CL similar (Thm 4.3)",
    "cl_dissimilar": "CL dissimilar (Thm 4.3)",
}
#: Track B targets: (marker, colour, name)
_EXACT_STYLE = {
    "mim": ("o", "#000000", "exact MIM, Eq. (4) (hollow target)"),
    "mim-paper": ("D", "#777777", "paper's Eq. (17) target"),
    "mim-independent": ("^", "#777777", "independent masks"),
    "cl": ("s", "#000000", "exact CL"),
    "cl-dissimilar": ("P", "#000000", "exact CL, dissimilar"),
}
S_LABEL = "sensitivity s (dimensionless)"
D_LABEL = "input dimension d (log scale)"
ABAR_LABEL = r"average connectivity $|\bar A|$ (self counted; dimensionless)"


def _styled(make):
    """Run a figure function inside the house style's rc settings (font sizes of titles, labels
    and legends are fixed when the artists are made)."""

    @functools.wraps(make)
    def wrapper(results: dict):
        with plt.rc_context(style.RC):
            return make(results)

    return wrapper


def _arr(values) -> np.ndarray:
    return np.array([np.nan if x is None else float(x) for x in values], dtype=float)


def _upper(pairs) -> np.ndarray:
    """The max over the optimal set of (min, max) pairs (a plain list of floats passes)."""
    return _arr([p[1] if isinstance(p, (list, tuple)) else p for p in pairs])


def _is_zero(y: np.ndarray) -> np.ndarray:
    return np.isfinite(y) & (np.abs(y) < ZERO_TOL)


def _fmt(x: float) -> str:
    """A value for prose: ``0`` for an exact zero, else 2 significant digits."""
    return "0" if abs(x) < ZERO_TOL else f"{x:.2g}"


def _log_floor(*arrays) -> float:
    """A power of ten at least a decade below the smallest non-zero value (the axis floor on
    which exact zeros are drawn)."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] or [[1.0]])
    vals = vals[np.isfinite(vals) & (vals >= ZERO_TOL)]
    low = float(vals.min()) if vals.size else 1e-3
    return 10.0 ** (np.floor(np.log10(low)) - 1)


def _band_line(ax, x, bound: dict, colour: str, label: str | None, band_label=None) -> None:
    x = np.asarray(x, dtype=float)
    ax.fill_between(
        x,
        np.asarray(bound["lo"], float),
        np.asarray(bound["hi"], float),
        color=colour,
        alpha=0.18,
        lw=0,
        label=band_label,
    )
    ax.plot(x, np.asarray(bound["central"], float), color=colour, lw=1.8, label=label)


def _exact_series(
    ax, x, y, *, marker, colour, label, floor, hollow=False, ms=5, join=True, zero_size=None
) -> bool:
    """Non-zero values as markers joined by a thin line; exact zeros with
    :func:`style.mark_zero` on ``floor``. Returns whether a zero was drawn."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    zero = _is_zero(y)
    shown = np.where(zero, np.nan, y)
    if np.isfinite(shown).any():
        ax.plot(
            x,
            shown,
            marker=marker,
            ms=ms,
            lw=0.8 if join else 0.0,
            color=colour,
            mfc="none" if hollow else colour,
            label=label,
            zorder=4,
        )
    if zero.any():
        pts = style.mark_zero(ax, x[zero], floor=floor, colour=colour, label=f"{label} = 0")
        if zero_size:
            pts.set_sizes([zero_size])
        return True
    return False


def _handles(fig) -> dict:
    """Label -> handle over every axes of ``fig``, each label once, in drawing order."""
    seen: dict = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if not lab.startswith("_"):
                seen.setdefault(lab, h)
    return seen


def wrap_note(fig, note: str) -> str:
    """``note`` wrapped to the figure's width (7 pt footer type), paragraph by paragraph."""
    width = int(fig.get_size_inches()[0] * 17)
    return "\n".join(textwrap.fill(par, width) for par in note.split("\n")) if note else note


def relayout(fig, footer_lines: int, *, bottom_in: float = 0.0, top_in: float = 0.0) -> float:
    """Lay the panels out under the suptitle (and ``top_in`` more inches) and above the footer
    (``footer_lines`` lines of 7 pt type) plus ``bottom_in`` inches (a legend); returns the
    height of the footer as a figure fraction. Sizes in inches, so short figures get the
    same room as tall ones."""
    height = fig.get_size_inches()[1]
    foot = (0.06 + 0.12 * footer_lines) / height
    fig.tight_layout(rect=(0, foot + bottom_in / height, 1, 1 - top_in / height))
    return foot


def _finish(fig, config: dict, note: str = "", *, ncol: int = 3):
    """Footer, then one legend for the whole figure below the panels (above the footer, outside
    every data area); each label once."""
    seen = _handles(fig)
    note = wrap_note(fig, note)
    style.footer(fig, config, note)
    text = config if isinstance(config, str) else style.footer_text(config)
    lines = (f"{text}\n{note}" if note else text).count("\n") + 1
    rows = -(-len(seen) // ncol)
    leg_in = 0.19 * rows + 0.12
    foot = relayout(fig, lines, bottom_in=leg_in)
    fig.legend(
        list(seen.values()),
        list(seen),
        loc="lower center",
        bbox_to_anchor=(0.5, foot),
        ncol=ncol,
        frameon=False,
        fontsize=style.RC["legend.fontsize"],
    )


def _constants_text(cfg: dict) -> str:
    lo, hi = cfg["constants_range"]
    return f"hidden constants in [{lo:g}, {hi:g}]"


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


# ---------------------------------------------------------------------------------------------
# Cor 4.5 and Thm 4.6: against the connectivity |Ā|
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The three tracks side by side (stage ``track_c``)
# ---------------------------------------------------------------------------------------------

_OVERLAY_ROWS = {"mim": ("mim", "mim-paper"), "cl_similar": ("cl",)}
TRACK_C_LABEL = "Track C trained: 1 − min r (±2 SE over seeds)"
ZERO_LABEL = "= 0"
TRACK_C_COLOUR = "#CC79A7"


@_styled
def make_tracks_overlay_figure(results: dict):
    """Thms 4.2 (MIM) and 4.3 (CL, similar) × local / DecL / FL: Tracks A, B and C together.

    Each panel, log–log against d (up to a decade past the largest d of Tracks B and C):
    Track A, the paper's bound s = 1 − LB (line: hidden constants = 1; band: constants swept);
    Track B, the exact population optimum's gap 1 − min_{k∈[N]} r_k (black and grey markers,
    one per d where it is computed); Track C, the trained encoders' 1 − min r at the
    configuration's d (star, error bar ±2 standard errors over seeds when there are at least
    two) and, as a cross, the paper's 1 − LB at that point with the configuration's constants.
    A marker above the line is a violated bound; s = 1 (dotted) a vacuous one. Exact zeros are
    triangles on the axis floor. ``results``: the output of
    ``sims.stages.track_c.tracks_overlay``.
    """
    d_all = np.asarray(results["d"], dtype=float)
    cfg = results["config"]
    exact = results["exact"]
    tc = results.get("track_c", {})
    methods = [m for m in _OVERLAY_ROWS if m in results["bounds"]]
    point_d = [float(r["d"]) for r in exact["records"]]
    point_d += [float(c["d"]) for m in tc.values() for c in m.values()]
    top = 10.0 ** (np.ceil(np.log10(max(point_d))) + 1) if point_d else d_all.max()
    keep = d_all <= top * (1 + 1e-9)
    d = d_all[keep]
    values = []
    for method in methods:
        for fw in _FW:
            values.append(np.asarray(results["bounds"][method][fw]["lo"], float)[keep])
            for em in _OVERLAY_ROWS[method]:
                values.append(
                    _arr(
                        [
                            r["methods"][em][fw]["gap_N"]
                            for r in exact["records"]
                            if em in r["methods"]
                        ]
                    )
                )
            cell = tc.get(method, {}).get(fw)
            if cell is not None:
                values.append(np.array([cell["gap"], cell["one_minus_lb"]], dtype=float))
    floor = _log_floor(*values)
    fig, axes = style.new_figure(
        len(methods),
        3,
        width=4.0,
        height=2.9,
        sharex=True,
        sharey=True,
        title="Thms 4.2 and 4.3: the paper's bound (Track A), the exact model (Track B) and "
        "the trained encoders (Track C)",
    )
    axes = np.atleast_2d(axes)
    any_c = False
    for row, method in enumerate(methods):
        for col, fw in enumerate(_FW):
            ax = axes[row, col]
            bound = {
                k: np.asarray(v, dtype=float)[keep]
                for k, v in results["bounds"][method][fw].items()
            }
            _band_line(
                ax,
                d,
                bound,
                style.COLOURS[fw],
                f"Track A {style.FRAMEWORK_LABELS[fw]}: 1 − LB",
                f"Track A band: {_constants_text(cfg)}",
            )
            for em in _OVERLAY_ROWS[method]:
                recs = [r for r in exact["records"] if em in r["methods"]]
                if recs:
                    marker, colour, name = _EXACT_STYLE[em]
                    _exact_series(
                        ax,
                        [r["d"] for r in recs],
                        _arr([r["methods"][em][fw]["gap_N"] for r in recs]),
                        marker=marker,
                        colour=colour,
                        label=f"Track B {name}: 1 − min r",
                        floor=floor,
                    )
            cell = tc.get(method, {}).get(fw)
            if cell is not None:
                any_c = True
                x = float(cell["d"])
                gap = float(cell["gap"])
                err = float(cell.get("err_2se") or 0.0)
                if abs(gap) < ZERO_TOL:
                    style.mark_zero(
                        ax, [x], floor=floor, colour=TRACK_C_COLOUR, label=f"{TRACK_C_LABEL} = 0"
                    )
                    if err > 0:
                        ax.errorbar(
                            [x],
                            [floor],
                            yerr=[[0.0], [err]],
                            fmt="none",
                            color=TRACK_C_COLOUR,
                            capsize=4,
                        )
                else:
                    lower = min(err, gap - floor / 2)  # a log axis cannot show y − err <= 0
                    ax.errorbar(
                        [x],
                        [gap],
                        yerr=[[max(lower, 0.0)], [err]],
                        fmt="*",
                        color=TRACK_C_COLOUR,
                        mec="#000000",
                        ms=12,
                        capsize=4,
                        zorder=5,
                        label=TRACK_C_LABEL,
                    )
                ax.plot(
                    [x],
                    [max(float(cell["one_minus_lb"]), floor)],
                    "x",
                    color="#000000",
                    ms=8,
                    mew=2,
                    ls="none",
                    label="Track A at Track C's d and constants",
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
    seeds = {c.get("seeds") for m in tc.values() for c in m.values()} - {None}
    note = (
        "A marker above the line violates the bound; |value| < 1e-12 is an exact 0, drawn as ▽ "
        "on the axis floor."
    )
    if not any_c:
        note += "  Track C not run (no simulation evidence)."
    _finish(
        fig,
        {
            "N": cfg["n_clients"],
            "d (Track C)": cfg["d"],
            "p": float(cfg["p"]),
            "DecL graph": f"{cfg['graph']} (|Ā| = {float(results['abar']):.3g})",
            "seeds": ", ".join(str(s) for s in sorted(seeds)) if seeds else None,
        },
        note=note,
    )
    return fig
