"""Figures of the verdict map (:mod:`sims.verdict_map`) and the graph atlas (:mod:`theory.atlas`).

* :func:`make_verdict_map_figure`: claims × reading values; each cell is a stacked bar of the
  fractions of Track B words over every cell of the map with that reading value (Okabe–Ito
  colours plus hatching, readable in grey scale and by colour-blind readers); a reading value
  that a claim does not have is a flat light-grey cell ("not applicable"), distinct from the
  hatched white of cells that were not run. Consecutive values of a numeric reading (p, N) whose
  bars agree within :data:`SHARE_TOL` for every claim are one column (:func:`merged_runs`), and
  the figure says which and how closely they agree. When the map holds Track C cells (rule R10)
  a last column "Track C / trained" shows their words. One sentence computed from the map
  (:func:`verdict_map_takeaway`) is drawn under the legend.
* :func:`make_worst_pair_figure`: the two graphs of the largest Cor 4.5 monotonicity violation
  (the better-connected graph less robust), drawn side by side with their |Ā| and sensitivity.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402

#: Okabe–Ito colours and hatches per verdict word
STYLE = {
    "holds": ("#009E73", ""),
    "violated": ("#D55E00", "//"),
    "collapsed": ("#CC79A7", "\\\\"),
    "degenerate": ("#999999", ".."),
    "not-unique": ("#F0E442", "xx"),
    "void": ("#56B4E9", "oo"),
    "not-run": ("#FFFFFF", "---"),
}
WORDS = tuple(STYLE)
#: a reading value the claim does not have (no cell at all): flat light grey, no edge, no hatch
NOT_APPLICABLE = "#E4E4E4"
#: the most a claim's share of one word may differ between two columns of one numeric reading
#: (p, N) drawn as one merged column: a fifth of a bar's width
SHARE_TOL = 0.2
#: the readings whose consecutive values may be merged (ordered numbers; never the methods)
MERGED_DIMS = ("p", "N")
_METHOD_DIMS = ("objective", "cl", "method")
#: column key of the Track C cells (rule R10), drawn when the track_c stage ran first
_TRACK_C = "track_c"


def _counts(result: dict, cid: str, keys: list[str], paper: dict | None = None) -> dict:
    """Words → cells of claim ``cid`` pooled over the column keys ``keys``; the Track C column
    holds the answer table's word under the paper's reading where ``paper`` has it
    (:func:`paper_reading_words`)."""
    colmap = result["rows"][cid]["columns"]
    counts: dict = {}
    for k in keys:
        col = colmap.get(k, {})
        if k == _TRACK_C and paper and cid in paper:
            col = {paper[cid]["track_c"]: 1}
        elif k == _TRACK_C:
            col = result["track_c"]["rows"].get(cid, {}).get("counts", {})
        for w, n in col.items():
            counts[w] = counts.get(w, 0) + n
    return counts


def _shares(counts: dict) -> dict:
    total = sum(counts.values())
    return {w: n / total for w, n in counts.items()} if total else {}


def _share_gap(result: dict, key_a: str, key_b: str) -> float:
    """The largest difference, over claims and words, between two columns' shares (a claim
    that has one column and not the other: 1)."""
    worst = 0.0
    for cid in result["rows"]:
        a, b = _shares(_counts(result, cid, [key_a])), _shares(_counts(result, cid, [key_b]))
        if bool(a) != bool(b):
            return 1.0
        worst = max([worst, *(abs(a.get(w, 0.0) - b.get(w, 0.0)) for w in set(a) | set(b))])
    return worst


def merged_runs(result: dict, dim: str, tol: float = SHARE_TOL) -> list[tuple[list, float]]:
    """Runs of consecutive values of the numeric reading ``dim`` drawn as one column each:
    ``[(values, largest share difference inside the run)]`` in the order of the values.

    Scanning from the last (largest) value down, a value joins the run when, for every claim,
    its share of every word is within ``tol`` of that share in every column already in the run
    (complete linkage), so a run never spans two columns that differ by more than ``tol``; the
    small values (where the paper's premises change, e.g. N = 2) stay apart.

    Example:
      >>> col = lambda h, v: {"holds": h, "violated": v}
      >>> res = {"dimensions": {"N": [2, 3, 4]}, "rows": {"c": {"columns": {
      ...     "N=2": col(0, 4), "N=3": col(7, 1), "N=4": col(4, 0)}}}}
      >>> merged_runs(res, "N")
      [([2], 0.0), ([3, 4], 0.125)]
      >>> merged_runs(res, "N", tol=0.1)
      [([2], 0.0), ([3], 0.0), ([4], 0.0)]
    """
    values = list(result["dimensions"][dim])
    runs: list[tuple[list, float]] = []
    for v in reversed(values):
        if runs:
            gaps = [_share_gap(result, f"{dim}={v}", f"{dim}={u}") for u in runs[-1][0]]
            if max(gaps) <= tol + 1e-12:
                runs[-1] = ([v, *runs[-1][0]], max(runs[-1][1], *gaps))
                continue
        runs.append(([v], 0.0))
    return runs[::-1]


def _fmt_value(dim: str, v) -> str:
    return f"{v:g}" if dim == "p" else str(v)


def _run_label(dim: str, run: list) -> str:
    ends = [_fmt_value(dim, run[0]), _fmt_value(dim, run[-1])]
    return ends[0] if len(run) == 1 else f"{ends[0]}–{ends[1]}"


def _merge_note(result: dict) -> str:
    """Which columns are merged and how closely they agree ("" when none is)."""
    parts = []
    for dim in MERGED_DIMS:
        for run, gap in merged_runs(result, dim):
            if len(run) > 1:
                how = "identical" if gap == 0 else f"within {gap:.2f} of each other"
                parts.append(f"{dim} = {_run_label(dim, run)} ({len(run)} values; {how})")
    if not parts:
        return ""
    return (
        "One column per run of values whose bars agree: "
        + "; ".join(parts)
        + f". Every claim's share of every word is within {SHARE_TOL:g} across a run "
        "(merged_runs); the column shows the pooled cells."
    )


def _column_groups(result: dict) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """[(group title, [(column label, [column keys "dim=value"])])]; runs of :func:`merged_runs`
    are one column of p and of N."""
    dims = result["dimensions"]
    methods = list(dims["objective"]) + list(dims["cl"])
    merged = {
        dim: [(_run_label(dim, run), [f"{dim}={v}" for v in run]) for run, _ in runs]
        for dim in MERGED_DIMS
        for runs in [merged_runs(result, dim)]
    }
    return [
        (
            "MIM objective / CL augmentation",
            [(m, [f"{d}={m}" for d in _METHOD_DIMS]) for m in methods],
        ),
        ("sensitivity", [(s, [f"sensitivity={s}"]) for s in dims["sensitivity"]]),
        ("rare axis", [(r, [f"rare_axis={r}"]) for r in dims["rare_axis"]]),
        ("p", merged["p"]),
        ("N", merged["N"]),
    ] + (
        [("Track C", [("trained", [_TRACK_C])])]
        if (result.get("track_c") or {}).get("status") == "run"
        else []
    )


def paper_reading_words(result: dict, cells) -> dict:
    """Per claim, the words of the answer table under the paper's own reading
    (:func:`sims.reproduce.report.answer.build_answer`): ``main`` (the Track B word of the most
    configurations) and ``track_c``; {} without ``cells``."""
    if cells is None:
        return {}
    from sims.reproduce.report.answer import build_answer

    answer = build_answer(result, cells)
    return {
        r["claim"]: {"main": r["paper_verdict"]["text"].split(" ")[0], "track_c": r["track_c"]}
        for r in answer["rows"]
    }


def paper_takeaway(paper: dict) -> str:
    """The claims grouped by their Track B word under the paper's reading (README's table).

    >>> paper_takeaway({"a": {"main": "violated"}, "b": {"main": "holds"}})
    "Under the paper's reading (README's table) Track B says violated for a and holds for b."
    """
    by_word: dict = {}
    for cid, p in paper.items():
        by_word.setdefault(p["main"], []).append(cid)
    order = sorted(by_word, key=lambda w: WORDS.index(w) if w in WORDS else len(WORDS))
    order = sorted(order, key=lambda w: w != "violated")
    parts = [f"{w} for {', '.join(by_word[w])}" for w in order]
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"Under the paper's reading (README's table) Track B says {listed}."


def verdict_map_takeaway(result: dict) -> str:
    """One sentence on the verdict map, computed from its rows: how many cells ran, and for
    each word the claims whose run cells most often say it (Track B).

    The claims are those of arXiv 2607.02447 (Eqs. 17, 29–30, Thms 4.2–4.6, Cor 4.5).

    Example:
      >>> res = {"rows": {"a": {"counts": {"holds": 3, "violated": 1}},
      ...                 "b": {"counts": {"violated": 2, "not-run": 5}}}}
      >>> verdict_map_takeaway(res)
      'Pooled over every reading: of 11 Track B cells 6 ran; the most frequent word of a claim is holds for a and violated for b.'
    """  # noqa: E501
    rows = result["rows"]
    total = sum(sum(r["counts"].values()) for r in rows.values())
    ran = total - sum(r["counts"].get("not-run", 0) for r in rows.values())
    by_word: dict = {}
    for cid, r in rows.items():
        run = {w: n for w, n in r["counts"].items() if w != "not-run" and n}
        if run:
            top = max(WORDS, key=lambda w: (run.get(w, 0), -WORDS.index(w)))
            by_word.setdefault(top, []).append(cid)
        else:
            by_word.setdefault("not-run", []).append(cid)
    order = sorted(by_word, key=WORDS.index)
    parts = [f"{w} for {', '.join(by_word[w])}" for w in order]
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"Pooled over every reading: of {total} Track B cells {ran} ran; the most frequent "
        f"word of a claim is {listed}."
    )


def _column_x(cols: list, gap: float = 0.6) -> tuple[list[float], float]:
    """The left edge of each column (a ``gap`` between groups) and the right end of the grid."""
    xs, x = [], 0.0
    prev = None
    for g, _, _ in cols:
        if prev is not None and g != prev:
            x += gap
        xs.append(x)
        x += 1.0
        prev = g
    return xs, x


def _verdict_cells(ax, result: dict, claims: list, cols: list, xs: list, paper=None) -> None:
    """One stacked bar per (claim, column): the shares of the verdict words, or flat light grey
    where the claim has no such reading."""
    for i, cid in enumerate(claims):
        y = len(claims) - 1 - i
        for xpos, (_, _, keys) in zip(xs, cols, strict=True):
            counts = _counts(result, cid, keys, paper)
            total = sum(counts.values())
            if total == 0:
                ax.add_patch(Rectangle((xpos, y + 0.1), 0.9, 0.8, facecolor=NOT_APPLICABLE, lw=0))
                continue
            left = xpos
            for w in WORDS:
                frac = counts.get(w, 0) / total
                if frac == 0:
                    continue
                color, hatch = STYLE[w]
                ax.add_patch(
                    Rectangle(
                        (left, y + 0.1),
                        0.9 * frac,
                        0.8,
                        facecolor=color,
                        hatch=hatch,
                        edgecolor="#333333",
                        lw=0.3,
                    )
                )
                left += 0.9 * frac


def _verdict_axes(ax, claims: list, groups: list, cols: list, xs: list, x: float) -> None:
    """Limits and ticks of the grid (claims down, reading values across), the group titles over
    the columns, no spines."""
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-0.2, len(claims) + 0.2)
    ax.set_yticks([len(claims) - 1 - i + 0.5 for i in range(len(claims))])
    ax.set_yticklabels(claims, fontsize=9)
    ax.set_xticks([xp + 0.45 for xp in xs])
    ax.set_xticklabels([label for _, label, _ in cols], rotation=70, ha="right", fontsize=8)
    start = 0
    for g, items in groups:
        mid = (xs[start] + xs[start + len(items) - 1] + 0.9) / 2
        ax.text(mid, len(claims) + 0.35, g, ha="center", va="bottom", fontsize=9)
        start += len(items)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def _verdict_footer(fig, height: float, text: str, small: str) -> None:
    """From the bottom, in inches: the merge note (``small``), the takeaway (``text``) and the
    legend of the words; the grid laid out above them."""
    handles = [
        Patch(facecolor=STYLE[w][0], hatch=STYLE[w][1], edgecolor="#333333", label=w) for w in WORDS
    ] + [Patch(facecolor=NOT_APPLICABLE, lw=0, label="not applicable (no such reading)")]
    small_in = 0.12 * (small.count("\n") + 1) + 0.05 if small else 0.0
    take_in = 0.165 * (text.count("\n") + 1) + 0.1
    if small:
        fig.text(0.01, 0.05 / height, small, fontsize=7, color="#444444", va="bottom")
    fig.text(
        0.01, (small_in + 0.05) / height, text, fontsize=8.5, va="bottom", gid=style.TAKEAWAY_GID
    )
    legend_in = small_in + take_in + 0.1
    fig.legend(
        handles=handles,
        ncol=len(handles),
        loc="lower center",
        bbox_to_anchor=(0.5, legend_in / height),
        frameon=False,
        fontsize=9,
    )
    fig.tight_layout(rect=(0, (legend_in + 0.35) / height, 1, 1))


def make_verdict_map_figure(result: dict, cells=None):
    """The verdict map as a grid: one row per claim, one column per reading value (runs of
    agreeing p and N values merged, :func:`merged_runs`).

    Each cell is a stacked bar of the shares of the verdict words (R1–R12 of
    ``docs/verdict_rules.md``, the claims of arXiv 2607.02447) among the claim's cells with
    that reading value; "not run" is hatched white, "not applicable" (the claim has no such
    reading) flat light grey. The takeaway and the merged columns are stated under the legend:
    with ``cells``, first the words under the paper's reading (:func:`paper_takeaway`, the
    words of README's table), then the counts pooled over every reading
    (:func:`verdict_map_takeaway`), labelled as pooled; the Track C column then shows the
    table's Track C word under the paper's reading.

    Args:
      result: the output of :func:`sims.verdict_map.compute_map` or its compact form
        (:func:`sims.verdict_map.compact_map`, ``verdict_map.json``).
      cells: the map's cells (a list, or ``verdict_cells.json``'s table); None: the full
        map's ``cells`` where ``result`` has them, else the pooled takeaway alone.

    Returns:
      a Matplotlib Figure.
    """
    rows = result["rows"]
    claims = list(rows)
    groups = _column_groups(result)
    cols = [(g, label, keys) for g, items in groups for label, keys in items]
    xs, x = _column_x(cols)
    width = max(10.0, 0.42 * x + 3.0)
    if cells is None:
        cells = result.get("cells")
    paper = paper_reading_words(result, cells)
    takeaway = verdict_map_takeaway(result)
    if paper:
        takeaway = f"{paper_takeaway(paper)} {takeaway}"
    note = _merge_note(result)
    chars = int(width * 14.0)
    text = textwrap.fill(f"Takeaway: {takeaway}", chars)
    small = textwrap.fill(note, int(width * 17.0)) if note else ""
    text_in = 0.165 * (text.count("\n") + 1) + (0.12 * (small.count("\n") + 1) if small else 0)
    height = 0.42 * len(claims) + 2.9 + text_in
    fig, ax = plt.subplots(figsize=(width, height))
    _verdict_cells(ax, result, claims, cols, xs, paper)
    _verdict_axes(ax, claims, groups, cols, xs, x)
    n_cells = result["n_cells"] if "n_cells" in result else len(result.get("cells", []))
    ax.set_title(
        f"Verdict map, Track B (exact model, d = {result['config']['d']:g}; {n_cells} cells): "
        "share of each verdict among the cells with that reading value",
        fontsize=10,
        pad=22,
    )
    # layout in inches from the bottom: footer note, takeaway, legend, then the grid
    _verdict_footer(fig, height, text, small)
    return fig


def _draw_graph(ax, adjacency: np.ndarray, title: str) -> None:
    n = adjacency.shape[0]
    ang = 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([np.cos(ang), np.sin(ang)])
    for i in range(n):
        for j in range(i + 1, n):
            if adjacency[i, j]:
                ax.plot(*pos[[i, j]].T, color="#555555", lw=1.2, zorder=1)
    deg = adjacency.sum(1) + 1
    ax.scatter(pos[:, 0], pos[:, 1], s=260, c="#56B4E9", edgecolors="#000000", zorder=2)
    for i in range(n):
        ax.text(*pos[i], f"{int(deg[i])}", ha="center", va="center", fontsize=8, zorder=3)
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.axis("off")


def make_worst_pair_figure(
    atlas_result: dict,
    *,
    n: str = "7",
    mixing: str = "uniform",
    method: str = "eq4-complementary",
    sensitivity: str = "spread-N",
):
    """The worst Cor 4.5 violation among the atlas graphs of size ``n``: graph i (|Ā| smaller,
    more robust) and graph j (|Ā| larger, less robust). Node labels are |A_i| (self included).

    Args:
      atlas_result: the output of :func:`theory.atlas.atlas_study`.
      n, mixing, method, sensitivity: which study, as keys of ``atlas_result``.
    """
    from theory.atlas import adjacency_of

    cell = atlas_result["atlas"][n]["mixings"][mixing]["methods"][method][sensitivity]
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
    if not cell["worst"]:
        for ax in axes:
            ax.axis("off")
        axes[0].text(0.5, 0.5, f"no violation ({cell['cor45']})", ha="center")
        return fig
    w = cell["worst"][0]
    for ax, idx, abar, s, role in zip(
        axes,
        (w["from"], w["to"]),
        w["abar"],
        w["s"],
        ("more robust", "less robust"),
        strict=True,
    ):
        _draw_graph(ax, adjacency_of(idx), f"atlas G{idx}: |Ā| = {abar:.3g}, s = {s:.3g}\n({role})")
    fig.suptitle(
        f"Largest Cor 4.5 violation, N = {n}, {mixing} mixing, {method}, {sensitivity}: "
        f"s rises by {w['increase']:.3g} while |Ā| grows",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


FIGURES = {
    "verdict_map.png": make_verdict_map_figure,
}
