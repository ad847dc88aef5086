"""Figures of the experiment stages (``fig2a``, ``table6``, ``fig2b``, ``mim_vs_cl``,
``consensus``; :mod:`sims.trackc.experiments`), one ``make_<name>_figure(results) -> Figure`` each.

In the linear setting the probe accuracy of Section 6 barely moves with |Ā| or the mixing rule,
so the Section 6 figures plot what does move — the mixing matrix's λ₂, the spread of its
stationary distribution π, the trained consensus distance, ζ², the exact (Track B) and trained
sensitivity — and show accuracy on a fixed [0, 1] axis with its chance level. A text box, worded
from the results (principal angles between the exact DecL and FL optima, the probe of the exact
optima against chance), says what does not move and why.

This module draws what the DecL mixing changes: Fig. 2a (against the connectivity |Ā|) and
Table 6 (per mixing rule). Fig. 2b and MIM vs CL are in
:mod:`sims.reproduce.figures.method_comparison`, the consensus distance against its bounds in
:mod:`sims.reproduce.figures.consensus` (the pieces they share are private helpers); every
``make_<name>_figure`` is importable from here too.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sims.reproduce.figures import style
from sims.reproduce.figures._experiment_parts import (
    _GREY,
    _SN_LABEL,
    _TRAIN_KEYS,
    _accuracy_axis,
    _angle_sentence,
    _col,
    _config_footer,
    _floor,
    _layout,
    _legend_panel,
    _log_with_zeros,
    _no_offset,
    _num,
    _probe_sentence,
    _seeds_label,
    _text_panel,
    _trained_floor_sentence,
)
from sims.reproduce.figures.consensus import make_consensus_figure  # noqa: F401  (re-exported)
from sims.reproduce.figures.method_comparison import (  # noqa: F401  (re-exported)
    make_fig2b_figure,
    make_mim_vs_cl_figure,
)

_FAMILIES = {
    "general": {"color": style.CYCLE[0], "marker": "o", "label": "Erdős–Rényi (uneven degrees)"},
    "uniform": {"color": style.CYCLE[1], "marker": "s", "label": "random regular"},
}
_FL = style.FRAMEWORK_COLOURS["fl"]
_ABAR_LABEL = "|Ā| (clients per neighbourhood, self included)"

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
    handles, labels = style._unique_handles(ax_leg, ax_sn, ax_acc)
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


def _consensus_markers(ax, rows, mixings, degrees) -> None:
    """The trained consensus distance per mixing rule (colour) at its bars' positions, on a log
    axis with exact zeros on the floor."""
    xi_floor = _floor(_col(rows, "consensus_distance"), 1e-12)
    for m_idx, mixing in enumerate(mixings):
        sel = [r for k in degrees for r in rows if r["avg_degree"] == k and r["mixing"] == mixing]
        xs = [
            degrees.index(r["avg_degree"]) + (m_idx - (len(mixings) - 1) / 2) * 0.8 / len(mixings)
            for r in sel
        ]
        _log_with_zeros(
            ax,
            xs,
            _col(sel, "consensus_distance"),
            floor=xi_floor,
            colour=style.CYCLE[m_idx % len(style.CYCLE)],
            ls="none",
            marker="o",
            ms=6,
        )


def _trained_markers(ax_sn, ax_acc, rows, mixings, degrees) -> list:
    """The trained s_N and probe accuracy (mean ± SE over the seeds) and the probe of the exact
    optimum as markers at the bars' centres; returns one legend patch per mixing rule."""
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
    return proxies


def _degree_ticks(axes, ticks, rows, degrees) -> None:
    """x ticks of the Table 6 panels: one per nominal degree, labelled with its mean |Ā|."""
    labels = []
    for k in degrees:
        ab = np.mean([r["abar"] for r in rows if r["avg_degree"] == k])
        labels.append(f"degree {k} (|Ā| = {ab:.1f})")
    for ax in axes:
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels)
        style.labels(ax, xlabel="nominal degree (official generator)")
        _no_offset(ax)


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
    _consensus_markers(ax_xi, rows, mixings, degrees)
    _grouped(ax_sn, rows, "exact_s_N_decl", mixings, degrees, hatch="///")
    # trained values as markers at the bars' centres (mean ± SE over the seeds)
    proxies = _trained_markers(ax_sn, ax_acc, rows, mixings, degrees)
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
    _degree_ticks((ax_l2, ax_pi, ax_xi, ax_sn, ax_acc), ticks, rows, degrees)
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
    handles, names = style._unique_handles(ax_sn, ax_acc)
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
