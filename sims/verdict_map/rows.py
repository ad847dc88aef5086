"""The rows of the verdict map: per claim and per reading, counts and the computed headline.

:func:`headline` is rule R8 of docs/verdict_rules.md: the headline of a claim names where each
Track B word occurs in the fewest reading values, computed from the claim's row of cells, never
written by hand. Also here: the per-dimension columns of a row (the verdict map figure's cells)
and, per claim × reading, the counts over the configurations with a representative cell
(p and N nearest :data:`REPRESENTATIVE`). Every name here is importable from
:mod:`sims.verdict_map`.
"""

from __future__ import annotations

from collections import Counter

from sims.verdict_map.cells import MapConfig
from theory import claims as cl

#: the representative configuration of a reading: p and N nearest these, first rare axis
REPRESENTATIVE = {"p": 0.75, "N": 4}


def _keys(cell: dict) -> dict:
    """The dimension values of a cell: its reading plus the configuration readings."""
    c = cell["config"]
    return {**cell["reading"], "rare_axis": c["rare_axis"], "p": c["p"], "N": c["N"]}


def _fmt(dim: str, vals) -> str:
    vals = sorted(vals, key=lambda x: (isinstance(x, str), x))
    return f"{dim}={'/'.join(str(x) for x in vals)}"


def _describe(cells: list[dict], word: str) -> str:
    """Where ``word`` occurs in a row, in the fewest reading values (rule R8)."""
    hit = [c for c in cells if c["track_b"] == word]
    best = None
    for dim in sorted({k for c in cells for k in _keys(c)}):
        all_vals = {_keys(c).get(dim) for c in cells}
        vals = {_keys(c).get(dim) for c in hit}
        if None in vals or len(vals) >= len(all_vals):
            continue
        inside = [c for c in cells if _keys(c).get(dim) in vals]
        exact = len(inside) == len(hit)
        score = (not exact, len(vals), -len(hit))
        text = (
            f"only under {_fmt(dim, vals)}"
            if exact
            else f"in {len(hit)} of the {len(inside)} cells under {_fmt(dim, vals)}, nowhere else"
        )
        if best is None or score < best[0]:
            best = (score, text)
    if best is not None:
        return best[1]
    return f"in {len(hit)} of {len(cells)} cells"


def headline(cells: list[dict]) -> str:
    """The headline of one claim, computed from its row of the map (Track B; rule R8).

    Example:
      >>> cells = [{"track_b": w, "reading": {"objective": o}, "config": {"p": 0.5, "N": 4,
      ...          "rare_axis": "extra"}} for w, o in (("violated", "eq4"), ("holds", "eq3"))]
      >>> headline(cells)
      'violated only under objective=eq4; holds only under objective=eq3'
    """
    run = [c for c in cells if c["track_b"] != "not-run"]
    if not run:
        return "not run under any reading"
    counts = Counter(c["track_b"] for c in run)
    if len(counts) == 1:
        return f"{run[0]['track_b']} under every reading"
    parts = []
    for word, _ in counts.most_common():
        parts.append(f"{word} {_describe(run, word)}")
    return "; ".join(parts)


def _columns(cells: list[dict]) -> dict:
    """Per claim, per dimension value: the count of each Track B word (the figure's cells)."""
    out: dict = {}
    for c in cells:
        row = out.setdefault(c["claim"], {})
        for dim, val in _keys(c).items():
            col = row.setdefault(f"{dim}={val}", Counter())
            col[c["track_b"]] += 1
    return {k: {col: dict(cnt) for col, cnt in row.items()} for k, row in out.items()}


def _representative(cfg: MapConfig) -> tuple[float, int, str]:
    """(p, N, rare axis) of the representative cell: p and N nearest :data:`REPRESENTATIVE`."""
    p = min(cfg.p_values, key=lambda x: (abs(x - REPRESENTATIVE["p"]), x))
    n = min(cfg.n_values, key=lambda x: (abs(x - REPRESENTATIVE["N"]), x))
    return p, n, cfg.rare_axes[0]


def _reading_rows(cfg: MapConfig, by_claim: dict) -> dict:
    """Per claim × reading: verdict counts over the configurations, the headline of that
    reading's cells (rule R8) and the representative cell with its numbers."""
    rep = _representative(cfg)
    out: dict = {}
    for cid, cells in by_claim.items():
        groups: dict = {}
        for c in cells:
            groups.setdefault(cl.reading_name(c["reading"]), []).append(c)
        row = out.setdefault(cid, {})
        for name, group in groups.items():
            pick = next(
                (
                    c
                    for c in group
                    if (c["config"]["p"], c["config"]["N"], c["config"]["rare_axis"]) == rep
                ),
                group[0],
            )
            row[name] = {
                "reading": group[0]["reading"],
                "counts": dict(Counter(c["track_b"] for c in group)),
                "track_a_counts": dict(Counter(c["track_a"] for c in group)),
                "headline": headline(group),
                "representative": {
                    k: pick[k] for k in ("config", "track_a", "track_b", "note", "numbers")
                },
            }
    return out
