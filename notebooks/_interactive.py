"""Sliders for the notebooks, and one plot style for all of them.

``interact(draw, d=log(...), p=linear(...), ...)`` shows ipywidgets sliders that call ``draw``
again whenever one moves, if a Jupyter front end can display them. Everywhere else (run as a
script, executed headless by nbclient in the tests or by ``make notebooks``, or with
``DSSL_HEADLESS=1``) it calls ``draw`` once with the default values and says so, so that every
notebook runs top to bottom without a browser.

The track style is shared by every notebook: Track A (the paper's formula) is a line, Track B
(the exact model) black markers, Track C (trained encoders) red-orange stars; the colours are the
Okabe–Ito colour-blind-safe palette.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable

import matplotlib.pyplot as plt

#: Okabe–Ito palette (colour-blind safe).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
TRACK_A = {"color": PALETTE[0], "lw": 2.0}
TRACK_B = {"color": "black", "marker": "o", "ls": "none", "ms": 7}
TRACK_C = {"color": PALETTE[5], "marker": "*", "ls": "none", "ms": 13}

#: One style for every notebook figure (applied by :func:`interact` and :func:`style`).
RC = {
    "figure.figsize": (8.0, 4.6),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": plt.cycler(color=PALETTE),
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
}


def style():
    """Context manager: the notebooks' plot style for the figures drawn inside it."""
    return plt.rc_context(RC)


@dataclasses.dataclass(frozen=True)
class Control:
    """One slider (or dropdown): its default ``value`` and its range."""

    value: object
    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple = ()
    description: str = ""


def log(value: float, lo: float, hi: float, description: str = "") -> Control:
    """A slider on a log scale from ``lo`` to ``hi`` (both > 0)."""
    return Control(value, "log", lo, hi, description=description)


def linear(value: float, lo: float, hi: float, step: float, description: str = "") -> Control:
    """A slider on a linear scale."""
    return Control(value, "float", lo, hi, step, description=description)


def integer(value: int, lo: int, hi: int, description: str = "") -> Control:
    """An integer slider."""
    return Control(value, "int", lo, hi, 1, description=description)


def choice(value, options, description: str = "") -> Control:
    """A dropdown over ``options``."""
    return Control(value, "choice", options=tuple(options), description=description)


def headless() -> bool:
    """True unless an IPython kernel is running and ``DSSL_HEADLESS`` is not ``1``."""
    if os.environ.get("DSSL_HEADLESS") == "1":
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or not hasattr(shell, "kernel")


def _widget(name: str, c: Control):
    import math

    import ipywidgets as w

    label = c.description or name
    style = {"description_width": "initial"}
    layout = w.Layout(width="420px")
    if c.kind == "log":
        return w.FloatLogSlider(
            value=c.value,
            base=10,
            min=math.log10(c.lo),
            max=math.log10(c.hi),
            step=0.05,
            description=label,
            style=style,
            layout=layout,
            continuous_update=False,
        )
    if c.kind == "int":
        return w.IntSlider(
            value=c.value,
            min=c.lo,
            max=c.hi,
            description=label,
            style=style,
            layout=layout,
            continuous_update=False,
        )
    if c.kind == "choice":
        return w.Dropdown(value=c.value, options=c.options, description=label, style=style)
    return w.FloatSlider(
        value=c.value,
        min=c.lo,
        max=c.hi,
        step=c.step,
        description=label,
        style=style,
        layout=layout,
        continuous_update=False,
    )


def interact(draw: Callable, **controls: Control):
    """Sliders that redraw ``draw(**values)``; headless, one call with the defaults."""

    @functools.wraps(draw)
    def redraw(**values):
        with style():
            draw(**values)
            plt.show()

    defaults = {name: c.value for name, c in controls.items()}
    if headless():
        shown = ", ".join(f"{name}={value!r}" for name, value in defaults.items())
        print(f"[no front end: drawn once with the defaults {shown}]")
        redraw(**defaults)
        return None
    import ipywidgets

    return ipywidgets.interact(redraw, **{k: _widget(k, c) for k, c in controls.items()})


def footer(fig, text: str) -> None:
    """The configuration of a figure, in small type under it (room is made for it)."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0.0, 0.045, 1.0, 0.955))
    fig.text(0.01, 0.005, text, fontsize=8, color="0.35", ha="left", va="bottom")


#: Values at or below this are drawn on the floor of a log axis and labelled as zero.
FLOOR = 1e-13


def floor_zeros(values):
    """(values with exact zeros lifted to FLOOR, mask of the lifted entries) for a log axis."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    zero = v <= FLOOR
    return np.where(zero, FLOOR, v), zero
