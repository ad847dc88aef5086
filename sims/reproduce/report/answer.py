"""The answer in one screen: one row per claim of arXiv 2607.02447, its verdict under the
paper's own reading first, and a finding of at most 200 words, all computed from the verdict map.

:func:`build_answer` builds the table as data from the verdict map (``verdict_map.json`` or the
stage result), its per-configuration cells (``verdict_cells.json``, or the full map's ``cells``)
and the Track D verdicts (``trackd_verdicts.json``, or the stage result). Per claim: the
paper's own reading (``theory.claims.REGISTRY[id].paper_reading``, why in
``paper_reading_why``) and the Track B word under it per configuration (several paper readings
of one claim combined with R5), where each word occurs (ranges such as "N ≥ 3"), the other
readings' Track B cells counted per word (``not-run`` counted and where), whether a hidden
constant can rescue the paper's bound (Track A's break-even constants, the map's
``hidden_constants``), Track C's word under the paper's reading (the map's ``track_c``) and
Track D's word (rule D3) with its preset. :func:`render_answer` writes it as Markdown (README's
block between the finding markers, the opening of ``report.md``) or plain text (``dssl verify``
first, the end of ``dssl reproduce``). :func:`answer_from_folder` reads the three files of a
reproduce output folder. Nothing here is typed by hand: every word and number comes from the
map, and where the map has no data the row says ``not-run`` or ``n/a``.
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from sims.reproduce.report.finding import (
    MAX_WORDS,  # noqa: F401  (the answer's documented limit)
    WORD_ORDER,
    _counts_text,
    _d_text,
    _grouped,
    _ids,
    finding,
)
from theory import claims as cl
from theory import verdicts as vd
from theory.symbolic.proofs import CERTIFIED, COMPUTED, PROVED, claim_decided
from theory.symbolic.witnesses import format_witness

#: the files of a reproduce output folder the answer is read from
MAP_FILE, CELLS_FILE, TRACKD_FILE = "verdict_map.json", "verdict_cells.json", "trackd_verdicts.json"
#: the width the text rendering wraps its notes and finding at
_TEXT_WIDTH = 100


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------
def _compact(vmap: Mapping) -> Mapping:
    """The verdict map itself from a stage result ``{"map": ...}`` or the map."""
    if "map" in vmap and "rows" not in vmap:
        vmap = vmap["map"]
    return vmap


def _cells_of(vmap: Mapping, cells) -> list[dict]:
    """Per-configuration cells: ``cells`` as a list, an encoded ``verdict_cells.json`` table,
    or the full map's ``cells``."""
    if cells is None:
        cells = vmap.get("cells")
    if cells is None:
        raise ValueError(
            "cells: the answer table needs the verdict map's cells (verdict_cells.json or the "
            "stage result's map)"
        )
    if isinstance(cells, Mapping) and "codes" in cells:
        from sims.verdict_map import decode_cells

        cells = decode_cells(cells)
    return list(cells)


def _trackd_rows(trackd) -> tuple[dict, dict, dict]:
    """(rows by Track D claim, the DECISIVE rows, the PAPER-SCALE rows) of a Track D document
    (the stage result or ``trackd_verdicts.json``, rows as a list or as {claim: row}); each
    row carries ``scale_tag``, the scale of its runs
    (:func:`sims.trackd.verdict_rows.scale_tag`)."""
    from sims.trackd.verdict_rows import claim_tag

    if trackd is None:
        return {}, {}, {}

    def by_claim(doc) -> dict:
        if not isinstance(doc, Mapping) or "rows" not in doc:
            return {}
        rows = doc["rows"].values() if isinstance(doc["rows"], Mapping) else doc["rows"]
        return {r["claim"]: {**r, "scale_tag": claim_tag(doc, r["claim"])} for r in rows}

    return (by_claim(trackd), by_claim(trackd.get("decisive")),
            by_claim(trackd.get("paper_scale_run")))  # fmt: skip


def answer_from_folder(folder: str | Path, *, map_file: str = MAP_FILE) -> dict:
    """:func:`build_answer` of a reproduce output folder: its ``verdict_map.json`` (or
    ``map_file``), the cells file the map names (``verdict_cells.json``) and
    ``trackd_verdicts.json`` (Track D ``not-run`` where it is missing; checked by
    :func:`sims.trackd.verdict_rows.read_verdicts_file`). One-line ``FileNotFoundError`` when the
    map or its cells are missing; ``source`` is the map's path."""
    from sims.trackd.verdict_rows import read_verdicts_file

    folder = Path(folder)
    path = folder / map_file
    if not path.is_file():
        raise FileNotFoundError(f"verdict_map: file not found: {path}")
    vmap = json.loads(path.read_text())
    if not isinstance(vmap, dict) or not isinstance(vmap.get("rows"), dict):
        raise ValueError(f"{path.name} is not a verdict map (no 'rows' object)")
    cells_file = vmap.get("cells_file", CELLS_FILE)
    if not isinstance(cells_file, str) or os.path.basename(cells_file) != cells_file:
        raise ValueError(f"{path.name}: cells_file must be a file name in the same folder")
    cells_path = folder / cells_file
    if not cells_path.is_file():
        raise FileNotFoundError(f"verdict_cells: file not found: {cells_path}")
    td_path = folder / TRACKD_FILE
    trackd = read_verdicts_file(str(td_path)) if td_path.is_file() else None
    cells = json.loads(cells_path.read_text())
    try:
        answer = build_answer(vmap, cells, trackd)
    except (KeyError, TypeError, AttributeError, IndexError) as err:  # a malformed document
        raise ValueError(f"{path.name} or {cells_path.name} is malformed ({err!r})") from None
    answer["source_map"] = str(path)
    return answer


# ----------------------------------------------------------------------------------------------
# where a word occurs
# ----------------------------------------------------------------------------------------------
def n_range(ns, domain) -> str:
    """The values ``ns`` of N as ranges over ``domain`` (the map's N values), never a list.

    Example:
      >>> n_range([3, 4, 5], range(2, 6)), n_range([2], range(2, 6)), n_range([3, 4], range(2, 6))
      ('N ≥ 3', 'N = 2', '3 ≤ N ≤ 4')
      >>> n_range([2, 5], range(2, 6)), n_range([2, 4, 6], range(2, 8))
      ('N = 2 or N = 5', '3 of the 6 values of N')
    """
    domain = sorted(set(domain))
    idx = sorted({domain.index(n) for n in ns})
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    if len(runs) > 2:
        return f"{len(idx)} of the {len(domain)} values of N"
    out = []
    for run in runs:
        a, b = domain[run[0]], domain[run[-1]]
        if a == domain[0] and b == domain[-1]:
            out.append("every N")
        elif a == b:
            out.append(f"N = {a}")
        elif a == domain[0]:
            out.append(f"N ≤ {b}")
        elif b == domain[-1]:
            out.append(f"N ≥ {a}")
        else:
            out.append(f"{a} ≤ N ≤ {b}")
    return " or ".join(out)


def _where(hit: set, universe: set, n_domain) -> str:
    """Where the configurations ``hit`` (tuples (p, N, rare axis)) lie in ``universe``:
    "everywhere", a range of N, a rare axis or a value of p that holds exactly them, else a
    count (with the range of N it lies in when that is short)."""
    if hit == universe:
        return "everywhere"
    for i, dim in ((1, "N"), (2, "rare axis"), (0, "p")):
        vals = {k[i] for k in hit}
        if {k for k in universe if k[i] in vals} != hit:
            continue
        if i == 1:
            return f"at {n_range(vals, n_domain)}"
        return f"at {dim} {' or '.join(str(x) for x in sorted(vals))}"
    ns = {k[1] for k in hit}
    inside = {k for k in universe if k[1] in ns}
    rng = n_range(ns, n_domain)
    if "values of N" in rng or inside == universe:
        return f"in {len(hit)} of {len(universe)} configurations"
    return f"in {len(hit)} of the {len(inside)} configurations at {rng}"


def _key(cell: Mapping) -> tuple:
    c = cell["config"]
    return (c["p"], c["N"], c["rare_axis"])


# ----------------------------------------------------------------------------------------------
# one row
# ----------------------------------------------------------------------------------------------
def _reading_label(claim_id: str) -> str:
    """The paper's reading as ``dim=value`` (several values of one dimension joined by +)."""
    pr = cl.REGISTRY[claim_id].paper_reading
    if not pr:
        return "one reading"
    return ", ".join(f"{d}={'+'.join(vals)}" for d, vals in pr.items())


def _paper_verdict(cells: list[dict], names: set, universe: set, n_domain) -> dict:
    """The Track B word per configuration under the paper's readings (R5 across them), the
    claim's word (R5 across configurations), counts and where each word occurs."""
    per_conf: dict = {}
    bases: dict = {}
    for c in cells:
        if cl.reading_name(c["reading"]) in names:
            per_conf.setdefault(_key(c), []).append(c["track_b"])
            bases.setdefault(_key(c), []).append((c["track_b"], c.get("verdict_basis")))
    # a configuration's word is proved when its readings' words are, or a proved violated
    # decides it (R5)
    proved_conf = {k: claim_decided(pairs) for k, pairs in bases.items()}
    words = {k: vd.combine(ws) for k, ws in per_conf.items()}
    counts = Counter(words.values())
    confs = set(words)
    parts = []
    proved = []
    order = sorted(counts, key=lambda w: (-counts[w], WORD_ORDER.index(w)))
    for w in order:
        hit = {k for k, x in words.items() if x == w}
        mark = " (proved)" if all(proved_conf[k] for k in hit) else ""
        proved += [w] if mark else []
        parts.append(f"{w} {_where(hit, confs, n_domain)}{mark}")
    return {
        "proved": proved,
        "verdict": vd.combine(words.values()) if words else "not-run",
        "counts": {w: counts[w] for w in order},
        "text": "; ".join(parts) if parts else "not-run (no cell of the paper's reading)",
        "n_configurations": len(confs),
        "where": {w: sorted(k for k, x in words.items() if x == w) for w in order},
    }


def _not_run_where(cells: list[dict], n_domain) -> dict:
    """Where the ``not-run`` cells among ``cells`` are: ``readings``, the reading values none
    of whose cells ran (``dim=value``), and ``rest``, where the others lie (by configuration;
    empty when there are none)."""
    nr = [c for c in cells if c["track_b"] == "not-run"]
    if not nr:
        return {"readings": [], "rest": ""}
    values: dict = {}
    for c in cells:
        for d, x in c["reading"].items():
            values.setdefault((d, x), []).append(c["track_b"] == "not-run")
    dead = sorted(k for k, flags in values.items() if all(flags))
    rest = [c for c in nr if not any(c["reading"].get(d) == x for d, x in dead)]
    universe = {_key(c) for c in cells}
    where = _where({_key(c) for c in rest}, universe, n_domain) if rest else ""
    return {"readings": [f"{d}={x}" for d, x in dead], "rest": where}


def _not_run_text(where: Mapping) -> str:
    return "; ".join([*where["readings"], *([where["rest"]] if where["rest"] else [])])


def _hidden_constant(vmap: Mapping, claim_id: str) -> dict:
    """Can a hidden constant rescue the paper's bound under its reading? From the map's
    break-even constants (Track A): ``no`` when every constant's break-even value escapes as
    d grows ("violated (asymptotically)"), ``not needed`` when every constant works, ``yes``
    when some constant stays bounded, ``n/a`` where the map has none for this claim."""
    hc = vmap.get("hidden_constants") or {}
    if hc.get("status") != "run":
        return {"verdict": "n/a", "text": "n/a"}
    values = {x for vals in cl.REGISTRY[claim_id].paper_reading.values() for x in vals}
    found = [c for c in hc.get("cells", []) if c["claim"] == claim_id and c["reading"] in values]
    if not found:
        return {"verdict": "n/a", "text": "n/a"}
    consts = {k: x for c in found for k, x in c["constants"].items()}
    if any(str(c["label"]).startswith("violated") for c in found):
        grow = [
            (k, x["exponent"])
            for k, x in consts.items()
            if isinstance(x["exponent"], (int, float)) and math.isfinite(x["exponent"])
        ]
        k, e = max(grow, key=lambda t: t[1]) if grow else (None, None)
        exact = consts[k].get("exponent_exact") if k is not None else None
        shown = f"({exact}), closed form" if exact else f"{e:.2f}, fit"
        text = f"no ({k}* ~ d^{shown})" if k is not None else "no"
        return {"verdict": "no", "text": text, "exponent": e, "constant": k,
                "exponent_shown": f"({exact})" if exact else f"{e:.2f} (a fit)"}  # fmt: skip
    if all(x["status"] == "holds for every constant" for x in consts.values()):
        return {"verdict": "not needed", "text": "not needed"}
    bounded = sorted(k for k, x in consts.items() if x["status"] == "bounded")
    return {"verdict": "yes", "text": f"yes ({', '.join(bounded)} bounded)" if bounded else "yes"}


def _track_c(vmap: Mapping, claim_id: str, names: set) -> str:
    tc = vmap.get("track_c") or {}
    if tc.get("status") != "run":
        return "not-run"
    words = [
        c["track_c"]
        for c in tc.get("cells", [])
        if c["claim"] == claim_id and cl.reading_name(c["reading"]) in names
    ]
    return vd.combine(words) if words else "not-run"


def _track_d(td: tuple, trackd_claim: str | None, ran: bool) -> dict:
    """The Track D entry of a row: the word (D3's beside it) at the scale of its runs, then
    the DECISIVE and PAPER-SCALE words likewise where they ran (``text``); ``word`` is the
    short form the plain-text table's column shows."""
    from sims.trackd.verdict_rows import word_text

    rows, decisive, paper = td
    if trackd_claim is None:
        return {"verdict": "n/a", "text": "n/a", "word": "n/a"}
    row = rows.get(trackd_claim)
    if not ran or row is None or row["track_d"] == "not-run":
        return {"verdict": "not-run", "text": "not-run", "word": "not-run", "claim": trackd_claim}
    out = {"verdict": row["track_d"], "d3_verdict": row.get("d3_verdict"),
           "preset": row.get("preset"), "scale": row["scale_tag"], "claim": trackd_claim,
           "word": word_text(row), "text": f"{word_text(row)} at {row['scale_tag']}"}  # fmt: skip
    for key, label, doc in (("decisive", "decisive", decisive),
                            ("paper_scale_run", "paper-scale", paper)):  # fmt: skip
        got = doc.get(trackd_claim)
        if got is not None and got["track_d"] != "not-run":
            out[key] = got["track_d"]
            out["text"] += f"; {label}: {word_text(got)} at {got['scale_tag']}"
    return out


# ----------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------
def _other_readings(claim_cells: list, names: set, n_domain: list) -> dict:
    """The ``other_readings`` entry of a claim's row: the Track B words of its cells under the
    readings that are not the paper's, in words, and where they were not run."""
    others = [c for c in claim_cells if cl.reading_name(c["reading"]) not in names]
    o_counts = Counter(c["track_b"] for c in others)
    where_nr = _not_run_where(others, n_domain)
    o_text = _counts_text(o_counts) if others else "none (one reading)"
    if not claim_cells:
        o_text = "no cell of the claim in the map"
    if _not_run_text(where_nr):
        o_text += f" (not-run: {_not_run_text(where_nr)})"
    return {
        "counts": {w: o_counts[w] for w in WORD_ORDER if o_counts.get(w)},
        "text": o_text,
        "not_run_readings": where_nr["readings"],
        "not_run_where": where_nr["rest"],
    }


def _grid(vmap: Mapping, universe: set, cells: list) -> dict:
    """The ``grid`` entry of the answer: d, the configurations (p, N, rare axes) and how many
    cells there are and were not run."""
    dims = vmap["dimensions"]
    return {
        "d": vmap.get("config", {}).get("d"),
        "n_configurations": len(universe),
        "p": list(dims.get("p", [])),
        "N": list(dims["N"]),
        "rare_axis": list(dims.get("rare_axis", [])),
        "n_cells": len(cells),
        "n_not_run": sum(c["track_b"] == "not-run" for c in cells),
        # the cells whose word is decided by a float tolerance (neither proved nor certified)
        "n_tolerance_decided": sum(
            c["track_b"] != "not-run" and c.get("verdict_basis", COMPUTED) == COMPUTED for c in cells
        ),
        "n_proved": sum(c.get("verdict_basis") == PROVED for c in cells),
        "n_certified": sum(c.get("verdict_basis") == CERTIFIED for c in cells),
    }


def build_answer(vmap: Mapping, cells=None, trackd: Mapping | None = None) -> dict:
    """The answer table as data, one row per claim of the map, and the finding.

    Args:
      vmap: the verdict map (``verdict_map.json``, the full map, or the stage result).
      cells: its cells: a list (``sims.verdict_map.decode_cells``), the encoded
        ``verdict_cells.json`` table, or None for the full map's ``cells``.
      trackd: the Track D verdicts (the ``trackd_verdicts`` stage result or its file,
        rows as a list or {claim: row}); None: Track D not run.

    Returns:
      dict: ``rows`` (per claim: ``claim``, ``reference``, ``statement``, ``paper_reading``
      (label), ``paper_readings`` (names), ``paper_reading_why``, ``paper_verdict``
      (``verdict``, ``counts``, ``text``, ``where``, ``n_configurations``), ``other_readings``
      (``counts``, ``text``, ``not_run_readings``, ``not_run_where``), ``hidden_constant``,
      ``track_c``, ``track_d`` (``verdict``, ``text``, ``preset``, ``decisive``)),
      ``track_d_only`` (Track D claims without a row, e.g. §5's MAR ≥ MIM), ``grid`` (d, p, N,
      rare axes, ``n_configurations``, ``n_cells``, ``n_not_run``), ``track_c_config``,
      ``finding`` (≤ :data:`MAX_WORDS` words).

    Example:
      >>> # a hand-made map of one claim at three configurations
      >>> dims = {"p": [0.5], "N": [2, 3, 4], "rare_axis": ["extra"]}
      >>> vmap = {"config": {"d": 100}, "dimensions": dims, "rows": {"eq17": {}}}
      >>> cells = [{"claim": "eq17", "reading": {}, "track_b": w,
      ...           "config": {"p": 0.5, "N": n, "rare_axis": "extra"}}
      ...          for n, w in ((2, "holds"), (3, "violated"), (4, "violated"))]
      >>> row = build_answer(vmap, cells)["rows"][0]
      >>> row["paper_reading"], row["paper_verdict"]["text"]
      ('one reading', 'violated at N ≥ 3; holds at N = 2')
    """
    from sims.trackd.verdicts import CLAIM_OF, CLAIMS

    if not isinstance(vmap, Mapping):
        raise TypeError("vmap: must be a verdict map (dict)")
    vmap = _compact(vmap)
    cells = _cells_of(vmap, cells)
    dims = vmap["dimensions"]
    n_domain = list(dims["N"])
    by_claim: dict = {}
    for c in cells:
        by_claim.setdefault(c["claim"], []).append(c)
    universe = {_key(c) for c in cells}
    td = _trackd_rows(trackd)
    td_of = {claim: name for name, claim in CLAIM_OF.items()}
    rows = []
    witness_of = {w["claim"]: w for w in vmap.get("witnesses", [])}
    for cid, mrow in vmap["rows"].items():
        claim_cells = by_claim.get(cid, [])
        names = {cl.reading_name(r) for r in cl.paper_readings(cid)}
        paper = _paper_verdict(claim_cells, names, universe, n_domain)
        rows.append(
            {
                "claim": cid,
                "reference": mrow.get("reference", cl.REGISTRY[cid].reference),
                "statement": mrow.get("statement", cl.REGISTRY[cid].statement),
                "paper_reading": _reading_label(cid),
                "paper_readings": sorted(names),
                "paper_reading_why": cl.REGISTRY[cid].paper_reading_why,
                "paper_verdict": paper,
                "other_readings": _other_readings(claim_cells, names, n_domain),
                "hidden_constant": _hidden_constant(vmap, cid),
                "track_c": _track_c(vmap, cid, names),
                "track_d": _track_d(td, td_of.get(cid), trackd is not None),
                # the smallest exact counterexample (theory.symbolic.witnesses), where violated
                "witness": (format_witness(witness_of[cid]) if cid in witness_of else None),
            }
        )
    only = [c for c in CLAIMS if c not in CLAIM_OF]
    track_d_only = {c: _track_d(td, c, trackd is not None) for c in only}
    tc = vmap.get("track_c") or {}
    grid = _grid(vmap, universe, cells)
    answer = {
        "rows": rows,
        "track_d_only": track_d_only,
        "grid": grid,
        "track_c_config": tc.get("config") if tc.get("status") == "run" else None,
    }
    answer["finding"] = finding(answer, cells, vmap.get("readings", {}))
    return answer


# ----------------------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------------------
#: the table's columns: (heading, Markdown cell of a row)
_HEAD = (
    "claim",
    "paper's reading",
    "Track B under the paper's reading",
    "other readings (Track B cells)",
    "hidden constant rescues it?",
    "Track C",
    "Track D",
)


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _notes(answer: Mapping) -> list[str]:
    """The lines under the table: what each column is, computed from the answer."""
    g = answer["grid"]
    p = ", ".join(f"{x:g}" for x in g["p"])
    out = [
        f"Track B: the exact linear model at d = {_d_text(g['d'])} over {g['n_configurations']} "
        f"configurations (p ∈ {{{p}}}, {min(g['N'])} ≤ N ≤ {max(g['N'])}, rare axis "
        f"{' or '.join(g['rare_axis'])}); a claim with several paper readings combines their "
        "words per configuration (R5). The paper's reading of each claim and why: "
        "`theory.claims.REGISTRY[id].paper_reading` and `paper_reading_why`. Hidden constant: "
        "Track A's break-even constants against the exact model (n/a: the claim has no "
        "hidden constant). (proved): the word follows from closed forms for every N and d "
        "(`theory.symbolic.proofs`, each proof checked a second way by an SMT solver) and every "
        "grid cell agrees with it; a word without the mark is certified in ball arithmetic or "
        "computed within a float tolerance (counted in the finding)."
    ]
    tc = answer.get("track_c_config")
    out.append(
        f"Track C: trained linear encoders at d = {tc['d']}, N = {tc['N']}, p = {tc['p']}, "
        f"{tc['graph']} graph, {tc['seeds']} seeds."
        if tc
        else "Track C: not run."
    )
    only = answer.get("track_d_only", {})
    extra = "; ".join(f"{k} (no row of its own): {e['text']}" for k, e in only.items())
    out.append(
        "Track D: small nonlinear encoders, rule D4's word (D3's in brackets) at the scale of "
        "its runs (data·encoders·probe·clients·seeds·preset), a statement about that scale "
        "only, not about the paper's CIFAR/ImageNet fine-tuning or ResNet-18/ViT"
        + (f"; {extra}." if extra else ".")
        + " Rules and words: docs/verdict_rules.md, docs/track_d.md."
    )
    return out


def render_answer(answer: Mapping, fmt: str = "markdown", *, reasons: bool = False) -> str:
    """The answer table, the notes under it and the finding, as Markdown or plain text.

    Args:
      answer: :func:`build_answer`'s dict.
      fmt: ``"markdown"`` (README, report) or ``"text"`` (``dssl verify``, ``dssl reproduce``).
      reasons: also list why each reading is the paper's (``paper_reading_why``).

    Example:
      >>> dims = {"p": [0.5], "N": [2, 3], "rare_axis": ["extra"]}
      >>> vmap = {"config": {"d": 100}, "dimensions": dims, "rows": {"eq17": {}}}
      >>> cells = [{"claim": "eq17", "reading": {}, "track_b": "violated",
      ...           "config": {"p": 0.5, "N": n, "rare_axis": "extra"}} for n in (2, 3)]
      >>> render_answer(build_answer(vmap, cells)).splitlines()[2]  # doctest: +ELLIPSIS
      '| **`eq17`** the mask expectation ... | `one reading` | violated everywhere | ...'
    """
    if fmt not in ("markdown", "text"):
        raise ValueError(f"fmt: must be markdown or text, got {fmt!r}")
    rows = answer["rows"]
    if fmt == "markdown":
        lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
        for r in rows:
            cells = (
                f"**`{r['claim']}`** {r['statement']} ({r['reference']})",
                f"`{r['paper_reading']}`",
                r["paper_verdict"]["text"],
                r["other_readings"]["text"],
                r["hidden_constant"]["text"],
                r["track_c"],
                r["track_d"]["text"],
            )
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines += ["", *[f"{x}" for x in _notes(answer)]]
        lines = [*lines[: len(rows) + 2], "", " ".join(lines[len(rows) + 3 :])]
        if reasons:
            lines += ["", "Why each reading is the paper's:", ""]
            lines += [
                f"- `{_ids(ids)}` (`{label}`): {why}."
                for ids, (label, why) in _grouped(
                    [(r["claim"], (r["paper_reading"], r["paper_reading_why"])) for r in rows]
                )
            ]
        lines += ["", f"**Finding.** {answer['finding']}"]
        return "\n".join(lines)
    head = ("claim", "Track B under the paper's reading", "constant", "Track C", "Track D")
    body = [
        (r["claim"], r["paper_verdict"]["text"], r["hidden_constant"]["text"], r["track_c"],
         r["track_d"].get("word", r["track_d"]["text"]))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(x[i]) for x in (head, *body)) + 2 for i in range(len(head) - 1)]
    pad = " " * widths[0]

    def line(cols) -> str:
        return "".join(f"{c:<{w}}" for c, w in zip(cols, widths, strict=False)) + cols[-1]

    out = [line(head), "-" * len(line(head))]
    for r, cols in zip(rows, body, strict=True):
        out.append(line(cols))
        out.append(f"{pad}{r['statement']} [{r['reference']}]")
        others = r["other_readings"]["text"]
        out.append(f"{pad}paper's reading: {r['paper_reading']}; other readings: {others}")
        if r["track_d"]["verdict"] not in ("n/a", "not-run"):  # the word's scale, in full
            out += textwrap.wrap(f"Track D: {r['track_d']['text']}", _TEXT_WIDTH,
                                 initial_indent=pad, subsequent_indent=pad + "  ",
                                 break_on_hyphens=False)  # fmt: skip
    out += ["", *[textwrap.fill(x, _TEXT_WIDTH) for x in _notes(answer)]]
    if reasons:
        out += ["", "Why each reading is the paper's:"]
        out += [
            textwrap.fill(f"{r['claim']}: {r['paper_reading_why']}", _TEXT_WIDTH,
                          initial_indent="  ", subsequent_indent="    ")
            for r in rows
        ]  # fmt: skip
    out += ["", textwrap.fill(f"Finding. {answer['finding']}", _TEXT_WIDTH)]
    return "\n".join(out)
