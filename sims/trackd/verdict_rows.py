"""Track D's verdict rows and their file: the table of rule D4's words (D3's beside them)
with the minimum detectable effect and the paper's effect (:func:`verdict_table`), the check
of a ``trackd_verdicts.json`` read back (:func:`check_verdicts_doc`,
:func:`read_verdicts_file`), the committed DECISIVE and PAPER-SCALE entries
(:func:`decisive_entry`, :func:`committed_entry`), the scale a word was measured at as one
short tag (:func:`scale_tag`) and the words recomputed from committed results
(:func:`rejudge_folder`).

Imports neither JAX nor flax: ``dssl verify`` and the report read these files without them."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from sims.trackd.paper_numbers import PAPER_DIRECTION, PAPER_EFFECTS, points_text, points_unit
from sims.trackd.power import MARGIN
from sims.trackd.presets import PRESETS
from sims.trackd.verdicts import (
    CLAIMS,
    D3_WORDS,
    DECISIVE_COMMAND,
    DECISIVE_DIR,
    OLD_WORDS,
    PAPER_SCALE_COMMAND,
    PAPER_SCALE_DIR,
    RULE,
    RULE_CHANGES,
    RULE_WORD_KEYS,
    VERDICTS_FILE,
    WORDS,
    decide,  # noqa: F401  (the examples)
    decisions,
)
from theory import _validate as v


def _finite(x: Any) -> float | None:
    """A finite float, or None (nan/inf: not computable)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def verdict_table(decisions: dict) -> list[dict]:
    """Rows, in CLAIMS order: claim / rule / Track D verdict (rule D4) / mean ± SE, per-seed
    SD, seeds / tolerance, resolution / minimum detectable effect / reason / reading / D3's
    word and the TOST against the paper's effect (p, 90 % interval, smallest excluded
    effect) / D2's and D1's words / preset / the paper's direction, scale and effect size
    (same units as Δ) with its source.

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
                "d3_verdict": d.get("d3_verdict"),
                "tost_p": _finite(d.get("tost_p")),
                "tost_ci": d.get("tost_ci"),
                "excluded_beyond": _finite(d.get("excluded_beyond")),
                "old_verdict": d.get("old_verdict"),
                "d1_verdict": d.get("d1_verdict"),
                "preset": d.get("preset"),
                **paper,
                "agrees_with_paper": {"holds": True, "violated": False}.get(d["verdict"]),
            }
        )
    return rows


def verdicts_doc(results: dict, *, margin: float = MARGIN, preset: str | None = None) -> dict:
    """The Track D verdicts of experiment results ``{"table1": ..., "fig2a": ..., "fig2b":
    ...}`` as ``trackd_verdicts.json`` holds them, the one computation behind the
    ``trackd_verdicts`` stage and ``dssl trackd --save``: ``rows`` (:func:`verdict_table` of
    :func:`sims.trackd.verdicts.decisions` with ``margin`` and ``preset``), ``scale``
    (:func:`scale_of`), ``margin`` and ``rule_changes`` (each of
    :data:`sims.trackd.verdicts.RULE_CHANGES` with the claims whose word it changed; none where
    no claim was evaluated)."""
    rows = verdict_table(decisions(results, margin=margin, preset=preset))
    evaluated = any(r["track_d"] != "not-run" for r in rows)
    changes = [
        {**ch, "changed_cells": _changed(rows, *RULE_WORD_KEYS[ch["rule"]])}
        for ch in RULE_CHANGES
        if evaluated
    ]
    return {"rows": rows, "scale": scale_of(results), "margin": margin, "rule_changes": changes}


def _changed(rows: list[dict], old_key: str, new_key: str) -> list[dict]:
    """The claims whose word differs between the rows' ``old_key`` and ``new_key`` (one rule
    change of :data:`sims.trackd.verdicts.RULE_CHANGES`, keyed by its rule id)."""
    return [
        {"reading": {"claim": r["claim"]}, "old": r[old_key], "new": r[new_key], "cells": 1}
        for r in rows
        if r.get(old_key) is not None and r.get(new_key) not in (None, r[old_key])
    ]


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
        if rule not in (None, "D3", RULE):
            fail(f"rule {RULE} or D3 (or none, an older file)", f"{r['claim']}: rule {rule!r}")
        words = {RULE: WORDS, "D3": D3_WORDS}.get(rule, (*OLD_WORDS, "not-run"))
        if r["track_d"] not in words:
            fail(f"verdicts {'/'.join(words)}", f"{r['claim']}: {r['track_d']!r}")
        if r.get("d3_verdict") is not None and r["d3_verdict"] not in D3_WORDS:
            fail(f"d3_verdict among {'/'.join(D3_WORDS)}", f"{r['claim']}: {r['d3_verdict']!r}")
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
            for key in ("sd", "tolerance", "resolution", "mde", "excluded_beyond"):
                _number(r, key, fail, lo=0.0)
            _number(r, "tost_p", fail, lo=0.0)
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
      ``{"path", "rows": {claim: row}, "scale", "margin", "decisive", "paper_scale_run"}``:
      the DECISIVE and PAPER-SCALE rows the stage embedded (checked likewise, ``{"path",
      "rows", "scale", "margin"}``), or None where the document has none (see
      :func:`decisive_entry`, :func:`paper_scale_entry`).
    """

    def _reject(token: str):
        raise ValueError(f"non-finite number {token}")

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh, parse_constant=_reject)
    except (OSError, ValueError, RecursionError) as err:  # nested too deeply: RecursionError
        v.fail(field, f"a readable JSON {VERDICTS_FILE}", f"{path} ({type(err).__name__})")
    out = {"path": str(path), **check_verdicts_doc(data, field=field, path=str(path))}
    for key in ("decisive", "paper_scale_run"):
        embedded = data.get(key)
        out[key] = None
        if isinstance(embedded, dict) and "rows" in embedded:
            where = f"{path} ({key})"
            got = check_verdicts_doc(embedded, field=field, path=where)
            out[key] = {"path": str(embedded.get("path", where)), **got}
    return out


def committed_entry(folder: str, command: str, *, field: str) -> dict:
    """A committed preset's verdicts from ``folder/trackd_verdicts.json`` (checked):
    ``{"path", "rows": [row, ...], "scale", "margin"}``, or, where the file is not there,
    ``{"path", "verdict": "not-run", "command": command}``."""
    path = os.path.join(folder, VERDICTS_FILE)
    if not os.path.isfile(path):
        return {"path": path, "verdict": "not-run", "command": command}
    doc = read_verdicts_file(path, field=field)
    return {"path": path, "rows": list(doc["rows"].values()), "scale": doc["scale"],
            "margin": doc["margin"]}  # fmt: skip


def decisive_entry(folder: str = DECISIVE_DIR, *, field: str = "decisive") -> dict:
    """The DECISIVE preset's verdicts (:func:`committed_entry` of ``folder``)."""
    return committed_entry(folder, DECISIVE_COMMAND, field=field)


def paper_scale_entry(folder: str = PAPER_SCALE_DIR, *, field: str = "paper_scale_run") -> dict:
    """The PAPER-SCALE preset's verdicts (:func:`committed_entry` of ``folder``)."""
    return committed_entry(folder, PAPER_SCALE_COMMAND, field=field)


# ---------------------------------------------------------------------------------------------
# the scale a word was measured at

#: the experiment whose runs decide each claim
EXPERIMENT_OF = {"mim_vs_cl": "table1", "connectivity": "fig2a", "fl_vs_decl": "fig2a",
                 "mar_vs_mim": "fig2b"}  # fmt: skip
_DATA_NAMES = {"mnist": "MNIST", "digits": "digits 8×8", "cifar10": "CIFAR-10", "npz": "npz"}


def scale_of(results: dict) -> dict:
    """The ``scale`` of a verdicts file: each experiment's ``meta``, with Table 1's ``archs``
    (the encoders it trained; Fig 2a's and Fig 2b's meta name their one ``arch``)."""
    out = {}
    for name, r in results.items():
        if r is None or name not in ("table1", "fig2a", "fig2b"):
            continue
        meta = dict(r["meta"])
        if name == "table1" and "arch" not in meta and isinstance(r.get("acc"), dict):
            meta["archs"] = sorted({a for per in r["acc"].values() for a in per})
        out[name] = meta
    return out


def scale_tag(meta: dict | None) -> str:
    """The scale of one Track D word as a short tag: data set and training size, encoders,
    probe, clients, seeds, rounds where they are not the preset's own (``--rounds``), preset,
    e.g. ``MNIST-4k·MLP·ridge·10 cl·3 seeds·default``. Every Track D word is shown with it: none
    is a statement about CIFAR or ResNet-18.

    Args:
      meta: an experiment's ``meta`` (:func:`scale_of`); ``archs`` or ``arch`` names the
        encoders (``?`` where neither is recorded). None: ``scale not recorded``.

    Example:
      >>> scale_tag({"dataset": "mnist", "n_train": 4000, "archs": ["cnn", "mlp"],
      ...            "n_clients": 10, "seeds": 8, "preset": "decisive"})
      'MNIST-4k·CNN/MLP·ridge·10 cl·8 seeds·decisive'
      >>> scale_tag({"dataset": "digits", "n_train": 1438, "arch": "mlp", "n_clients": 5,
      ...            "seeds": 2, "rounds": 2, "preset": "fast"})
      'digits 8×8-1.438k·MLP·ridge·5 cl·2 seeds·2 rounds·fast'
    """
    if not meta:
        return "scale not recorded"
    data = _DATA_NAMES.get(meta.get("dataset"), str(meta.get("dataset", "?")))
    n = meta.get("n_train")
    size = f"-{n / 1000:g}k" if isinstance(n, int) and n >= 1000 else (f"-{n}" if n else "")
    archs = meta.get("archs") or ([meta["arch"]] if meta.get("arch") else ["?"])
    parts = [
        f"{data}{size}",
        "/".join(str(a).upper() for a in archs),
        "ridge",
        f"{meta.get('n_clients', '?')} cl",
        f"{meta.get('seeds', '?')} seeds",
        str(meta.get("preset") or "preset?"),
    ]
    own = {cfg.common.rounds for cfg in PRESETS.get(meta.get("preset"), {}).values()}
    if own and meta.get("rounds") is not None and meta["rounds"] not in own:
        parts.insert(5, f"{meta['rounds']} rounds")
    if meta.get("partition") == "balanced":
        parts.insert(4, "balanced")
    return "·".join(parts)


def claim_tag(doc: dict | None, claim: str) -> str:
    """:func:`scale_tag` of the experiment that decides ``claim`` in a verdicts document
    (``{"scale": {experiment: meta}}``); where the document records no scale, the preset of
    its row (``scale not recorded, preset decisive``)."""
    scale = (doc or {}).get("scale") or {}
    meta = scale.get(EXPERIMENT_OF.get(claim))
    if meta:
        return scale_tag(meta)
    rows = (doc or {}).get("rows") or []
    rows = rows.values() if isinstance(rows, dict) else rows
    preset = next((r.get("preset") for r in rows if r.get("claim") == claim), None)
    return "scale not recorded" + (f", preset {preset}" if preset else "")


def points_of(x: float | None, row: dict | None) -> str:
    """A difference ``x`` of a row in points of its unit: two decimals for accuracy, three per
    unit |Ā| (:func:`sims.trackd.paper_numbers.points_text`).

    >>> points_of(0.0327, {"unit": "accuracy"}), points_of(None, {})
    ('3.27 points', 'n/a')
    """
    unit = (row or {}).get("unit") or "accuracy"
    return points_text(x, unit, _digits(unit))


def _digits(unit: str) -> int:
    """Decimals of a difference in points: two for accuracy, three per unit |Ā|."""
    return 2 if unit == "accuracy" else 3


def delta_text(row: dict) -> str:
    """A row's difference with its standard error, in points of its unit (the digits of
    :func:`points_of`): what ``dssl verify`` and ``dssl trackd`` print after ``Δ =``.

    >>> delta_text({"mean": -0.0163, "se": 0.0112, "unit": "accuracy"})
    '-1.63 ± 1.12 points'
    >>> delta_text({"mean": 0.0008, "se": None, "unit": "accuracy per unit |Ā|"})
    '+0.080 ± n/a points per unit |Ā|'
    """
    unit = row.get("unit") or "accuracy"
    digits = _digits(unit)

    def pts(x, sign=""):
        ok = x is not None and math.isfinite(x)
        return format(100 * x, f"{sign}.{digits}f") if ok else "n/a"

    return f"{pts(row.get('mean'), '+')} ± {pts(row.get('se'))} {points_unit(unit)}"


def why_text(row: dict | None) -> str:
    """Why a row's word is what it is, in a few words beside it: the minimum detectable
    effect (80 % power) of an ``inconclusive`` comparison, the paper's effect an ``absent`` one
    excludes, the arms a ``void`` one rests on that did not learn (or are at chance); "" for
    the other words (the row's ``reason`` says the rest).

    Example:
      >>> why_text({"track_d": "inconclusive", "mde": 0.0327, "unit": "accuracy"})
      'MDE 3.27 points'
      >>> why_text({"track_d": "absent", "paper_effect": 0.01348,
      ...           "unit": "accuracy per unit |Ā|"})
      "the paper's 1.348 points per unit |Ā| excluded"
      >>> why_text({"track_d": "void", "reason": "mae fl did not learn (uplift -0.6 ± 1.4 "
      ...           "points); mar fl did not learn (uplift -0.8 ± 0.9 points)"})
      '2 arms did not learn'
      >>> why_text({"track_d": "void", "reason": "no untrained baseline recorded"})
      'no untrained baseline recorded'
    """
    word = (row or {}).get("track_d")
    if word == "inconclusive" and _finite(row.get("mde")) is not None:
        return f"MDE {points_of(row['mde'], row)}"
    if word == "absent" and _finite(row.get("paper_effect")) is not None:
        return f"the paper's {points_of(row['paper_effect'], row)} excluded"
    if word == "void" and row.get("reason"):
        failed = str(row["reason"]).split("; ")
        if any("no untrained baseline" in f for f in failed):
            return "no untrained baseline recorded"
        if all("did not learn" in f for f in failed):
            how = "did not learn"
        elif all("not above chance" in f for f in failed):
            how = "at chance"
        else:
            how = "did not learn or at chance"
        return f"{len(failed)} arm{'s' if len(failed) > 1 else ''} {how}"
    return ""


def word_text(row: dict | None) -> str:
    """A row's word with D3's beside it where they differ: ``absent (D3 inconclusive)``.

    Example:
      >>> word_text({"track_d": "absent", "d3_verdict": "inconclusive"})
      'absent (D3 inconclusive)'
      >>> word_text({"track_d": "void", "d3_verdict": "void"}), word_text(None)
      ('void (D3 void)', 'not-run')
    """
    if row is None or row.get("track_d", "not-run") == "not-run":
        return "not-run"
    d3 = row.get("d3_verdict")
    if d3 is None:  # a file written before D4: its word is its own rule's
        return f"{row['track_d']} ({row['rule']})" if row.get("rule") else row["track_d"]
    return f"{row['track_d']} (D3 {d3})"


# ---------------------------------------------------------------------------------------------
# the words of committed results, recomputed


def rejudge_folder(folder: str, *, margin: float | None = None) -> dict:
    """The ``trackd_verdicts.json`` document of a folder of committed Track D results
    (``trackd_table1.json``, ``trackd_fig2a.json``, ``trackd_fig2b.json``; the others are not
    read), recomputed by the rule in force from those files: nothing is trained. The words of
    the file it replaces, where there is one, are kept beside each row as ``was`` (its
    ``track_d`` and ``rule``).

    Returns:
      ``{"rows", "scale", "margin", "recomputed_from"}``.
    """
    from sims.trackd.power import MARGIN

    results = {}
    for name in ("table1", "fig2a", "fig2b"):
        path = os.path.join(folder, f"trackd_{name}.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                results[name] = json.load(fh)
    if not results:
        v.fail("folder", "a folder with trackd_table1/fig2a/fig2b.json", folder)
    m = MARGIN if margin is None else margin
    rows = verdict_table(decisions(results, margin=m))
    old_path = os.path.join(folder, VERDICTS_FILE)
    if os.path.isfile(old_path):
        with open(old_path, encoding="utf-8") as fh:
            old = {r["claim"]: r for r in json.load(fh).get("rows", [])}
        for r in rows:
            was = old.get(r["claim"])
            if was is not None:
                r["was"] = {"track_d": was.get("track_d"), "rule": was.get("rule") or "D2"}
    return {"rows": rows, "scale": scale_of(results), "margin": m,
            "recomputed_from": sorted(f"trackd_{n}.json" for n in results)}  # fmt: skip
