"""The verdict map: every claim × every reading × every configuration, each cell a verdict.

Cells come from ``theory.claims.evaluate_reading`` (Track A and Track B, exact model at any d;
rules in docs/verdict_rules.md). Configurations sweep the readings that are parameters of the
model: the mask ratio p, the number of clients N and where the rare class lives (rare axis),
at one dimension d. The headline of each claim is computed from its row (:func:`headline`,
rule R8) and the map's finding paragraph from the same data (:func:`finding_paragraph`), so
the two can never disagree.

Also recorded: the assumptions (``theory.assumptions``) at every configuration, and the rule
changes of ``theory.verdicts.RULE_CHANGES`` with the cells whose word the old rule changes.

Files (small enough to commit): :func:`compact_map` is ``verdict_map.json`` (per claim × reading
the verdict counts over configurations, a headline and the numbers of a representative cell;
rows, assumptions, rule changes, hidden constants, the finding) and :func:`encode_cells` is
``verdict_cells.json``, every cell's Track A and B word as one letter (:data:`CODES`), decoded
by :func:`decode_cells`. The per-cell numbers stay in the stage cache.

The package is five modules, and every public name of them is importable from here:
:mod:`sims.verdict_map.cells` (:class:`MapConfig`, its presets and one cell per claim × reading
× configuration), :mod:`sims.verdict_map.rows` (counts, columns and :func:`headline`, rule R8),
:mod:`sims.verdict_map.track_c` (:func:`track_c_cells`, rule R10),
:mod:`sims.verdict_map.files` (the files and texts) and :mod:`sims.verdict_map.compute`
(:func:`compute_map`, with the assumptions, rule changes and hidden constants).
"""

from __future__ import annotations

from sims.verdict_map.cells import (  # noqa: F401  (re-exported)
    DEFAULT,
    FAST,
    N_VALUES,
    P_VALUES,
    RARE_AXES,
    MapConfig,
)
from sims.verdict_map.compute import compute_map  # noqa: F401  (re-exported)
from sims.verdict_map.files import (
    CODES,
    WORD_ORDER,
    compact_map,
    decode_cells,
    encode_cells,
    finding_paragraph,
    summarize,
)
from sims.verdict_map.rows import REPRESENTATIVE, headline  # noqa: F401  (re-exported)
from sims.verdict_map.track_c import track_c_cells

__all__ = [
    "P_VALUES",
    "N_VALUES",
    "RARE_AXES",
    "WORD_ORDER",
    "CODES",
    "REPRESENTATIVE",
    "MapConfig",
    "DEFAULT",
    "FAST",
    "compute_map",
    "headline",
    "track_c_cells",
    "compact_map",
    "encode_cells",
    "decode_cells",
    "finding_paragraph",
    "summarize",
]
