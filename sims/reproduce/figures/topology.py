"""Figures of the ``topology_audit`` stage: spectra of the topology zoo, the official code's
realised vs nominal degree, and the paper's DecL settings under each mixing rule."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from sims.reproduce.figures import style

#: one colour per mixing rule, from the colour-blind-safe cycle, the same in every figure
_MIXING_COLOURS = dict(
    zip(
        ("uniform", "metropolis", "max_degree", "data_size", "fedavg", "ying"),
        style.CYCLE,
        strict=False,
    )
)
_GENERATOR_MARKERS = {"paper_code": "o", "random_regular": "s"}
_GENERATOR_LINES = {"paper_code": "-", "random_regular": ":"}


def _num(value, default=np.nan) -> float:
    """``value`` as float; ``None`` (a JSON null, i.e. NaN/inf) becomes ``default``."""
    return default if value is None else float(value)


#: a bar this close to zero is drawn as zero: a thick line on the axis and a "0" over it
ZERO = 1e-12


def _grouped_bars(ax, graphs, mixings, values, *, log=False, errors=None):
    """One bar per graph × mixing rule; a value of zero is drawn as zero (a thick line on the
    axis in the rule's colour, labelled 0), an undefined one (NaN) labelled n/a, so that
    neither reads as a bar left out; a graph × rule that does not exist has no bar."""
    width = 0.8 / max(1, len(mixings))
    x = np.arange(len(graphs))
    for m_idx, mixing in enumerate(mixings):
        ys = [values.get((g, mixing), np.nan) for g in graphs]
        errs = None
        if errors is not None:
            errs = [errors.get((g, mixing), 0.0) for g in graphs]
        xs = x + (m_idx - (len(mixings) - 1) / 2) * width
        colour = _MIXING_COLOURS.get(mixing)
        ax.bar(xs, ys, width, yerr=errs, label=mixing, color=colour,
               capsize=2 if errs is not None else 0)  # fmt: skip
        for xpos, y, g in zip(xs, ys, graphs, strict=True):
            if (g, mixing) not in values:  # no such graph x rule: no bar, nothing to say
                continue
            if np.isfinite(y) and abs(y) <= ZERO and not log:
                ax.plot([xpos - width / 2, xpos + width / 2], [0.0, 0.0], color=colour, lw=3,
                        solid_capstyle="butt", zorder=3)  # fmt: skip
                label = "0"
            elif not np.isfinite(y):
                label = "n/a"
            else:
                continue
            ax.annotate(label, (xpos, 0.0), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=5, color="#333333",
                        rotation=90 if label == "n/a" else 0)  # fmt: skip
    ax.set_xticks(x)
    ax.set_xticklabels(graphs, rotation=30, ha="right")
    if log:
        ax.set_yscale("log")


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

    fig, axes = style.new_figure(
        2,
        2,
        width=6.0,
        height=3.6,
        title=f"Topology zoo on n = {results['n']} nodes: spectrum and connectivity of each "
        "graph under each mixing rule",
    )
    panels = [
        ("lambda2", "second eigenvalue λ₂ (Ying's directed W: n/a)", "λ₂ (dimensionless)", False),
        ("spectral_gap", "spectral gap 1 − λ (log scale)", "1 − λ (dimensionless)", True),
        (
            "avg_connectivity",
            "average connectivity |Ā| (self counted)",
            "|Ā| (clients per neighbourhood)",
            False,
        ),
        (
            "effective_neighbours",
            f"effective number of neighbours n_W(γ = {results['gamma']})",
            "n_W(γ) (clients)",
            False,
        ),
    ]
    for ax, (key, title, ylabel, log) in zip(axes.ravel(), panels, strict=True):
        vals, errs = table(key)
        _grouped_bars(ax, graphs, mixings, vals, log=log, errors=errs)
        style.title(ax, title)
        style.labels(ax, xlabel=f"graph on n = {results['n']} nodes", ylabel=ylabel)
    style.legend_outside(axes[0, 1], loc="right", title="mixing rule", fontsize=8)
    style.footer(
        fig,
        {"n": results["n"], "seeds": results.get("seeds"), "γ": results.get("gamma")},
        note="bars: mean over the seeds of random graphs, error bars: standard deviation "
        "(deterministic graphs: one graph); λ: contraction of W in the π-weighted norm",
    )
    return fig


def make_paper_code_degree_figure(results: dict):
    """The official code's generator: realised mean degree vs nominal ``avg_connectivity``.

    ``results`` is the ``paper_code_degree`` section: ``{"records": [{"n", "nominal",
    "mean", "min", "max"}]}`` (over seeds). Left: realised vs nominal with y = x; right: excess.
    """
    records = results["records"]
    fig, (ax0, ax1) = style.new_figure(
        1,
        2,
        width=5.4,
        height=3.8,
        title="The official code's graph generator: realised vs nominal mean degree",
    )
    for idx, n in enumerate(sorted({r["n"] for r in records})):
        colour = style.CYCLE[idx % len(style.CYCLE)]
        rs = sorted((r for r in records if r["n"] == n), key=lambda r: r["nominal"])
        k = np.array([r["nominal"] for r in rs], dtype=float)
        mean = np.array([r["mean"] for r in rs])
        lo = np.array([r["min"] for r in rs])
        hi = np.array([r["max"] for r in rs])
        ax0.plot(k, mean, "o-", ms=3, color=colour, label=f"n = {n} clients")
        ax0.fill_between(k, lo, hi, color=colour, alpha=0.2)
        ax1.plot(k, mean - k, "o-", ms=3, color=colour, label=f"n = {n} clients")
        ax1.fill_between(k, lo - k, hi - k, color=colour, alpha=0.2)
    top = max(r["nominal"] for r in records)
    ax0.plot([0, top], [0, top], "--", color="#000000", lw=1, label="realised = nominal")
    style.labels(
        ax0,
        "nominal mean degree k (code's avg_connectivity; |Ā| = k + 1)",
        "realised mean degree (neighbours per client)",
    )
    style.title(ax0, "realised vs nominal (band: min–max over seeds)")
    ax1.axhline(0.0, color="#000000", lw=1, ls="--")
    ax1.set_xscale("log")
    kmin = min(r["nominal"] for r in records)
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500) if kmin <= t <= top]
    ax1.set_xticks(ticks, [str(t) for t in ticks])  # plain numbers, not 2x10^0, 3x10^0 ...
    ax1.xaxis.set_minor_formatter(NullFormatter())
    style.labels(
        ax1, "nominal mean degree k (log scale)", "realised − nominal (neighbours per client)"
    )
    style.title(ax1, "excess degree of the generator")
    handles, labels = ax1.get_legend_handles_labels()
    h0, l0 = ax0.get_legend_handles_labels()
    ax1.legend(
        handles + h0[len(handles) :],
        labels + l0[len(labels) :],
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=8,
    )
    style.footer(
        fig,
        {
            "n": ", ".join(str(n) for n in sorted({r["n"] for r in records})),
            "seeds": results.get("seeds"),
        },
        note="line: mean over seeds of the realised mean degree; band: its min–max over seeds",
    )
    return fig


def _generator_lines(axes, records: list, gen: str, mixings: list) -> None:
    """One generator's lines of the paper's settings: λ (mean ± sd) and the weight difference
    per mixing rule, and the realised |Ā| (the same for every rule: the first one's)."""
    for mixing in mixings:
        rs = sorted(
            (r for r in records if r["generator"] == gen and r["mixing"] == mixing),
            key=lambda r: r["nominal_connectivity"],
        )
        if not rs:
            continue
        x = np.array([r["nominal_connectivity"] for r in rs], dtype=float)
        kw = dict(
            marker=_GENERATOR_MARKERS.get(gen, "^"),
            color=_MIXING_COLOURS.get(mixing),
            ls=_GENERATOR_LINES.get(gen, "-."),
            ms=5,
        )
        axes[0].errorbar(
            x,
            [_num(r["lambda"]) for r in rs],
            yerr=[_num(r.get("lambda_std"), 0.0) for r in rs],
            label=f"{gen} / {mixing}",
            capsize=2,
            **kw,
        )
        axes[2].plot(x, [_num(r["weights_gap"]) for r in rs], **kw)
    rs = sorted(
        (r for r in records if r["generator"] == gen and r["mixing"] == mixings[0]),
        key=lambda r: r["nominal_connectivity"],
    )
    axes[1].plot(
        [r["nominal_connectivity"] for r in rs],
        [r["avg_connectivity"] for r in rs],
        marker=_GENERATOR_MARKERS.get(gen, "^"),
        ls=_GENERATOR_LINES.get(gen, "-."),
        color="#000000",
        label=f"{gen} (realised)",
    )


def make_paper_settings_figure(results: dict):
    """Paper's DecL settings (N clients, nominal |Ā|): λ, realised |Ā| and |π_obj − π_stat|.

    ``results`` is the ``paper_settings`` section: ``{"n", "records": [{"generator",
    "mixing", "nominal_connectivity", "lambda", "lambda_std", "avg_connectivity",
    "weights_gap"}]}``.
    """
    records = results["records"]
    fig, axes = style.new_figure(
        1,
        3,
        width=4.4,
        height=3.8,
        title=f"The paper's DecL settings on N = {results['n']} clients: contraction, realised "
        "|Ā| and objective vs stationary weights",
    )
    generators = list(dict.fromkeys(r["generator"] for r in records))
    mixings = list(dict.fromkeys(r["mixing"] for r in records))
    for gen in generators:
        _generator_lines(axes, records, gen, mixings)
    top = max(r["nominal_connectivity"] for r in records)
    axes[1].plot([0, top], [0, top], "--", color="#777777", lw=1, label="realised = nominal")
    style.title(axes[0], "contraction λ (mean ± sd over seeds)")
    style.labels(axes[0], ylabel="λ (dimensionless)")
    axes[0].set_ylim(0.0, 1.05)
    style.title(axes[1], "realised |Ā| vs the paper's nominal |Ā|")
    style.labels(axes[1], ylabel="realised |Ā| (clients per neighbourhood)")
    style.title(axes[2], "max_j |π_obj_j − π_stat_j|: Eq. (1) vs stationary")
    style.labels(axes[2], ylabel="largest weight difference (dimensionless)")
    for ax in axes:
        style.labels(ax, xlabel="nominal |Ā| (code degree k = |Ā| − 1)")
    handles, labels = axes[0].get_legend_handles_labels()
    h1, l1 = axes[1].get_legend_handles_labels()
    axes[2].legend(
        handles + h1,
        labels + l1,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=7,
        title="generator / mixing rule",
    )
    style.footer(
        fig,
        {"N": results["n"], "seeds": results.get("seeds")},
        note="colour: mixing rule; line style and marker: generator (solid ○ paper_code, dotted "
        "□ random_regular); data_size weights use fixed unequal client sizes",
    )
    return fig
