"""Figures of the Track D stages (nonlinear encoders; :mod:`sims.trackd.experiments`), one
``make_trackd_<name>_figure(results) -> Figure`` each. Colour-blind-safe palette (Okabe–Ito),
error bars ±1 SE over seeds, the chance rate as a grey dotted line, and a footer with N, the
encoder sizes and the number of seeds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sims.figures.style import legend_outside  # noqa: E402

__all__ = [
    "make_trackd_table1_figure",
    "make_trackd_fig2a_figure",
    "make_trackd_table6_figure",
    "make_trackd_fig2b_figure",
    "make_trackd_table5_figure",
]

# Okabe–Ito
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P")


def _footer(fig, meta: dict, extra: str = "") -> None:
    text = (
        f"{meta.get('dataset', '?')} ({meta.get('n_train', '?')} train / "
        f"{meta.get('n_test', '?')} test), N = {meta.get('n_clients', '?')} clients, "
        f"encoder width {meta.get('width', '?')} depth {meta.get('depth', '?')}, "
        f"T = {meta.get('rounds', '?')} rounds × E = {meta.get('local_steps', '?')} steps, "
        f"B = {meta.get('batch_size', '?')}, {meta.get('seeds', '?')} seeds (±1 SE)"
    )
    if extra:
        text += "; " + extra
    fig.text(0.01, 0.005, text, fontsize=7, color="#444444", ha="left", va="bottom")


def _chance(ax, meta: dict, untrained: dict | None = None, *, zoom: bool = False) -> None:
    """The chance line and the untrained encoder's line. With ``zoom`` (line plots, called
    after the data are drawn) the y axis keeps the data's range: a chance level far below it
    is written as a note instead of stretching the axis until the differences vanish (bar
    plots keep their zero baseline and the line)."""
    if untrained is not None:
        ax.axhline(untrained["mean"], color="#555555", ls="-.", lw=1, label="untrained encoder")
    if "chance" not in meta:
        return
    lo, hi = ax.get_ylim()
    if zoom and meta["chance"] < lo - 0.5 * (hi - lo):
        ax.text(
            0.01, 0.02, f"chance {meta['chance']:.2f}: below the axis", transform=ax.transAxes,
            fontsize=7, color="#777777", ha="left", va="bottom",
        )  # fmt: skip
        return
    ax.axhline(meta["chance"], color="#999999", ls=":", lw=1, label="chance")


def make_trackd_table1_figure(results: dict):
    """Table 1 analogue: probe accuracy per skew (bars, ±1 SE; black ticks: the same encoder
    untrained) for each method × encoder, and the drop from IID (right)."""
    cells = results["cells"]
    meta = results["meta"]
    arms = list(dict.fromkeys((c["method"], c["arch"]) for c in cells))
    skews = list(dict.fromkeys(c["skew"] for c in cells))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(arms))
    for k, (m, a) in enumerate(arms):
        rows = [
            next(c for c in cells if (c["method"], c["arch"], c["skew"]) == (m, a, s))
            for s in skews
        ]
        xs = np.arange(len(skews)) + (k - (len(arms) - 1) / 2) * width
        ax.bar(
            xs,
            [r["probe"]["mean"] for r in rows],
            width,
            yerr=[r["probe"]["se"] for r in rows],
            capsize=2,
            color=PALETTE[k % 7],
            label=f"{m} + {a}",
        )
        if all("untrained" in r for r in rows):
            ax.scatter(
                xs,
                [r["untrained"]["mean"] for r in rows],
                marker="_",
                s=150,
                color="black",
                zorder=3,
                label="untrained" if k == 0 else None,
            )
        drops = [r for r in rows if "drop" in r]
        if drops:
            xd = np.arange(len(drops)) + (k - (len(arms) - 1) / 2) * width
            ax2.bar(
                xd,
                [r["drop"]["mean"] for r in drops],
                width,
                yerr=[r["drop"]["se"] for r in drops],
                capsize=2,
                color=PALETTE[k % 7],
            )
    _chance(ax, meta)
    ax.set_xticks(range(len(skews)), skews)
    ax.set_xlabel("client data")
    ax.set_ylabel("linear-probe accuracy (held out)")
    legend_outside(ax, loc="below", below=0.26, fontsize=7)
    non_iid = [s for s in skews if s != "iid"]
    ax2.set_xticks(range(len(non_iid)), non_iid)
    ax2.axhline(0.0, color="black", lw=0.8)
    ax2.set_xlabel("skew")
    ax2.set_ylabel("drop from IID (accuracy)")
    fig.suptitle("Track D, Table 1 analogue: MAE vs SimSiam under label and feature skew (FL)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _footer(fig, meta, f"alpha = {meta.get('alpha')}, {meta.get('clients_per_round')} per round")
    return fig


def _finish_decl(fig, ax, results: dict, xlabel: str, legend_size: int, title: str):
    """Chance line, labels, legend, title and footer of the DecL probe-accuracy figures."""
    meta = results["meta"]
    _chance(ax, meta, results.get("untrained_summary"), zoom=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("linear-probe accuracy (held out)")
    legend_outside(ax, loc="below", below=0.26, fontsize=legend_size)
    ax.set_title(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _footer(fig, meta, f"alpha = {meta.get('alpha')}, {meta.get('arch')}")
    return fig


def make_trackd_fig2a_figure(results: dict):
    """Fig 2a analogue: DecL probe accuracy vs |Ā| per graph kind, FL dashed, the untrained
    encoder dash-dotted; chance dotted, or noted when it lies far below the data."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    abars = results["abars"]
    for k, (kind, per) in enumerate(results["summary"].items()):
        ax.errorbar(
            abars,
            [per[str(a)]["mean"] for a in abars],
            yerr=[per[str(a)]["se"] for a in abars],
            color=PALETTE[k],
            marker=MARKERS[k],
            capsize=2,
            label=f"DecL {kind}",
        )
    fl = results["fl_summary"]
    ax.axhline(fl["mean"], color=PALETTE[3], ls="--", label="FL (all clients)")
    ax.axhspan(fl["mean"] - fl["se"], fl["mean"] + fl["se"], color=PALETTE[3], alpha=0.15)
    return _finish_decl(fig, ax, results, "average connectivity |Ā|", 8,
                        "Track D, Fig. 2a analogue: MAE in DecL vs connectivity")  # fmt: skip


def make_trackd_table6_figure(results: dict):
    """Table 6 analogue: probe accuracy per mixing rule (points, ±1 SE, side by side) at each
    |Ā|, FL dashed; the y axis keeps the data's range (bars would need a zero baseline that
    hides differences of a point)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    abars = results["abars"]
    rules = list(results["summary"])
    width = 0.6 / max(1, len(rules))
    for k, r in enumerate(rules):
        per = results["summary"][r]
        xs = np.arange(len(abars)) + (k - (len(rules) - 1) / 2) * width
        ax.errorbar(
            xs,
            [per[str(a)]["mean"] for a in abars],
            yerr=[per[str(a)]["se"] for a in abars],
            capsize=2,
            color=PALETTE[k % 7],
            marker=MARKERS[k % len(MARKERS)],
            ls="none",
            label=r,
        )
    ax.axhline(results["fl_summary"]["mean"], color="black", ls="--", label="FL")
    ax.set_xticks(range(len(abars)), [f"|Ā| ≈ {a}" for a in abars])
    return _finish_decl(fig, ax, results, "connectivity", 7,
                        "Track D, Table 6 analogue: DecL MAE under mixing rules")  # fmt: skip


def make_trackd_fig2b_figure(results: dict):
    """Fig 2b analogue: MAR vs MAE probe accuracy over α, one panel per framework."""
    meta = results["meta"]
    fws = list(results["summary"])
    fig, axes = plt.subplots(1, len(fws), figsize=(5.5 * len(fws), 4.2), squeeze=False)
    alphas = results["alphas"]
    for ax, fw in zip(axes[0], fws, strict=True):
        for k, m in enumerate(("mae", "mar")):
            per = results["summary"][fw][m]
            ax.errorbar(
                alphas,
                [per[str(a)]["mean"] for a in alphas],
                yerr=[per[str(a)]["se"] for a in alphas],
                color=PALETTE[k],
                marker=MARKERS[k],
                capsize=2,
                label="MIM (MAE)" if m == "mae" else "MAR",
            )
        _chance(ax, meta, results.get("untrained_summary"), zoom=True)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("Dirichlet α (more skew →)")
        ax.set_ylabel("linear-probe accuracy (held out)")
        ax.set_title(fw.upper())
        legend_outside(ax, loc="below", below=0.26, fontsize=8)
    fig.suptitle("Track D, Fig. 2b analogue: MAR vs MIM over label skew")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _footer(fig, meta, f"{meta.get('arch')}, DecL |Ā| = {meta.get('decl_abar')}")
    return fig


def make_trackd_table5_figure(results: dict):
    """Table 5 analogue: summed layer-wise ℓ2 distances (left) and per-client vs global probe
    accuracy (right) per method."""
    meta = results["meta"]
    methods = list(results["summary"])
    pairs = ("local1_vs_localN", "local1_vs_global", "localN_vs_global")
    probes = ("probe_local1", "probe_localN", "probe_global")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(methods))
    for k, m in enumerate(methods):
        s = results["summary"][m]
        xs = np.arange(len(pairs)) + (k - (len(methods) - 1) / 2) * width
        ax.bar(
            xs,
            [s[p]["mean"] for p in pairs],
            width,
            yerr=[s[p]["se"] for p in pairs],
            capsize=2,
            color=PALETTE[k],
            label=m,
        )
        ax2.bar(
            xs,
            [s[p]["mean"] for p in probes],
            width,
            yerr=[s[p]["se"] for p in probes],
            capsize=2,
            color=PALETTE[k],
            label=m,
        )
    ax.set_xticks(range(len(pairs)), ["local 1 vs N", "local 1 vs global", "local N vs global"])
    ax.set_ylabel("summed layer-wise ℓ2 distance (encoder)")
    legend_outside(ax, loc="below", below=0.26, fontsize=8)
    _chance(ax2, meta)
    ax2.set_xticks(range(len(probes)), ["local 1", "local N", "global"])
    ax2.set_ylabel("linear-probe accuracy (held out)")
    fig.suptitle("Track D, Table 5 analogue: local drift after one round from the global model")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _footer(fig, meta, f"alpha = {meta.get('alpha')}, {meta.get('arch')}")
    return fig
