"""Sliders for the notebooks, and one plot style for all of them.

``interact(draw, d=log(...), p=linear(...), ...)`` shows ipywidgets sliders that call ``draw``
again whenever one moves, if a Jupyter front end can display them. Everywhere else (run as a
script, executed headless by nbclient in the tests or by ``make notebooks``, or with
``DSSL_HEADLESS=1``) it calls ``draw`` once with the default values and says so, so that every
notebook runs top to bottom without a browser.

The track style is shared by every notebook: Track A (the paper's formula) is a line, Track B
(the exact model) black markers, Track C (trained encoders) red-orange stars; the colours are the
Okabe–Ito colour-blind-safe palette.

The blocks the notebooks share live here too: the sliders of the bounds' parameters
(:func:`bound_controls`), |Ā| kept in the paper's range 2 ≤ |Ā| ≤ N (:func:`clip_abar`), the
exact optimum's gap over a d grid (:func:`exact_gap`, :func:`plot_gap`) and small FedAvg runs
on the paper's data model (:func:`train_paper_model`), cached per slider value so that moving a
slider back is instant and equal shapes compile once. Every call of :func:`interact` is recorded
in :data:`REGISTRY` (the draw function and its controls), which the tests use to move each
slider and compare the figures.
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


def fast_mode() -> bool:
    """True when ``DSSL_FAST=1``: the notebooks then use their small sizes.

    In fast mode XLA also compiles without its backend optimisation passes
    (``--xla_backend_optimization_level=0`` added to ``XLA_FLAGS`` unless that sets the level
    already): every training run is then a few hundred small steps, compiling is most of its
    time and the unoptimised code runs about as fast. The backend reads ``XLA_FLAGS`` once, at
    the first JAX computation, so a notebook calls this right after its imports.
    """
    if os.environ.get("DSSL_FAST") != "1":
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_backend_optimization_level=0".strip()
    return True


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


#: Every ``(draw, controls)`` passed to :func:`interact`, in order.
REGISTRY: list[tuple[Callable, dict[str, Control]]] = []


def interact(draw: Callable, **controls: Control):
    """Sliders that redraw ``draw(**values)``; headless, one call with the defaults."""
    REGISTRY.append((draw, dict(controls)))

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


def note(ax, text: str) -> None:
    """A visible note in the top-left corner of ``ax`` (nothing when ``text`` is empty)."""
    if text:
        ax.text(
            0.02,
            0.97,
            text,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8,
            color=PALETTE[5],
            bbox={"fc": "white", "ec": PALETTE[5], "alpha": 0.9},
        )


# ---------------------------------------------------------------------------------------------
# the blocks the bound notebooks share


def bound_controls(*names: str) -> dict[str, Control]:
    """The sliders of the bounds' parameters, those ``names`` (all five when none is given).

    ``p`` (mask ratio), ``n_clients`` (N), ``abar`` (|Ā| of a DecL bound, kept ≤ N by
    :func:`clip_abar`) and the hidden constants ``c_num``, ``c_den`` of the O(·) terms of
    Theorems 4.2 and 4.3.
    """
    table = {
        "p": linear(0.75, 0.05, 0.95, 0.05, "mask ratio p"),
        "n_clients": integer(4, 2, 8, "N"),
        "abar": linear(2.5, 2.0, 8.0, 0.5, "|Ā| (DecL, ≤ N)"),
        "c_num": log(1.0, 1e-2, 1e2, "C_num"),
        "c_den": log(1.0, 1e-2, 1e2, "C_den"),
    }
    unknown = set(names) - set(table)
    if unknown:
        raise ValueError(f"names must be among {sorted(table)}, got {sorted(unknown)}")
    return {name: table[name] for name in (names or table)}


def clip_abar(abar: float, n_clients: int) -> tuple[float, str]:
    """(|Ā| clipped to the paper's range [2, N], a note saying so when it was clipped)."""
    value = min(max(float(abar), 2.0), float(n_clients))
    if value == float(abar):
        return value, ""
    return value, f"|Ā| = {float(abar):g} is outside [2, N = {n_clients}]: drawn at |Ā| = {value:g}"


@functools.lru_cache(maxsize=128)
def exact_gap(method: str, ds: tuple, framework: str = "fl", n_clients: int = 4, **kw):
    """1 − min_k r_k over the client axes of the exact optimum, at every d of ``ds``.

    From ``theory.structured.d_sweep`` (the targets are a multiple of the identity plus a small
    block, so no d × d matrix is formed); the worst case over tied optima. ``kw`` (``graph``,
    ``H``, ...) goes to ``d_sweep``. Cached: the same arguments are computed once.
    """
    import numpy as np

    from theory import structured

    out = structured.d_sweep(method, list(ds), framework=framework, n_clients=n_clients, **kw)
    return np.array([g[1] for g in out["gap"]])


def plot_gap(ax, ds, gaps, label: str, **style) -> None:
    """Track B markers of exact gaps on a log axis; exact zeros as triangles on the floor."""
    import numpy as np

    y, zero = floor_zeros(gaps)
    dims = np.asarray(ds, dtype=float)
    style = {**TRACK_B, **style}
    if (~zero).any():
        ax.plot(dims[~zero], y[~zero], label=f"Track B: {label}", **style)
    if zero.any():
        ax.plot(
            dims[zero],
            y[zero],
            label=f"Track B: {label} = 0 (to rounding)",
            **{**style, "marker": "v"},
        )


@dataclasses.dataclass(frozen=True)
class Trained:
    """A FedAvg run on the paper's data model: the server encoder and the clients' samples."""

    W: object  # (c, d) numpy array
    x: object  # (N, M, d) numpy array
    rv: object  # (c-or-d,) representability vector of W


def _mim_loss(w, batch, *, key):
    """Eq. (4) with a sampled mask; the mask ratio rides along with the rows (``batch[1]``), so
    runs at any p share one compilation."""
    from sims import losses

    x, p = batch
    return losses.mim(w, x, p[0], key=key)


def _cl_loss(w, batch, *, key):
    """Eq. (2) with similar augmentations (``batch[1]``, the mask ratio, is not used)."""
    from sims import losses

    return losses.cl_similar(w, batch[0], key=key)


_LOSSES = {"mim": _mim_loss, "cl": _cl_loss}


@functools.cache
def _sgd(lr: float):
    import optax

    return optax.sgd(lr)


@functools.lru_cache(maxsize=64)
def train_paper_model(
    method: str,
    n_clients: int,
    d: int,
    *,
    p: float = 0.75,
    c: int | None = None,
    samples: int,
    rounds: int,
    lr: float,
    batch: int = 64,
    local_steps: int = 2,
    init_scale: float = 0.1,
    seed: int = 0,
) -> Trained:
    """FedAvg with the MIM (Eq. 4, sampled masks) or CL (Eq. 2, similar augmentations) loss of
    ``sims.losses`` on ``samples`` draws per client of the paper's data model (``sims.run``).

    Cached per argument tuple. The loss and the optimiser are the same objects for equal
    ``method`` and ``lr`` and p is data, not a constant of the loss, so runs of equal shapes
    (N, d, c, samples, batch, rounds) reuse one compilation whatever p is.
    """
    import jax.random as jr
    import numpy as np

    import sims
    from sims import data, metrics
    from theory.datamodel import DataModel

    model = DataModel(d=d, n_clients=n_clients, **({} if c is None else {"c": c}))
    k_data, k_init, k_run = jr.split(jr.PRNGKey(seed), 3)
    x, _ = data.sample_paper_model(model, samples, key=k_data)
    if method not in _LOSSES:
        raise ValueError(f"method must be one of {sorted(_LOSSES)}, got {method!r}")
    if not 0.0 < float(p) < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    x = np.asarray(x, np.float32)
    result = sims.run(
        _LOSSES[method],
        init_scale * jr.normal(k_init, (model.c, d)),
        (x, np.full(x.shape[:2], p, np.float32)),
        rounds=rounds,
        local_steps=local_steps,
        batch_size=batch,
        optimizer=_sgd(float(lr)),
        key=k_run,
    )
    W = np.asarray(result.global_params)
    return Trained(W, x, np.asarray(metrics.representability_vector(W)))


@functools.lru_cache(maxsize=8)
def engine(config):
    """``sims.core.engine.make_engine(config)``, built once per configuration (its jitted scan is
    reused for every problem of equal shapes)."""
    from sims.core.engine import make_engine

    return make_engine(config)
