"""The verdict map itself: :func:`compute_map` evaluates every cell and assembles the map.

Besides the cells (:mod:`sims.verdict_map.cells`), their rows and headlines
(:mod:`sims.verdict_map.rows`, rule R8) and the Track C section
(:mod:`sims.verdict_map.track_c`, rule R10), the map records the assumptions
(``theory.assumptions``) at every configuration, the rule changes of
``theory.verdicts.RULE_CHANGES`` with the cells whose word the old rule changes (the T2
positivity rule; Cor 4.5's old trend rule) and the break-even hidden constants of the bounds
of Thms 4.2 and 4.3 (``theory.constants``). Importable from :mod:`sims.verdict_map`.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import Counter

from sims.core.environ import forwarded_logs
from sims.verdict_map.cells import (
    DEFAULT,
    MapConfig,
    _cells_at,
    _cells_for,
    _compact,
    _configs,
    _order,
)
from sims.verdict_map.cells import log as cells_log
from sims.verdict_map.files import finding_paragraph
from sims.verdict_map.rows import _columns, _reading_rows, headline
from sims.verdict_map.track_c import track_c_cells
from theory import _validate as v
from theory import claims as cl
from theory import verdicts as vd
from theory.symbolic import proofs, witnesses


def _rule_changes(cfg: MapConfig, cells: list[dict]) -> list[dict]:
    """Cells whose Track B word changes under the old T2 rule (re-evaluated at rule_change_n),
    and the old Cor 4.5 rules' answers (the first registry's and R6 without R7, carried in each
    cell's numbers, so evaluated in every cell)."""
    out = []
    index = {
        (
            c["claim"],
            cl.reading_name(c["reading"]),
            c["config"]["p"],
            c["config"]["N"],
            c["config"]["rare_axis"],
        ): c["track_b"]
        for c in cells
    }
    changed = []
    # the old T2 rule's cells: each configuration built with positivity="relative"; the word in
    # force ("new") from the map's cells, else computed under the rule in force
    for p, n, rare in itertools.product(cfg.p_values, cfg.rule_change_n, cfg.rare_axes):
        for old in _cells_at(cfg, p, n, rare, cfg.claims, positivity="relative"):
            key = (old["claim"], cl.reading_name(old["reading"]), p, n, rare)
            new = index.get(key)
            if new is None:
                new = next(
                    c["track_b"]
                    for c in _cells_at(cfg, p, n, rare, (old["claim"],))
                    if c["reading"] == old["reading"]
                )
            if new != old["track_b"]:
                changed.append(
                    {
                        "claim": old["claim"],
                        "reading": old["reading"],
                        "config": old["config"],
                        "old": old["track_b"],
                        "new": new,
                    }
                )
    out.append(
        {
            **vd.rule_change("all Track B", "T2"),
            "evaluated_at_N": list(cfg.rule_change_n),
            "changed_cells": changed,
        }
    )
    # the changes whose old answer every cell they touch carries in its numbers: (change, the
    # key of the old word, the key of the new one, None: the cell's word in force)
    for change, old_key, new_key in (
        (vd.rule_change("cor4.5"), "old_rule_verdict", None),
        # the 2026-11-24 extension alone: its word against the word before R7 was extended to
        # both directions (2026-11-25), so that each entry counts the cells of its own change
        (vd.rule_change("cor4.5", "R7"), "verdict_without_r7", "verdict_r7_one_direction"),
        (vd.rule_change("cor4.5", "R6"), "r6_first_implementation", "verdict_without_r7"),
        (
            vd.rule_change("all sensitivity comparisons", "R7"),
            "verdict_r7_one_direction",
            "verdict_before_r13",
        ),
        (vd.rule_change("all Track B", "R11"), "verdict_without_a5", None),
        (vd.rule_change("thm4.6", "R12"), "verdict_without_identity", "verdict_before_r13"),
        (vd.rule_change("all sensitivity comparisons", "R13"), "verdict_before_r13", None),
        (vd.rule_change("all Track B", "R4"), "verdict_without_free_rows", None),
        (vd.rule_change("all Track B", "T7"), "verdict_without_certificate", None),
    ):
        out.append(_carried_change(cells, change, old_key, new_key))
    return out


def _carried_change(cells: list[dict], change: dict, old_key: str, new_key: str | None) -> dict:
    """``change`` with the cells whose carried old word (``numbers[old_key]``) differs from the
    new one (``numbers[new_key]``, or the cell's Track B word); ``cells``: how many carry it."""
    have = [c for c in cells if old_key in c["numbers"]]
    diff = []
    for c in have:
        new = c["track_b"] if new_key is None else c["numbers"][new_key]
        if c["numbers"][old_key] != new:
            diff.append(
                {"claim": c["claim"], "reading": c["reading"], "config": c["config"],
                 "old": c["numbers"][old_key], "new": new}
            )  # fmt: skip
    return {**change, "cells": len(have), "changed_cells": diff}


#: The theorem each bound method (``theory.sweeps.BOUND_METHODS``) is the bound of.
_BOUND_THEOREM = {"mim": "thm4.2", "cl_similar": "thm4.3", "cl_dissimilar": "thm4.3"}

_EXACT_READING = {
    "mim": "eq4-complementary",
    "mim-independent": "eq4-independent",
    "mim-recon": "eq3-reconstruction",
    "mim-paper": "eq17-surrogate",
    "cl": "similar",
    "cl-dissimilar": "dissimilar-identity",
}


def _hidden_constants(cfg: MapConfig) -> dict:
    """Break-even hidden constants (``theory.constants.all_verdicts``): per bound claim and
    exact reading, the label ("violated (asymptotically)" or not) with each constant's growth
    exponent of C*(d) over d ∈ [1e4, 1e20]. The dissimilar-CL bound under every
    structure-keeping transform of ``theory.structured`` (identity, and a sign flip,
    permutation or rotation of the signal block: at d up to 1e20 only the structured exact
    model reaches, so these are the block transforms of that model, named
    ``dissimilar-block-*``, not the map's leading-block ones of the same kind)."""
    if not cfg.hidden_constants:
        return {"status": "not-run", "reason": "hidden_constants=False"}
    from theory import constants
    from theory.structured import STRUCTURED_TRANSFORMS

    cells = []
    for o in constants.all_verdicts(transforms=STRUCTURED_TRANSFORMS, sign=cfg.sign):
        claim = _BOUND_THEOREM[o["method"]] + "." + o["framework"]
        reading = _EXACT_READING[o["exact_method"]]
        if o.get("transform") not in (None, "identity"):
            reading = f"dissimilar-{o['transform']}"
        consts = {
            k: {
                "exponent": _compact(x["exponent"]),
                "exponent_exact": x.get("exponent_exact"),
                "exponent_source": x.get("exponent_source", "fit"),
                "status": x["status"],
            }
            for k, x in o["readings"].items()
        }
        cells.append(
            {
                "claim": claim,
                "bound": o["method"],
                "reading": reading,
                "transform": o.get("transform"),
                "label": o["label"],
                "constants": consts,
            }
        )
    summary: dict = {}
    for c in cells:
        if c["label"].startswith("violated"):
            grow = ", ".join(
                f"{k}* ~ d^({x['exponent_exact']}) ({x['exponent_source']})"
                if x.get("exponent_exact")
                else f"{k}* ~ d^{x['exponent']} (fit)"
                if isinstance(x["exponent"], float)
                else f"{k}: " + x["status"]
                for k, x in c["constants"].items()
            )
            summary.setdefault(c["claim"], []).append(
                f"violated (asymptotically) under {c['reading']} ({c['bound']}; {grow})"
            )
    for c in cells:
        if c["claim"] not in summary:
            summary[c["claim"]] = ["not violated asymptotically under any exact reading"]
    return {
        "status": "run",
        "d_range": [1e4, 1e20],
        "cells": cells,
        "summary": {k: "; ".join(sorted(set(v_))) for k, v_ in summary.items()},
    }


def _one_blas_thread(notes=None) -> None:
    """Worker initializer of :func:`compute_map`: one BLAS thread for the rest of the process;
    with ``notes`` (a :func:`sims.core.environ.forwarded_logs` queue), the worker's progress
    lines (``sims.verdict_map.cells``) go to the parent process."""
    from threadpoolctl import threadpool_limits

    from sims.core.environ import send_logs

    threadpool_limits(limits=1, user_api="blas")
    send_logs(notes, cells_log.name)


#: the most worker processes of :func:`compute_map`
MAX_WORKERS = 64


def _cells_in_parts(cfg: MapConfig, workers: int) -> list:
    """``[(cells, assumptions), …]``: the map's cells, the rare axes split over ``workers``
    processes (one part per process; one part in this process when there is one group)."""
    groups = [cfg.rare_axes[i::workers] for i in range(workers) if cfg.rare_axes[i::workers]]
    if len(groups) <= 1:
        return [_cells_for(cfg, cfg.rare_axes)]
    import concurrent.futures as cf
    import multiprocessing as mp

    # spawn (not fork): JAX is initialised in this process; each worker imports afresh.
    # One BLAS thread per worker: with the library default (a thread per core) the two
    # workers' eigh/qr calls oversubscribed the cores, and 2 workers took 90 s against 52 s
    # for one process (DEFAULT map, 2 cores); with one thread each, 38 s.
    context = mp.get_context("spawn")
    with (
        forwarded_logs(context, cells_log.name) as notes,
        cf.ProcessPoolExecutor(
            len(groups), mp_context=context, initializer=_one_blas_thread, initargs=(notes,)
        ) as pool,
    ):
        return list(pool.map(_cells_for, [cfg] * len(groups), groups))


def _claim_row(cid: str, cells: list, columns: dict) -> dict:
    """One claim's row of the map; takes the ``note`` out of each of its cells (the row
    lists the distinct notes once)."""
    return {
        "reference": cl.REGISTRY[cid].reference,
        "statement": cl.REGISTRY[cid].statement,
        "tracks": cl.REGISTRY[cid].tracks,
        "notes": sorted({c.pop("note", "") for c in cells} - {""}),
        "headline": headline(cells),
        "counts": dict(Counter(c["track_b"] for c in cells)),
        "track_a_counts": dict(Counter(c["track_a"] for c in cells)),
        "columns": columns,
    }


def compute_map(
    cfg: MapConfig = DEFAULT,
    *,
    rule_changes: bool = True,
    workers: int = 1,
    track_c: dict | None = None,
) -> dict:
    """The verdict map (JSON-ready).

    Args:
      cfg: the configurations.
      rule_changes: re-evaluate the configurations at ``cfg.rule_change_n`` under the old T2
        rule and list the cells whose word changes.
      workers: processes (the rare axes are split between them; results are identical).
      track_c: the ``track_c`` stage's row when it ran first (:func:`track_c_cells`, rule R10).

    Returns:
      dict with ``config``, ``dimensions`` (reading and configuration values), ``cells``
      (one per claim × reading × configuration: Track A and B words, note, compact numbers),
      ``rows`` ({claim: {"headline", "counts", "columns", "reference", "statement"}}),
      ``readings`` ({claim: {reading name: {"counts", "track_a_counts", "headline",
      "representative"}}}),
      ``assumptions`` ({"p=…,N=…,rare_axis=…": {assumption: met / not met}}),
      ``rule_changes``, ``hidden_constants``, ``track_c`` (:func:`track_c_cells`; Track C
      never enters the Track B counts, headlines or the finding), ``proofs``
      (:func:`theory.symbolic.proofs.proofs` as dicts), ``witnesses``
      (:func:`theory.symbolic.witnesses.witnesses`), ``finding`` (README's paragraph),
      ``seconds``.
    """
    if not isinstance(cfg, MapConfig):
        v.fail("cfg", "a MapConfig", cfg)
    workers = v.integer(workers, "workers", lo=1, hi=MAX_WORKERS)
    t0 = time.perf_counter()
    parts = _cells_in_parts(cfg, workers)
    cells = _order(cfg, [c for part in parts for c in part[0]])
    assumptions = {}
    for p, n, rare in _configs(cfg):
        key = f"p={p},N={n},rare_axis={rare}"
        assumptions[key] = next(part[1][key] for part in parts if key in part[1])
    by_claim: dict = {}
    for c in cells:
        by_claim.setdefault(c["claim"], []).append(c)
    readings = _reading_rows(cfg, by_claim)
    columns = _columns(cells)
    rows_out = {cid: _claim_row(cid, by_claim[cid], columns[cid]) for cid in cfg.claims}
    result = {
        "config": dataclasses.asdict(cfg),
        "dimensions": {
            **{k: list(vals) for k, vals in cl.READINGS.items()},
            "rare_axis": list(cfg.rare_axes),
            "p": list(cfg.p_values),
            "N": list(cfg.n_values),
        },
        "claim_readings": {cid: list(cl.CLAIM_READINGS[cid]) for cid in cfg.claims},
        "cells": cells,
        "rows": rows_out,
        "readings": readings,
        "assumptions": assumptions,
        "rule_changes": _rule_changes(cfg, cells) if rule_changes else [],
        "hidden_constants": _hidden_constants(cfg),
        "track_c": track_c_cells(track_c, cfg.claims),
        # the proofs behind every "proved" word and the smallest exact counterexample of each
        # claim violated under the paper's reading (both exact: no random stream, no tolerance)
        "proofs": [pr.to_dict() for pr in proofs.proofs() if pr.claim in cfg.claims],
        "witnesses": [w for w in witnesses.witnesses() if w["claim"] in cfg.claims],
    }
    hc = result["hidden_constants"]
    if hc.get("status") == "run":
        for cid, text in hc["summary"].items():
            if cid in rows_out:
                rows_out[cid]["hidden_constants"] = text
    result["finding"] = finding_paragraph(result)
    result["seconds"] = time.perf_counter() - t0
    return result
