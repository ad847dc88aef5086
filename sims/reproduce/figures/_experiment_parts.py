"""The drawing pieces that the experiment figures share (:mod:`sims.reproduce.figures.experiments`,
:mod:`sims.reproduce.figures.method_comparison`, :mod:`sims.reproduce.figures.consensus`): reading
result rows, the probe-accuracy axis with its chance level, the panel layout with a legend panel and
a text box, log axes with exact zeros on the floor, the configuration footer, and the sentences of
the text boxes worded from the results.
"""

from __future__ import annotations

import textwrap

import numpy as np

from sims.reproduce.figures import style

_GREY = "#444444"
_ACC_LABEL = "probe accuracy (fraction of test points)"
_SN_LABEL = "sensitivity s_N over [N] (dimensionless)"


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


def _layout_row(
    title: str, ncols: int = 3, *, width: float = 4.4, height: float = 2.9, legend: float = 0.5
):
    """``(fig, axes, ax_legend, ax_text)``: one row of ``ncols`` panels, a full-width legend row
    (no data; ``legend`` panel heights) and a full-width text row under them: no panel is left
    holding only a legend. ``height``: of the panels, in inches."""
    ratios = (1.0, legend, 0.3)
    fig, grid = style.new_figure(
        3,
        ncols,
        width=width,
        height=height * sum(ratios) / 3,  # new_figure's height is per row
        title=title,
        gridspec_kw={"height_ratios": ratios},
    )
    gs = grid[0, 0].get_gridspec()
    for ax in [*grid[1], *grid[2]]:
        ax.remove()
    ax_legend = fig.add_subplot(gs[1, :])
    ax_legend.set_axis_off()
    ax_text = fig.add_subplot(gs[2, :])
    return fig, list(grid[0]), ax_legend, ax_text


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
