"""Figures of the experiment stages (``fig2a``, ``table6``, ``fig2b``, ``mim_vs_cl``,
``consensus``; :mod:`sims.experiments`), one ``make_<name>_figure(results) -> Figure`` each.

In the linear setting the probe accuracy of Section 6 barely moves with |Ā| or the mixing rule,
so the Section 6 figures plot what does move — the mixing matrix's λ₂, the spread of its
stationary distribution π, the trained consensus distance, ζ², the exact (Track B) and trained
sensitivity — and show accuracy on a fixed [0, 1] axis with its chance level. A text box, worded
from the results (principal angles between the exact DecL and FL optima, the probe of the exact
optima against chance), says what does not move and why.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sims.figures import style

_FAMILIES = {
    "general": {"color": style.CYCLE[0], "marker": "o", "label": "Erdős–Rényi (uneven degrees)"},
    "uniform": {"color": style.CYCLE[1], "marker": "s", "label": "random regular"},
}
_FL = style.FRAMEWORK_COLOURS["fl"]
_GREY = "#444444"
_ABAR_LABEL = "|Ā| (clients per neighbourhood, self included)"
_ACC_LABEL = "probe accuracy (fraction of test points)"
_SN_LABEL = "sensitivity s_N over [N] (dimensionless)"


# ---------------------------------------------------------------------------------------------
# shared pieces


def _num(value, default=np.nan) -> float:
    return default if value is None else float(value)


def _col(rows, key, default=np.nan) -> np.ndarray:
    return np.array([_num(r.get(key), default) for r in rows], float)


def _seeds_label(seeds) -> str:
    if seeds is None:
        return "trained"
    if int(seeds) == 1:
        return "trained (1 seed, no error bar)"
    return f"trained (mean ± SE over {int(seeds)} seeds)"


def _no_offset(ax) -> None:
    """Plain tick labels: never an offset ("1e-7+4.999e-2") or a multiplier on a linear axis."""
    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if hasattr(fmt, "set_useOffset"):
            fmt.set_useOffset(False)


def _accuracy_axis(ax, reference: dict | None, *, n_classes: int | None = None) -> None:
    """A probe-accuracy axis fixed to [0, 1] with its chance line (1/K) and, when known, the same
    probe on the raw input."""
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel(_ACC_LABEL)
    ref = dict(reference or {})
    chance = ref.get("probe_chance", None if n_classes is None else 1.0 / n_classes)
    if chance is not None:
        k = round(1.0 / chance)
        ax.axhline(
            chance, color="#000000", ls=":", lw=1.2, label=f"chance 1/K = {chance:.3f} (K = {k})"
        )
    if ref.get("probe_raw_input") is not None:
        ax.axhline(
            ref["probe_raw_input"],
            color=_GREY,
            ls="--",
            lw=1.0,
            label=f"same probe on raw x = {ref['probe_raw_input']:.3f}",
        )
    _no_offset(ax)


def _unique_handles(*axes) -> tuple[list, list]:
    """The legend entries of ``axes``, each label once, in order of appearance."""
    handles, labels = [], []
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels and not label.startswith("_"):
                handles.append(h)
                labels.append(label)
    return handles, labels


def _legend_panel(ax, handles, labels, **kw):
    """The legend of the whole figure in the data-free panel ``ax``."""
    return ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, kw.pop("top", 1.0)),
        fontsize=kw.pop("fontsize", 7.5),
        frameon=False,
        borderaxespad=0.0,
        **kw,
    )


def _layout(title: str, ncols: int = 3, *, width: float = 4.4, height: float = 2.9):
    """``(fig, axes, ax_legend, ax_text)``: two rows of ``ncols`` panels whose last panel holds
    the legend (no data), and a full-width text row under them."""
    fig, grid = style.new_figure(
        3,
        ncols,
        width=width,
        height=height,
        title=title,
        gridspec_kw={"height_ratios": (1.0, 1.0, 0.42)},
    )
    gs = grid[2, 0].get_gridspec()
    for ax in grid[2]:
        ax.remove()
    ax_text = fig.add_subplot(gs[2, :])
    ax_legend = grid[1, ncols - 1]
    ax_legend.set_axis_off()
    axes = [*grid[0], *grid[1, : ncols - 1]]
    return fig, axes, ax_legend, ax_text


def _text_panel(ax, title: str, lines: list[str], width: int = 52) -> None:
    """Turn ``ax`` into a text box: what does not move, and why."""
    ax.set_axis_off()
    lines = [line for line in lines if line.strip(" •")]
    body = "\n".join(textwrap.fill(line, width, subsequent_indent="  ") for line in lines)
    ax.text(
        0.0,
        1.0,
        f"{title}\n\n{body}",
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize=7,
        family="DejaVu Sans",
        bbox={"boxstyle": "round,pad=0.6", "facecolor": "#F4F4F4", "edgecolor": "#BBBBBB"},
    )


def _log_with_zeros(ax, x, y, *, colour, floor, **kw):
    """Plot positive values on a log axis and mark exact zeros (≤ 1e-12) on the floor."""
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    pos = y > 1e-12
    line = ax.plot(x[pos], y[pos], color=colour, **kw)
    style.mark_zero(ax, x[~pos], floor=floor, colour=colour)
    return line


def _floor(values, default=1e-12) -> float:
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 1e-12], float)
    return float(v.min() / 5.0) if v.size else default


def _config_footer(cfg: dict, keys: dict) -> dict:
    """``{label: cfg[key]}`` for the footer, in the order of ``keys`` (missing keys left out)."""
    return {label: cfg.get(key) for label, key in keys.items()}


_TRAIN_KEYS = {
    "N": "n_clients",
    "d": "d",
    "p": "p",
    "seeds": "seeds",
    "rounds": "rounds",
    "E": "local_steps",
    "η": "lr",
    "batch": "batch",
    "M/client": "samples_per_client",
}


def _angle_sentence(angles: np.ndarray, what: str) -> str:
    amax = float(np.nanmax(angles)) if np.any(np.isfinite(angles)) else float("nan")
    if not np.isfinite(amax):
        return f"The exact optima of {what} were not computed."
    if amax < 1e-6:
        return (
            f"Every exact (Track B) optimum of {what} spans the FL optimum's row space "
            f"(largest principal angle {amax:.0e} rad). A linear probe is blind to an invertible "
            "map of the features (up to its small ridge term), so it reads the same features "
            "everywhere: probe accuracy cannot move."
        )
    return (
        f"The exact (Track B) optima of {what} turn the FL optimum's row space by at most "
        f"{amax:.2g} rad (largest principal angle)."
    )


def _probe_sentence(rows, reference: dict | None) -> str:
    """The probe of the exact optima against chance, the majority class and the raw input; says
    so when the exact optima are themselves at chance level (within half the chance rate)."""
    exact = _col(rows, "exact_probe")
    ref = reference or {}
    chance = ref.get("probe_chance")
    parts = []
    if np.any(np.isfinite(exact)):
        parts.append(f"Probe of the exact optima: {np.nanmin(exact):.3f}–{np.nanmax(exact):.3f}")
    if chance is not None:
        parts.append(f"chance {chance:.3f}")
    if ref.get("probe_majority") is not None:
        parts.append(f"majority class {ref['probe_majority']:.3f}")
    if ref.get("probe_raw_input") is not None:
        parts.append(f"the same probe on raw x {ref['probe_raw_input']:.3f}")
    text = "; ".join(parts) + "." if parts else ""
    if chance is not None and np.any(np.isfinite(exact)):
        if np.nanmax(np.abs(exact - chance)) < 0.5 * chance:
            text += (
                " The exact optima are at chance themselves: the optimum the linear model "
                "converges to does not separate the classes linearly, whatever the mixing, so "
                "probe accuracy has nothing to move."
            )
    return text


def _trained_floor_sentence(rows) -> str:
    """Where the exact s_N is 0, the trained s_N there: the level trained differences must
    exceed to mean anything at this configuration ("" when no exact value is 0)."""
    exact = _col(rows, "exact_s_N_decl")
    trained = _col(rows, "s_N")
    zero = (np.abs(exact) < 1e-9) & np.isfinite(trained)
    if not np.any(zero):
        return ""
    return (
        f"Where the exact s_N is 0 (π uniform), the trained s_N is {np.min(trained[zero]):.2g}–"
        f"{np.max(trained[zero]):.2g}, not 0: trained differences smaller than this do not "
        "separate the graphs at this configuration."
    )


# ---------------------------------------------------------------------------------------------
# Fig. 2a


def _family_rows(rows, family):
    """One graph family's rows by realised |Ā|; the complete graph closes every family's line."""
    sel = [r for r in rows if r["family"] in (family, "complete")]
    return sorted(sel, key=lambda r: r["abar"])


def _mixing_axes(ax_l2, ax_pi, ax_xi, ax_sn, ax_acc, l2_title: str) -> None:
    """Limits, labels and titles of the five panels of what moves with the mixing (fig2a,
    table6): λ₂, the spread of π, the consensus distance, s_N and the probe accuracy."""
    ax_l2.set_ylim(0.0, 1.0)
    style.labels(ax_l2, ylabel="λ₂ (dimensionless)")
    style.title(ax_l2, l2_title)
    ax_pi.set_ylim(bottom=0.0)
    style.labels(ax_pi, ylabel="max π − min π (dimensionless)")
    style.title(ax_pi, "spread of the stationary distribution π")
    ax_xi.set_yscale("log")
    style.labels(ax_xi, ylabel="consensus distance (dimensionless)")
    style.title(ax_xi, "trained consensus distance, last round (▽ = 0)")
    ax_sn.set_ylim(bottom=0.0)
    style.labels(ax_sn, ylabel=_SN_LABEL)
    style.title(ax_sn, "sensitivity over [N]: exact vs trained")
    style.title(ax_acc, "probe accuracy on W̄x (fixed [0, 1] axis)")


def make_fig2a_figure(results: dict):
    """Fig. 2a (linear MIM, DecL vs |Ā|): what moves with the connectivity — λ₂ of the mixing
    matrix, the spread of its stationary distribution π, the trained consensus distance, the
    exact (Track B) and trained sensitivity s_N — and the probe accuracy on a fixed [0, 1] axis
    with its chance line; a text box says what does not move and why, the legend sits under
    it (outside every data panel)."""
    rows = results["rows"]
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    ref = results.get("probe_reference")
    fig, axes, ax_leg, ax_txt = _layout(
        "Fig. 2a, linear MIM: what DecL's connectivity |Ā| changes (complete graph = FL)"
    )
    ax_l2, ax_pi, ax_xi, ax_sn, ax_acc = axes
    xi_floor = _floor(_col(rows, "consensus_distance"), 1e-12)
    for family, fam in _FAMILIES.items():
        sel = _family_rows(rows, family)
        if not any(r["family"] == family for r in sel):
            continue
        x = _col(sel, "abar")
        kw = {"color": fam["color"], "marker": fam["marker"], "ms": 5}
        ax_l2.plot(x, _col(sel, "lambda2"), **kw)
        ax_pi.plot(x, _col(sel, "pi_spread"), **kw)
        _log_with_zeros(
            ax_xi,
            x,
            _col(sel, "consensus_distance"),
            floor=xi_floor,
            colour=fam["color"],
            marker=fam["marker"],
            ms=5,
        )
        ax_sn.plot(x, _col(sel, "exact_s_N_decl"), ls="--", mfc="none", **kw)
        ax_acc.plot(x, _col(sel, "exact_probe"), ls="--", mfc="none", **kw)
        for ax, key in ((ax_sn, "s_N"), (ax_acc, "probe")):
            ax.errorbar(x, _col(sel, key), yerr=_col(sel, key + "_se", 0.0), capsize=2, **kw)
        # legend entries (drawn once, in the text panel): family colour, then line meaning
        ax_leg.plot([], [], ls="-", label=fam["label"], **kw)
    ax_leg.plot([], [], color=_GREY, ls="-", marker="o", label=_seeds_label(seeds))
    ax_leg.plot(
        [], [], color=_GREY, ls="--", marker="o", mfc="none", label="exact optimum (Track B)"
    )
    fl = results.get("fl", {})
    if fl.get("s_N") is not None:
        ax_sn.axhline(fl["s_N"], color=_FL, ls=":", lw=1.2, label="FL (all clients), trained")
    n = cfg.get("n_clients")
    _accuracy_axis(ax_acc, ref, n_classes=2 * n if n else None)
    _mixing_axes(
        ax_l2, ax_pi, ax_xi, ax_sn, ax_acc, "λ₂ of the mixing matrix (0: one step averages)"
    )
    for ax in (ax_l2, ax_pi, ax_xi, ax_sn, ax_acc):
        style.labels(ax, xlabel=_ABAR_LABEL)
        _no_offset(ax)
    _text_panel(
        ax_txt,
        "What moves with |Ā|, what does not, and why",
        [
            "• " + _angle_sentence(_col(rows, "exact_angle_to_fl"), "every graph"),
            "• " + _probe_sentence(rows, ref),
            "• " + _trained_floor_sentence(rows),
            "• What moves is the weighting: D-SGD converges to the optimum of Σ π_j L_j, π the "
            "stationary distribution (∝ degree + 1 for uniform weights); regular graphs keep "
            "π uniform, so their exact s_N is FL's.",
        ],
        width=170,
    )
    handles, labels = _unique_handles(ax_leg, ax_sn, ax_acc)
    _legend_panel(ax_leg, handles, labels)
    style.footer(
        fig,
        _config_footer(cfg, _TRAIN_KEYS),
        note="MIM on the paper's data model (population targets, K = 2N classes); x: realised "
        "|Ā|; s_N = max − min over e_1..e_N of the representability vector (Def. 4.1)",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Table 6


def _grouped(ax, rows, key, mixings, degrees, *, err_key=None, hatch=None, offset=0.0, width=0.8):
    """Bars of ``key`` per mixing rule (colour), grouped by nominal degree; returns x centres."""
    n_m = max(1, len(mixings))
    w = width / n_m
    for m_idx, mixing in enumerate(mixings):
        xs, ys, es = [], [], []
        for g_idx, k in enumerate(degrees):
            r = next((r for r in rows if r["avg_degree"] == k and r["mixing"] == mixing), None)
            if r is None:
                continue
            xs.append(g_idx + (m_idx - (n_m - 1) / 2) * w + offset)
            ys.append(_num(r.get(key)))
            es.append(_num(r.get(err_key), 0.0) if err_key else 0.0)
        ax.bar(
            xs,
            ys,
            w * 0.9,
            yerr=es if err_key else None,
            capsize=2 if err_key else 0,
            color=style.CYCLE[m_idx % len(style.CYCLE)],
            hatch=hatch,
            edgecolor="white" if hatch is None else "#222222",
        )
    return np.arange(len(degrees))


def make_table6_figure(results: dict):
    """Table 6 (linear MIM, DecL mixing rules on the official code's graph): λ₂, the spread of
    the stationary distribution π, the trained consensus distance, the exact and trained
    sensitivity per mixing rule (colour), grouped by nominal degree, and the probe accuracy on
    a fixed [0, 1] axis with its chance line; a text box says what does not move and why."""
    rows = results["rows"]
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    ref = results.get("probe_reference")
    degrees = list(dict.fromkeys(r["avg_degree"] for r in rows))
    mixings = list(dict.fromkeys(r["mixing"] for r in rows))
    fig, axes, ax_leg, ax_txt = _layout(
        "Table 6, linear MIM: what the DecL mixing rule changes (official code's graph)"
    )
    ax_l2, ax_pi, ax_xi, ax_sn, ax_acc = axes
    ticks = _grouped(ax_l2, rows, "lambda2", mixings, degrees)
    _grouped(ax_pi, rows, "pi_spread", mixings, degrees)
    xi_floor = _floor(_col(rows, "consensus_distance"), 1e-12)
    for m_idx, mixing in enumerate(mixings):
        sel = [r for k in degrees for r in rows if r["avg_degree"] == k and r["mixing"] == mixing]
        xs = [
            degrees.index(r["avg_degree"]) + (m_idx - (len(mixings) - 1) / 2) * 0.8 / len(mixings)
            for r in sel
        ]
        _log_with_zeros(
            ax_xi,
            xs,
            _col(sel, "consensus_distance"),
            floor=xi_floor,
            colour=style.CYCLE[m_idx % len(style.CYCLE)],
            ls="none",
            marker="o",
            ms=6,
        )
    _grouped(ax_sn, rows, "exact_s_N_decl", mixings, degrees, hatch="///")
    # trained values as markers at the bars' centres (mean ± SE over the seeds)
    n_m = max(1, len(mixings))
    proxies = []
    for m_idx, mixing in enumerate(mixings):
        sel = [
            next((r for r in rows if r["avg_degree"] == k and r["mixing"] == mixing), None)
            for k in degrees
        ]
        xs = [g + (m_idx - (n_m - 1) / 2) * 0.8 / n_m for g, r in enumerate(sel) if r]
        sel = [r for r in sel if r]
        colour = style.CYCLE[m_idx % len(style.CYCLE)]
        ax_sn.errorbar(
            xs,
            _col(sel, "s_N"),
            yerr=_col(sel, "s_N_se", 0.0),
            fmt="o",
            color="#000000",
            ms=4,
            capsize=2,
        )
        ax_acc.errorbar(
            xs,
            _col(sel, "probe"),
            yerr=_col(sel, "probe_se", 0.0),
            fmt="o",
            color=colour,
            ms=5,
            capsize=2,
        )
        ax_acc.plot(
            xs, _col(sel, "exact_probe"), ls="none", marker="D", mfc="none", color=colour, ms=6
        )
        proxies.append(Patch(facecolor=colour, label=mixing))
    proxies += [
        Patch(facecolor="white", edgecolor="#222222", hatch="///", label="exact optimum (Track B)"),
        Line2D([], [], ls="none", marker="o", color="#000000", ms=4, label=_seeds_label(seeds)),
        Line2D(
            [],
            [],
            ls="none",
            marker="D",
            mfc="none",
            color=_GREY,
            ms=6,
            label="probe of the exact optimum",
        ),
    ]
    fl = results.get("fl", {})
    if fl.get("s_N") is not None:
        ax_sn.axhline(fl["s_N"], color=_FL, ls=":", lw=1.2, label="FL (data-size FedAvg), trained")
    if fl.get("exact_s_N_decl") is not None:
        ax_sn.axhline(fl["exact_s_N_decl"], color=_FL, ls="--", lw=1.0, label="FL, exact optimum")
    n = cfg.get("n_clients")
    _accuracy_axis(ax_acc, ref, n_classes=2 * n if n else None)
    labels = []
    for k in degrees:
        ab = np.mean([r["abar"] for r in rows if r["avg_degree"] == k])
        labels.append(f"degree {k} (|Ā| = {ab:.1f})")
    for ax in (ax_l2, ax_pi, ax_xi, ax_sn, ax_acc):
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels)
        style.labels(ax, xlabel="nominal degree (official generator)")
        _no_offset(ax)
    _mixing_axes(ax_l2, ax_pi, ax_xi, ax_sn, ax_acc, "λ₂ of the mixing matrix")
    _text_panel(
        ax_txt,
        "What moves with the mixing rule, what does not, and why",
        [
            "• " + _angle_sentence(_col(rows, "exact_angle_to_fl"), "every mixing rule"),
            "• " + _probe_sentence(rows, ref),
            "• " + _trained_floor_sentence(rows),
            "• What moves is the weighting: D-SGD converges to the optimum of Σ π_j L_j with π "
            "the stationary distribution of the mixing rule; doubly stochastic rules "
            "(Metropolis, max-degree) keep π uniform.",
        ],
        width=170,
    )
    handles, names = _unique_handles(ax_sn, ax_acc)
    _legend_panel(ax_leg, proxies + handles, [p.get_label() for p in proxies] + names)
    foot = _config_footer(cfg, _TRAIN_KEYS)
    foot["Dirichlet α"] = cfg.get("alpha")
    style.footer(
        fig,
        foot,
        note="MIM; clients from a Dirichlet label-skew partition of a paper-model sample (K = 2N "
        "classes); exact optima of the clients' empirical targets; FL = data-size FedAvg",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Fig. 2b

_FW_STYLE = {"fl": {"ls": "-", "marker": "o"}, "decl": {"ls": "--", "marker": "s"}}
_ZETA = style.OKABE_ITO[7]  # reddish purple: no method of this figure uses it


def _fig2b_rows(rows, framework, method):
    return sorted(
        (r for r in rows if r["framework"] == framework and r["method"] == method),
        key=lambda r: r["alpha"],
    )


def make_fig2b_figure(results: dict):
    """Fig. 2b (linear, MAR vs MIM across Dirichlet α, FL and DecL): the data heterogeneity ζ²
    of the exact FL optimum, the exact (MIM) and trained sensitivity, and the probe accuracy on
    a fixed [0, 1] axis with its chance line; a text box says what moves and what does not."""
    rows = results["rows"]
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    ref = results.get("probe_reference")
    methods = list(dict.fromkeys(r["method"] for r in rows))
    frameworks = [f for f in ("fl", "decl") if any(r["framework"] == f for r in rows)]
    fig, axes, ax_leg, ax_txt = _layout(
        "Fig. 2b, linear: MAR vs MIM across label skew α (FL solid, DecL dashed)",
        ncols=2,
        width=5.2,
    )
    ax_z, ax_sn, ax_acc = axes
    fw_name = style.FRAMEWORK_LABELS
    for fw in frameworks:
        mim = _fig2b_rows(rows, fw, "mim")
        if mim and "zeta_sq" in mim[0]:
            x = _col(mim, "alpha")
            ax_z.plot(
                x,
                _col(mim, "zeta_sq"),
                color=_ZETA,
                label=f"ζ², {fw_name[fw]} (client weights {'1/N' if fw == 'fl' else 'π'})",
                **_FW_STYLE[fw],
            )
            ax_sn.plot(
                x,
                _col(mim, "exact_s_N_decl"),
                color="#000000",
                mfc="none",
                lw=1.0,
                label=f"MIM exact optimum, {fw_name[fw]}",
                **_FW_STYLE[fw],
            )
            ax_acc.plot(
                x,
                _col(mim, "exact_probe"),
                color="#000000",
                mfc="none",
                lw=1.0,
                label=f"MIM exact optimum, {fw_name[fw]}",
                **_FW_STYLE[fw],
            )
        for method in methods:
            sel = _fig2b_rows(rows, fw, method)
            x = _col(sel, "alpha")
            kw = {"color": style.COLOURS.get(method, style.CYCLE[0]), "capsize": 2, **_FW_STYLE[fw]}
            label = f"{method.upper()} {fw_name[fw]}, {_seeds_label(seeds)}"
            ax_sn.errorbar(x, _col(sel, "s_N"), yerr=_col(sel, "s_N_se", 0.0), label=label, **kw)
            ax_acc.errorbar(
                x, _col(sel, "probe"), yerr=_col(sel, "probe_se", 0.0), label=label, **kw
            )
    n = cfg.get("n_clients")
    _accuracy_axis(ax_acc, ref, n_classes=2 * n if n else None)
    for ax in (ax_z, ax_sn, ax_acc):
        ax.set_xscale("log")
        style.labels(ax, xlabel="Dirichlet α (small = strong label skew)")
    ax_z.set_yscale("log")
    style.labels(ax_z, ylabel="ζ² at the exact FL optimum (dimensionless)")
    style.title(ax_z, "heterogeneity ζ² of the clients' MIM targets")
    ax_sn.set_ylim(0.0, 1.0)
    style.labels(ax_sn, ylabel=_SN_LABEL)
    style.title(ax_sn, "sensitivity over [N]: exact MIM optimum (open) vs trained")
    style.title(ax_acc, "probe accuracy on W̄x (fixed [0, 1] axis)")
    _no_offset(ax_sn)
    handles, labels = _unique_handles(ax_z, ax_sn, ax_acc)
    _legend_panel(ax_leg, handles, labels)
    mim = [r for r in rows if r["method"] == "mim"]
    zeta = _col(mim, "zeta_sq")
    lines = []
    if np.any(np.isfinite(zeta)):
        lines.append(
            f"• ζ² moves with α: {np.nanmin(zeta):.3g} to {np.nanmax(zeta):.3g} over the α grid "
            "(docs/theory/consensus.md §0)."
        )
    if mim:
        lines.append("• " + _angle_sentence(_col(mim, "exact_angle_to_fl"), "DecL at each α"))
        lines.append("• " + _probe_sentence(mim, ref))
    if any(r["method"] == "mar" for r in rows):
        lines.append(
            "• MAR (γ schedule, Eqs. 5–7) has no closed-form target in the linear model: only "
            "its trained values are drawn."
        )
    _text_panel(ax_txt, "What moves with α, and what does not", lines, width=125)
    foot = _config_footer(cfg, _TRAIN_KEYS)
    graph = results.get("graph", {})
    if graph:
        foot["DecL |Ā|"] = round(float(graph.get("abar", np.nan)), 2)
        foot["λ₂"] = round(float(graph.get("lambda2", np.nan)), 3)
    style.footer(
        fig,
        foot,
        note="paper's data model, Dirichlet label skew of its 2N classes; FL = FedAvg with all "
        "clients (M = J); DecL on the official code's graph, uniform weights",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# MIM vs CL


def make_mim_vs_cl_figure(results: dict):
    """MIM vs CL in FL: trained sensitivity s_N against d on the paper's model, with the exact
    Track B value (exact zeros drawn as ▽ on the axis floor, never as a line), and the probe
    accuracy against Dirichlet α on scikit-learn digits on a fixed [0, 1] axis."""
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    fig, (ax, ax_d) = style.new_figure(
        1, 2, width=5.0, height=3.8, title="MIM vs CL with linear encoders in FL"
    )
    model_rows = results["model_rows"]
    methods = list(dict.fromkeys(r["method"] for r in model_rows))
    values = [r.get("s_N") for r in model_rows] + [r.get("exact_s_N") for r in model_rows]
    floor = _floor([_num(v) for v in values], 1e-6)
    zero_notes = []
    for method in methods:
        colour = style.COLOURS.get(method, style.CYCLE[0])
        sel = sorted((r for r in model_rows if r["method"] == method), key=lambda r: r["d"])
        d = _col(sel, "d")
        s = _col(sel, "s_N")
        ax.errorbar(
            d,
            np.where(s > 1e-12, s, np.nan),
            yerr=_col(sel, "s_N_se", 0.0),
            fmt="o-",
            color=colour,
            capsize=2,
            label=f"{method.upper()} {_seeds_label(seeds)}",
        )
        exact = _col(sel, "exact_s_N")
        pos = exact > 1e-9  # below: rounding level of a float64 eigendecomposition
        if np.any(pos):
            ax.plot(
                d[pos], exact[pos], "--", color=colour, label=f"{method.upper()} exact (Track B)"
            )
        if np.any(~pos):
            # side by side (×0.97, ×1.03) so two methods' zeros at one d stay visible
            shift = 0.97 if len(zero_notes) % 2 == 0 else 1.03
            style.mark_zero(
                ax,
                d[~pos] * shift,
                floor=floor,
                colour=colour,
                label=f"{method.upper()} exact = 0 (▽)",
            )
            zero_notes.append(method.upper())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor)
    ds = sorted({int(r["d"]) for r in model_rows})
    ax.set_xticks(ds, [str(v) for v in ds])
    ax.set_xticks([], minor=True)
    style.labels(ax, "input dimension d (log scale)", _SN_LABEL)
    style.title(ax, "paper's data model: s_N against d")
    style.legend_outside(ax, loc="below", ncol=2, fontsize=7)
    digits = results["digits_rows"]
    for method in list(dict.fromkeys(r["method"] for r in digits)):
        sel = sorted((r for r in digits if r["method"] == method), key=lambda r: r["alpha"])
        ax_d.errorbar(
            _col(sel, "alpha"),
            _col(sel, "probe"),
            yerr=_col(sel, "probe_se", 0.0),
            fmt="o-",
            color=style.COLOURS.get(method, style.CYCLE[0]),
            capsize=2,
            label=f"{method.upper()} {_seeds_label(seeds)}",
        )
    _accuracy_axis(ax_d, results.get("digits_probe_reference"), n_classes=10)
    ax_d.set_xscale("log")
    style.labels(ax_d, "Dirichlet α (small = strong label skew; 1e5 ≈ IID)")
    style.title(ax_d, "scikit-learn digits (10 classes): probe accuracy")
    style.legend_outside(ax_d, loc="below", ncol=2, fontsize=7)
    note = (
        "exact s_N = 0 at every d for " + ", ".join(zero_notes) + " (▽ on the floor)"
        if zero_notes
        else ""
    )
    foot = _config_footer(
        cfg,
        {
            "N": "n_clients",
            "p": "p",
            "seeds": "seeds",
            "rounds": "rounds",
            "E": "local_steps",
            "η": "lr",
            "digits clients": "digits_clients",
            "digits c": "digits_c",
        },
    )
    style.footer(fig, foot, note=note)
    return fig


# ---------------------------------------------------------------------------------------------
# consensus distance against its bounds

#: bound key -> (legend label in words, with its derivation in docs/theory/consensus.md §3,
#: line style, colour)
_CONSENSUS_BOUNDS = (
    ("d2", "one-step bound λ(e_t + u_t)  [consensus.md §3, D2]", "--", style.CYCLE[0]),
    (
        "stepwise",
        "stepwise bound from smoothness L and dissimilarity ζ  [§3, D3 and D5]",
        ":",
        style.CYCLE[1],
    ),
    ("closed_form", "closed-form (unrolled) bound  [§3, D4 and D5]", "-.", style.CYCLE[2]),
)


def make_consensus_figure(results: dict):
    """Consensus distance over rounds against its derived bounds (an extension,
    docs/theory/consensus.md §3): one panel per (method, graph), the measured e_t (π-weighted
    for the uniform-weight star, D7) as a solid black line and one line per bound — the
    one-step bound (D2), the stepwise bound (D3/D5), the closed form (D4/D5, left out where
    ρ = λ(1+ηL)^E ≥ 1) — on a log y axis; each panel's title carries the largest measured/bound
    ratio of each bound. e_0 = 0 (all clients start equal) is not drawn."""
    runs = results["runs"]
    methods = list(dict.fromkeys(r["method"] for r in runs))
    labels = list(dict.fromkeys(r["label"] for r in runs))
    worst = [
        _num(r["ratio"].get(key))
        for r in runs
        for key, *_ in _CONSENSUS_BOUNDS
        if r["ratio"].get(key) is not None
    ]
    worst = [w for w in worst if np.isfinite(w)]
    if worst and max(worst) <= 1.0:
        verdict = f"every measured/bound ratio ≤ {max(worst):.2f}"
    elif worst:
        verdict = f"a measured/bound ratio reaches {max(worst):.2f} > 1: a bound is exceeded"
    else:
        verdict = "no bound could be evaluated"
    fig, axes = style.new_figure(
        len(methods),
        len(labels),
        width=3.3,
        height=2.9,
        title="DecL consensus distance e_t against its derived bounds (extension, "
        f"docs/theory/consensus.md §3): {verdict}",
        sharex=True,
    )
    axes = np.atleast_2d(np.asarray(axes, dtype=object))
    if axes.shape != (len(methods), len(labels)):
        axes = axes.reshape(len(methods), len(labels))
    for i, method in enumerate(methods):
        for j, label in enumerate(labels):
            ax = axes[i][j]
            run = next((r for r in runs if r["method"] == method and r["label"] == label), None)
            if run is None:
                ax.set_visible(False)
                continue
            e = np.array([_num(v) for v in run["e"]], float)
            t = np.arange(1, e.size)
            ax.plot(t, e[1:], "-", color="#000000", lw=1.8, label="measured consensus distance e_t")
            ratios = []
            for key, name, ls, colour in _CONSENSUS_BOUNDS:
                bound = np.array([_num(b) for b in run[key]], float)
                ratio = run["ratio"].get(key)
                ratios.append(
                    "n/a" if ratio is None or not np.isfinite(_num(ratio)) else f"{ratio:.2f}"
                )
                if not np.any(np.isfinite(bound)):
                    continue
                ax.plot(t, bound, ls, color=colour, lw=1.3, label=name)
            ax.set_yscale("log")
            weighted = ", π-weighted" if run["pi_weighted"] else ""
            style.title(
                ax,
                f"{method.upper()}, {label}{weighted}\nλ = {run['lam']:.3f}, ρ = {run['rho']:.3f}\n"
                f"max e/bound: {' / '.join(ratios)}",
                fontsize=8,
            )
            if i == len(methods) - 1:
                style.labels(ax, xlabel="round t")
            if j == 0:
                style.labels(ax, ylabel="consensus distance e_t\n(dimensionless)")
    handles, names = [], []
    for ax in np.ravel(axes):
        h, n = ax.get_legend_handles_labels()
        for hh, nn in zip(h, n, strict=True):
            if nn not in names:
                handles.append(hh)
                names.append(nn)
    cfg = results.get("config", {})
    foot = _config_footer(
        cfg,
        {
            "N": "n_clients",
            "d": "d",
            "c": "c",
            "p": "p",
            "η": "lr",
            "E": "local_steps",
            "rounds": "rounds",
            "seed": "seed",
        },
    )
    note = (
        "population gradients of the paper's model; 'max e/bound' lists the largest measured/bound "
        "ratio of the one-step / stepwise / closed-form bound (≤ 1: the bound holds); "
        "λ: contraction of the mixing matrix, ρ = λ(1+ηL)^E"
    )
    fig.legend(
        handles,
        names,
        loc="lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.045),
    )
    style.footer(fig, foot, note=note)
    # room for the shared legend between the panels and the footer
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig
