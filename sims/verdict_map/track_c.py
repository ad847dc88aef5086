"""The Track C section of the verdict map (rule R10 of docs/verdict_rules.md).

:func:`track_c_cells` reads the ``track_c`` stage's evidence (linear encoders trained by
:mod:`sims.trackc.evidence`) and gives one cell per claim × trained reading: the trained min r
against the lower bound of Thm 4.2 / 4.3 (R2), s^C > s^M of Thm 4.4 (R1), the DecL sensitivity
against |Ā| of Cor 4.5 (R6) and s_Dec against s_Fed of Thm 4.6, Eqs. (87) and (89) (R1), each with
the seed-noise tolerance of rule T6, beside the stage's own word. Track C never enters the Track B
counts, headlines or the finding. Importable from :mod:`sims.verdict_map`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np

from sims.verdict_map.cells import _compact
from sims.verdict_map.rows import headline
from theory import claims as cl
from theory import verdicts as vd

#: R10: the collapse rule R7 needs the rank of the optimum, which the Track C evidence does not
#: carry; every cell whose comparison R7 would guard says so
R7_NOT_APPLIED = "not applied: the trained optimum's rank is not in the evidence (R10)"


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
    out["collapse_rule_R7"] = R7_NOT_APPLIED
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
    out = {"abar": abar, "s": series, "tolerance": tol, "violations": viol}
    return word, out | {"collapse_rule_R7": R7_NOT_APPLIED}


def _tc_thm46(numbers: dict, method: str, rel: str) -> tuple[str, dict]:
    cell = numbers.get(method)
    if not isinstance(cell, dict) or not {"s_dec_N", "s_fed_N", "tol"} <= set(cell):
        return "not-run", {"reason": f"no Track C numbers for {method}"}
    tol = float(cell["tol"])
    word = vd.compare(float(cell["s_dec_N"]), float(cell["s_fed_N"]), rel, tol)
    out = {"s_dec": cell["s_dec_N"], "s_fed": cell["s_fed_N"], "tolerance": tol}
    if rel == "==":
        if "identical_runs" in cell:  # decided by the stage (sims.trackc.evidence)
            out["identical_runs"] = cell["identical_runs"]
    else:
        out["collapse_rule_R7"] = R7_NOT_APPLIED
    return word, out


def _track_b_here(vcfg: dict, cid: str, reading: dict) -> str | None:
    """The Track B word (every rule, R7 included) of claim ``cid`` under ``reading`` at the
    Track C configuration ``vcfg`` (a :class:`theory.claims.VerifyConfig` as a dict), or None
    where the reading does not name every dimension of the claim or the configuration is
    not a full VerifyConfig. Reported beside the Track C word, never merged with it."""
    dims = cl.CLAIM_READINGS.get(cid, ())
    if not dims or set(dims) - set(reading):
        return None
    names = {f.name for f in dataclasses.fields(cl.VerifyConfig)}
    try:
        cfg = cl.VerifyConfig(**{k: (tuple(v) if isinstance(v, list) else v)
                                 for k, v in vcfg.items() if k in names})  # fmt: skip
        return cl.evaluate_reading(cfg, cid, reading)["track_b"].verdict
    except (TypeError, ValueError):
        return None


def _tc_angles(cid, ev, nums, stage_word, values) -> list:
    """Eqs. 17 and 29-30: the stage's own word (principal angles carry no standard error)."""
    return [({}, stage_word, {}, "principal angles, no SE: the stage's word (R10)")]


def _tc_mim_bound(cid, ev, nums, stage_word, values) -> list:
    """Thm 4.2: trained MIM min r against the paper's LB."""
    w, n = _tc_bound(nums, "mim")
    return [({"objective": values["mim"]}, w, n, "trained min r vs LB (R2, T6)")]


def _tc_cl_bound(cid, ev, nums, stage_word, values) -> list:
    """Thm 4.3: trained CL (each augmentation trained) min r against the paper's LB."""
    found = []
    for m in ("cl", "cl-dissimilar"):
        if m in nums:
            w, n = _tc_bound(nums, m)
            found.append(({"cl": values[m]}, w, n, "trained min r vs LB (R2, T6)"))
    return found


def _tc_mim_vs_cl(cid, ev, nums, stage_word, values) -> list:
    """Thm 4.4: trained s^C against s^M over [N], per CL augmentation."""
    found = []
    for m in ("cl", "cl-dissimilar"):
        if any(isinstance(r, dict) and m in r for r in nums.values()):
            w, n = _tc_thm44(nums, m)
            rd = {"objective": values["mim"], "cl": values[m], "sensitivity": "spread-N"}
            found.append((rd, w, n, "trained s^C > s^M over [N] (R1, T6)"))
    return found


def _tc_connectivity(cid, ev, nums, stage_word, values) -> list:
    """Cor 4.5: trained DecL sensitivity against |Ā|, per trained method."""
    found = []
    for m in _trained(values):
        if any(f"{m}_s_N" in r for r in nums.get("sweep") or []):
            w, n = _tc_cor45(nums, m)
            rd = {"method": values[m], "sensitivity": "spread-N"}
            found.append((rd, w, n, "trained DecL sensitivity vs |Ā| (R6, T6)"))
    return found


def _tc_decl_vs_fl(cid, ev, nums, stage_word, values) -> list:
    """Thm 4.6 and its two equations: trained s_Dec against s_Fed by the claim's relation."""
    found = []
    for m in _trained(values):
        if m in nums:
            relation = cl.REGISTRY[cid].relation
            w, n = _tc_thm46(nums, m, relation)
            rd = {"method": values[m], "sensitivity": "spread-N"}
            found.append((rd, w, n, f"trained s_Dec {relation} s_Fed (R1, T6)"))
    if not found:
        reason = nums.get("reason") or ev.get("note", "")
        found.append(({}, "not-run", {"reason": reason}, "no trained numbers"))
    return found


def _trained(values: dict) -> list:
    return [m for m in ("mim", "cl", "cl-dissimilar") if m in values]


#: the Track C words of each claim family (a claim id, or its family: ``thm4.2.local`` ->
#: ``thm4.2``): ``found(cid, ev, nums, stage_word, values) -> [(reading, word, numbers,
#: note), …]``; a claim in neither has no Track C word
_TC_FOUND = {
    "eq17": _tc_angles,
    "eq29-30": _tc_angles,
    "thm4.2": _tc_mim_bound,
    "thm4.3": _tc_cl_bound,
    "thm4.4": _tc_mim_vs_cl,
    "cor4.5": _tc_connectivity,
    "thm4.6": _tc_decl_vs_fl,
}


def _tc_found(cid: str, ev: dict, nums: dict, stage_word: str, values: dict) -> list:
    """``[(reading, word, numbers, note), …]``: the Track C words of claim ``cid`` per reading,
    from its evidence ``ev`` (its ``numbers`` and the stage's own word)."""
    found = _TC_FOUND.get(cid) or _TC_FOUND.get(cid.rsplit(".", 1)[0])
    return [] if found is None else found(cid, ev, nums, stage_word, values)


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
        found = _tc_found(cid, ev, nums, stage_word, values)
        for reading, word, numbers, note in found:
            cell = {
                "claim": cid,
                "reading": reading,
                "config": config,
                "track_c": word,
                "stage_word": stage_word,
                "agrees": word == stage_word,
                "numbers": _compact(numbers),
                "note": note,
            }
            # the exact model's word for the same claim, reading and configuration: where R7
            # (not applied here, R10) makes Track B degenerate, the reader sees it beside
            here = _track_b_here(vcfg, cid, reading) if word != "not-run" else None
            if here is not None:
                cell["track_b_same_configuration"] = here
            cells.append(cell)
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
