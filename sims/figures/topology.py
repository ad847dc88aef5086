"""Figures of the ``topology_audit`` stage: spectra of the topology zoo, the official code's
realised vs nominal degree, and the paper's DecL settings under each mixing rule."""

from __future__ import annotations

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


def _num(value, default=np.nan) -> float:
    """``value`` as float; ``None`` (a JSON null, i.e. NaN/inf) becomes ``default``."""
    return default if value is None else float(value)


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
