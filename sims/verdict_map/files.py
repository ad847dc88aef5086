"""The verdict map's files and texts, each computed from the map.

:func:`compact_map` is ``verdict_map.json`` (the map without its per-cell list),
:func:`encode_cells` is ``verdict_cells.json`` (every cell's Track A and B word as one letter,
:data:`CODES`), decoded by :func:`decode_cells`; :func:`finding_paragraph` is the map's
finding paragraph and :func:`summarize` the plain-text summary. Every name here is importable from
:mod:`sims.verdict_map`.
"""

from __future__ import annotations

import itertools
from collections import Counter

from theory import claims as cl
from theory.symbolic.proofs import CERTIFIED, COMPUTED, PROVED

#: the order of words in figures and summaries
WORD_ORDER = ("holds", "violated", "collapsed", "degenerate", "not-unique", "void", "not-run")
#: one letter per verdict word in ``verdict_cells.json``
CODES = {
    "holds": "h",
    "violated": "v",
    "degenerate": "d",
    "collapsed": "c",
    "not-unique": "u",
    "void": "o",
    "not-run": "-",
    "informative": "i",
    "vacuous": "a",
    "invalid": "x",
}


def _group_changes(change: dict) -> dict:
    """A rule change with its changed cells grouped by (claim, reading, old word, new word):
    one entry per group with the number of configurations in ``cells`` (``claim`` only where
    the cells say which, for the changes that span several claims)."""
    groups: Counter = Counter()
    readings = {}
    for ch in change.get("changed_cells", []):
        key = (ch.get("claim", ""), cl.reading_name(ch["reading"]), ch["old"], ch["new"])
        groups[key] += 1
        readings[key[1]] = ch["reading"]
    out = dict(change)
    if "changed_cells" in change:
        out["changed_cells"] = [
            {**({"claim": claim} if claim else {}), "reading": readings[name], "old": old,
             "new": new, "cells": k}
            for (claim, name, old, new), k in sorted(groups.items())
        ]  # fmt: skip
    return out


def compact_map(result: dict) -> dict:
    """``verdict_map.json``: the map without its per-cell list (``n_cells`` instead) and with
    the cells a rule change affects grouped by reading; every count,
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
      ``claims`` ({claim: {reading name: {"reading", "track_a", "track_b"}, plus ``proved``
      where some cell's word is proved for all N and d (``theory.symbolic.proofs``: "1"
      proved, "0" computed)}}); each string has one letter per configuration.
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
        if c.get("verdict_basis") == PROVED:
            entry.setdefault("proved", ["0"] * len(configs))[i] = "1"
        elif c.get("verdict_basis") == CERTIFIED:
            entry.setdefault("certified", ["0"] * len(configs))[i] = "1"
    for row in claims.values():
        for entry in row.values():
            for k in ("track_a", "track_b", "proved", "certified"):
                if k in entry:
                    entry[k] = "".join(entry[k])
    return {"codes": CODES, "d": result["config"]["d"], "configs": configs, "claims": claims}


def _configs_of(result: dict) -> list[tuple]:
    dims = result["dimensions"]
    return list(itertools.product(dims["p"], dims["N"], dims["rare_axis"]))


def decode_cells(table: dict) -> list[dict]:
    """The cells of :func:`encode_cells` as ``{"claim", "reading", "config", "track_a",
    "track_b", "verdict_basis"}`` dicts, in map order (configuration, then claim, then reading)."""
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
                        "verdict_basis": PROVED
                        if entry.get("proved", "")[i : i + 1] == "1"
                        else CERTIFIED
                        if entry.get("certified", "")[i : i + 1] == "1"
                        else COMPUTED,
                    }
                )
    return out


def finding_paragraph(result: dict) -> str:
    """The map's finding paragraph: each claim's headline pooled over readings, generated from
    the map (the report's verdict-map section; README shows the answer table of
    :mod:`sims.reproduce.report.answer`)."""
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
