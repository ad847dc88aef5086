"""Figure of the ``consensus`` stage: the DecL consensus distance over rounds against its
derived bounds (an extension of the paper, docs/theory/consensus.md §3).

One panel per (method, graph): the measured consensus distance e_t and the one-step bound (D2),
the stepwise bound from smoothness and dissimilarity (D3, D5) and the closed form (D4, D5).
"""

from __future__ import annotations

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._experiment_parts import _config_footer, _num

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


def _consensus_verdict(runs: list) -> str:
    """The figure's verdict in words: the largest measured/bound ratio over every run and bound
    against 1."""
    worst = [
        _num(r["ratio"].get(key))
        for r in runs
        for key, *_ in _CONSENSUS_BOUNDS
        if r["ratio"].get(key) is not None
    ]
    worst = [w for w in worst if np.isfinite(w)]
    if worst and max(worst) <= 1.0:
        return f"every measured/bound ratio ≤ {max(worst):.2f}"
    if worst:
        return f"a measured/bound ratio reaches {max(worst):.2f} > 1: a bound is exceeded"
    return "no bound could be evaluated"


def _consensus_panel(ax, run: dict, method: str, label: str) -> None:
    """One (method, graph) panel: the measured e_t and each bound that could be evaluated, on a
    log y axis, titled with λ, ρ and the largest measured/bound ratio of each bound."""
    e = np.array([_num(v) for v in run["e"]], float)
    t = np.arange(1, e.size)
    ax.plot(t, e[1:], "-", color="#000000", lw=1.8, label="measured consensus distance e_t")
    ratios = []
    for key, name, ls, colour in _CONSENSUS_BOUNDS:
        bound = np.array([_num(b) for b in run[key]], float)
        ratio = run["ratio"].get(key)
        ratios.append("n/a" if ratio is None or not np.isfinite(_num(ratio)) else f"{ratio:.2f}")
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


def _shared_legend(fig, axes) -> None:
    """One legend for all panels (each label once, in panel order), between the panels and the
    footer."""
    handles, names = style._unique_handles(*np.ravel(axes))
    fig.legend(
        handles,
        names,
        loc="lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.045),
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
    verdict = _consensus_verdict(runs)
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
            _consensus_panel(ax, run, method, label)
            if i == len(methods) - 1:
                style.labels(ax, xlabel="round t")
            if j == 0:
                style.labels(ax, ylabel="consensus distance e_t\n(dimensionless)")
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
    _shared_legend(fig, axes)
    style.footer(fig, foot, note=note)
    # room for the shared legend between the panels and the footer
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig
