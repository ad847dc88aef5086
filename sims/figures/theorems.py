"""Figures of the ``track_a`` and ``track_c`` stages: Track A bands and lines (Thms 4.2–4.6),
Track B exact markers, and the three tracks side by side."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from theory.sweeps import EXACT_TO_BOUND  # noqa: E402


def _num(value, default=np.nan) -> float:
    return default if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# Theorem figures (stage ``track_a``): Track A bands and lines, Track B exact markers
# ---------------------------------------------------------------------------------------------

#: exact zeros are drawn at this floor on log axes (marked in the legend)
FLOOR = 1e-12
#: a ratio that is exactly 0 is drawn at this floor of the Thm 4.4 figure
RATIO_FLOOR = 1e-3
_FW_COLOURS = {"local": "#2ca02c", "decl": "#1f77b4", "fl": "#d62728"}
_FW_LABELS = {"local": "local", "decl": "DecL", "fl": "FL"}
_METHOD_TITLES = {
    "mim": "MIM (Thm 4.2)",
    "cl_similar": "CL, similar augmentations (Thm 4.3, Lemma A.11)",
    "cl_dissimilar": "CL, dissimilar augmentations (Thm 4.3)",
}
_EXACT_STYLE = {
    "mim": ("o", "exact Eq. (4) MIM (hollow target)"),
    "mim-paper": ("D", "paper's Eq. (17) target"),
    "mim-independent": ("^", "independent masks"),
    "cl": ("s", "exact CL"),
    "cl-dissimilar": ("P", "exact CL, dissimilar (random rotation H)"),
}
_TRACK_NOTE = (
    "Track A: the paper's bound s = 1 − LB (line: all hidden constants = 1; band: constants "
    "in [{lo:g}, {hi:g}]).  Track B: exact population optimum (markers; N = {n}, {graph} graph)."
)


def _floored(values) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([np.nan if v is None else float(v) for v in values])
    zero = y < FLOOR
    return np.where(zero, FLOOR, y), zero


def _band_line(ax, x, bound: dict, colour: str, label: str | None) -> None:
    x = np.asarray(x, dtype=float)
    ax.fill_between(
        x, np.asarray(bound["lo"], float), np.asarray(bound["hi"], float), color=colour, alpha=0.18
    )
    ax.plot(x, np.asarray(bound["central"], float), color=colour, lw=1.8, label=label)


def make_sensitivity_figure(results: dict):
    """Thms 4.2 / 4.3: the paper's sensitivity bound vs d for local, DecL and FL (3×3 grid).

    Rows: MIM, CL similar, CL dissimilar; columns: local, DecL, FL. Track A: line (constants
    = 1) and band (constants swept). Track B (exact model at the d where it is computable):
    filled markers 1 − min_{k∈[N]} r_k (what the lower bound controls), hollow markers the
    spread max − min over [N]. Exact zeros are drawn at :data:`FLOOR`. ``results`` is the
    ``track_a`` stage result.
    """
    d = np.asarray(results["d"], dtype=float)
    cfg = results["config"]
    exact = results["exact"]
    methods = list(results["bounds"])
    fig, axes = plt.subplots(len(methods), 3, figsize=(15, 4.0 * len(methods)), sharex=True)
    axes = np.atleast_2d(axes)
    any_zero = False
    for row, method in enumerate(methods):
        for col, fw in enumerate(("local", "decl", "fl")):
            ax = axes[row, col]
            colour = _FW_COLOURS[fw]
            _band_line(ax, d, results["bounds"][method][fw], colour, "Track A bound 1 − LB")
            for em, (marker, label) in _EXACT_STYLE.items():
                if EXACT_TO_BOUND[em] != method:
                    continue
                recs = [r for r in exact["records"] if em in r["methods"]]
                if not recs:
                    continue
                xs = np.array([r["d"] for r in recs], dtype=float)
                gap, z1 = _floored([r["methods"][em][fw]["gap_N"] for r in recs])
                spread, z2 = _floored([r["methods"][em][fw]["spread_N"] for r in recs])
                any_zero |= bool(z1.any() or z2.any())
                ax.plot(xs, gap, marker, color="k", ms=6, ls="none", label=f"{label}: 1 − min r")
                ax.plot(
                    xs,
                    spread,
                    marker,
                    mfc="none",
                    color="0.35",
                    ms=8,
                    ls="none",
                    label=f"{label}: spread over [N]",
                )
            ax.axhline(1.0, color="0.5", ls=":", lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(FLOOR / 3, 3.0)
            ax.grid(alpha=0.3, which="major")
            ax.set_title(f"{_METHOD_TITLES[method]} — {_FW_LABELS[fw]}", fontsize=10)
            if row == len(methods) - 1:
                ax.set_xlabel("input dimension d")
            if col == 0:
                ax.set_ylabel("sensitivity s (log)")
            ax.legend(fontsize=7, loc="upper right")
    note = _TRACK_NOTE.format(
        lo=cfg["constants_range"][0],
        hi=cfg["constants_range"][1],
        n=exact["n_clients"],
        graph=exact["graph"],
    )
    if any_zero:
        note += f"\nExact zeros are drawn at {FLOOR:g}. Dotted line: s = 1 (a vacuous bound)."
    note += (
        f"  DecL: |Ā| = {results['abar']:g}. Exact sensitivities over [N] plotted; over [c] in"
        " track_a.json. Track C (simulations): see report.md."
    )
    fig.suptitle("Theorems 4.2 and 4.3: the paper's sensitivity bounds vs the exact linear model")
    fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=8, wrap=True)
    fig.tight_layout(rect=(0, 0.045, 1, 0.98))
    return fig


def make_ratio_figure(results: dict):
    """Thm 4.4: s^C / s^M vs d (Track A, line + band, with the predicted slope 1/5) and the
    exact-model ratio of the gaps 1 − min_{k∈[N]} r_k (Track B). ``results``: ``track_a``."""
    d = np.asarray(results["d"], dtype=float)
    fig, ax = plt.subplots(figsize=(9, 6))
    for fw in ("local", "decl", "fl"):
        r = results["ratio"][fw]
        label = f"Track A {_FW_LABELS[fw]} (fitted slope {r['fitted_slope']:.3f})"
        if fw == "fl":
            _band_line(ax, d, r, _FW_COLOURS[fw], label + ", band")
        else:
            ax.plot(
                d,
                r["central"],
                color=_FW_COLOURS[fw],
                lw=1.8,
                ls="--" if fw == "local" else "-.",
                label=label,
            )
    central = np.asarray(results["ratio"]["fl"]["central"], dtype=float)
    ref = central[-1] * (d / d[-1]) ** 0.2
    ax.plot(d, ref, "k--", lw=1.2, label=r"predicted slope: $\propto d^{1/5}$")
    ax.axhline(1.0, color="0.3", ls=":", lw=1.2, label="s^C = s^M (below: CL more robust)")
    exact = results["exact"]["records"]
    markers = {"local": "o", "decl": "s", "fl": "D"}
    zero_drawn = False
    for fw in ("local", "decl", "fl"):
        for mim_key, fill in (("mim", True), ("mim-paper", False)):
            xs, ys, zs = [], [], []
            for rec in exact:
                m = rec["methods"]
                if mim_key not in m or "cl" not in m:
                    continue
                num, den = m["cl"][fw]["gap_N"], m[mim_key][fw]["gap_N"]
                if den is None or num is None or den <= FLOOR:
                    continue  # 0/0 or x/0: no ratio
                (zs if num <= FLOOR else xs).append(rec["d"])
                if num > FLOOR:
                    ys.append(num / den)
            name = "exact MIM" if fill else "Eq. 17 MIM"
            style = dict(color=_FW_COLOURS[fw], ms=7, ls="none")
            if xs:
                ax.plot(
                    xs,
                    ys,
                    markers[fw],
                    mfc=_FW_COLOURS[fw] if fill else "none",
                    label=f"Track B {_FW_LABELS[fw]}: CL / {name} (1 − min r)",
                    **style,
                )
            if zs:
                zero_drawn = True
                ax.plot(
                    zs,
                    [RATIO_FLOOR] * len(zs),
                    "v",
                    label=f"Track B {_FW_LABELS[fw]}: CL / {name} = 0 (exact CL RV = 1)",
                    **style,
                )
    if zero_drawn:
        ax.axhline(RATIO_FLOOR, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input dimension d")
    ax.set_ylabel(r"ratio $s^{C}/s^{M}$ (log)")
    ax.set_ylim(RATIO_FLOOR / 2, None)
    ax.set_title("Theorem 4.4: MIM is more robust than CL iff the ratio exceeds 1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.text(
        0.5,
        0.0,
        "Track A band: constants chosen independently per method in "
        f"[{results['config']['constants_range'][0]:g}, "
        f"{results['config']['constants_range'][1]:g}]. Track B: exact optimum, N = "
        f"{results['exact']['n_clients']}. Track C: see report.md.",
        ha="center",
        va="top",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def make_connectivity_figure(results: dict):
    """Cor 4.5: DecL sensitivity vs |Ā|. Track A bound at each d of ``bound_d`` (line + band),
    FL bound (dotted); Track B exact Eq. (1) DecL optimum on graphs of increasing |Ā| (gap and
    spread over [N]) with the exact FL value (dashed). ``results``: ``track_a``."""
    conn = results["connectivity"]
    ex = conn["exact"]
    abar = np.asarray(conn["abar_grid"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    colours = ["#1f77b4", "#9467bd", "#8c564b"]
    graph_markers = {"paper_code": "o", "star": "*", "ring": "s", "complete": "D"}
    for ax, (m, em) in zip(axes, (("mim", "mim"), ("cl_similar", "cl")), strict=True):
        for (dv, by_method), colour in zip(conn["bounds"].items(), colours, strict=False):
            b = by_method[m]
            _band_line(ax, abar, b, colour, f"Track A DecL bound, d = {dv}")
            ax.axhline(b["fl_central"], color=colour, ls=":", lw=1, label=f"Track A FL, d = {dv}")
        for g, marker in graph_markers.items():
            recs = [r for r in ex["records"] if r["graph"] == g]
            if not recs:
                continue
            xs = [r["abar"] for r in recs]
            gap, _ = _floored([r[em]["gap_N"] for r in recs])
            spread, _ = _floored([r[em]["spread_N"] for r in recs])
            ax.plot(xs, gap, marker, color="k", ls="none", ms=7, label=f"Track B {g}: 1 − min r")
            ax.plot(
                xs,
                spread,
                marker,
                color="0.4",
                mfc="none",
                ls="none",
                ms=9,
                label=f"Track B {g}: spread [N]",
            )
        ax.axhline(
            max(ex["fl"][em]["gap_N"], FLOOR),
            color="k",
            ls="--",
            lw=1,
            label="Track B FL: 1 − min r",
        )
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 3, 3.0)
        ax.set_xlabel(r"average connectivity $|\bar A|$ (self counted)")
        ax.set_ylabel("sensitivity s (log)")
        ax.set_title(
            f"{'MIM' if m == 'mim' else 'CL (similar)'}: N = {ex['n_clients']}, exact d = {ex['d']}"
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    fig.suptitle(
        "Corollary 4.5: does DecL robustness improve with |Ā|?  (Track A bound vs Track B exact "
        "optimum of Eq. (1); exact zeros at 1e-12)"
    )
    fig.tight_layout()
    return fig


def make_decl_vs_fl_figure(results: dict):
    """Thm 4.6: left, Track A s_Dec / s_Fed vs d at several |Ā| (≥ 1 is the claim); right,
    Track B exact (1 − min r)_Dec − (1 − min r)_FL over graphs vs |Ā|. ``results``: ``track_a``."""
    d = np.asarray(results["d"], dtype=float)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(14, 5.2))
    cmap = plt.get_cmap("viridis")
    items = list(results["thm46_ratio"].items())
    for idx, (a, by_method) in enumerate(items):
        colour = cmap(idx / max(1, len(items) - 1))
        ax0.plot(d, by_method["mim"], color=colour, lw=1.8, label=f"MIM, |Ā| = {a}")
        ax0.plot(d, by_method["cl_similar"], color=colour, lw=1.2, ls="--", label=f"CL, |Ā| = {a}")
    ax0.axhline(1.0, color="k", ls=":", lw=1)
    ax0.set_xscale("log")
    ax0.set_xlabel("input dimension d")
    ax0.set_ylabel(r"$s_{Dec}/s_{Fed}$ (Track A, constants = 1)")
    ax0.set_title(f"Track A: ratio of the paper's bounds, N = {results['config']['n_clients']}")
    ax0.grid(alpha=0.3)
    ax0.legend(fontsize=7, ncol=2)
    ex = results["connectivity"]["exact"]
    for em, marker, colour in (("mim", "o", "#1f77b4"), ("cl", "s", "#ff7f0e")):
        xs = [r["abar"] for r in ex["records"]]
        gap = [r[em]["gap_N"] - ex["fl"][em]["gap_N"] for r in ex["records"]]
        spr = [r[em]["spread_N"] - ex["fl"][em]["spread_N"] for r in ex["records"]]
        ax1.plot(xs, gap, marker, color=colour, ls="none", ms=7, label=f"{em}: Δ(1 − min r)")
        ax1.plot(
            xs,
            spr,
            marker,
            color=colour,
            mfc="none",
            ls="none",
            ms=9,
            label=f"{em}: Δ spread over [N]",
        )
    ax1.axhline(0.0, color="k", ls=":", lw=1)
    ax1.set_yscale("symlog", linthresh=1e-6)
    ax1.set_xlabel(r"average connectivity $|\bar A|$")
    ax1.set_ylabel("DecL − FL (Track B; ≥ 0 is the claim)")
    ax1.set_title(f"Track B: exact Eq. (1) optimum, N = {ex['n_clients']}, d = {ex['d']}")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    fig.suptitle("Theorem 4.6: FL is no less robust than DecL (s_Dec ≥ s_Fed)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# The three tracks side by side (stage ``track_c``)
# ---------------------------------------------------------------------------------------------

_OVERLAY_ROWS = {"mim": ("mim", "mim-paper"), "cl_similar": ("cl",)}
TRACK_C_LABEL = "Track C trained: 1 − min r (±2 SE over seeds)"
ZERO_LABEL = "exact 0 (drawn on the dashed line)"


def _zero_level(values) -> float:
    """A y just below the smallest positive value (a decade under, on a power of ten)."""
    v = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in values])
    v = v[np.isfinite(v) & (v >= FLOOR)]
    low = float(v.min()) if v.size else 1e-3
    return 10.0 ** (np.floor(np.log10(low)) - 1)


def make_tracks_overlay_figure(results: dict):
    """Thms 4.2 (MIM) and 4.3 (CL, similar) × local / DecL / FL: Tracks A, B and C together.

    Each panel, log–log against d (up to a decade past the largest d of Tracks B and C):
    Track A, the paper's bound s = 1 − LB (line: hidden constants = 1; band: constants swept);
    Track B, the exact population optimum's gap 1 − min_{k∈[N]} r_k (black markers, one per d
    where it is computed); Track C, the trained encoders' 1 − min r at the configuration's d
    (red star, error bar ±2 standard errors over seeds when there are at least two) and, as a
    cross, the paper's 1 − LB at that point with the configuration's constants. A marker above
    the line is a violated bound; s = 1 (dotted) a vacuous one. Exact zeros are drawn on a
    dashed line below the data. ``results``: the output of ``sims.stages.track_c.tracks_overlay``.
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
    fig, axes = plt.subplots(len(methods), 3, figsize=(15, 4.2 * len(methods)), sharex=True)
    axes = np.atleast_2d(axes)
    any_c = False
    for row, method in enumerate(methods):
        for col, fw in enumerate(("local", "decl", "fl")):
            ax = axes[row, col]
            bound = {
                k: np.asarray(v, dtype=float)[keep]
                for k, v in results["bounds"][method][fw].items()
            }
            _band_line(ax, d, bound, _FW_COLOURS[fw], "Track A: 1 − LB")
            series = []  # (x, y, kind, label) drawn after the zero level is known
            for em in _OVERLAY_ROWS[method]:
                recs = [r for r in exact["records"] if em in r["methods"]]
                if recs:
                    series.append(
                        (
                            [r["d"] for r in recs],
                            [r["methods"][em][fw]["gap_N"] for r in recs],
                            em,
                            f"Track B {_EXACT_STYLE[em][1]}: 1 − min r",
                        )
                    )
            cell = tc.get(method, {}).get(fw)
            values = [bound["lo"], bound["central"]] + [np.asarray(s[1], float) for s in series]
            if cell is not None:
                values.append(np.array([cell["gap"], cell["one_minus_lb"]], dtype=float))
            zero = _zero_level(values)
            drew_zero = False
            for xs, ys, em, label in series:
                y = np.asarray(ys, dtype=float)
                is_zero = y < FLOOR
                drew_zero |= bool(is_zero.any())
                ax.plot(
                    np.asarray(xs, dtype=float),
                    np.where(is_zero, zero, y),
                    _EXACT_STYLE[em][0],
                    color="k",
                    ms=6,
                    ls="none",
                    label=label,
                )
            if cell is not None:
                any_c = True
                x = float(cell["d"])
                y = max(float(cell["gap"]), zero)
                drew_zero |= float(cell["gap"]) < FLOOR
                err = float(cell.get("err_2se") or 0.0)
                lower = min(err, y - zero / 2)  # a log axis cannot show y − err <= 0
                ax.errorbar(
                    [x],
                    [y],
                    yerr=[[max(lower, 0.0)], [err]],
                    fmt="*",
                    color="#d62728",
                    mec="k",
                    ms=13,
                    capsize=4,
                    zorder=5,
                    label=TRACK_C_LABEL,
                )
                ax.plot(
                    [x],
                    [max(float(cell["one_minus_lb"]), zero)],
                    "x",
                    color="k",
                    ms=9,
                    mew=2,
                    ls="none",
                    label="Track A at Track C's d and constants",
                )
            if drew_zero:
                ax.axhline(zero, color="0.4", ls="--", lw=0.8, label=ZERO_LABEL)
            ax.axhline(1.0, color="0.5", ls=":", lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(zero / 3, 3.0)
            ax.grid(alpha=0.3, which="major")
            ax.set_title(f"{_METHOD_TITLES[method]} — {_FW_LABELS[fw]}", fontsize=10)
            if row == len(methods) - 1:
                ax.set_xlabel("input dimension d")
            if col == 0:
                ax.set_ylabel("sensitivity s = 1 − min r (log)")
    seen: dict = {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    fig.legend(
        list(seen.values()),
        list(seen),
        loc="lower center",
        bbox_to_anchor=(0.5, 0.045),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    note = (
        f"Track A: the paper's bound 1 − LB (line: hidden constants = 1; band: constants in "
        f"[{cfg['constants_range'][0]:g}, {cfg['constants_range'][1]:g}]).  Track B: exact "
        f"population optimum.  Track C: trained linear encoders at d = {cfg['d']}.  "
        f"N = {cfg['n_clients']}, p = {cfg['p']:g}, DecL on the {cfg['graph']} graph "
        f"(|Ā| = {results['abar']:g}).  A marker above the line violates the bound; dotted: s = 1."
    )
    if not any_c:
        note += "  Track C not run (no simulation evidence)."
    fig.suptitle("Theorems 4.2 and 4.3: the paper's bound, the exact model and the simulations")
    fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=8, wrap=True)
    fig.tight_layout(rect=(0, 0.13, 1, 0.98))
    return fig
