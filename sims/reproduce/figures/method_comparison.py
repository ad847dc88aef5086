r"""Figures of the ``fig2b`` and ``mim_vs_cl`` stages (:mod:`sims.trackc.experiments`): SSL methods
compared with linear encoders.

* Fig. 2b: MAR (γ schedule, Eqs. (5)–(7)) against MIM across the Dirichlet label skew α, in FL
  and DecL — the heterogeneity :math:`\zeta^2` of the clients' MIM targets at the exact FL
  optimum, the exact (MIM) and trained sensitivity :math:`s_N` over [N] (Def. 4.1), and the
  probe accuracy on a fixed [0, 1] axis with its chance line; a text box worded from the
  results says what moves.
* MIM vs CL in FL: the trained :math:`s_N` against d on the paper's data model with the exact
  (Track B) value, and the probe accuracy against α on scikit-learn digits.

Layout, text boxes and footers as in :mod:`sims.reproduce.figures.experiments`.
"""

from __future__ import annotations

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._experiment_parts import (
    _SN_LABEL,
    _TRAIN_KEYS,
    _accuracy_axis,
    _angle_sentence,
    _col,
    _config_footer,
    _floor,
    _layout_row,
    _legend_panel,
    _no_offset,
    _num,
    _probe_sentence,
    _seeds_label,
    _text_panel,
)
from theory.claims_model import THM44_METHODS
from theory.frameworks import framework_of

# ---------------------------------------------------------------------------------------------
# Fig. 2b

_FW_STYLE = {"fl": {"ls": "-", "marker": "o"}, "decl": {"ls": "--", "marker": "s"}}
_ZETA = style.OKABE_ITO[7]  # reddish purple: no method of this figure uses it
#: Fig. 2b's two methods, named once: MAR (γ schedule, Eqs. 5–7) compared against the baseline
#: MIM, whose rows also carry its exact optimum (``method_comparisons.EXACT_METHOD``).
_BASELINE, _COMPARED = "mim", "mar"


def _fig2b_rows(rows, framework, method):
    return sorted(
        (r for r in rows if r["framework"] == framework and r["method"] == method),
        key=lambda r: r["alpha"],
    )


def fig2b_takeaway(results: dict) -> str:
    r"""One sentence on the Fig. 2b figure, computed from ``results["rows"]``: trained MAR −
    MIM in :math:`s_N` and in probe accuracy over the (framework, α) points where both ran, and
    at how many of them it is above 0, how far :math:`\zeta^2` moves over α, and how close
    trained MIM stays to its exact optimum's :math:`s_N`.

    MAR: Eqs. (5)–(7) of arXiv 2607.02447; :math:`s_N`: the sensitivity over [N] of Def. 4.1.
    """
    rows = results["rows"]
    by = {(r["framework"], r["method"], r["alpha"]): r for r in rows}
    pts = sorted({(fw, a) for fw, m, a in by if m == _BASELINE and (fw, _COMPARED, a) in by})
    if pts:
        parts = []
        for key, what in (("s_N", "s_N"), ("probe", "probe accuracy")):
            mar = np.array([_num(by[(fw, _COMPARED, a)].get(key)) for fw, a in pts])
            diff = mar - np.array([_num(by[(fw, _BASELINE, a)].get(key)) for fw, a in pts])
            parts.append(
                f"{_span(diff)} in {what} (above 0 at {int(np.sum(diff > 0))} of {len(pts)} "
                "(framework, α) points)"
            )
        text = "Trained MAR − MIM is " + " and ".join(parts)
    else:
        text = "No (framework, α) point has both MAR and MIM"
    mim = [r for r in rows if r["method"] == _BASELINE]
    zeta = _col(mim, "zeta_sq")
    if np.any(np.isfinite(zeta)):
        text += f", while ζ² moves from {np.nanmin(zeta):.2g} to {np.nanmax(zeta):.2g} over α"
    gap = np.abs(_col(mim, "s_N") - _col(mim, "exact_s_N_decl"))
    if np.any(np.isfinite(gap)):
        text += f" and trained MIM stays within {np.nanmax(gap):.2g} of its exact optimum's s_N"
    return text + "."


def _fig2b_framework(ax_z, ax_sn, ax_acc, rows, fw: str, methods: list, seeds) -> None:
    """One framework's lines of Fig. 2b: ζ² and the exact MIM optimum's s_N and probe (where the
    rows carry them), and each method's trained s_N and probe accuracy (mean ± SE)."""
    fw_name = style.FRAMEWORK_LABELS
    mim = _fig2b_rows(rows, fw, _BASELINE)
    weights = "π" if framework_of(fw).has_graph else "1/N"  # DecL weighs clients by π
    if mim and "zeta_sq" in mim[0]:
        x = _col(mim, "alpha")
        ax_z.plot(
            x,
            _col(mim, "zeta_sq"),
            color=_ZETA,
            label=f"ζ², {fw_name[fw]} (client weights {weights})",
            **_FW_STYLE[fw],
        )
        for ax, key in ((ax_sn, "exact_s_N_decl"), (ax_acc, "exact_probe")):
            ax.plot(
                x,
                _col(mim, key),
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
        ax_acc.errorbar(x, _col(sel, "probe"), yerr=_col(sel, "probe_se", 0.0), label=label, **kw)


def _fig2b_axes(ax_z, ax_sn, ax_acc) -> None:
    """Scales, labels and titles of the three Fig. 2b panels (ζ², s_N, probe accuracy)."""
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


def _fig2b_lines(rows, ref) -> list[str]:
    """The text box of Fig. 2b: what moves with α (ζ²) and what does not, from the rows."""
    mim = [r for r in rows if r["method"] == _BASELINE]
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
    if any(r["method"] == _COMPARED for r in rows):
        lines.append(
            "• MAR (γ schedule, Eqs. 5–7) has no closed-form target in the linear model: only "
            "its trained values are drawn."
        )
    return lines


def make_fig2b_figure(results: dict):
    r"""Fig. 2b (linear, MAR vs MIM across Dirichlet α, FL and DecL): the data heterogeneity ζ²
    of the exact FL optimum, the exact (MIM) and trained sensitivity, and the probe accuracy on
    a fixed [0, 1] axis with its chance line, in one row; the legend in a row under them; a
    text box says what moves and what does not, and the takeaway (:func:`fig2b_takeaway`)
    sums it up in one sentence."""
    rows = results["rows"]
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    ref = results.get("probe_reference")
    methods = list(dict.fromkeys(r["method"] for r in rows))
    frameworks = [f for f in ("fl", "decl") if any(r["framework"] == f for r in rows)]
    fig, axes, ax_leg, ax_txt = _layout_row(
        "Fig. 2b, linear: MAR vs MIM across label skew α (FL solid, DecL dashed)",
        ncols=3,
        width=4.6,
        height=4.4,
        legend=0.2,
    )
    ax_z, ax_sn, ax_acc = axes
    for fw in frameworks:
        _fig2b_framework(ax_z, ax_sn, ax_acc, rows, fw, methods, seeds)
    n = cfg.get("n_clients")
    _accuracy_axis(ax_acc, ref, n_classes=2 * n if n else None)
    _fig2b_axes(ax_z, ax_sn, ax_acc)
    handles, labels = style._unique_handles(ax_z, ax_sn, ax_acc)
    _legend_panel(ax_leg, handles, labels, ncol=3)
    lines = _fig2b_lines(rows, ref)
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
        takeaway=fig2b_takeaway(results),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# MIM vs CL


#: below this an exact s_N is 0 (rounding level of a float64 eigendecomposition)
_EXACT_ZERO = 1e-9


def _span(x: np.ndarray, fmt: str = ".2g") -> str:
    """``"a–b"`` over the finite values of ``x`` (one value when they agree to the format)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    lo, hi = format(float(x.min()), fmt), format(float(x.max()), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def mim_vs_cl_takeaway(results: dict) -> str:
    r"""One sentence on the MIM vs CL figure, computed from ``results["model_rows"]``: the
    trained gap :math:`s_N(\mathrm{MIM}) - s_N(\mathrm{CL})` against the exact (Track B) gap at
    each d, in standard errors, and the optimisation residue (trained − exact :math:`s_N`) of
    each method that makes the difference between the two gaps.

    :math:`s_N` is the sensitivity over [N] of Def. 4.1 (Thm 4.4 compares it between MIM and
    CL).
    """
    rows = results["model_rows"]
    cfg = results.get("config", {})
    mim, cl = THM44_METHODS
    by = {(r["method"], r["d"]): r for r in rows}
    ds = sorted({r["d"] for r in rows if (mim, r["d"]) in by and (cl, r["d"]) in by})
    rounds = cfg.get("rounds")
    after = f" after {rounds} rounds" if rounds else ""
    resid = {
        m: np.array([_num(by[(m, d)].get("s_N")) - _num(by[(m, d)].get("exact_s_N")) for d in ds])
        for m in (mim, cl)
    }
    if not ds:
        return "MIM and CL were not both trained at any d: no gap to compare."
    trained = np.array([_num(by[(mim, d)].get("s_N")) - _num(by[(cl, d)].get("s_N")) for d in ds])
    exact = np.array(
        [_num(by[(mim, d)].get("exact_s_N")) - _num(by[(cl, d)].get("exact_s_N")) for d in ds]
    )
    se = np.array(
        [
            np.hypot(_num(by[(mim, d)].get("s_N_se"), 0.0), _num(by[(cl, d)].get("s_N_se"), 0.0))
            for d in ds
        ]
    )
    in_se = f" ({_span(np.abs(trained) / se)} SE)" if np.all(se > 0) else ""
    exacts = np.array([_num(by[(m, d)].get("exact_s_N")) for m in (mim, cl) for d in ds])
    residue = f"MIM {_span(resid[mim])}, CL {_span(resid[cl])}"
    if np.all(np.abs(exacts) < _EXACT_ZERO):
        return (
            f"The exact s_N of MIM and CL is 0 at every d (|s_N| ≤ {np.max(np.abs(exacts)):.1e}), "
            f"so the trained gap MIM − CL of {_span(trained)}{in_se}{after} is optimisation "
            f"residue: each trained s_N is its distance from an exact optimum of 0 ({residue}), "
            "not a difference between the methods' optima."
        )
    return (
        f"The trained gap MIM − CL is {_span(trained)}{in_se} against an exact gap of "
        f"{_span(exact)} at the same d, so {_span(trained - exact)} of it is optimisation residue"
        f"{after} (trained − exact s_N: {residue})."
    )


def _sn_panel(ax, model_rows, seeds) -> list[str]:
    """The left panel of MIM vs CL: trained s_N against d (mean ± SE) and the exact (Track B)
    value, exact zeros as ▽ on the axis floor; returns the methods whose exact s_N is 0."""
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
    exact_all = np.array([_num(r.get("exact_s_N")) for r in model_rows])
    residue = (
        "\n(exact s_N = 0: trained s_N is optimisation residue)"
        if np.all(np.abs(exact_all) < _EXACT_ZERO)
        else ""
    )
    style.title(ax, f"paper's data model: s_N against d{residue}")
    style.legend_outside(ax, loc="below", ncol=2, fontsize=7, below=0.2)
    return zero_notes


def _digits_panel(ax_d, results: dict, seeds) -> None:
    """The right panel of MIM vs CL: probe accuracy against Dirichlet α on scikit-learn digits
    (mean ± SE), on a fixed [0, 1] axis with its chance line."""
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
    style.legend_outside(ax_d, loc="below", ncol=2, fontsize=7, below=0.2)


def make_mim_vs_cl_figure(results: dict):
    """MIM vs CL in FL: trained sensitivity s_N against d on the paper's model, with the exact
    Track B value (exact zeros drawn as ▽ on the axis floor, never as a line), and the probe
    accuracy against Dirichlet α on scikit-learn digits on a fixed [0, 1] axis. The takeaway
    (:func:`mim_vs_cl_takeaway`) says how much of the trained gap is optimisation residue."""
    cfg = results.get("config", {})
    seeds = cfg.get("seeds")
    fig, (ax, ax_d) = style.new_figure(
        1, 2, width=5.0, height=4.6, title="MIM vs CL with linear encoders in FL"
    )
    zero_notes = _sn_panel(ax, results["model_rows"], seeds)
    _digits_panel(ax_d, results, seeds)
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
    style.footer(fig, foot, note=note, takeaway=mim_vs_cl_takeaway(results))
    return fig
