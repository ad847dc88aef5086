"""Figures: one ``make_<name>_figure(results) -> Figure`` per figure and one :func:`savefig`.

Figures are build products of ``dssl reproduce``; every function takes the JSON-able result
of a reproduce stage and returns a Matplotlib figure (Agg backend, no display needed).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

_MIXING_COLOURS = {
    "uniform": "#1f77b4",
    "metropolis": "#ff7f0e",
    "max_degree": "#2ca02c",
    "data_size": "#d62728",
    "fedavg": "#9467bd",
    "ying": "#8c564b",
}
_GENERATOR_MARKERS = {"paper_code": "o", "random_regular": "s"}


def savefig(fig, path) -> Path:
    """Save ``fig`` to ``path`` (creating parent folders, 150 dpi, tight box) and close it.

    The one figure-writing function of the project. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _grouped_bars(ax, graphs, mixings, values, *, log=False, errors=None):
    width = 0.8 / max(1, len(mixings))
    x = np.arange(len(graphs))
    for m_idx, mixing in enumerate(mixings):
        ys = [values.get((g, mixing), np.nan) for g in graphs]
        errs = None
        if errors is not None:
            errs = [errors.get((g, mixing), 0.0) for g in graphs]
        ax.bar(
            x + (m_idx - (len(mixings) - 1) / 2) * width,
            ys,
            width,
            yerr=errs,
            label=mixing,
            color=_MIXING_COLOURS.get(mixing),
            capsize=2 if errs is not None else 0,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(graphs, rotation=30, ha="right")
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)


def make_topology_zoo_figure(results: dict):
    """Topology zoo at one n: λ₂, spectral gap 1−λ, |Ā| and n_W(γ) per graph × mixing rule.

    ``results`` is the ``zoo`` section of the topology audit: ``{"n", "gamma", "records":
    [{"graph", "mixing", "lambda2", "spectral_gap", "avg_connectivity",
    "effective_neighbours", ...}]}`` (random graphs: means over seeds, with ``*_std``).
    """
    records = results["records"]
    graphs = list(dict.fromkeys(r["graph"] for r in records))
    mixings = list(dict.fromkeys(r["mixing"] for r in records))

    def table(key):
        vals = {(r["graph"], r["mixing"]): _num(r.get(key)) for r in records}
        errs = {(r["graph"], r["mixing"]): _num(r.get(key + "_std"), 0.0) for r in records}
        return vals, errs

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    panels = [
        ("lambda2", r"$\lambda_2$ (reversible W; Ying's directed W: n/a)", False),
        ("spectral_gap", r"spectral gap $1-\lambda$ (log scale)", True),
        ("avg_connectivity", r"average connectivity $|\bar A|$ (self counted)", False),
        ("effective_neighbours", rf"effective neighbours $n_W(\gamma={results['gamma']})$", False),
    ]
    for ax, (key, title, log) in zip(axes.ravel(), panels, strict=True):
        vals, errs = table(key)
        _grouped_bars(ax, graphs, mixings, vals, log=log, errors=errs)
        ax.set_title(title)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, title="mixing", loc="lower center", ncol=len(labels))
    fig.suptitle(
        f"Topology zoo, n = {results['n']} (random graphs: mean ± sd over {results['seeds']} seeds)"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def make_paper_code_degree_figure(results: dict):
    """The official code's generator: realised mean degree vs nominal ``avg_connectivity``.

    ``results`` is the ``paper_code_degree`` section: ``{"records": [{"n", "nominal",
    "mean", "min", "max"}]}`` (over seeds). Left: realised vs nominal with y = x; right: excess.
    """
    records = results["records"]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.8))
    for n in sorted({r["n"] for r in records}):
        rs = sorted((r for r in records if r["n"] == n), key=lambda r: r["nominal"])
        k = np.array([r["nominal"] for r in rs], dtype=float)
        mean = np.array([r["mean"] for r in rs])
        lo = np.array([r["min"] for r in rs])
        hi = np.array([r["max"] for r in rs])
        (line,) = ax0.plot(k, mean, "o-", ms=3, label=f"n = {n}")
        ax0.fill_between(k, lo, hi, color=line.get_color(), alpha=0.2)
        ax1.plot(k, mean - k, "o-", ms=3, color=line.get_color(), label=f"n = {n}")
        ax1.fill_between(k, lo - k, hi - k, color=line.get_color(), alpha=0.2)
    top = max(r["nominal"] for r in records)
    ax0.plot([0, top], [0, top], "k--", lw=1, label="realised = nominal")
    ax0.set_xlabel("nominal average degree k (code's avg_connectivity; paper |Ā| = k + 1)")
    ax0.set_ylabel("realised mean degree")
    ax0.set_title("paper_code generator: realised vs nominal (band: min–max over seeds)")
    ax0.legend()
    ax1.axhline(0.0, color="k", lw=1, ls="--")
    ax1.set_xscale("log")
    ax1.set_xlabel("nominal average degree k (log scale)")
    ax1.set_ylabel("excess: realised mean degree − k")
    ax1.set_title("excess degree")
    ax1.legend()
    for ax in (ax0, ax1):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def make_paper_settings_figure(results: dict):
    """Paper's DecL settings (N clients, nominal |Ā|): λ, realised |Ā| and |π_obj − π_stat|.

    ``results`` is the ``paper_settings`` section: ``{"n", "records": [{"generator",
    "mixing", "nominal_connectivity", "lambda", "lambda_std", "avg_connectivity",
    "weights_gap"}]}``.
    """
    records = results["records"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    generators = list(dict.fromkeys(r["generator"] for r in records))
    mixings = list(dict.fromkeys(r["mixing"] for r in records))
    for gen in generators:
        for mixing in mixings:
            rs = sorted(
                (r for r in records if r["generator"] == gen and r["mixing"] == mixing),
                key=lambda r: r["nominal_connectivity"],
            )
            if not rs:
                continue
            x = np.array([r["nominal_connectivity"] for r in rs], dtype=float)
            style = dict(
                marker=_GENERATOR_MARKERS.get(gen, "^"),
                color=_MIXING_COLOURS.get(mixing),
                ls="-" if gen == "paper_code" else ":",
                ms=5,
            )
            axes[0].errorbar(
                x,
                [_num(r["lambda"]) for r in rs],
                yerr=[_num(r.get("lambda_std"), 0.0) for r in rs],
                label=f"{gen} / {mixing}",
                capsize=2,
                **style,
            )
            axes[2].plot(x, [_num(r["weights_gap"]) for r in rs], **style)
        rs = sorted(
            (r for r in records if r["generator"] == gen and r["mixing"] == mixings[0]),
            key=lambda r: r["nominal_connectivity"],
        )
        axes[1].plot(
            [r["nominal_connectivity"] for r in rs],
            [r["avg_connectivity"] for r in rs],
            marker=_GENERATOR_MARKERS.get(gen, "^"),
            label=gen,
        )
    top = max(r["nominal_connectivity"] for r in records)
    axes[1].plot([0, top], [0, top], "k--", lw=1, label="realised = nominal")
    axes[0].set_title(r"contraction $\lambda$ (mean ± sd over seeds)")
    axes[0].set_ylabel(r"$\lambda$")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].set_title(r"realised $|\bar A|$ vs the paper's nominal $|\bar A|$")
    axes[1].set_ylabel(r"realised $|\bar A|$")
    axes[1].legend(fontsize=8)
    axes[2].set_title(r"$\max_j |\pi^{obj}_j - \pi^{stat}_j|$ (Eq. (1) vs stationary)")
    axes[2].set_ylabel("max abs difference")
    for ax in axes:
        ax.set_xlabel(r"nominal $|\bar A|$ (code degree $k = |\bar A| - 1$)")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Paper's decentralized settings: N = {results['n']} clients")
    fig.tight_layout()
    return fig


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
_EXACT_TO_BOUND = {
    "mim": "mim",
    "mim-paper": "mim",
    "mim-independent": "mim",
    "cl": "cl_similar",
    "cl-dissimilar": "cl_dissimilar",
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
                if _EXACT_TO_BOUND[em] != method:
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
# Mask expectation figures (stage ``mask``)
# ---------------------------------------------------------------------------------------------

_MASK_TITLES = {
    "mim": "exact E_m of Eq. (4): hollow",
    "mim-paper": "paper's Eq. (17): diagonal",
    "mim-independent": "independent masks: κ·E[xxᵀ]",
    "cl": "CL: E[xxᵀ]",
}


def make_mask_expectation_figure(results: dict):
    """Heat maps of one client's target X_i: exact mask expectation (hollow) vs Eq. (17)
    (diagonal), independent masks and CL. ``results`` is the ``mask`` stage result."""
    heat = results["heatmap"]
    items = list(heat["targets"].items())
    fig, axes = plt.subplots(1, len(items), figsize=(4.3 * len(items), 4.2))
    for ax, (m, mat) in zip(np.atleast_1d(axes), items, strict=True):
        a = np.asarray(mat, dtype=float)
        vmax = float(np.max(np.abs(a))) or 1.0
        im = ax.imshow(a, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(_MASK_TITLES.get(m, m), fontsize=10)
        ticks = np.arange(a.shape[0])
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t + 1) for t in ticks], fontsize=7)
        ax.set_yticks(ticks)
        ax.set_yticklabels([str(t + 1) for t in ticks], fontsize=7)
        ax.set_xlabel("coordinate l")
        ax.set_ylabel("coordinate k")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(
        f"Target X_i of client {heat['client'] + 1} (d = {heat['d']}, N = {heat['n_clients']}, "
        f"p = {results['config']['p']}): Track B exact expectation vs the paper's Eq. (17)"
    )
    fig.tight_layout()
    return fig


def make_mask_rv_figure(results: dict):
    """Representability vectors r_k, k ∈ [c], of the exact FL and local (client 1) optima for
    each target (exact hollow / Eq. 17 / independent masks / CL). ``results``: ``mask``."""
    rv = results["rv"]
    methods = list(rv["methods"])
    n, c = rv["n_clients"], rv["c"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.8), sharey=True)
    width = 0.8 / len(methods)
    x = np.arange(1, c + 1)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    for ax, key, title in zip(
        axes, ("fl", "local_client1"), ("FL optimum", "local optimum of client 1"), strict=True
    ):
        for idx, m in enumerate(methods):
            ax.bar(
                x + (idx - (len(methods) - 1) / 2) * width,
                rv["methods"][m][key],
                width,
                label=_MASK_TITLES.get(m, m),
                color=colours[idx % len(colours)],
            )
        ax.axvline(n + 0.5, color="k", ls="--", lw=1)
        ax.text(n + 0.6, 1.02, "k > N: rare / noise axes", fontsize=8, va="bottom")
        ax.text(0.6, 1.02, "k ∈ [N]: client axes", fontsize=8, va="bottom")
        ax.set_xticks(x)
        ax.set_xlabel("coordinate k")
        ax.set_title(f"{title} (Track B, d = {rv['d']}, N = {n}, c = {c})")
        ax.set_ylim(0, 1.12)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel(r"RV $r_k = \|\Pi_{row(W)} e_k\|^2$")
    axes[1].legend(fontsize=8, loc="center right")
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
    dashed line below the data. ``results``: the output of ``sims.reproduce.tracks_overlay``.
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
