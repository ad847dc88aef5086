"""One look for every figure: the Okabe–Ito palette, fixed colours per framework and method,
a configuration footer, legends outside the data, and how exact zeros are drawn.

Every ``make_<name>_figure`` starts with :func:`new_figure` (which applies :data:`RC` for that
figure only) and ends with :func:`footer`; a figure that says in one sentence what it shows
(a ``<name>_takeaway(results) -> str`` beside its ``make_<name>_figure``) draws that sentence with
:func:`draw_takeaway` (``footer(..., takeaway=...)`` does it), above the footer, as a text whose
gid is :data:`TAKEAWAY_GID` so that a test can find it. Colours are keyed by meaning, not by
plot order, so "FL" is the same colour in every figure:

>>> COLOURS["fl"] == FRAMEWORK_COLOURS["fl"]
True
>>> footer_text({"N": 20, "d": 400, "p": 0.5, "seeds": 3})
'N = 20, d = 400, p = 0.5, seeds = 3'
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
#: deficiencies; black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple
OKABE_ITO = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
#: the palette for series without a fixed meaning (yellow left out: it is unreadable on white)
CYCLE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

FRAMEWORK_COLOURS = {"local": "#009E73", "decl": "#0072B2", "fl": "#D55E00"}
METHOD_COLOURS = {
    "mim": "#0072B2",
    "mim-paper": "#56B4E9",
    "mim-independent": "#000000",
    "mim-recon": "#CC79A7",
    "cl": "#E69F00",
    "cl-dissimilar": "#D55E00",
    "mar": "#009E73",
    "ssd": "#CC79A7",
}
#: one lookup for both (framework and method names do not collide)
COLOURS = {**METHOD_COLOURS, **FRAMEWORK_COLOURS}
FRAMEWORK_LABELS = {"local": "local", "decl": "DecL", "fl": "FL"}

#: the per-figure style (applied by :func:`new_figure` through ``plt.rc_context``)
RC = {
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.family": "DejaVu Sans",
}


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float = 6.4,
    height: float = 4.0,
    title: str | None = None,
    **subplots_kw,
):
    """``(fig, axes)`` in the house style, with ``title`` (what the figure shows) as suptitle.

    ``width``/``height`` are per panel, in inches. Room is left at the bottom for the footer.
    """
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(width * ncols, height * nrows + 0.35),
            squeeze=False,
            **subplots_kw,
        )
        for ax in axes.flat:
            ax.set_prop_cycle(RC["axes.prop_cycle"])
            ax.grid(True, alpha=RC["grid.alpha"], lw=RC["grid.linewidth"])
            ax.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=RC["figure.titlesize"])
    axes = axes[0, 0] if nrows == ncols == 1 else (axes[0] if nrows == 1 else axes)
    return fig, axes


def _styled(make):
    """Run a figure function inside the house style's rc settings (:data:`RC`; font sizes of
    titles, labels and legends are fixed when the artists are made)."""

    @functools.wraps(make)
    def wrapper(results: dict):
        with plt.rc_context(RC):
            return make(results)

    return wrapper


def _unique_handles(*axes) -> tuple[list, list]:
    """The legend entries of ``axes``, ``(handles, labels)``: each label once, in order of
    appearance (matplotlib leaves out the labels that start with ``_``)."""
    seen: dict = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, h)
    return list(seen.values()), list(seen)


def footer_text(config: dict) -> str:
    """``"key = value, ..."`` for the footer, in the order given (``None`` values left out)."""
    return ", ".join(
        f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
        for k, v in config.items()
        if v is not None
    )


#: the gid of the text drawn by :func:`draw_takeaway` (how a test finds the sentence)
TAKEAWAY_GID = "takeaway"
_TAKEAWAY_SIZE = 8.5  # pt: larger than the 7 pt footer, smaller than a panel title


def draw_takeaway(fig, sentence: str, *, bottom_in: float) -> float:
    """Draw ``"Takeaway: <sentence>"`` at the bottom left of ``fig``, its lowest line
    ``bottom_in`` inches above the figure's bottom edge, wrapped to the figure's width, in dark
    type (gid :data:`TAKEAWAY_GID`); returns the height it takes, in inches (0 for no sentence).
    """
    if not sentence:
        return 0.0
    width, height = fig.get_size_inches()
    body = textwrap.fill(f"Takeaway: {sentence}", max(40, int(width * 14.0)))
    lines = body.count("\n") + 1
    fig.text(
        0.01,
        (bottom_in + 0.04) / height,
        body,
        fontsize=_TAKEAWAY_SIZE,
        color="#000000",
        ha="left",
        va="bottom",
        gid=TAKEAWAY_GID,
    )
    return 0.1 + 0.165 * lines


def takeaway_of(fig) -> str:
    """The sentence :func:`draw_takeaway` drew on ``fig`` (line breaks undone; ``""`` if none)."""
    for t in fig.texts:
        if t.get_gid() == TAKEAWAY_GID:
            return " ".join(t.get_text().split()).removeprefix("Takeaway: ")
    return ""


def footer(fig, config: dict | str, note: str = "", *, takeaway: str = "") -> None:
    """Write the configuration (``dict`` or preformatted text) and an optional note in small grey
    type at the bottom left, the one-sentence ``takeaway`` above them (:func:`draw_takeaway`),
    and lay the figure out around them."""
    text = config if isinstance(config, str) else footer_text(config)
    if note:
        text = f"{text}\n{note}" if text else note
    lines = text.count("\n") + 1
    fig.text(0.01, 0.005, text, fontsize=7, color="#444444", ha="left", va="bottom")
    bottom = 0.025 + 0.022 * lines
    height = fig.get_size_inches()[1]
    bottom += draw_takeaway(fig, takeaway, bottom_in=bottom * height) / height
    fig.tight_layout(rect=(0, bottom, 1, 1))


def legend_outside(ax, *, loc: str = "right", below: float = 0.18, **kw):
    """A legend beside (``"right"``) or below (``"below"``, its top ``below`` axes heights
    under the axes: more where the x axis has tall tick labels) the axes, never over the data."""
    if loc == "below":
        return ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -below), ncol=kw.pop("ncol", 3), **kw
        )
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kw)


def mark_zero(ax, x, *, floor: float, colour: str = "#444444", label: str | None = None):
    """Draw exact zeros (values that are 0 to the computation's tolerance) on a log axis as
    open triangles pointing down, on the axis floor, so they read as "0", not as a small value.
    """
    if len(x) == 0:
        return None
    return ax.scatter(
        x,
        [floor] * len(x),
        marker="v",
        facecolors="none",
        edgecolors=colour,
        s=28,
        zorder=3,
        clip_on=False,
        label=label,
    )


def title(ax, text: str, **kw) -> None:
    """An axes title at the house size (``fontsize`` and other ``set_title`` options may be
    given)."""
    ax.set_title(text, fontsize=kw.pop("fontsize", RC["axes.titlesize"]), **kw)


def labels(ax, xlabel: str | None = None, ylabel: str | None = None) -> None:
    """Axis labels at the house size; ``None`` leaves a label as it is."""
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=RC["axes.labelsize"])
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=RC["axes.labelsize"])
