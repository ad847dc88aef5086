r"""Figures of the ``track_a`` stage against the average connectivity :math:`|\bar A|` of the DecL
graph: Cor 4.5 (DecL sensitivity vs :math:`|\bar A|`) and Thm 4.6 (is FL no less robust than
DecL?).

Track A: the paper's bounds :math:`s = 1 - \mathrm{LB}` of Thms 4.2 and 4.3 at each d of
``connectivity.bound_d`` (line: hidden constants = 1; band: constants swept). Track B: the exact
optimum of the DecL objective, Eq. (1) (clients weighted by the stationary distribution π of
the mixing matrix), on graphs of increasing :math:`|\bar A|`, against the FL optimum. House
style as in :mod:`sims.reproduce.figures.theorems`.

Each figure says in one sentence what it shows, computed from its results
(:func:`connectivity_takeaway`, :func:`decl_vs_fl_takeaway`), and draws that sentence above its
footer. Where a figure names a verdict it applies the verdict map's rules
(:mod:`theory.verdicts`: R1, R6, R7, R11, R12) to the numbers it draws.
"""

from __future__ import annotations

import textwrap

import numpy as np

from sims.reproduce.figures import style
from sims.reproduce.figures._theorem_parts import (
    ABAR_LABEL,
    ZERO_TOL,
    _arr,
    _constants_text,
    _finish,
    _fmt,
    _is_zero,
)
from sims.reproduce.figures.verdicts import STYLE as WORD_STYLE
from theory import verdicts as vd
from theory.claims_model import SENSITIVITY

_D_STYLES = ("-", "--", "-.", ":")
#: Track B markers of the named graphs; the official generator's graphs get one per seed
_GRAPH_MARKERS = {"star": "*", "ring": "o", "complete": "s"}
_SEED_MARKERS = ("^", "v", "<", ">", "D")
#: the Track B quantities: record key, reading of the verdict map, name
_QUANTITIES = (("gap_N", "gap", "1 − min r"), ("spread_N", "spread-N", "spread over [N]"))
_METHODS = (("mim", "mim", "MIM"), ("cl_similar", "cl", "CL"))
#: the line width of each method's Track A ratio (MIM drawn heavier: the claim is about it)
_LINE_WIDTH = {"mim": 3.2, "cl": 1.4}


def _graph_kind(rec: dict) -> tuple[str, str]:
    """(legend name, marker) of a connectivity record: star, ring, complete, or the official
    generator with its seed (its degree parameter grows with |Ā|, left to right)."""
    name = rec["graph"]
    if name in _GRAPH_MARKERS:
        return name, _GRAPH_MARKERS[name]
    seed = int((rec.get("params") or {}).get("seed", 0))
    return (
        f"official generator, seed {seed} (degree 1 … N − 2, left to right)",
        _SEED_MARKERS[seed % len(_SEED_MARKERS)],
    )


def _graph_name(rec: dict) -> str:
    """A graph in prose: ``star``, ``ring``, ``complete`` or ``generator (degree k, seed s)``."""
    if rec["graph"] in _GRAPH_MARKERS:
        return rec["graph"]
    prm = rec.get("params") or {}
    return f"generator (degree {float(prm.get('avg_degree', np.nan)):g}, seed {prm.get('seed')})"


def _reference(recs: list) -> dict:
    """The record every Track B value is measured from: the complete graph (|Ā| = N), else the
    best-connected graph of the sweep."""
    full = [r for r in recs if r["graph"] == "complete"]
    return full[0] if full else max(recs, key=lambda r: r["abar"])


def _excess(recs: list, em: str, key: str) -> np.ndarray:
    """s(G) − s(reference graph) per record; |values| < ZERO_TOL are exact zeros (set to 0)."""
    ref = float(_reference(recs)[em][key])
    y = _arr([r[em][key] for r in recs]) - ref
    return np.where(np.abs(y) < ZERO_TOL, 0.0, y)


def _rises(recs: list, em: str, key: str) -> tuple[int, int, tuple | None]:
    """R6 on one Track B series: (pairs |Ā|_i < |Ā|_j that end less robust, all such pairs,
    the worst ``(i, j, rise)`` or None), tolerance ZERO_TOL (the records carry no δr; the map
    uses each optimum's δr)."""
    abar = _arr([r["abar"] for r in recs])
    s = _arr([r[em][key] for r in recs])
    pairs = int(sum(abar[j] > abar[i] + 1e-12 for i in range(len(recs)) for j in range(len(recs))))
    viol = vd.trend(abar, s, ZERO_TOL)[1]
    return len(viol), pairs, (viol[0] if viol else None)


def connectivity_takeaway(results: dict) -> str:
    r"""One sentence on the Cor 4.5 figure, computed from ``results`` (``track_a``): how far the
    paper's DecL bound falls from the sparsest :math:`|\bar A|` to :math:`|\bar A| = N`, and
    whether the exact sensitivity of each method falls with :math:`|\bar A|` (R6 pairs,
    tolerance ZERO_TOL) or is 0 on every graph.

    Cor 4.5 of arXiv 2607.02447: DecL robustness improves with the average connectivity
    :math:`|\bar A|`.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    recs = ex["records"]
    abar = np.asarray(conn["abar_grid"], dtype=float)
    falls = [
        float(b[m]["central"][0]) / float(b[m]["central"][-1])
        for b in conn["bounds"].values()
        for m, _, _ in _METHODS
    ]
    parts = []
    for _, em, name in _METHODS:
        values = [_arr([r[em][k] for r in recs]) for k, _, _ in _QUANTITIES]
        if all(_is_zero(v).all() for v in values):
            parts.append(f"exact {name}'s 1 − min r and spread are 0 on all {len(recs)} graphs")
            continue
        rises = [(what, *_rises(recs, em, k)) for k, _, what in _QUANTITIES]
        if not any(n for _, n, _, _ in rises):
            parts.append(f"exact {name}'s 1 − min r and spread never rise with |Ā|")
            continue
        what, _, _, (i, j, up) = next(x for x in rises if x[1])
        parts.append(
            f"exact {name}'s "
            + " and ".join(f"{w} rises on {n}" for w, n, _, _ in rises)
            + f" of {rises[0][2]} pairs of graphs with larger |Ā| (worst: {what} "
            f"{up:.2g} higher on {_graph_name(recs[j])}, |Ā| = {float(recs[j]['abar']):.3g}, "
            f"than on the {_graph_name(recs[i])}, |Ā| = {float(recs[i]['abar']):.3g})"
        )
    return (
        f"The paper's DecL bound falls by a factor {min(falls):.2f}–{max(falls):.2f} from "
        f"|Ā| = {abar[0]:g} to {abar[-1]:g}, while " + "; ".join(parts) + "."
    )


def _flat_gap_note(ex: dict, em: str, name: str) -> str:
    """One sentence on the gap 1 − min r over graphs, from the numbers (and rank) themselves."""
    recs = ex["records"]
    gaps = _arr([r[em]["gap_N"] for r in recs])
    spreads = _arr([r[em]["spread_N"] for r in recs])
    fl = ex["fl"][em]
    n = int(ex["n_clients"])
    if _is_zero(gaps).all() and _is_zero(spreads).all():
        return f"{name}: 1 − min r and the spread are exact 0 on every graph (r_k = 1, k ∈ [N])."
    text = (
        f"{name}: 1 − min r stays in [{np.nanmin(gaps):.3f}, {np.nanmax(gaps):.3f}] on every "
        f"graph (FL: {float(fl['gap_N']):.3f}) while the spread over [N] goes from "
        f"{_fmt(spreads[0])} at |Ā| = {float(recs[0]['abar']):.3g} to {_fmt(spreads[-1])} at "
        f"|Ā| = {float(recs[-1]['abar']):.3g}."
    )
    ranks = {r[em].get("rank") for r in recs} | {fl.get("rank")}
    if ranks == {1}:
        text += (
            f" The optimum has rank 1 on every graph: one direction shared by the N client "
            f"axes, r_k ≈ 1/N = {1 / n:.3f}, so 1 − min r ≈ 1 − 1/N; connectivity only evens "
            "out the weights π (Eq. 1), which shrinks the spread, not the gap."
        )
    return text


def _graph_markers(ax, recs: list, y: np.ndarray) -> None:
    """One marker per graph, its shape naming the graph (legend: :func:`_graph_kind`)."""
    for r, v in zip(recs, y, strict=True):
        kind, marker = _graph_kind(r)
        named = r["graph"] in _GRAPH_MARKERS
        ax.plot(
            [r["abar"]],
            [v],
            ls="none",
            marker=marker,
            ms=9 if marker == "*" else 6.5,
            color="#000000" if named else "#555555",
            mfc="#000000" if named else "none",
            mew=1.2,
            label=kind,
            zorder=4,
        )


def _bound_ratio_panel(ax, conn: dict, m: str, name: str, cfg: dict) -> None:
    """Track A panel of one method: the DecL bound ÷ its value at |Ā| = N at each d (line:
    constants = 1; band: the band's edges), with the FL bound on the same scale."""
    abar = np.asarray(conn["abar_grid"], dtype=float)
    for (dv, by_method), ls in zip(conn["bounds"].items(), _D_STYLES, strict=False):
        b = by_method[m]
        central = np.asarray(b["central"], float)
        lo = np.asarray(b["lo"], float)
        hi = np.asarray(b["hi"], float)
        ax.fill_between(
            abar,
            np.minimum(lo / lo[-1], hi / hi[-1]),
            np.maximum(lo / lo[-1], hi / hi[-1]),
            color=style.COLOURS["decl"],
            alpha=0.12,
            lw=0,
        )
        ax.plot(
            abar,
            central / central[-1],
            color=style.COLOURS["decl"],
            ls=ls,
            lw=1.8,
            label=f"Track A DecL bound, d = {float(dv):g}",
        )
        ax.axhline(
            float(b["fl_central"]) / central[-1],
            color=style.COLOURS["fl"],
            ls=ls,
            lw=1.2,
            label=f"Track A FL bound, d = {float(dv):g}",
        )
    ax.fill_between(
        [],
        [],
        [],
        color=style.COLOURS["decl"],
        alpha=0.12,
        lw=0,
        label=f"Track A band: the same ratio at the band's edges ({_constants_text(cfg)})",
    )
    ax.set_ylabel(f"s ÷ s(|Ā| = {abar[-1]:g})")
    ax.set_title(f"{name}: Track A bound ÷ its value at |Ā| = {abar[-1]:g}")


def _excess_panel(ax, recs: list, y: np.ndarray, em: str, name: str, quantity: tuple, ylim):
    """Track B panel of one method and ``quantity`` (an entry of :data:`_QUANTITIES`): its value
    minus the complete graph's, one marker per graph, on the y limits ``ylim`` shared by all
    Track B panels; where it is an exact 0 on every graph a note says so."""
    key, _, what = quantity
    _graph_markers(ax, recs, y)
    ax.axhline(0.0, color="#777777", ls=":", lw=1.0, label="= the complete graph's value")
    ax.set_ylim(*ylim)
    base = float(_reference(recs)[em][key])
    ax.set_title(f"{name}: {what} − complete graph's ({_fmt(base)})")
    if _is_zero(_arr([r[em][key] for r in recs])).all():
        ax.text(
            0.5,
            0.55,
            f"exact 0 on all {len(recs)} graphs:\nno trend to show",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=8,
            color="#444444",
        )


@style._styled
def make_connectivity_figure(results: dict):
    r"""Cor 4.5: DecL sensitivity against the average connectivity |Ā| at one N, each quantity
    measured from its value on the complete graph (|Ā| = N) on a linear axis, so that the trend
    the paper claims is visible where it exists and visibly absent where it does not.

    Rows: MIM (Thm 4.2), CL similar (Thm 4.3). Left: Track A, the DecL bound
    :math:`1 - \mathrm{LB}` divided by its value at :math:`|\bar A| = N`, at each d of
    ``connectivity.bound_d`` (line: constants = 1; band: the same ratio of the band's edges),
    with the FL bound on the same scale. Middle and right: Track B, the exact Eq. (1) DecL
    optimum's :math:`1 - \min r` and spread over [N] minus the complete graph's, one marker per
    graph whose shape names it (star, ring, complete, the official generator per seed). The
    takeaway (:func:`connectivity_takeaway`) is drawn above the footer. ``results``:
    ``track_a``.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    cfg = results["config"]
    recs = ex["records"]
    fig, axes = style.new_figure(
        2,
        3,
        width=4.1,
        height=3.3,
        sharex=True,
        title=f"Cor 4.5: does DecL sensitivity fall as the connectivity |Ā| grows? N = "
        f"{ex['n_clients']}, each quantity measured from its value on the complete graph\n"
        "(|Ā| = N): the paper's bound (left) and the exact optimum (middle, right)",
    )
    excess = {(em, k): _excess(recs, em, k) for _, em, _ in _METHODS for k, _, _ in _QUANTITIES}
    top = max(1e-3, *(float(np.nanmax(v)) for v in excess.values()))
    low = min(0.0, *(float(np.nanmin(v)) for v in excess.values()))
    pad = 0.08 * (top - low)
    for row, (m, em, name) in enumerate(_METHODS):
        _bound_ratio_panel(axes[row, 0], conn, m, name, cfg)
        for col, quantity in enumerate(_QUANTITIES, start=1):
            ax = axes[row, col]
            _excess_panel(
                ax, recs, excess[(em, quantity[0])], em, name, quantity, (low - pad, top + pad)
            )
            if col == 1:
                ax.set_ylabel("s − s(complete)")
    for ax in axes[-1]:
        ax.set_xlabel(ABAR_LABEL)
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "d (Track B)": ex["d"],
            "p": float(cfg["p"]),
            "graphs": "star, ring, official generator (degrees 1 … N − 2), complete",
            "generator seeds": _conn_seeds(cfg),
        },
        note="\n".join(_flat_gap_note(ex, em, name) for _, em, name in _METHODS)
        + f"\nTrack B: |value| < {ZERO_TOL:g} is an exact 0, drawn at 0; the complete graph's "
        "own markers sit on the dotted line.",
        takeaway=connectivity_takeaway(results),
    )
    return fig


def _conn_seeds(cfg: dict):
    """Seeds of the official code's graph generator in the connectivity sweep."""
    return (cfg.get("connectivity") or {}).get("paper_code_seeds")


def thm46_words(ex: dict, em: str, key: str) -> list[tuple[str, str]]:
    r"""The verdict map's word on :math:`s_{\mathrm{Dec}} \ge s_{\mathrm{Fed}}` (Thm 4.6) per graph
    of ``ex["records"]`` and why, from the numbers the figure draws: R1
    (:func:`theory.verdicts.compare`), R7 both ways (:func:`theory.verdicts.collapse_guard`),
    R12 (π uniform: DecL's objective is FL's) and R11 (:func:`theory.verdicts.premise_guard`),
    as ``theory.claims_graphs`` applies them.

    Deviations from the map, marked here: the tie tolerance is ZERO_TOL (the records carry no
    :math:`\delta r` of their optima), and R12's same weights are read from ``pi_spread``
    :math:`\le 4\varepsilon` (the records carry the spread of π, not π).

    Example:
      >>> ex = {"n_clients": 4, "fl": {"mim": {"gap_N": 0.75, "rank": 1}},
      ...       "records": [{"mim": {"gap_N": 0.8, "rank": 1}, "pi_spread": 0.1},
      ...                   {"mim": {"gap_N": 0.75, "rank": 1}, "pi_spread": 0.0}]}
      >>> thm46_words(ex, "mim", "gap_N")
      [('holds', 'R1'), ('holds', 'R12: DecL weights = FL weights')]
    """
    n = int(ex["n_clients"])
    fl = ex["fl"][em]
    spread = SENSITIVITY[dict((k, r) for k, r, _ in _QUANTITIES)[key]].spread
    out = []
    for rec in ex["records"]:
        sd, sf = float(rec[em][key]), float(fl[key])
        raw = vd.compare(sd, sf, ">=", ZERO_TOL)
        word = vd.collapse_guard(raw, fl["rank"], n, spread, other_rank=rec[em]["rank"])
        why = "R1" if raw != "degenerate" else f"R1: tie within {ZERO_TOL:g}"
        if word != raw:
            rank = fl["rank"] if raw == "holds" else rec[em]["rank"]
            why = f"R7: optimum of rank {rank} < N = {n}"
        if abs(float(rec.get("pi_spread", np.nan))) <= 4 * vd.EPS:
            word, why = vd.IDENTITY_WORDS[">="], "R12: DecL weights = FL weights"
        word, void = vd.premise_guard(word, [rec[em]["rank"], fl["rank"]], ["DecL", "FL"])
        out.append((word, "R11" if void else why))
    return out


def _word_groups(ex: dict) -> list[tuple[str, str, str, str, list[int]]]:
    """[(method name, quantity name, word, why, record indices)] over both methods and both
    Track B quantities, in drawing order."""
    groups = []
    for _, em, name in _METHODS:
        for key, _, what in _QUANTITIES:
            by: dict = {}
            for k, wy in enumerate(thm46_words(ex, em, key)):
                by.setdefault(wy, []).append(k)
            groups += [(name, what, w, why, idx) for (w, why), idx in by.items()]
    return groups


def decl_vs_fl_takeaway(results: dict) -> str:
    r"""One sentence on the Thm 4.6 figure, computed from ``results`` (``track_a``): where the
    ratio of the paper's bounds stands against 1, the sign of the exact differences DecL − FL,
    and the verdict map's words on them (:func:`thm46_words`; R5 over all of them).

    Thm 4.6 of arXiv 2607.02447: FL is no less robust than DecL,
    :math:`s_{\mathrm{Dec}} \ge s_{\mathrm{Fed}}`.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    ratios = np.concatenate(
        [
            np.asarray(b[m]["central"], float) / float(b[m]["fl_central"])
            for b in conn["bounds"].values()
            for m, _, _ in _METHODS
        ]
    )
    diffs = np.concatenate(
        [
            _arr([r[em][k] for r in ex["records"]]) - float(ex["fl"][em][k])
            for _, em, _ in _METHODS
            for k, _, _ in _QUANTITIES
        ]
    )
    groups = _word_groups(ex)
    words = [w for _, _, w, _, idx in groups for _ in idx]
    count = {w: words.count(w) for w in dict.fromkeys(words)}
    holds = [f"{m} {q}" for m, q, w, _, _ in groups if w == "holds"]
    why = sorted({f"{w} by {y}" for _, _, w, y, _ in groups if w in ("degenerate", "collapsed")})
    below = int(np.sum(diffs < -ZERO_TOL))
    text = (
        f"The bound ratio s_Dec/s_Fed is {ratios.min():.2f}–{ratios.max():.2f} over |Ā| and "
        f"DecL − FL is {'≥ 0' if below == 0 else f'< 0 on {below} of {diffs.size}'} on the "
        f"{len(ex['records'])} graphs, but the map's rules give "
        + ", ".join(f"{w} {n}" for w, n in count.items())
        + f" of {len(words)} comparisons"
    )
    if holds:
        text += f" (holds only for {', '.join(dict.fromkeys(holds))})"
    if why:
        text += f"; {'; '.join(why)}"
    return text + f", so the word over them all (R5) is {vd.combine(words)}."


def _bound_ratio_lines(ax, conn: dict) -> None:
    """Track A panel of Thm 4.6: the ratio s_Dec / s_Fed of the paper's bounds (constants = 1)
    against |Ā|, per method and d, with the line ratio = 1."""
    abar = np.asarray(conn["abar_grid"], dtype=float)
    for (dv, by_method), ls in zip(conn["bounds"].items(), _D_STYLES, strict=False):
        for m, em, name in _METHODS:
            b = by_method[m]
            ax.plot(
                abar,
                np.asarray(b["central"], float) / float(b["fl_central"]),
                color=style.COLOURS[em],
                ls=ls,
                lw=_LINE_WIDTH[em],
                label=f"Track A {name}, d = {float(dv):g}",
            )
    ax.axhline(1.0, color="#777777", ls=":", lw=1.2, label="ratio = 1 (DecL bound = FL bound)")
    ax.set_xlabel(ABAR_LABEL)
    ax.set_ylabel(r"$s_{Dec}/s_{Fed}$ of the bounds (dimensionless)")
    ax.set_title("Track A: ratio of the paper's bounds (constants = 1)")


def _difference_markers(ax, ex: dict, groups: list) -> None:
    """The exact differences DecL − FL per graph (|values| < ZERO_TOL drawn at 0), one marker
    shape per method, filled for 1 − min r and hollow for the spread, coloured by the word of
    each group of :func:`_word_groups`."""
    recs = ex["records"]
    xa = np.asarray([r["abar"] for r in recs], dtype=float)
    diff = {
        (name, what): np.where(
            np.abs(y := _arr([r[em][k] for r in recs]) - float(ex["fl"][em][k])) < ZERO_TOL,
            0.0,
            y,
        )
        for _, em, name in _METHODS
        for k, _, what in _QUANTITIES
    }
    for name, what, word, _, idx in groups:
        hollow = what != _QUANTITIES[0][2]
        colour = WORD_STYLE[word][0]
        ax.plot(
            xa[idx],
            diff[(name, what)][idx],
            ls="none",
            marker="o" if name == "MIM" else "s",
            ms=7 if name == "MIM" else 4.5,  # MIM's around CL's where both lie on 0
            color=colour,
            mfc="none" if hollow else colour,
            mew=1.3,
            zorder=4 if name == "MIM" else 5,
        )


def _difference_legend(ax, groups: list) -> list[str]:
    """Legend entries of the Track B panel of Thm 4.6: the shapes (method and quantity) and the
    colours (the map's word per graph, with why and on how many); returns the words per point."""
    for _, _, name in _METHODS:  # the shapes: method and quantity
        for _, _, what in _QUANTITIES:
            hollow = what != _QUANTITIES[0][2]
            ax.plot(
                [],
                [],
                ls="none",
                marker="o" if name == "MIM" else "s",
                color="#333333",
                mfc="none" if hollow else "#333333",
                label=f"Track B {name}: Δ {what}",
            )
    words = [w for _, _, w, _, idx in groups for _ in idx]
    for word in dict.fromkeys(words):  # the colours: the map's word per graph, with why
        n = words.count(word)
        why = "; ".join(dict.fromkeys(y for _, _, w, y, _ in groups if w == word))
        ax.plot(
            [],
            [],
            ls="none",
            marker="o",
            color=WORD_STYLE[word][0],
            label=textwrap.fill(f"{word}: {n} of {len(words)} ({why})", 60),
        )
    return words


@style._styled
def make_decl_vs_fl_figure(results: dict):
    r"""Thm 4.6: is FL no less robust than DecL (s_Dec ≥ s_Fed)? Both panels at one N.

    Left: Track A, the ratio :math:`s_{\mathrm{Dec}} / s_{\mathrm{Fed}}` of the paper's bounds
    (constants = 1) against :math:`|\bar A|` at each d of ``connectivity.bound_d`` (≥ 1 is the
    claim). Right: Track B, the exact differences DecL − FL of :math:`1 - \min r` (filled) and of
    the spread over [N] (hollow) on graphs of increasing :math:`|\bar A|`, on a linear axis,
    each point coloured by the word the verdict map's rules give it (:func:`thm46_words`: green
    holds, grey degenerate, purple collapsed, vermillion violated; the legend says why and on
    how many graphs) and the word over all of them (R5) in the panel's title: a difference
    above 0 that rests on a collapsed FL optimum (R7) is collapsed, not holds.
    The takeaway (:func:`decl_vs_fl_takeaway`) is drawn above the footer. ``results``:
    ``track_a``.
    """
    conn = results["connectivity"]
    ex = conn["exact"]
    cfg = results["config"]
    fig, (ax0, ax1) = style.new_figure(
        1,
        2,
        width=5.6,
        height=5.4,
        title=f"Thm 4.6: is FL no less robust than DecL (s_Dec ≥ s_Fed)? N = {ex['n_clients']} "
        "in both panels",
    )
    _bound_ratio_lines(ax0, conn)
    groups = _word_groups(ex)
    _difference_markers(ax1, ex, groups)
    words = _difference_legend(ax1, groups)
    ax1.axhline(0.0, color="#777777", ls=":", lw=1.2, label="difference = 0")
    ax1.set_xlabel(ABAR_LABEL)
    ax1.set_ylabel("DecL − FL (dimensionless)")
    ax1.set_title(
        f"Track B: exact Eq. (1) optimum, d = {ex['d']}\nthe map's word over these graphs (R5): "
        f"{vd.combine(words)}"
    )
    _finish(
        fig,
        {
            "N": ex["n_clients"],
            "d (Track A)": ", ".join(f"{float(x):g}" for x in conn["bounds"]),
            "d (Track B)": ex["d"],
            "p": float(cfg["p"]),
            "generator seeds": _conn_seeds(cfg),
        },
        note="Claim: left ≥ 1 and right ≥ 0. Graphs: star, ring, the official generator "
        "(degrees 1 … N − 2) and complete. Right: colour = the verdict map's word per graph "
        f"(R1 with a tie tolerance of {ZERO_TOL:g}, R7, R11, R12; theory.verdicts); a "
        "difference above 0 resting on an FL optimum of rank < N is collapsed (R7). The ratio "
        "vs d at the stage's N is in track_a.json (thm46_ratio).",
        takeaway=decl_vs_fl_takeaway(results),
    )
    return fig
