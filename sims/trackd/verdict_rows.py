"""Track D's verdict rows and their file: the table of rule D3's words beside the minimum
detectable effect and the paper's effect (:func:`verdict_table`), the check of a
``trackd_verdicts.json`` read back (:func:`check_verdicts_doc`, :func:`read_verdicts_file`) and
the committed DECISIVE entry (:func:`decisive_entry`)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from sims.trackd.paper_numbers import PAPER_DIRECTION, PAPER_EFFECTS
from sims.trackd.verdicts import (
    CLAIMS,
    DECISIVE_COMMAND,
    DECISIVE_DIR,
    OLD_WORDS,
    RULE,
    VERDICTS_FILE,
    WORDS,
    decide,  # noqa: F401  (the examples)
)
from theory import _validate as v


def _finite(x: Any) -> float | None:
    """A finite float, or None (nan/inf: not computable)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def verdict_table(decisions: dict) -> list[dict]:
    """Rows, in CLAIMS order: claim / rule / Track D verdict (rule D3) / mean ± SE, per-seed
    SD, seeds / tolerance, resolution / minimum detectable effect / reason / reading / D2's
    and D1's words / preset / the paper's direction, scale and effect size (same units as Δ)
    with its source.

    Args:
      decisions: {claim: dict from :func:`decide`, with ``reading``, ``old_verdict``,
        ``d1_verdict`` and ``preset`` where :func:`decisions` made it} (missing claims:
        ``not-run``). Non-finite numbers (SE with one seed) become None.

    Example:
      >>> rows = verdict_table({"mim_vs_cl": decide([0.02, 0.03, 0.025])})
      >>> rows[0]["track_d"], rows[1]["track_d"], round(100 * rows[0]["paper_effect"], 2)
      ('holds', 'not-run', 1.64)
    """
    rows = []
    for claim in CLAIMS:
        direction, scale = PAPER_DIRECTION[claim]
        eff = PAPER_EFFECTS[claim]
        paper = {
            "paper": direction,
            "paper_scale": scale,
            "paper_effect": eff["effect"],
            "paper_effect_source": eff["source"],
            "unit": eff["unit"],
        }
        d = decisions.get(claim)
        if d is None:
            rows.append({"claim": claim, "rule": RULE, "track_d": "not-run", **paper})
            continue
        rows.append(
            {
                "claim": claim,
                "rule": d.get("rule", RULE),
                "track_d": d["verdict"],
                "mean": d["mean"],
                "se": _finite(d["se"]),
                "sd": _finite(d.get("sd")),
                "n_seeds": d["n_seeds"],
                "tolerance": _finite(d.get("tolerance")),
                "resolution": _finite(d.get("resolution")),
                "mde": _finite(d.get("mde")),
                "reason": d["reason"],
                "reading": d.get("reading", ""),
                "old_verdict": d.get("old_verdict"),
                "d1_verdict": d.get("d1_verdict"),
                "preset": d.get("preset"),
                **paper,
                "agrees_with_paper": {"holds": True, "violated": False}.get(d["verdict"]),
            }
        )
    return rows


def _number(
    row: dict, key: str, fail, *, required: bool = False, lo: float = -1.0, hi: float = 1.0
):
    """``row[key]`` is a finite number in [lo, hi]: accuracies and their differences (per
    unit of |Ā| for a slope, whose steps are at least 1) lie in [−1, 1]."""
    x = row.get(key)
    if x is None and not required:
        return
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        fail(f"a finite number {key}", f"{row['claim']}: {key} = {x!r}")
    if not lo <= x <= hi:
        fail(f"{key} in [{lo:g}, {hi:g}] (accuracy units)", f"{row['claim']}: {key} = {x!r}")


def check_verdicts_doc(data: Any, *, field: str = "trackd-results", path: str = "") -> dict:
    """Check a ``trackd_verdicts.json`` document (the ``trackd_verdicts`` stage's result, or
    ``dssl trackd --save``'s): ``rows`` of claim / track_d / paper / paper_scale and, where
    the claim ran, finite numbers (no bools) mean, se (None only with one seed), n_seeds and,
    where present, sd, tolerance, resolution, mde, paper_effect; words from rule D3's set
    (rows with ``rule`` D3) or D2's (older rows without ``rule``), D2's and D1's words from
    theirs; a dict ``scale``. One-line ValueError naming ``field`` and ``path`` otherwise.

    Returns:
      ``{"rows": {claim: row}, "scale": {experiment: meta}, "margin": m or None}``.

    Example:
      >>> doc = {"rows": verdict_table({"mar_vs_mim": decide([0.01, 0.02, 0.0])})}
      >>> check_verdicts_doc(doc)["rows"]["mar_vs_mim"]["track_d"]
      'inconclusive'
      >>> bad = {"rows": [{**doc["rows"][3], "mean": True}]}
      >>> check_verdicts_doc(bad, path="f")
      Traceback (most recent call last):
      ...
      ValueError: trackd-results: must be a finite number mean, got 'mar_vs_mim: mean = True (f)'
    """

    def fail(allowed: str, what: str) -> None:  # what first: a long path is cut, not it
        v.fail(field, allowed, f"{what} ({path})" if path else what)

    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        fail("a trackd_verdicts document with a list 'rows'", type(data).__name__)
    keys = ("claim", "track_d", "paper", "paper_scale")
    rows = {}
    for r in data["rows"]:
        missing = [k for k in keys if not isinstance(r, dict) or k not in r]
        if missing:
            fail(f"rows with keys {', '.join(keys)}", f"a row lacks {', '.join(missing)}")
        if r["claim"] not in CLAIMS:
            fail(f"claims among {', '.join(CLAIMS)}", r["claim"])
        if r["claim"] in rows:
            fail("one row per claim", f"{r['claim']} twice")
        rule = r.get("rule")
        if rule not in (None, RULE):
            fail(f"rule {RULE} (or none, an older file)", f"{r['claim']}: rule {rule!r}")
        words = WORDS if rule == RULE else (*OLD_WORDS, "not-run")
        if r["track_d"] not in words:
            fail(f"verdicts {'/'.join(words)}", f"{r['claim']}: {r['track_d']!r}")
        for key in ("old_verdict", "d1_verdict"):
            if r.get(key) is not None and r[key] not in OLD_WORDS:
                fail(f"{key} among {'/'.join(OLD_WORDS)}", f"{r['claim']}: {r[key]!r}")
        for key in ("paper", "paper_scale", "reason", "reading", "preset",
                    "paper_effect_source", "unit"):  # fmt: skip
            if r.get(key) is not None and not isinstance(r[key], str):
                fail(f"a text {key}", f"{r['claim']}: {key} = {r[key]!r}")
        _number(r, "paper_effect", fail)
        if r["track_d"] != "not-run":
            _number(r, "mean", fail, required=True)
            n = r.get("n_seeds")
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                fail("an integer n_seeds ≥ 1 in each row that ran", f"{r['claim']}: {n!r}")
            _number(r, "se", fail, required=n >= 2, lo=0.0)
            for key in ("sd", "tolerance", "resolution", "mde"):
                _number(r, key, fail, lo=0.0)
        rows[r["claim"]] = r
    scale = data.get("scale", {})
    if not isinstance(scale, dict):
        fail("a dict 'scale'", type(scale).__name__)
    margin = data.get("margin")
    if margin is not None:
        _number({"claim": "document", "margin": margin}, "margin", fail, lo=0.0, hi=100.0)
    return {"rows": rows, "scale": scale, "margin": margin}


def read_verdicts_file(path: str, *, field: str = "trackd-results") -> dict:
    """Read and check (:func:`check_verdicts_doc`) a ``trackd_verdicts.json`` file; one-line
    ValueError naming ``field`` when it does not parse or is malformed.

    Returns:
      ``{"path", "rows": {claim: row}, "scale", "margin", "decisive"}``: ``decisive`` is the
      DECISIVE rows the stage embedded (checked likewise, ``{"path", "rows", "scale",
      "margin"}``), or None where the document has none (see :func:`decisive_entry`).
    """

    def _reject(token: str):
        raise ValueError(f"non-finite number {token}")

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh, parse_constant=_reject)
    except (OSError, ValueError) as err:
        v.fail(field, f"a readable JSON {VERDICTS_FILE}", f"{path} ({type(err).__name__})")
    out = {"path": str(path), **check_verdicts_doc(data, field=field, path=str(path))}
    embedded = data.get("decisive")
    out["decisive"] = None
    if isinstance(embedded, dict) and "rows" in embedded:
        where = f"{path} (decisive)"
        got = check_verdicts_doc(embedded, field=field, path=where)
        out["decisive"] = {"path": str(embedded.get("path", where)), **got}
    return out


def decisive_entry(folder: str = DECISIVE_DIR, *, field: str = "decisive") -> dict:
    """The DECISIVE preset's verdicts from ``folder/trackd_verdicts.json`` (checked):
    ``{"path", "rows": [row, ...], "scale", "margin"}``, or, where the file is not there,
    ``{"path", "verdict": "not-run", "command": DECISIVE_COMMAND}``."""
    path = os.path.join(folder, VERDICTS_FILE)
    if not os.path.isfile(path):
        return {"path": path, "verdict": "not-run", "command": DECISIVE_COMMAND}
    doc = read_verdicts_file(path, field=field)
    return {"path": path, "rows": list(doc["rows"].values()), "scale": doc["scale"],
            "margin": doc["margin"]}  # fmt: skip
