"""Figures of the ``mask`` stage: the exact mask expectation of Eq. (4) vs the paper's Eq. (17),
and the RVs of the optima they lead to."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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
