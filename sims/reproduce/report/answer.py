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
Track D's word (rule D3) with its preset. :func:`render_answer` writes the full table as Markdown
(``report.md``); :func:`render_block` writes the one-screen answer as Markdown (README's block
between the finding markers, the opening of ``report.md``) or plain text (``dssl verify`` first,
the end of ``dssl reproduce``). :func:`answer_from_folder` reads the three files of a
reproduce output folder. Nothing here is typed by hand: every word and number comes from the
map, and where the map has no data the row says ``not-run`` or ``n/a``.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from sims.reproduce.pipeline.jsonio import read_json
from sims.reproduce.report.finding import (
    MAX_WORDS,  # noqa: F401  (the answer's documented limit)
    WORD_ORDER,
    _counts_text,
    _d_text,
    _grouped,
    _ids,
    finding,
)
from sims.trackc.rules import SENS_TOL
from theory import claims as cl
from theory import verdicts as vd
from theory.symbolic.proofs import CERTIFIED, COMPUTED, PROVED, claim_decided
from theory.symbolic.witnesses import format_witness

#: the files of a reproduce output folder the answer is read from
MAP_FILE, CELLS_FILE, TRACKD_FILE = "verdict_map.json", "verdict_cells.json", "trackd_verdicts.json"


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


def answer_from_folder(folder: str | Path, *, map_file: str = MAP_FILE,
                       trackd_folder: str | Path | None = None) -> dict:  # fmt: skip
    """:func:`build_answer` of a reproduce output folder: its ``verdict_map.json`` (or
    ``map_file``), the cells file the map names (``verdict_cells.json``) and
    ``trackd_verdicts.json`` of ``trackd_folder`` (default ``folder``; Track D ``not-run`` where
    it is missing; checked by :func:`sims.trackd.verdict_rows.read_verdicts_file`). One-line
    ``FileNotFoundError`` when the map or its cells are missing; ``source`` is the map's
    path."""
    from sims.trackd.verdict_rows import read_verdicts_file

    folder = Path(folder)
    path = folder / map_file
    if not path.is_file():
        raise FileNotFoundError(f"verdict_map: file not found: {path}")
    vmap = read_json(path)
    if not isinstance(vmap, dict) or not isinstance(vmap.get("rows"), dict):
        raise ValueError(f"{path.name} is not a verdict map (no 'rows' object)")
    cells_file = vmap.get("cells_file", CELLS_FILE)
    if not isinstance(cells_file, str) or os.path.basename(cells_file) != cells_file:
        raise ValueError(f"{path.name}: cells_file must be a file name in the same folder")
    cells_path = folder / cells_file
    if not cells_path.is_file():
        raise FileNotFoundError(f"verdict_cells: file not found: {cells_path}")
    td_path = Path(folder if trackd_folder is None else trackd_folder) / TRACKD_FILE
    trackd = read_verdicts_file(str(td_path)) if td_path.is_file() else None
    cells = read_json(cells_path)
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
    conf_basis = _conf_basis(cells, names)
    counts = Counter(words.values())
    confs = set(words)
    parts = []
    proved = []
    order = sorted(counts, key=lambda w: (-counts[w], WORD_ORDER.index(w)))
    for w in order:
        hit = {k for k, x in words.items() if x == w}
        mark = " (proved)" if all(proved_conf[k] for k in hit) else ""
        proved += [w] if mark else []
        # a void says its failed premise (R11, the only rule that gives it)
        premise = f", {vd.VOID_PREMISE}" if w == "void" else ""
        parts.append(f"{w} {_where(hit, confs, n_domain)}{premise}{mark}")
    return {
        "proved": proved,
        "verdict": vd.combine(words.values()) if words else "not-run",
        "counts": {w: counts[w] for w in order},
        "text": "; ".join(parts) if parts else "not-run (no cell of the paper's reading)",
        "n_configurations": len(confs),
        "where": {w: sorted(k for k, x in words.items() if x == w) for w in order},
        "basis_of": {
            w: _basis_text(Counter(b for k, b in conf_basis.items() if words.get(k) == w))
            for w in order
        },
        "basis_text": _basis_text(
            Counter(b for k, b in conf_basis.items() if order and words.get(k) == order[0])
        ),
    }


def basis_word(basis) -> str:
    """The word of a cell's ``verdict_basis`` (``"proved (all N, d)"`` → ``proved``); the
    data's own word, whatever it is (``n/a`` where a cell carries none)."""
    if not basis:
        return "n/a"
    return str(basis).split(" (")[0].strip() or "n/a"


def _conf_basis(cells: list[dict], names: set) -> dict:
    """The basis word per configuration under the paper's readings: the one word its cells
    share, else their words joined by ``+`` (e.g. ``computed+proved``)."""
    per: dict = {}
    for c in cells:
        if cl.reading_name(c["reading"]) in names:
            per.setdefault(_key(c), set()).add(basis_word(c.get("verdict_basis")))
    return {k: "+".join(sorted(v)) for k, v in per.items()}


def _basis_text(counts: Counter) -> str:
    """How sure a word is: the basis word where every configuration of the word has the same,
    else each basis word with its share of those configurations."""
    if not counts:
        return "n/a"
    if len(counts) == 1:
        return next(iter(counts))
    total = sum(counts.values())
    return ", ".join(f"{w} {n}/{total}" for w, n in counts.most_common())


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


def _track_c_why(vmap: Mapping, names_of: Mapping) -> str | None:
    """Why Track C's word is ``degenerate`` where it is (under the paper's readings,
    ``names_of``: claim → reading names), from each degenerate cell's numbers
    (:func:`_tied_sides`): the trained quantities it compares, equal within the tolerance of
    rule T6, or a bound Track A calls vacuous; a cell of another form gives its note. None
    where no claim is degenerate."""
    tc = vmap.get("track_c") or {}
    cells = [c for c in tc.get("cells", []) if c["track_c"] == "degenerate"
             and cl.reading_name(c["reading"]) in names_of.get(c["claim"], ())]  # fmt: skip
    if tc.get("status") != "run" or not cells:
        return None
    said: dict = {}  # what each cell says → the claims that say it, in order
    for c in cells:
        what = _tied_sides(c.get("numbers") or {}) or c.get("note", "equal within tolerance")
        said.setdefault(what, []).append(c["claim"])
    cfg = tc["config"]
    run = f"d = {cfg['d']}, N = {cfg['N']}, {cfg['seeds']} seed{'s' * (cfg['seeds'] != 1)}"
    parts = [f"{' and '.join(dict.fromkeys(ids))}: {what}" for what, ids in said.items()]
    return (
        f"Track C degenerate ({run}; rule T6's tolerance: twice the standard error over the "
        f"seeds, at least {SENS_TOL:g}): " + "; ".join(parts) + "."
    )


def _tied_sides(numbers: Mapping) -> str | None:
    """What a degenerate Track C cell compares, from its numbers; None for a form not known
    here. Bounds (R2): ``min_rv`` against ``lower_bound``; orders (R1): ``s_dec`` and
    ``s_fed``, or per framework ``s_cl`` and ``s_mim``; trends (R6): ``s`` over ``abar``."""
    tol = numbers.get("tolerance")
    if "lower_bound" in numbers:
        lb = float(numbers["lower_bound"])
        if not 0.0 < lb <= 1.0:
            return f"the bound {lb:.3g} is vacuous (Track A), so there is nothing to check"
        return f"min r {numbers['min_rv']:.3g} and the bound {lb:.3g} equal within {tol:g}"
    if "s_dec" in numbers:
        return f"s_Dec {numbers['s_dec']:.2g} and s_Fed {numbers['s_fed']:.2g} equal within {tol:g}"
    if "s" in numbers and "abar" in numbers:
        s, a = numbers["s"], numbers["abar"]
        return (f"sensitivities {min(s):.2g} to {max(s):.2g} over |Ā| {min(a):g} to {max(a):g}, "
                f"no two apart by more than {tol:g}")  # fmt: skip
    tied = [
        f"{fw}: s_CL {x['s_cl']:.2g} and s_MIM {x['s_mim']:.2g} equal within {x['tolerance']:g}"
        for fw, x in numbers.items()
        if isinstance(x, Mapping) and x.get("verdict") == "degenerate" and "s_cl" in x
    ]
    return ", ".join(tied) or None


def _track_d(td: tuple, trackd_claim: str | None, ran: bool) -> dict:
    """The Track D entry of a row: the word (D3's beside it) at the scale of its runs, then
    the DECISIVE and PAPER-SCALE words likewise where they ran (``text``); ``word`` is the
    short form the plain-text table's column shows."""
    from sims.trackd.verdict_rows import why_text, word_text

    rows, decisive, paper = td
    if trackd_claim is None:
        return {"verdict": "n/a", "text": "n/a", "word": "n/a"}
    row = rows.get(trackd_claim)
    if not ran or row is None or row["track_d"] == "not-run":
        return {"verdict": "not-run", "text": "not-run", "word": "not-run", "claim": trackd_claim}
    out = {"verdict": row["track_d"], "d3_verdict": row.get("d3_verdict"),
           "preset": row.get("preset"), "scale": row["scale_tag"], "claim": trackd_claim,
           "word": word_text(row), "text": f"{word_text(row)} at {row['scale_tag']}",
           "why": why_text(row)}  # fmt: skip
    for key, label, doc in (("decisive", "decisive", decisive),
                            ("paper_scale_run", "paper-scale", paper)):  # fmt: skip
        got = doc.get(trackd_claim)
        if got is not None and got["track_d"] != "not-run":
            out[key] = got["track_d"]
            out[f"{key}_why"] = why_text(got)
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
            c["track_b"] != "not-run" and c.get("verdict_basis", COMPUTED) == COMPUTED
            for c in cells
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
      ``track_c_why`` (why Track C says ``degenerate`` where it does, or None),
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
    n_domain = list(vmap["dimensions"]["N"])
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
    answer = {
        "rows": rows,
        "track_d_only": track_d_only,
        "grid": _grid(vmap, universe, cells),
        "track_c_config": tc.get("config") if tc.get("status") == "run" else None,
        "track_c_why": _track_c_why(vmap, {r["claim"]: r["paper_readings"] for r in rows}),
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


def _cell(text) -> str:
    """``text`` as one Markdown table cell (or an emphasis): a backslash kept as written
    (``[N]\\{i}`` is not an escape of ``{``), ``|`` escaped, one line."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_table(head, rows) -> list[str]:
    """A Markdown table's lines: ``head``, the ``|---|`` separator, each row (nothing escaped)."""
    lines = ["| " + " | ".join(map(str, r)) + " |" for r in (head, *rows)]
    return [lines[0], "|" + "---|" * len(head), *lines[1:]]


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
    if answer.get("track_c_why"):
        out[-1] += " " + answer["track_c_why"]
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
    """The answer table, the notes under it and the finding, as Markdown (the report's full
    table; the one-screen block, also as plain text, is :func:`render_block`).

    Args:
      answer: :func:`build_answer`'s dict.
      fmt: ``"markdown"``, the one format of the full table.
      reasons: also list why each reading is the paper's (``paper_reading_why``).

    Example:
      >>> dims = {"p": [0.5], "N": [2, 3], "rare_axis": ["extra"]}
      >>> vmap = {"config": {"d": 100}, "dimensions": dims, "rows": {"eq17": {}}}
      >>> cells = [{"claim": "eq17", "reading": {}, "track_b": "violated",
      ...           "config": {"p": 0.5, "N": n, "rare_axis": "extra"}} for n in (2, 3)]
      >>> render_answer(build_answer(vmap, cells)).splitlines()[2]  # doctest: +ELLIPSIS
      '| **`eq17`** the mask expectation ... | `one reading` | violated everywhere | ...'
    """
    if fmt != "markdown":
        raise ValueError(f"fmt: must be markdown (plain text: render_block), got {fmt!r}")
    rows = answer["rows"]
    cells = [
        (
            f"**`{r['claim']}`** {r['statement']} ({r['reference']})",
            f"`{r['paper_reading']}`",
            r["paper_verdict"]["text"],
            r["other_readings"]["text"],
            r["hidden_constant"]["text"],
            r["track_c"],
            r["track_d"]["text"],
        )
        for r in rows
    ]
    lines = md_table(_HEAD, [[_cell(c) for c in row] for row in cells])
    lines += ["", " ".join(_notes(answer))]
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


# ----------------------------------------------------------------------------------------------
# the answer in one screen
# ----------------------------------------------------------------------------------------------
#: what the toolkit is, in one sentence: the first line of the one-screen answer
WHAT = (
    "dssl-verify computes whether each claim of arXiv 2607.02447 (distributed self-supervised "
    "learning under non-IID data) holds: from the paper's formulas, the exact linear model, "
    "trained linear models and small nonlinear encoders (Tracks A-D)."
)

#: the paper's headline claims (its abstract and §1): a plain label, the claim of the table
#: that states it (None: Track D only), the claims that refine it (their words follow), and
#: the Track D comparison that reads it empirically (``sims.trackd.verdicts.CLAIMS``)
HEADLINES = (
    ("MIM is more robust than CL", "thm4.4", (), "mim_vs_cl"),
    ("robustness grows with connectivity |Ā|", "cor4.5", (), "connectivity"),
    ("FL no less robust than DecL", "thm4.6", ("thm4.6.eq87", "thm4.6.eq89"), "fl_vs_decl"),
    ("MAR is more robust than MIM (§5)", None, (), "mar_vs_mim"),
)

#: each claim's short name in the tables; the whole statement is ``dssl explain CLAIM``
#: (:func:`explain`) and README's list of the claims in full
SHORT_NAMES = {
    "eq17": "mask expectation",
    "eq29-30": "DecL neighbour average",
    "thm4.2.local": "MIM bound, local",
    "thm4.2.decl": "MIM bound, DecL",
    "thm4.2.fl": "MIM bound, FL",
    "thm4.3.local": "CL bound, local",
    "thm4.3.decl": "CL bound, DecL",
    "thm4.3.fl": "CL bound, FL",
    "thm4.4": "MIM more robust than CL",
    "cor4.5": "robustness grows with |Ā|",
    "thm4.6": "FL at least as robust",
    "thm4.6.eq87": "DecL < FL when |Ā| < N",
    "thm4.6.eq89": "DecL = FL, complete graph",
}

#: how a verdict word is shown in Markdown and HTML: (the word's start, symbol, colour); a
#: word that starts with none of these (a word added later) gets :data:`OTHER_STYLE`
WORD_STYLES = (
    ("holds", "✓", "#1a7f37"),
    ("violated", "✗", "#cf222e"),
    ("inconclusive", "?", "#9a6700"),
    ("not-run", "–", "#6e7781"),
    ("n/a", "", "#6e7781"),
)
OTHER_STYLE = ("◆", "#0550ae")
#: the text table's width when the terminal does not say
TEXT_COLUMNS = 120


def short_name(claim_id: str) -> str:
    """The claim's short name (:data:`SHORT_NAMES`), else the start of its statement.

    >>> short_name("thm4.4")
    'MIM more robust than CL'
    """
    if claim_id in SHORT_NAMES:
        return SHORT_NAMES[claim_id]
    statement = cl.REGISTRY[claim_id].statement
    return statement if len(statement) <= 26 else statement[:25] + "…"


def explain(name: str, command: str | None = None) -> dict:
    """A claim in full (``kind`` claim: ``claim``, ``short``, ``reference``, ``statement``,
    ``paper_reading``, ``paper_reading_why``) or an output key's glossary entry (``kind`` key:
    ``key``, ``meaning``, ``unit``, ``source``, ``outputs``); one-line error otherwise.

    >>> explain("thm4.4")["reference"]
    'Thm 4.4, Eqs. (62)-(73)'
    >>> explain("s_N")["kind"]
    'key'
    """
    from sims import glossary

    if name in cl.REGISTRY:
        c = cl.REGISTRY[name]
        return {
            "kind": "claim",
            "claim": name,
            "short": short_name(name),
            "reference": c.reference,
            "statement": c.statement,
            "paper_reading": _reading_label(name),
            "paper_reading_why": c.paper_reading_why,
        }
    term = glossary.describe(name, command)
    if term is None:
        glossary.refuse(name, cl.CLAIM_IDS)
    return {
        "kind": "key",
        "key": name,
        "meaning": term.meaning,
        "unit": term.unit,
        "source": term.source,
        "outputs": list(term.commands),
    }


def headlines(answer: Mapping) -> list[dict]:
    """The paper's headline claims (:data:`HEADLINES`) answered from ``answer``: per claim its
    ``label``, ``claim``, Track B ``verdict`` and ``text`` under the paper's reading, ``basis``
    (how sure: the cells' own basis words), the refining claims' words (``refine``) and the
    Track D entry (``track_d``: verdict, scale)."""
    rows = {r["claim"]: r for r in answer["rows"]}
    out = []
    for label, cid, refine, td in HEADLINES:
        row = rows.get(cid) if cid else None
        entry: dict = {"label": label, "claim": cid, "trackd_claim": td}
        if row is not None:
            pv = row["paper_verdict"]
            entry |= {"verdict": pv["verdict"], "text": pv["text"],
                      "main": _main_part(pv), "basis": pv.get("basis_text", "n/a")}  # fmt: skip
            entry["track_d"] = row["track_d"]
        else:
            entry["track_d"] = (answer.get("track_d_only") or {}).get(td) or {
                "verdict": "not-run", "text": "not-run"}  # fmt: skip
        entry["refine"] = [(c, _main_part(rows[c]["paper_verdict"])) for c in refine if c in rows]
        out.append(entry)
    return out


def _main_part(pv: Mapping) -> str:
    """The word of the most configurations with where it holds (``violated at N ≥ 3``), the
    "(proved)" mark left to the basis beside it."""
    return pv["text"].split("; ")[0].replace(" (proved)", "")


def _style(word: str) -> tuple[str, str]:
    for start, symbol, colour in WORD_STYLES:
        if word.startswith(start):
            return symbol, colour
    return OTHER_STYLE


def mark(text: str, fmt: str) -> str:
    """``text`` (a verdict word, or words with where they hold joined by ``; ``) with each
    part's word marked: plain in ``text``, after its symbol in ``markdown``, and in ``html``
    also in its colour (``<span class="verdict">``).

    >>> mark("violated at N ≥ 3; void at N = 2", "markdown")
    '✗ violated at N ≥ 3; ◆ void at N = 2'
    """
    if fmt == "text":
        return text
    parts = []
    for part in str(text).split("; "):
        word, _, rest = part.partition(" ")
        symbol, colour = _style(word)
        shown = f"{symbol} {word}" if symbol else word
        if fmt == "html":
            shown = f'<span class="verdict" style="color:{colour}">{shown}</span>'
        parts.append(shown + (f" {rest}" if rest else ""))
    return "; ".join(parts)


def _td_cell(td: Mapping) -> str:
    """A Track D entry in a table cell of the one-screen answer: its word alone (its scale and
    the other presets' words are in the headline lines, D3's word beside it in the report)."""
    return td.get("verdict", "not-run")


def _td_headline(td: Mapping, fmt: str, shared: str | None = None) -> str:
    """Track D's word (marked) at the scale of its runs (``scale``, the row's scale tag; left
    out where it is ``shared``, the scale the preamble states once), then the DECISIVE and
    PAPER-SCALE words where they ran (their scales: the report)."""
    word = td.get("verdict", "not-run")
    scale = td.get("scale")
    out = mark(word, fmt) + _why(td.get("why"))
    out += f" at {scale}" if scale and scale != shared else ""
    for key, label in (("decisive", "decisive"), ("paper_scale_run", "paper-scale")):
        if td.get(key):
            out += f"; {label}: {td[key]}{_why(td.get(f'{key}_why'))}"
    return out


def _why(text: str | None) -> str:
    """A word's reason in brackets after it (``sims.trackd.verdict_rows.why_text``), or ""."""
    return f" ({text})" if text else ""


def shared_scale(hs) -> str | None:
    """The one scale every headline's Track D runs share (the entries with a scale tag), or
    None when they differ or none ran: the preamble then states it once and the headline
    lines leave it out.

    >>> shared_scale([{"track_d": {"scale": "MNIST-4k"}}, {"track_d": {"verdict": "n/a"}}])
    'MNIST-4k'
    >>> shared_scale([{"track_d": {"scale": "MNIST-4k"}}, {"track_d": {"scale": "CIFAR"}}])
    """
    scales = {h["track_d"].get("scale") for h in hs} - {None, ""}
    return scales.pop() if len(scales) == 1 else None


def _headline_parts(h: Mapping, fmt: str, shared: str | None = None) -> tuple[str, str]:
    """(the claim's label, its answer) of one headline; ``shared``: the Track D scale the
    preamble states (:func:`shared_scale`)."""
    ref = f"`{h['claim']}`" if fmt != "text" and h["claim"] else h["claim"]
    label = f"{h['label']} ({ref})" if h["claim"] else h["label"]
    if h["claim"] and "main" not in h:
        said = "not in these results"
    elif h["claim"]:
        said = f"{mark(h['main'], fmt)}, {h['basis']}"
        for cid, part in h["refine"]:
            c = f"`{cid}`" if fmt != "text" else cid
            said += f"; {c.replace('thm4.6.', '')} {mark(part, fmt)}"
        said += f". Track D: {_td_headline(h['track_d'], fmt, shared)}"
    else:
        said = f"Track D only: {_td_headline(h['track_d'], fmt, shared)}"
    return label, said


def _preamble(answer: Mapping, shared: str | None = None) -> str:
    g = answer["grid"]
    td = f"; Track D: small nonlinear encoders at {shared}" if shared else ""
    return (
        "The paper's headline claims under its own reading (Track B, the exact linear model: "
        f"d = {_d_text(g['d'])}, {g['n_configurations']} configurations, "
        f"{min(g['N'])} ≤ N ≤ {max(g['N'])}; how sure: its cells' basis{td}):"
    )


def fit_table(head, rows, width: int, *, drop=()) -> list[str]:
    """A plain-text table no line of which is wider than ``width``: columns in ``drop`` (by
    index, in that order) are left out while it does not fit, then the widest columns are
    narrowed and their cells wrapped onto more lines.

    >>> lines = fit_table(("a", "b"), [("x", "a long cell of words")], 14)
    >>> max(len(x) for x in lines) <= 14, lines[2:]
    (True, ['x  a long cell', '   of words'])
    """
    keep = list(range(len(head)))
    widths = [max(len(str(x[i])) for x in (head, *rows)) for i in range(len(head))]

    def total(cols) -> int:
        return sum(widths[i] for i in cols) + 2 * (len(cols) - 1)

    def floor(i: int) -> int:  # the narrowest a column is wrapped to: its longest word
        if i == 0:
            return widths[0]
        return max(len(t) for x in (head, *rows) for t in str(x[i]).split() or [""])

    for i in drop:  # left out while the columns do not fit at up to 30 characters each
        if sum(min(widths[j], max(30, floor(j))) for j in keep) + 2 * (len(keep) - 1) <= width:
            break
        if i in keep and len(keep) > 2:
            keep.remove(i)
    w = {i: widths[i] for i in keep}
    floor = {i: floor(i) for i in keep}
    while sum(w.values()) + 2 * (len(keep) - 1) > width:
        shrinkable = [i for i in keep if w[i] > floor[i]]
        if not shrinkable:
            break
        w[max(shrinkable, key=lambda i: w[i])] -= 1
    out = []

    def emit(cells) -> None:
        wrapped = [textwrap.wrap(str(cells[i]), w[i], break_long_words=False) or [""]
                   for i in keep]  # fmt: skip
        for k in range(max(len(c) for c in wrapped)):
            parts = [c[k] if k < len(c) else "" for c in wrapped]
            line = "  ".join(f"{p:<{w[i]}}" for p, i in zip(parts, keep, strict=True))
            out.append(line.rstrip()[:width])

    emit(head)
    out.append("-" * min(width, sum(w.values()) + 2 * (len(keep) - 1)))
    for r in rows:
        emit(r)
    return out


def render_headline(answer: Mapping, fmt: str = "markdown", *, width: int = TEXT_COLUMNS) -> str:
    """The answer in one screen: what the toolkit is (one sentence), the paper's headline
    claims (:data:`HEADLINES`) in at most six lines (the word under the paper's reading, how
    sure, Track D's word with its scale: stated once before them where every headline's runs
    share it, :func:`shared_scale`), then the table of every claim with short names.

    The same block opens README (between its finding markers), ``report.md`` and
    ``report.html``, ``dssl verify`` and is the last thing ``dssl reproduce`` prints. Every word
    comes from ``answer`` (:func:`build_answer`).

    Args:
      answer: :func:`build_answer`'s dict.
      fmt: ``"markdown"`` (README, ``report.md``; words after a symbol, claim names linked to
        their statements below the table), ``"html"`` (the same with each word in its colour)
        or ``"text"`` (the terminal: no line wider than ``width``).
      width: the text's width in columns (``fmt="text"``).
    """
    if fmt not in ("markdown", "html", "text"):
        raise ValueError(f"fmt: must be markdown, html or text, got {fmt!r}")
    answered = headlines(answer)
    shared = shared_scale(answered)
    hs = [_headline_parts(h, fmt, shared) for h in answered]
    rows = answer["rows"]
    if fmt == "text":
        width = max(int(width), 40)
        out = textwrap.wrap(WHAT, width) + [""] + textwrap.wrap(_preamble(answer, shared), width)
        for label, said in hs:
            out += textwrap.wrap(f"{label}: {said}", width, initial_indent="  ",
                                 subsequent_indent="      ")  # fmt: skip
        head = ("claim", "what it says", "Track B, paper's reading", "basis", "Track C",
                "Track D")  # fmt: skip
        body = [
            (r["claim"], short_name(r["claim"]), r["paper_verdict"]["text"],
             r["paper_verdict"].get("basis_text", "n/a"), r["track_c"], _td_cell(r["track_d"]))
            for r in rows
        ]  # fmt: skip
        out += ["", *fit_table(head, body, width, drop=(1, 3, 4))]
        if answer.get("track_c_why"):
            out += textwrap.wrap(answer["track_c_why"], width)
        out.append(textwrap.shorten(
            "Each claim in full: dssl explain CLAIM; every reading and cell: the report.",
            width))  # fmt: skip
        return "\n".join(out)
    out = [f"{WHAT} {_preamble(answer, shared)}", ""]
    out += [f"- **{label}:** {said}" for label, said in hs]
    head = ("claim", "Track B under the paper's reading", "how sure", "Track C", "Track D")
    cells = [
        (
            f"[`{r['claim']}`](#claim-{_anchor(r['claim'])}) {short_name(r['claim'])}",
            mark(r["paper_verdict"]["text"], fmt),
            r["paper_verdict"].get("basis_text", "n/a"),
            mark(r["track_c"], fmt),
            mark(_td_cell(r["track_d"]), fmt),
        )
        for r in rows
    ]
    out += ["", *md_table(head, [[_cell(c) for c in row] for row in cells])]
    if answer.get("track_c_why"):
        out += ["", answer["track_c_why"]]
    out += ["", '<details markdown="1"><summary>The claims in full (the paper\'s statement and '
            "reference; also <code>dssl explain CLAIM</code>)</summary>", ""]  # fmt: skip
    out += [
        f'- <a id="claim-{_anchor(r["claim"])}"></a>**`{r["claim"]}`** '
        f"{_cell(r['statement'])} ({r['reference']})"
        for r in rows
    ]
    out += ["", "</details>"]
    return "\n".join(out)


def _anchor(claim_id: str) -> str:
    """The HTML anchor of a claim's full statement (dots kept out: ``thm4-4``)."""
    return claim_id.replace(".", "-")


def render_block(answer: Mapping, fmt: str = "markdown", *, width: int = TEXT_COLUMNS) -> str:
    """:func:`render_headline` followed by the finding (≤ :data:`MAX_WORDS` words): the block
    README opens with (between its finding markers), ``report.md``/``report.html`` open with,
    ``dssl verify`` prints first and ``dssl reproduce`` prints last."""
    head = render_headline(answer, fmt, width=width)
    if fmt == "text":
        return head + "\n\n" + textwrap.fill(f"Finding. {answer['finding']}", max(width, 40))
    return head + f"\n\n**Finding.** {answer['finding']}"
