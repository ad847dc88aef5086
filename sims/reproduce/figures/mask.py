"""Figures of the ``mask`` stage: the exact mask expectation of Eq. (4) vs the paper's Eq. (17),
and the RVs of the optima they lead to. House style of :mod:`sims.reproduce.figures.style`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import PowerNorm  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402
from sims.reproduce.figures.theorems import relayout, wrap_note  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Mask expectation figures (stage ``mask``)
# ---------------------------------------------------------------------------------------------

_MASK_TITLES = {
    "mim": "exact E_m of Eq. (4): hollow",
    "mim-paper": "paper's Eq. (17): diagonal",
    "mim-independent": "independent masks: κ·E[xxᵀ]",
    "cl": "CL: E[xxᵀ]",
}
#: a sequential map (the targets are non-negative; white = 0) and the exponent of the shared
#: power-law colour scale (small entries of the hollow target stay visible next to CL's)
HEAT_CMAP = "Blues"
HEAT_GAMMA = 0.5
#: an entry with |value| below this is an exact 0
ZERO_TOL = 1e-12


def _footer(fig, config: dict, note: str) -> None:
    note = wrap_note(fig, note)
    style.footer(fig, config, note)
    relayout(fig, style.footer_text(config).count("\n") + note.count("\n") + 2)


def make_mask_expectation_figure(results: dict):
    """Heat maps of one client's population target X_i on one shared colour scale: the exact
    mask expectation of Eq. (4) (hollow: zero diagonal), the paper's Eq. (17) (diagonal),
    independent masks and CL. A d × d matrix is readable only at small d, so this figure is
    drawn at the stage's ``heatmap_d`` (the RV figure uses the verification d).
    ``results``: the ``mask`` stage result.
    """
    heat = results["heatmap"]
    items = [(m, np.asarray(mat, dtype=float)) for m, mat in heat["targets"].items()]
    vmax = max(float(np.max(a)) for _, a in items) or 1.0
    vmin = min(0.0, min(float(np.min(a)) for _, a in items))
    with plt.rc_context(style.RC):
        fig, axes = style.new_figure(
            1,
            len(items) + 1,
            width=2.9,
            height=3.4,
            gridspec_kw={"width_ratios": [1.0] * len(items) + [0.06]},
            title=f"Population target X_i of client {heat['client'] + 1}: the exact mask "
            "expectation (Eq. 4) vs the paper's Eq. (17), on one colour scale",
        )
        axes, cax = np.atleast_1d(axes)[:-1], np.atleast_1d(axes)[-1]
        norm = PowerNorm(gamma=HEAT_GAMMA, vmin=vmin, vmax=vmax)
        im = None
        for ax, (m, a) in zip(axes, items, strict=True):
            im = ax.imshow(a, cmap=HEAT_CMAP, norm=norm, interpolation="nearest")
            ax.grid(False)
            zeros = np.abs(a) < ZERO_TOL
            diag_zero = bool(np.all(zeros[np.diag_indices_from(a)]))
            ax.set_title(
                f"{_MASK_TITLES.get(m, m)}\nzero entries: {int(zeros.sum())} of {a.size}"
                + (" (whole diagonal)" if diag_zero else "")
            )
            ticks = np.arange(a.shape[0])
            ax.set_xticks(ticks, [str(t + 1) for t in ticks], fontsize=6)
            ax.set_yticks(ticks, [str(t + 1) for t in ticks], fontsize=6)
            ax.set_xlabel("coordinate l (index)")
        axes[0].set_ylabel("coordinate k (index)")
        cax.set_label("<colorbar>")
        fig.colorbar(im, cax=cax, label="entry of X_i (dimensionless)")
        _footer(
            fig,
            {
                "N": heat["n_clients"],
                "d": heat["d"],
                "p": float(results["config"]["p"]),
                "client": heat["client"] + 1,
            },
            f"d = {heat['d']} is drawn because a d × d matrix is readable only at small d; the "
            "structure (hollow vs diagonal, theory.structured) is the same at every d. White = 0; "
            f"one colour scale for all panels, ∝ value^{HEAT_GAMMA:g}.",
        )
    return fig


def make_mask_rv_figure(results: dict):
    """Representability vectors r_k, k ∈ [c], of the exact FL and local (client 1) optima for
    each target (exact hollow / Eq. 17 / independent masks / CL); an exact 0 is an open
    triangle on the axis. ``results``: the ``mask`` stage result."""
    rv = results["rv"]
    methods = list(rv["methods"])
    n, c = rv["n_clients"], rv["c"]
    width = 0.8 / len(methods)
    x = np.arange(1, c + 1)
    with plt.rc_context(style.RC):
        fig, axes = style.new_figure(
            1,
            2,
            width=5.2,
            height=3.4,
            sharey=True,
            title="Representability r_k of the exact optima (Track B): exact Eq. (4) MIM vs "
            "the paper's Eq. (17), independent masks and CL",
        )
        for ax, key, title in zip(
            axes, ("fl", "local_client1"), ("FL optimum", "local optimum of client 1"), strict=True
        ):
            for idx, m in enumerate(methods):
                pos = x + (idx - (len(methods) - 1) / 2) * width
                vals = np.asarray(rv["methods"][m][key], dtype=float)
                colour = style.COLOURS.get(m, style.CYCLE[idx % len(style.CYCLE)])
                ax.bar(pos, vals, width, label=_MASK_TITLES.get(m, m), color=colour)
                zero = np.abs(vals) < ZERO_TOL
                if zero.any():
                    # one legend entry for the zeros of all targets ("_": not in the legend)
                    first = not any(c.get_label().endswith("= 0") for c in ax.collections)
                    style.mark_zero(
                        ax,
                        pos[zero],
                        floor=0.0,
                        colour=colour,
                        label=("" if first else "_")
                        + "exact zero (in the target's colour): r_k = 0",
                    )
            ax.axvline(n + 0.5, color="#000000", ls="--", lw=1)
            ax.text(n + 0.6, 1.03, "k > N: rare / noise axes", fontsize=7, va="bottom")
            ax.text(0.5, 1.03, "k ∈ [N]: client axes", fontsize=7, va="bottom")
            ax.set_xticks(x)
            ax.set_xlabel("coordinate k (index)")
            ax.set_title(title, pad=16)
            ax.set_ylim(0, 1.12)
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel(r"RV $r_k = \|\Pi_{row(W)} e_k\|^2$ (dimensionless)")
        style.legend_outside(axes[1])
        _footer(
            fig,
            {"N": n, "d": rv["d"], "c": c, "p": float(results["config"]["p"])},
            "Track B: exact population optimum (one optimum where eigenvalues tie). Triangles on "
            "the axis: r_k = 0 exactly.",
        )
    return fig
