"""Figure of the ``track_c`` stage: Thms 4.2 (MIM) and 4.3 (CL, similar) with the three tracks
side by side — the paper's bound (Track A), the exact linear model (Track B) and the trained
encoders (Track C) — in each framework (local, DecL, FL).

House style as in :mod:`sims.reproduce.figures.theorems`; exact zeros are open triangles on the axis
floor.
"""

from __future__ import annotations

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._theorem_parts import (
    _EXACT_STYLE,
    _FW,
    ZERO_TOL,
    _arr,
    _band_line,
    _constants_text,
    _exact_series,
    _finish,
    _log_floor,
    _panel_grid,
)

_OVERLAY_ROWS = {"mim": ("mim", "mim-paper"), "cl_similar": ("cl",)}
TRACK_C_LABEL = "Track C trained: 1 − min r (±2 SE over seeds)"
ZERO_LABEL = "= 0"
TRACK_C_COLOUR = "#CC79A7"


def _overlay_d(results: dict) -> np.ndarray:
    """Which d of Track A to draw: up to a decade past the largest d of Tracks B and C."""
    d_all = np.asarray(results["d"], dtype=float)
    tc = results.get("track_c", {})
    point_d = [float(r["d"]) for r in results["exact"]["records"]]
    point_d += [float(c["d"]) for m in tc.values() for c in m.values()]
    top = 10.0 ** (np.ceil(np.log10(max(point_d))) + 1) if point_d else d_all.max()
    return d_all <= top * (1 + 1e-9)


def _overlay_floor(results: dict, methods: list, keep: np.ndarray) -> float:
    """The shared log axis floor under every value the overlay draws (Tracks A, B and C)."""
    exact = results["exact"]
    tc = results.get("track_c", {})
    values = []
    for method in methods:
        for fw in _FW:
            values.append(np.asarray(results["bounds"][method][fw]["lo"], float)[keep])
            for em in _OVERLAY_ROWS[method]:
                values.append(
                    _arr(
                        [
                            r["methods"][em][fw]["gap_N"]
                            for r in exact["records"]
                            if em in r["methods"]
                        ]
                    )
                )
            cell = tc.get(method, {}).get(fw)
            if cell is not None:
                values.append(np.array([cell["gap"], cell["one_minus_lb"]], dtype=float))
    return _log_floor(*values)


def _track_c_point(ax, cell: dict, floor: float) -> None:
    """Track C in one panel: the trained 1 − min r at the configuration's d (star, ±2 SE; an
    exact 0 on the floor) and, as a cross, the paper's 1 − LB at that point."""
    x = float(cell["d"])
    gap = float(cell["gap"])
    err = float(cell.get("err_2se") or 0.0)
    if abs(gap) < ZERO_TOL:
        style.mark_zero(ax, [x], floor=floor, colour=TRACK_C_COLOUR, label=f"{TRACK_C_LABEL} = 0")
        if err > 0:
            ax.errorbar(
                [x],
                [floor],
                yerr=[[0.0], [err]],
                fmt="none",
                color=TRACK_C_COLOUR,
                capsize=4,
            )
    else:
        lower = min(err, gap - floor / 2)  # a log axis cannot show y − err <= 0
        ax.errorbar(
            [x],
            [gap],
            yerr=[[max(lower, 0.0)], [err]],
            fmt="*",
            color=TRACK_C_COLOUR,
            mec="#000000",
            ms=12,
            capsize=4,
            zorder=5,
            label=TRACK_C_LABEL,
        )
    ax.plot(
        [x],
        [max(float(cell["one_minus_lb"]), floor)],
        "x",
        color="#000000",
        ms=8,
        mew=2,
        ls="none",
        label="Track A at Track C's d and constants",
    )


def _overlay_panel(ax, results: dict, method: str, fw: str, keep: np.ndarray, floor: float):
    """One panel of the overlay (a method in a framework): Track A's line and band over the
    kept d, Track B's exact gaps and Track C's point where it ran (:func:`_panel_grid` adds
    s = 1, the scales and the title); returns whether Track C is drawn."""
    d = np.asarray(results["d"], dtype=float)[keep]
    bound = {k: np.asarray(v, dtype=float)[keep] for k, v in results["bounds"][method][fw].items()}
    _band_line(
        ax,
        d,
        bound,
        style.COLOURS[fw],
        f"Track A {style.FRAMEWORK_LABELS[fw]}: 1 − LB",
        f"Track A band: {_constants_text(results['config'])}",
    )
    for em in _OVERLAY_ROWS[method]:
        recs = [r for r in results["exact"]["records"] if em in r["methods"]]
        if recs:
            marker, colour, name = _EXACT_STYLE[em]
            _exact_series(
                ax,
                [r["d"] for r in recs],
                _arr([r["methods"][em][fw]["gap_N"] for r in recs]),
                marker=marker,
                colour=colour,
                label=f"Track B {name}: 1 − min r",
                floor=floor,
            )
    cell = results.get("track_c", {}).get(method, {}).get(fw)
    if cell is not None:
        _track_c_point(ax, cell, floor)
    return cell is not None


@style._styled
def make_tracks_overlay_figure(results: dict):
    """Thms 4.2 (MIM) and 4.3 (CL, similar) × local / DecL / FL: Tracks A, B and C together.

    Each panel, log–log against d (up to a decade past the largest d of Tracks B and C):
    Track A, the paper's bound s = 1 − LB (line: hidden constants = 1; band: constants swept);
    Track B, the exact population optimum's gap 1 − min_{k∈[N]} r_k (black and grey markers,
    one per d where it is computed); Track C, the trained encoders' 1 − min r at the
    configuration's d (star, error bar ±2 standard errors over seeds when there are at least
    two) and, as a cross, the paper's 1 − LB at that point with the configuration's constants.
    A marker above the line is a violated bound; s = 1 (dotted) a vacuous one. Exact zeros are
    triangles on the axis floor. ``results``: the output of
    ``sims.reproduce.stages.track_c.tracks_overlay``.
    """
    cfg = results["config"]
    tc = results.get("track_c", {})
    methods = [m for m in _OVERLAY_ROWS if m in results["bounds"]]
    keep = _overlay_d(results)
    floor = _overlay_floor(results, methods, keep)
    fig, drawn = _panel_grid(
        methods,
        "Thms 4.2 and 4.3: the paper's bound (Track A), the exact model (Track B) and the "
        "trained encoders (Track C)",
        floor,
        lambda ax, method, fw: _overlay_panel(ax, results, method, fw, keep, floor),
    )
    any_c = any(drawn)
    seeds = {c.get("seeds") for m in tc.values() for c in m.values()} - {None}
    note = (
        "A marker above the line violates the bound; |value| < 1e-12 is an exact 0, drawn as ▽ "
        "on the axis floor."
    )
    if not any_c:
        note += "  Track C not run (no simulation evidence)."
    _finish(
        fig,
        {
            "N": cfg["n_clients"],
            "d (Track C)": cfg["d"],
            "p": float(cfg["p"]),
            "DecL graph": f"{cfg['graph']} (|Ā| = {float(results['abar']):.3g})",
            "seeds": ", ".join(str(s) for s in sorted(seeds)) if seeds else None,
        },
        note=note,
    )
    return fig
