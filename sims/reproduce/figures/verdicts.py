"""Figures of the verdict map (:mod:`sims.verdict_map`) and the graph atlas (:mod:`theory.atlas`).

* :func:`make_verdict_map_figure`: claims × reading values; each cell is a stacked bar of the
  fractions of Track B words over every cell of the map with that reading value (Okabe–Ito
  colours plus hatching, readable in grey scale and by colour-blind readers); when the map
  holds Track C cells (rule R10) a last column "Track C / trained" shows their words.
* :func:`make_worst_pair_figure`: the two graphs of the largest Cor 4.5 monotonicity violation
  (the better-connected graph less robust), drawn side by side with their |Ā| and sensitivity.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

#: Okabe–Ito colours and hatches per verdict word
STYLE = {
    "holds": ("#009E73", ""),
    "violated": ("#D55E00", "//"),
    "degenerate": ("#999999", ".."),
    "not-unique": ("#F0E442", "xx"),
    "void": ("#56B4E9", "oo"),
    "not-run": ("#FFFFFF", ""),
}
WORDS = tuple(STYLE)
_METHOD_DIMS = ("objective", "cl", "method")
#: column key of the Track C cells (rule R10), drawn when the track_c stage ran first
_TRACK_C = "track_c"


def _column_groups(result: dict) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """[(group title, [(column label, [column keys "dim=value"])])]."""
    dims = result["dimensions"]
    methods = list(dims["objective"]) + list(dims["cl"])
    return [
        (
            "MIM objective / CL augmentation",
            [(m, [f"{d}={m}" for d in _METHOD_DIMS]) for m in methods],
        ),
        ("sensitivity", [(s, [f"sensitivity={s}"]) for s in dims["sensitivity"]]),
        ("rare axis", [(r, [f"rare_axis={r}"]) for r in dims["rare_axis"]]),
        ("p", [(f"{p:g}", [f"p={p}"]) for p in dims["p"]]),
        ("N", [(str(n), [f"N={n}"]) for n in dims["N"]]),
    ] + (
        [("Track C", [("trained", [_TRACK_C])])]
        if (result.get("track_c") or {}).get("status") == "run"
        else []
    )


def make_verdict_map_figure(result: dict):
    """The verdict map as a grid: one row per claim, one column per reading value.

    Args:
      result: the output of :func:`sims.verdict_map.compute_map` or its compact form
        (:func:`sims.verdict_map.compact_map`, ``verdict_map.json``).

    Returns:
      a Matplotlib Figure.
    """
    rows = result["rows"]
    claims = list(rows)
    groups = _column_groups(result)
    cols = [(g, label, keys) for g, items in groups for label, keys in items]
    gap = 0.6
    xs, x = [], 0.0
    prev = None
    for g, _, _ in cols:
        if prev is not None and g != prev:
            x += gap
        xs.append(x)
        x += 1.0
        prev = g
    width = max(10.0, 0.32 * x + 3.0)
    fig, ax = plt.subplots(figsize=(width, 0.42 * len(claims) + 2.6))
    for i, cid in enumerate(claims):
        y = len(claims) - 1 - i
        colmap = rows[cid]["columns"]
        for xpos, (_, _, keys) in zip(xs, cols, strict=True):
            counts = {}
            for k in keys:
                col = colmap.get(k, {})
                if k == _TRACK_C:
                    col = result["track_c"]["rows"].get(cid, {}).get("counts", {})
                for w, n in col.items():
                    counts[w] = counts.get(w, 0) + n
            total = sum(counts.values())
            if total == 0:
                ax.add_patch(Rectangle((xpos, y + 0.1), 0.9, 0.8, fill=False, ec="#DDDDDD", lw=0.5))
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
    handles = [
        Patch(facecolor=STYLE[w][0], hatch=STYLE[w][1], edgecolor="#333333", label=w) for w in WORDS
    ]
    ax.legend(
        handles=handles,
        ncol=len(WORDS),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.32),
        frameon=False,
        fontsize=9,
    )
    n_cells = result["n_cells"] if "n_cells" in result else len(result.get("cells", []))
    ax.set_title(
        f"Verdict map, Track B (exact model, d = {result['config']['d']:g}; {n_cells} cells): "
        "share of each verdict among the cells with that reading value",
        fontsize=10,
        pad=22,
    )
    fig.tight_layout()
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
