"""The verdict map: every claim × every reading × every configuration, each cell a verdict.

Cells come from ``theory.claims.evaluate_reading`` (Track A and Track B, exact model at any d;
rules in docs/verdict_rules.md). Configurations sweep the readings that are parameters of the
model: the mask ratio p, the number of clients N and where the rare class lives (rare axis),
at one dimension d. The headline of each claim is computed from its row (:func:`headline`,
rule R8) and README's finding paragraph from the same data (:func:`finding_paragraph`), so
the two can never disagree.

Also recorded: the assumptions (``theory.assumptions``) at every configuration, and the rule
changes of ``theory.verdicts.RULE_CHANGES`` with the cells whose word the old rule changes.

Files (small enough to commit): :func:`compact_map` is ``verdict_map.json`` (per claim × reading
the verdict counts over configurations, a headline and the numbers of a representative cell;
rows, assumptions, rule changes, hidden constants, the finding) and :func:`encode_cells` is
``verdict_cells.json``, every cell's Track A and B word as one letter (:data:`CODES`), decoded
by :func:`decode_cells`. The per-cell numbers stay in the stage cache.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import Counter

import numpy as np

from theory import _validate as v
from theory import assumptions as asm
from theory import claims as cl
from theory import verdicts as vd

P_VALUES = (0.15, 0.5, 0.75, 0.9)
N_VALUES = tuple(range(2, 21))
RARE_AXES = ("class-index", "extra")
#: the order of words in figures and summaries
WORD_ORDER = ("holds", "violated", "degenerate", "not-unique", "not-run")
#: one letter per verdict word in ``verdict_cells.json``
CODES = {
    "holds": "h",
    "violated": "v",
    "degenerate": "d",
    "not-unique": "u",
    "not-run": "-",
    "informative": "i",
    "vacuous": "a",
    "invalid": "x",
}
#: the representative configuration of a reading: p and N nearest these, first rare axis
REPRESENTATIVE = {"p": 0.75, "N": 4}


@dataclasses.dataclass(frozen=True)
class MapConfig(cl.TrackAConstants):
    """Configurations of the verdict map.

    Args:
      d: input dimension (any size: the exact model runs on the leading block).
      p_values, n_values, rare_axes: the configuration readings swept.
      claims: claim ids (``theory.claims.CLAIM_IDS``).
      rule_change_n: N of the configurations re-evaluated under the old T2 rule (empty: skip).
      hidden_constants: add the break-even constant verdicts of ``theory.constants``.
      c_num, c_den, c_f, c_n, sign, fl_term: Track A constants (``TrackAConstants``).
    """

    d: int = 10**6
    p_values: tuple = P_VALUES
    n_values: tuple = N_VALUES
    rare_axes: tuple = RARE_AXES
    claims: tuple = cl.CLAIM_IDS
    rule_change_n: tuple = (4,)
    hidden_constants: bool = True

    def __post_init__(self) -> None:
        for p in self.p_values:
            v.real(p, "p_values", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        for n in self.n_values + self.rule_change_n:
            v.integer(n, "n_values", lo=2, hi=200)
        for r in self.rare_axes:
            v.choice(r, "rare_axes", ("class-index", "next-client", "extra"))
        for c in self.claims:
            v.choice(c, "claims", cl.CLAIM_IDS)
        if not (self.p_values and self.n_values and self.rare_axes and self.claims):
            v.fail("p_values", "non-empty p_values, n_values, rare_axes and claims", self)
        v.integer(self.d, "d", lo=4 * max(self.n_values + self.rule_change_n))
        for n in self.n_values:
            self.verify_config(n, self.p_values[0], self.rare_axes[0])

    def verify_config(self, n: int, p: float, rare_axis: str) -> cl.VerifyConfig:
        """The ``VerifyConfig`` of one configuration: star graph (complete at N = 2)."""
        return cl.VerifyConfig(
            d=self.d,
            n_clients=n,
            p=p,
            rare_axis=rare_axis,
            graph="star" if n >= 3 else "complete",
            d_sweep=(),
            **self.constants(),
        )


DEFAULT = MapConfig()
FAST = MapConfig(
    p_values=(0.5, 0.75), n_values=(2, 3, 4, 6), rule_change_n=(4,), hidden_constants=False
)


def _compact(x, depth: int = 0):
    """Numbers of a cell, kept small: long lists become {n, min, max} (numbers), {n, verdicts}
    (per-client / per-graph records with a verdict) or {n, first}; floats 6 significant."""
    if isinstance(x, dict):
        if depth >= 5:
            return "..."
        return {str(k): _compact(val, depth + 1) for k, val in x.items()}
    if isinstance(x, (list, tuple)):
        if len(x) > 4:
            flat = [y for y in x if isinstance(y, (int, float)) and not isinstance(y, bool)]
            if len(flat) == len(x):
                return {"n": len(x), "min": _compact(min(flat)), "max": _compact(max(flat))}
            if all(isinstance(y, dict) and "abar" in y and "s" in y for y in x):
                # a graph sweep: keep the series (|Ā|, s), the point of Cor 4.5
                return {
                    "abar": [_compact(y["abar"]) for y in x],
                    "s": [
                        _compact(y["s"].get("value") if isinstance(y["s"], dict) else y["s"])
                        for y in x
                    ],
                }
            if all(isinstance(y, dict) and "verdict" in y for y in x):
                return {"n": len(x), "verdicts": dict(Counter(y["verdict"] for y in x))}
            return {"n": len(x), "first": _compact(x[0], depth + 1)}
        return [_compact(y, depth + 1) for y in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if not np.isfinite(f):
            return str(f)
        return float(f"{f:.6g}")
    return x if isinstance(x, str) or x is None else str(x)


def _configs(cfg: MapConfig) -> list[tuple[float, int, str]]:
    return list(itertools.product(cfg.p_values, cfg.n_values, cfg.rare_axes))


def _cells_at(cfg: MapConfig, p: float, n: int, rare: str, claims: tuple) -> list[dict]:
    vcfg = cfg.verify_config(n, p, rare)
    out = []
    for cid in claims:
        for reading in cl.readings_of(cid):
            cell = cl.evaluate_reading(vcfg, cid, reading)
            a, b = cell["track_a"], cell["track_b"]
            out.append(
                {
                    "claim": cid,
                    "reading": reading,
                    "config": {"p": p, "N": n, "rare_axis": rare, "d": cfg.d},
                    "track_a": a.verdict,
                    "track_b": b.verdict,
                    "note": b.note,
                    "numbers": _compact(b.numbers),
                }
            )
    return out


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


def _rule_changes(cfg: MapConfig, cells: list[dict]) -> list[dict]:
    """Cells whose Track B word changes under the old T2 rule (re-evaluated at rule_change_n),
    and the old Cor 4.5 rule's answers (carried in each cell's numbers)."""
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
    with cl.positivity_rule("relative"):
        for p, n, rare in itertools.product(cfg.p_values, cfg.rule_change_n, cfg.rare_axes):
            for old in _cells_at(cfg, p, n, rare, cfg.claims):
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
        {**vd.RULE_CHANGES[1], "evaluated_at_N": list(cfg.rule_change_n), "changed_cells": changed}
    )
    cor = [c for c in cells if c["claim"] == "cor4.5" and "old_rule_verdict" in c["numbers"]]
    diff = [
        {
            "reading": c["reading"],
            "config": c["config"],
            "old": c["numbers"]["old_rule_verdict"],
            "new": c["track_b"],
        }
        for c in cor
        if c["numbers"]["old_rule_verdict"] != c["track_b"]
    ]
    out.append({**vd.RULE_CHANGES[0], "cells": len(cor), "changed_cells": diff})
    return out


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
    exponent of C*(d) over d ∈ [1e4, 1e20]."""
    if not cfg.hidden_constants:
        return {"status": "not-run", "reason": "hidden_constants=False"}
    try:
        from theory import constants
    except ImportError:
        return {"status": "not-run", "reason": "theory.constants is not available"}
    cells = []
    for o in constants.all_verdicts(sign=cfg.sign):
        claim = ("thm4.2." if o["method"] == "mim" else "thm4.3.") + o["framework"]
        reading = _EXACT_READING[o["exact_method"]]
        consts = {
            k: {"exponent": _compact(x["exponent"]), "status": x["status"]}
            for k, x in o["readings"].items()
        }
        cells.append(
            {
                "claim": claim,
                "bound": o["method"],
                "reading": reading,
                "label": o["label"],
                "constants": consts,
            }
        )
    summary: dict = {}
    for c in cells:
        if c["label"].startswith("violated"):
            grow = ", ".join(
                f"{k}* ~ d^{x['exponent']}"
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


def _assumption_methods(d: int) -> tuple:
    """Readings whose optima the assumption checks can compute at d (a full-space reading only
    for d <= ``theory.claims_model.FULL_SPACE_MAX_D``)."""
    from theory.claims_model import FULL_SPACE_MAX_D, FULL_SPACE_TRANSFORMS

    return tuple(
        m
        for m in cl.READINGS["method"]
        if d <= FULL_SPACE_MAX_D
        or m not in cl.CL_READINGS
        or cl.CL_READINGS[m][1] not in FULL_SPACE_TRANSFORMS
    )


def _cells_for(cfg: MapConfig, rare_axes: tuple) -> tuple[list, dict]:
    """Cells and assumption summaries of every configuration with a rare axis in
    ``rare_axes`` (one worker's share; p varies innermost so CL optima are reused)."""
    cells, assumptions = [], {}
    for rare, n, p in itertools.product(rare_axes, cfg.n_values, cfg.p_values):
        cells += _cells_at(cfg, p, n, rare, cfg.claims)
        rows = asm.check(cfg.verify_config(n, p, rare), methods=_assumption_methods(cfg.d))
        assumptions[f"p={p},N={n},rare_axis={rare}"] = asm.summary(rows)
    return cells, assumptions


def _order(cfg: MapConfig, cells: list) -> list:
    rank = {(p, n, r): i for i, (p, n, r) in enumerate(_configs(cfg))}
    return sorted(
        cells, key=lambda c: rank[(c["config"]["p"], c["config"]["N"], c["config"]["rare_axis"])]
    )


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
      never enters the Track B counts, headlines or the finding), ``finding`` (README's
      paragraph), ``seconds``.
    """
    if not isinstance(cfg, MapConfig):
        v.fail("cfg", "a MapConfig", cfg)
    workers = v.integer(workers, "workers", lo=1, hi=64)
    t0 = time.perf_counter()
    groups = [cfg.rare_axes[i::workers] for i in range(workers) if cfg.rare_axes[i::workers]]
    if len(groups) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp

        # spawn (not fork): JAX is initialised in this process; each worker imports afresh
        with cf.ProcessPoolExecutor(len(groups), mp_context=mp.get_context("spawn")) as pool:
            parts = list(pool.map(_cells_for, [cfg] * len(groups), groups))
    else:
        parts = [_cells_for(cfg, cfg.rare_axes)]
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
    rows_out = {
        cid: {
            "reference": cl.REGISTRY[cid].reference,
            "statement": cl.REGISTRY[cid].statement,
            "notes": sorted({c.pop("note", "") for c in by_claim[cid]} - {""}),
            "headline": headline(by_claim[cid]),
            "counts": dict(Counter(c["track_b"] for c in by_claim[cid])),
            "track_a_counts": dict(Counter(c["track_a"] for c in by_claim[cid])),
            "columns": columns[cid],
        }
        for cid in cfg.claims
    }
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
    }
    hc = result["hidden_constants"]
    if hc.get("status") == "run":
        for cid, text in hc["summary"].items():
            if cid in rows_out:
                rows_out[cid]["hidden_constants"] = text
    result["finding"] = finding_paragraph(result)
    result["seconds"] = time.perf_counter() - t0
    return result


# ----------------------------------------------------------------------------------------------
# Track C cells (rule R10 of docs/verdict_rules.md)
# ----------------------------------------------------------------------------------------------
_TC_REL = {"thm4.6": ">=", "thm4.6.eq87": ">", "thm4.6.eq89": "=="}


def _tc_reading_values(transform: str) -> dict:
    """Track C method → its reading value (R10: only the trained readings)."""
    return {
        "mim": "eq4-complementary",
        "cl": "similar",
        "cl-dissimilar": f"dissimilar-{transform}-full",
    }


def _tc_bound(numbers: dict, method: str) -> tuple[str, dict]:
    cell = numbers.get(method)
    if not isinstance(cell, dict) or not {"min_rv", "lower_bound"} <= set(cell):
        return "not-run", {"reason": f"no Track C numbers for {method}"}
    lb, min_rv = float(cell["lower_bound"]), float(cell["min_rv"])
    se = 0.5 * float(cell.get("slack_2se", 0.0))
    tol = vd.track_c_tolerance(se) + vd.bound_tolerance(lb if np.isfinite(lb) else 0.0)
    word = vd.bound_check(min_rv, lb, vd.track_a(lb), tol=tol)
    return word, {"min_rv": min_rv, "se_min_rv": se, "lower_bound": lb, "tolerance": tol}


def _tc_thm44(numbers: dict, cl_method: str) -> tuple[str, dict]:
    words, out = [], {}
    for fw in ("local", "decl", "fl"):
        row = numbers.get(fw, {})
        key = "s_N_max" if fw == "local" else "s_N"
        m, c = row.get("mim"), row.get(cl_method)
        if not (isinstance(m, dict) and isinstance(c, dict) and key in m and key in c):
            continue
        tol = vd.track_c_tolerance(float(m.get("se", 0.0)), float(c.get("se", 0.0)))
        word = vd.compare(float(c[key]), float(m[key]), ">", tol)
        words.append(word)
        out[fw] = {"s_cl": c[key], "s_mim": m[key], "tolerance": tol, "verdict": word}
    out["collapse_rule_R7"] = "not applied: the trained optimum's rank is not in the evidence"
    return vd.combine(words), out


def _tc_cor45(numbers: dict, method: str) -> tuple[str, dict]:
    rows = numbers.get("sweep") or []
    key = f"{method}_s_N"
    rows = [r for r in rows if key in r]
    if len(rows) < 2:
        return "not-run", {"reason": "fewer than two trained graphs"}
    se = max(float(r.get(f"{key}_se", 0.0)) for r in rows)
    tol = vd.track_c_tolerance(se, se)
    abar = [float(r["abar"]) for r in rows]
    series = [float(r[key]) for r in rows]
    word, viol = vd.trend(abar, series, tol)
    return word, {"abar": abar, "s": series, "tolerance": tol, "violations": viol}


def _tc_thm46(numbers: dict, method: str, rel: str) -> tuple[str, dict]:
    cell = numbers.get(method)
    if not isinstance(cell, dict) or not {"s_dec_N", "s_fed_N", "tol"} <= set(cell):
        return "not-run", {"reason": f"no Track C numbers for {method}"}
    tol = float(cell["tol"])
    word = vd.compare(float(cell["s_dec_N"]), float(cell["s_fed_N"]), rel, tol)
    return word, {"s_dec": cell["s_dec_N"], "s_fed": cell["s_fed_N"], "tolerance": tol}


def track_c_cells(track_c: dict | None, claims: tuple = cl.CLAIM_IDS) -> dict:
    """The Track C section of the verdict map (rule R10) from the ``track_c`` stage's row.

    Args:
      track_c: the row of the ``track_c`` stage (``{"config", "result", ...}``) or ``None``.
      claims: claim ids to include.

    Returns:
      ``{"status": "run", "config", "cells", "rows"}`` (each cell ``{"claim", "reading",
      "track_c", "stage_word", "agrees", "numbers", "note"}``; rows: per claim the headline
      (R8) and counts) or ``{"status": "not-run", "reason"}``.
    """
    if not track_c or not isinstance(track_c.get("result"), dict):
        return {"status": "not-run", "reason": "the track_c stage did not run before verdict_map"}
    res = track_c["result"]
    evidence = res.get("evidence") or {}
    vcfg = (track_c.get("config") or {}).get("verify") or {}
    transform = str(vcfg.get("transform", "identity"))
    values = _tc_reading_values(transform)
    training = next((e["numbers"].get("training") for e in evidence.values() if e), {}) or {}
    ov = (res.get("overlay") or {}).get("config", {})
    config = {
        "d": vcfg.get("d", ov.get("d")),
        "N": vcfg.get("n_clients", ov.get("n_clients")),
        "p": vcfg.get("p", ov.get("p")),
        "rare_axis": vcfg.get("rare_axis"),
        "graph": vcfg.get("graph", ov.get("graph")),
        "transform": transform,
        "seeds": training.get("seeds"),
    }
    cells = []
    for cid in claims:
        ev = evidence.get(cid)
        if ev is None:
            continue
        nums, stage_word = ev.get("numbers", {}), ev.get("verdict", "not-run")
        trained = [m for m in ("mim", "cl", "cl-dissimilar") if m in values]
        found = []
        if cid in ("eq17", "eq29-30"):
            found.append(({}, stage_word, {}, "principal angles, no SE: the stage's word (R10)"))
        elif cid.startswith("thm4.2."):
            w, n = _tc_bound(nums, "mim")
            found.append(({"objective": values["mim"]}, w, n, "trained min r vs LB (R2, T6)"))
        elif cid.startswith("thm4.3."):
            for m in ("cl", "cl-dissimilar"):
                if m in nums:
                    w, n = _tc_bound(nums, m)
                    found.append(({"cl": values[m]}, w, n, "trained min r vs LB (R2, T6)"))
        elif cid == "thm4.4":
            for m in ("cl", "cl-dissimilar"):
                if any(isinstance(r, dict) and m in r for r in nums.values()):
                    w, n = _tc_thm44(nums, m)
                    rd = {"objective": values["mim"], "cl": values[m], "sensitivity": "spread-N"}
                    found.append((rd, w, n, "trained s^C > s^M over [N] (R1, T6)"))
        elif cid == "cor4.5":
            for m in trained:
                if any(f"{m}_s_N" in r for r in nums.get("sweep") or []):
                    w, n = _tc_cor45(nums, m)
                    rd = {"method": values[m], "sensitivity": "spread-N"}
                    found.append((rd, w, n, "trained DecL sensitivity vs |Ā| (R6, T6)"))
        elif cid in _TC_REL:
            for m in trained:
                if m in nums:
                    w, n = _tc_thm46(nums, m, _TC_REL[cid])
                    rd = {"method": values[m], "sensitivity": "spread-N"}
                    found.append((rd, w, n, f"trained s_Dec {_TC_REL[cid]} s_Fed (R1, T6)"))
            if not found:
                reason = nums.get("reason") or ev.get("note", "")
                found.append(({}, "not-run", {"reason": reason}, "no trained numbers"))
        for reading, word, numbers, note in found:
            cells.append(
                {
                    "claim": cid,
                    "reading": reading,
                    "config": config,
                    "track_c": word,
                    "stage_word": stage_word,
                    "agrees": word == stage_word,
                    "numbers": _compact(numbers),
                    "note": note,
                }
            )
    rows = {}
    for cid in claims:
        group = [c for c in cells if c["claim"] == cid]
        if group:
            as_b = [{**c, "track_b": c["track_c"]} for c in group]
            rows[cid] = {
                "headline": headline(as_b),
                "counts": dict(Counter(c["track_c"] for c in group)),
                "stage_word": group[0]["stage_word"],
            }
    return {"status": "run", "config": config, "cells": cells, "rows": rows}


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


def _group_changes(change: dict) -> dict:
    """A rule change with its changed cells grouped by (reading, old word, new word): one
    entry per group with the number of configurations in ``cells``."""
    groups: Counter = Counter()
    readings = {}
    for ch in change.get("changed_cells", []):
        key = (cl.reading_name(ch["reading"]), ch["old"], ch["new"])
        groups[key] += 1
        readings[key[0]] = ch["reading"]
    out = dict(change)
    if "changed_cells" in change:
        out["changed_cells"] = [
            {"reading": readings[name], "old": old, "new": new, "cells": k}
            for (name, old, new), k in sorted(groups.items())
        ]
    return out


def compact_map(result: dict) -> dict:
    """``verdict_map.json``: the map without its per-cell list (``n_cells`` instead) and with
    the cells a rule change affects grouped by reading (:func:`_group_changes`); every count,
    headline and the finding are kept, and :func:`finding_paragraph` of it gives the same
    paragraph."""
    out = {k: val for k, val in result.items() if k != "cells"}
    out["rule_changes"] = [_group_changes(r) for r in result["rule_changes"]]
    out["n_cells"] = len(result["cells"])
    out["cells_file"] = "verdict_cells.json"
    return out


def encode_cells(result: dict) -> dict:
    """``verdict_cells.json``: every cell's Track A and Track B word, one letter each
    (:data:`CODES`), as one string per claim × reading over the configurations.

    Returns:
      dict with ``codes``, ``d``, ``configs`` ([[p, N, rare axis], …] in map order) and
      ``claims`` ({claim: {reading name: {"reading", "track_a", "track_b"}}}); each string has
      one letter per configuration.
    """
    configs = [list(k) for k in _configs_of(result)]
    index = {tuple(k): i for i, k in enumerate(configs)}
    claims: dict = {}
    for c in result["cells"]:
        conf = c["config"]
        i = index[(conf["p"], conf["N"], conf["rare_axis"])]
        row = claims.setdefault(c["claim"], {})
        entry = row.setdefault(
            cl.reading_name(c["reading"]),
            {
                "reading": c["reading"],
                "track_a": ["?"] * len(configs),
                "track_b": ["?"] * len(configs),
            },
        )
        entry["track_a"][i] = CODES[c["track_a"]]
        entry["track_b"][i] = CODES[c["track_b"]]
    for row in claims.values():
        for entry in row.values():
            entry["track_a"] = "".join(entry["track_a"])
            entry["track_b"] = "".join(entry["track_b"])
    return {"codes": CODES, "d": result["config"]["d"], "configs": configs, "claims": claims}


def _configs_of(result: dict) -> list[tuple]:
    dims = result["dimensions"]
    return list(itertools.product(dims["p"], dims["N"], dims["rare_axis"]))


def decode_cells(table: dict) -> list[dict]:
    """The cells of :func:`encode_cells` as ``{"claim", "reading", "config", "track_a",
    "track_b"}`` dicts, in map order (configuration, then claim, then reading)."""
    words = {code: word for word, code in table["codes"].items()}
    out = []
    for i, (p, n, rare) in enumerate(table["configs"]):
        conf = {"p": p, "N": n, "rare_axis": rare, "d": table["d"]}
        for cid, row in table["claims"].items():
            for entry in row.values():
                if entry["track_b"][i] == "?":
                    continue
                out.append(
                    {
                        "claim": cid,
                        "reading": entry["reading"],
                        "config": conf,
                        "track_a": words[entry["track_a"][i]],
                        "track_b": words[entry["track_b"][i]],
                    }
                )
    return out


def finding_paragraph(result: dict) -> str:
    """README's finding paragraph, generated from the map (the same data as the report)."""
    rows = result["rows"]
    n_cells = sum(sum(r["counts"].values()) for r in rows.values())
    dims = result["dimensions"]
    lines = [
        f"Every claim was evaluated under every reading ({n_cells} verdicts: MIM objective × "
        f"CL augmentation × sensitivity reading × rare axis × p ∈ {dims['p']} × "
        f"N ∈ {min(dims['N'])}..{max(dims['N'])}, exact model at d = {result['config']['d']:g}; "
        "rules in docs/verdict_rules.md). Track B (exact model) per claim:"
    ]
    for cid, r in rows.items():
        extra = f" Hidden constants: {r['hidden_constants']}." if "hidden_constants" in r else ""
        lines.append(f"{cid} ({r['reference']}): {r['headline']}.{extra}")
    return " ".join(lines)


def summarize(result: dict) -> str:
    """A plain-text summary: one line per claim with its counts and headline."""
    out = []
    for cid, r in result["rows"].items():
        counts = ", ".join(f"{w} {r['counts'][w]}" for w in WORD_ORDER if w in r["counts"])
        out.append(f"{cid:<13}{counts}\n{'':<13}{r['headline']}")
    tc = result.get("track_c") or {}
    if tc.get("status") == "run":
        conf = tc["config"]
        out.append(f"Track C (d={conf['d']}, N={conf['N']}, p={conf['p']}, seeds={conf['seeds']}):")
        for cid, r in tc["rows"].items():
            out.append(f"{cid:<13}{r['headline']} (stage: {r['stage_word']})")
    n_cells = result["n_cells"] if "n_cells" in result else len(result["cells"])
    out.append(f"({n_cells} cells in {result['seconds']:.1f} s)")
    return "\n".join(out)
