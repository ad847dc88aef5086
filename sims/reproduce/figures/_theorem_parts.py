"""The drawing pieces that the theorem figures share (:mod:`sims.reproduce.figures.theorems`,
:mod:`sims.reproduce.figures.connectivity`, :mod:`sims.reproduce.figures.tracks_overlay`): the
exact-zero rule, the styles of the Track B targets, axis labels, bands and lines of Track A, Track B
series with exact zeros on the axis floor, the grid of method × framework panels against d, and the
footer with one legend for the whole figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import textwrap  # noqa: E402

import numpy as np  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402

#: a value of the exact model with |value| below this is an exact 0 (rounding of sums of
#: O(1) terms in float64 leaves ~1e-16)
ZERO_TOL = 1e-12
_FW = ("local", "decl", "fl")
_METHOD_TITLES = {
    "mim": "MIM (Thm 4.2)",
    "cl_similar": "CL similar (Thm 4.3)",
    "cl_dissimilar": "CL dissimilar (Thm 4.3)",
}
#: Track B targets: (marker, colour, name)
_EXACT_STYLE = {
    "mim": ("o", "#000000", "exact MIM, Eq. (4) (hollow target)"),
    "mim-paper": ("D", "#777777", "paper's Eq. (17) target"),
    "mim-independent": ("^", "#777777", "independent masks"),
    "cl": ("s", "#000000", "exact CL"),
    "cl-dissimilar": ("P", "#000000", "exact CL, dissimilar"),
}
S_LABEL = "sensitivity s (dimensionless)"
D_LABEL = "input dimension d (log scale)"
ABAR_LABEL = r"average connectivity $|\bar A|$ (self counted; dimensionless)"


def _arr(values) -> np.ndarray:
    return np.array([np.nan if x is None else float(x) for x in values], dtype=float)


def _upper(pairs) -> np.ndarray:
    """The max over the optimal set of (min, max) pairs (a plain list of floats passes)."""
    return _arr([p[1] if isinstance(p, (list, tuple)) else p for p in pairs])


def _is_zero(y: np.ndarray) -> np.ndarray:
    return np.isfinite(y) & (np.abs(y) < ZERO_TOL)


def _fmt(x: float) -> str:
    """A value for prose: ``0`` for an exact zero, else 2 significant digits."""
    return "0" if abs(x) < ZERO_TOL else f"{x:.2g}"


def _log_floor(*arrays) -> float:
    """A power of ten at least a decade below the smallest non-zero value (the axis floor on
    which exact zeros are drawn)."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] or [[1.0]])
    vals = vals[np.isfinite(vals) & (vals >= ZERO_TOL)]
    low = float(vals.min()) if vals.size else 1e-3
    return 10.0 ** (np.floor(np.log10(low)) - 1)


def _band_line(ax, x, bound: dict, colour: str, label: str | None, band_label=None) -> None:
    x = np.asarray(x, dtype=float)
    ax.fill_between(
        x,
        np.asarray(bound["lo"], float),
        np.asarray(bound["hi"], float),
        color=colour,
        alpha=0.18,
        lw=0,
        label=band_label,
    )
    ax.plot(x, np.asarray(bound["central"], float), color=colour, lw=1.8, label=label)


def _exact_series(
    ax, x, y, *, marker, colour, label, floor, hollow=False, ms=5, join=True, zero_size=None
) -> bool:
    """Non-zero values as markers joined by a thin line; exact zeros with
    :func:`style.mark_zero` on ``floor``. Returns whether a zero was drawn."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    zero = _is_zero(y)
    shown = np.where(zero, np.nan, y)
    if np.isfinite(shown).any():
        ax.plot(
            x,
            shown,
            marker=marker,
            ms=ms,
            lw=0.8 if join else 0.0,
            color=colour,
            mfc="none" if hollow else colour,
            label=label,
            zorder=4,
        )
    if zero.any():
        pts = style.mark_zero(ax, x[zero], floor=floor, colour=colour, label=f"{label} = 0")
        if zero_size:
            pts.set_sizes([zero_size])
        return True
    return False


def wrap_note(fig, note: str) -> str:
    """``note`` wrapped to the figure's width (7 pt footer type), paragraph by paragraph."""
    width = int(fig.get_size_inches()[0] * 17)
    return "\n".join(textwrap.fill(par, width) for par in note.split("\n")) if note else note


def relayout(fig, footer_lines: int, *, bottom_in: float = 0.0, top_in: float = 0.0) -> float:
    """Lay the panels out under the suptitle (and ``top_in`` more inches) and above the footer
    (``footer_lines`` lines of 7 pt type) plus ``bottom_in`` inches (a legend); returns the
    height of the footer as a figure fraction. Sizes in inches, so short figures get the
    same room as tall ones."""
    height = fig.get_size_inches()[1]
    foot = (0.06 + 0.12 * footer_lines) / height
    fig.tight_layout(rect=(0, foot + bottom_in / height, 1, 1 - top_in / height))
    return foot


def _finish(fig, config: dict, note: str = "", *, ncol: int = 3, takeaway: str = ""):
    """Footer, the one-sentence ``takeaway`` above it (:func:`style.draw_takeaway`), then one
    legend for the whole figure below the panels (above the takeaway, outside every data area);
    each label once."""
    handles, labels = style._unique_handles(*fig.axes)
    note = wrap_note(fig, note)
    style.footer(fig, config, note)
    text = config if isinstance(config, str) else style.footer_text(config)
    lines = (f"{text}\n{note}" if note else text).count("\n") + 1
    take_in = style.draw_takeaway(fig, takeaway, bottom_in=0.06 + 0.12 * lines)
    rows = -(-len(labels) // ncol)
    leg_in = 0.19 * rows + 0.12
    foot = relayout(fig, lines, bottom_in=leg_in + take_in)
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, foot + take_in / fig.get_size_inches()[1]),
        ncol=ncol,
        frameon=False,
        fontsize=style.RC["legend.fontsize"],
    )


def _panel_grid(methods: list, title: str, floor: float, draw) -> tuple:
    """A figure of log–log panels against d, sharing their axes: a row per method, a column
    per framework (local, DecL, FL). ``draw(ax, method, fw)`` draws a panel's data; then the
    panel gets the dotted line s = 1, its y range ``floor`` … 3 and its title. Returns
    ``(fig, [what draw returned, panel by panel])``."""
    fig, axes = style.new_figure(
        len(methods), 3, width=4.0, height=2.9, sharex=True, sharey=True, title=title
    )
    axes = np.atleast_2d(axes)
    drawn = []
    for row, method in enumerate(methods):
        for col, fw in enumerate(_FW):
            ax = axes[row, col]
            drawn.append(draw(ax, method, fw))
            ax.axhline(1.0, color="#777777", ls=":", lw=1, label="s = 1 (a vacuous bound)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(floor, 3.0)
            ax.set_title(f"{_METHOD_TITLES[method]}: {style.FRAMEWORK_LABELS[fw]}")
            if row == len(methods) - 1:
                ax.set_xlabel(D_LABEL)
            if col == 0:
                ax.set_ylabel(S_LABEL)
    return fig, drawn


def _constants_text(cfg: dict) -> str:
    lo, hi = cfg["constants_range"]
    return f"hidden constants in [{lo:g}, {hi:g}]"
