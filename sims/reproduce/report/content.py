"""The content of the verification report: numbers and verdicts gathered from the stage rows
(:func:`build_report`), the verdict map's readings, the figure list of every stage with its caption.
"""

from __future__ import annotations

import datetime
import inspect
import platform
import re
from collections.abc import Mapping

from sims.reproduce.pipeline.machine import describe as describe_machine
from sims.reproduce.pipeline.stage import overall_hash
from sims.reproduce.report.answer import _cell, _compact, build_answer

TRACKS = ("track_a", "track_b", "track_c")
TRACK_NAMES = {
    "track_a": "Track A (the paper's formulas)",
    "track_b": "Track B (exact linear model)",
    "track_c": "Track C (simulations)",
    "track_d": "Track D (deep models, the paper's experiments)",
}
#: the verdict words and their meaning (docs/verdict_rules.md, "Vocabulary")
VOCABULARY = (
    ("A", "informative", "the formula is defined and says something at the configuration"),
    ("A", "vacuous", "the formula is defined but says nothing (LB within tolerance of 0)"),
    (
        "A",
        "invalid",
        "a denominator ≤ 0, a non-finite value, LB outside [0, 1], or the paper's formula "
        "differs from the exact derivation of the same quantity",
    ),
    ("B, C, D", "holds", "the computed quantity satisfies the claim by more than the tolerance"),
    (
        "B, C, D",
        "violated",
        "the computed quantity contradicts the claim by more than the tolerance",
    ),
    (
        "B, C",
        "degenerate",
        "a tie at rounding: both sides equal within the float tolerance but not proved equal, "
        "a series flat within tolerance, or a trivial bound (R1, R2, R6)",
    ),
    (
        "B",
        "collapsed",
        "the comparison rests on a collapsed optimum (rank < N): the side judged more robust "
        "spreads its RV evenly, so the spread says nothing (R7, R13)",
    ),
    (
        "B",
        "identity",
        "not a word but a reason: two sides equal by proof; a strict claim is violated naming "
        "it, a non-strict one holds with equality (R12, R13)",
    ),
    (
        "B, C",
        "not-unique",
        "the optimum is not unique and the verdict differs across the optimal set",
    ),
    (
        "D",
        "absent",
        "the paper's own effect for the comparison is excluded at this scale: the mean "
        "difference is within its tolerance and two one-sided t-tests against ± the paper's "
        "effect reject at 0.05 (rule D4)",
    ),
    (
        "D",
        "inconclusive",
        "the runs cannot tell: the mean difference is within its tolerance max(2 SE, one test "
        "image), or fewer than 2 seeds, and the paper's effect is not excluded (rule D4; D3 "
        "said inconclusive for both)",
    ),
    (
        "B",
        "void",
        "a premise of the claim fails at the configuration: the exact optimum is W = 0, which "
        "Assumption A.5 excludes (rule R11); the word names the assumption",
    ),
    (
        "D",
        "void",
        "an arm of the comparison did not learn (its probe not above its own untrained "
        "encoder's by 2 SE), is not above chance, or has no untrained baseline recorded: the "
        "comparison says nothing about the methods (rule D3)",
    ),
    ("all", "not-run", "no evidence was computed"),
)
SOFTWARE = (
    "jax",
    "jaxlib",
    "numpy",
    "scipy",
    "sympy",
    "matplotlib",
    "optax",
    "networkx",
    "flax",
    "torch",
    "markdown",
)


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------
def software_versions() -> dict:
    """Python and the numerical packages' versions (``None`` if a package is missing)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        import jax

        out["jax_backend"] = jax.default_backend()
    except Exception:  # noqa: BLE001 - a report must not fail on a backend query
        out["jax_backend"] = None
    return out


def _fmt(value, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_fmt(v, digits) for v in list(value)[:6])
        return f"[{inner}{', …' if len(value) > 6 else ''}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_fmt(v, digits)}" for k, v in list(value.items())[:6]) + "}"
    return str(value)


def compact_numbers(numbers: Mapping, limit: int = 8) -> str:
    """``key=value; ...`` of the first ``limit`` entries, floats to 4 significant digits."""
    items = list(numbers.items())
    text = "; ".join(f"{k}={_fmt(v)}" for k, v in items[:limit])
    if len(items) > limit:
        text += f"; … (+{len(items) - limit} in report.json)"
    return _cell(text)


def _counts(counts: Mapping) -> str:
    """``violated 12, holds 4`` (largest first; ties by word); ``—`` when empty."""
    if not counts:
        return "—"
    return ", ".join(f"{w} {n}" for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def merge_track_c(claims: list[dict], evidence: Mapping[str, Mapping]) -> list[dict]:
    """Claims rows with Track C verdicts and evidence from ``evidence`` (claim id → dict)."""
    out = []
    for row in claims:
        row = {**row, "evidence": dict(row.get("evidence", {}))}
        ev = evidence.get(row["id"])
        if ev is not None:
            row["track_c"] = ev["verdict"]
            row["evidence"]["track_c"] = dict(ev)
        out.append(row)
    return out


def _ids(claims, track: str, *verdicts: str) -> list[str]:
    return [c["id"] for c in claims if c.get(track) in verdicts]


#: The evidence flag that says a claim's two sides are one computation (Eq. 89 on the complete
#: graph): Track B one objective (``weights_identical``), Track C one run (``identical_runs``)
_ONE_COMPUTATION = {"track_b": "weights_identical", "track_c": "identical_runs"}


def _by_construction(claim: dict, track: str) -> bool:
    """Whether every flagged reading or method of the claim's ``track`` evidence says its two
    sides are one computation (:data:`_ONE_COMPUTATION`), and at least one does."""
    key = _ONE_COMPUTATION[track]
    numbers = claim.get("evidence", {}).get(track, {}).get("numbers", {})
    flags = []
    for r in numbers.values():
        if isinstance(r, dict):
            inner = r.get("numbers", r)  # Track B: per reading; Track C: per method
            if isinstance(inner, dict) and key in inner:
                flags.append(inner[key] is True)
    return bool(flags) and all(flags)


def plain_summary(claims: list[dict], *, track_c_available: bool) -> list[str]:
    """Sentences summarising the claims table at one configuration (computed: the wording
    depends only on the verdict words of ``claims``)."""
    n = len(claims)
    lines = []
    for track in TRACKS:
        counts: dict = {}
        for c in claims:
            counts[c[track]] = counts.get(c[track], 0) + 1
        lines.append(f"{TRACK_NAMES[track]}: {_counts(counts)} (of {n} claims).")
    invalid = _ids(claims, "track_a", "invalid")
    if invalid:
        lines.append(
            "The paper's formula is invalid at this configuration for " + ", ".join(invalid) + "."
        )
    subjects = (
        ("track_b", "The exact linear model", "contradicts", "agrees with", "cannot decide"),
        ("track_c", "The simulations", "contradict", "agree with", "cannot decide"),
    )
    for track, who, v_bad, v_ok, v_tie in subjects:
        if track == "track_c" and not track_c_available:
            lines.append("Simulations (Track C) were not run: every Track C verdict is not-run.")
            continue
        bad, ok = _ids(claims, track, "violated"), _ids(claims, track, "holds")
        tie = _ids(claims, track, "degenerate", "not-unique")
        flat = _ids(claims, track, "collapsed")
        if bad:
            lines.append(f"{who} {v_bad} " + ", ".join(bad) + ".")
        if ok:
            what = {"track_b": "one objective", "track_c": "one run"}[track]
            by = {c["id"] for c in claims if _by_construction(c, track)}
            ok = [f"{i} (by construction: {what} on both sides)" if i in by else i for i in ok]
            lines.append(f"{who} {v_ok} " + ", ".join(ok) + ".")
        if flat:
            lines.append(
                f"{who} find uninformative (a collapsed optimum, R7) " + ", ".join(flat) + "."
            )
        if tie:
            lines.append(f"{who} {v_tie} (degenerate or not-unique) " + ", ".join(tie) + ".")
    return lines


# ----------------------------------------------------------------------------------------------
# figures and captions
# ----------------------------------------------------------------------------------------------
def _figure_function(fn):
    """The ``make_*`` function a figure entry calls (itself, or the one a lambda wraps)."""
    if inspect.getdoc(fn) and not getattr(fn, "__name__", "").startswith("<"):
        return fn
    code = getattr(fn, "__code__", None)
    if code is None:
        return fn
    glb = getattr(fn, "__globals__", {})
    names = code.co_names
    for i, name in enumerate(names):
        if not name.startswith("make_"):
            continue
        if name in glb:
            return glb[name]
        for owner in names[:i]:
            mod = glb.get(owner)
            if mod is not None and hasattr(mod, name):
                return getattr(mod, name)
    return fn


def caption_of(fn) -> str:
    """The first paragraph of the figure function's docstring, on one line."""
    doc = inspect.getdoc(_figure_function(fn)) or ""
    first = doc.split("\n\n", 1)[0]
    text = " ".join(first.split())
    text = re.sub(r"\s*``results``[^.]*\.", "", text)
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")
    return text.strip()


def stage_figures(stages) -> list[dict]:
    """Every figure every stage writes, in run order: ``{"file", "stage", "caption"}``.

    Args:
      stages: Stage objects (``dssl reproduce`` hands its catalogue,
        ``sims.reproduce.stages.STAGES``).
    """
    out = []
    for s in stages:
        for name, fn in s.figures.items():
            cap = caption_of(fn) or f"Figure of stage `{s.name}`."
            out.append({"file": name, "stage": s.name, "caption": cap})
    return out


# ----------------------------------------------------------------------------------------------
# the verdict map
# ----------------------------------------------------------------------------------------------
def _as_compact(vmap: Mapping | None) -> Mapping | None:
    """The compact verdict map (``verdict_map.json``) of a stage result or of itself."""
    if vmap is None:
        return None
    vmap = _compact(vmap)
    if "cells" in vmap:
        from sims import verdict_map as vm

        return vm.compact_map(dict(vmap))
    return vmap


def finding_text(vmap: Mapping) -> str:
    """The verdict map's finding paragraph, its per-claim headlines pooled over readings (the
    map's ``finding``, computed from its rows; the report's verdict-map section)."""
    vmap = _as_compact(vmap)
    if "finding" in vmap:
        return str(vmap["finding"]).strip()
    from sims import verdict_map as vm

    return vm.finding_paragraph(vmap).strip()


def claim_readings(vmap: Mapping) -> list[dict]:
    """Per claim: the computed headline and a short reading of its row.

    Each dict: ``claim``, ``reference``, ``statement``, ``headline``, ``counts`` (Track B),
    ``track_a_counts``, ``n`` (cells), ``text`` (one paragraph from these numbers),
    ``readings`` ([{"name", "headline", "counts"}]), ``hidden_constants`` (or ``None``).
    """
    out = []
    per_reading = vmap.get("readings", {})
    for cid, row in vmap["rows"].items():
        counts = dict(row.get("counts", {}))
        n = sum(counts.values())
        a_counts = dict(row.get("track_a_counts", {}))
        text = (
            f"Over {n} cells (readings × configurations) the exact model gives "
            f"{_counts(counts)}: {row['headline']}."
        )
        if a_counts:
            text += f" The paper's formula (Track A) is {_counts(a_counts)} in the same cells."
        if row.get("tracks"):
            text += f" The two tracks read the claim differently: {row['tracks']}."
        if row.get("hidden_constants"):
            text += f" Hidden constants: {row['hidden_constants']}."
        readings = [
            {"name": name, "headline": r.get("headline", ""), "counts": dict(r.get("counts", {}))}
            for name, r in per_reading.get(cid, {}).items()
        ]
        out.append(
            {
                "claim": cid,
                "reference": row.get("reference", ""),
                "statement": row.get("statement", ""),
                "headline": row["headline"],
                "counts": counts,
                "track_a_counts": a_counts,
                "n": n,
                "text": text,
                "readings": readings,
                "hidden_constants": row.get("hidden_constants"),
            }
        )
    return out


def assumption_table(assumptions: Mapping) -> list[dict]:
    """Per assumption: configurations where it is met / not met (from the map's
    ``assumptions``: {"p=…,N=…,rare_axis=…": {assumption: "met" / "not met"}})."""
    table: dict = {}
    for conf, row in assumptions.items():
        for name, word in row.items():
            word = word if isinstance(word, str) else ("met" if word else "not met")
            t = table.setdefault(name, {"assumption": name, "met": 0, "not met": 0, "where": []})
            t[word] = t.get(word, 0) + 1
            if word != "met":
                t["where"].append(conf)
    return list(table.values())


def rule_change_rows(vmap: Mapping | None, more: list | tuple = ()) -> list[dict]:
    """The rules changed after their output was seen, each with the cells whose word the old
    rule changes: the map's ``rule_changes`` (else ``theory.verdicts.RULE_CHANGES``), then
    ``more`` (entries of the same format, e.g. the ``trackd_verdicts`` stage's)."""
    changes = list(vmap.get("rule_changes", [])) if vmap else []
    if not changes:
        from theory.verdicts import RULE_CHANGES

        changes = [dict(r) for r in RULE_CHANGES]
    changes += list(more)
    rows = []
    for ch in changes:
        cells = ch.get("changed_cells", [])
        groups = []
        for c in cells:
            reading = c.get("reading", {})
            name = ", ".join(f"{k}={v}" for k, v in reading.items()) if reading else "—"
            name = f"{c['claim']}: {name}" if c.get("claim") else name
            groups.append(
                {"reading": name, "old": c["old"], "new": c["new"], "cells": c.get("cells", 1)}
            )
        row = {
            "claim": ch.get("claim", ""),
            "rule": ch.get("rule", ""),
            "old_rule": ch.get("old_rule", ""),
            "new_rule": ch.get("new_rule", ""),
            "why": ch.get("why", ""),
            # None: the old rule's answers were not computed
            "changed_cells": groups if "changed_cells" in ch else None,
        }
        row.update({k: ch[k] for k in ("cells", "evaluated_at_N") if k in ch})
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------------------
def _seeds(configs: Mapping) -> dict:
    """Every ``*seed*`` field of every stage configuration (nested), as {stage.key: value}."""
    out = {}

    def walk(prefix, x):
        if isinstance(x, Mapping):
            for k, val in x.items():
                if "seed" in str(k).lower() and not isinstance(val, Mapping):
                    out[f"{prefix}.{k}"] = val
                else:
                    walk(f"{prefix}.{k}", val)

    for name, cfg in configs.items():
        walk(name, cfg)
    return out


def _answer_of(vm_row: Mapping | None, td_row: Mapping | None) -> dict | None:
    """The answer table of the ``verdict_map`` row's full map (None without the row or without
    the map's cells), with the ``trackd_verdicts`` row's result when it ran."""
    answer = None
    if vm_row:
        full = vm_row["result"].get("map", vm_row["result"])
        if "cells" in full:
            answer = build_answer(full, None, td_row["result"] if td_row else None)
    return answer


def _figure_rows(runs: list[dict], stages) -> list[dict]:
    """Every figure the runs wrote (``written``, with the caption of its stage's figure
    function), then every figure of ``stages`` no run wrote (``not-run``)."""
    listed = stage_figures(stages)
    captions = {f["file"]: f["caption"] for f in listed}
    # keys explained by sims.glossary: path (file), name (stage), note (caption), status
    figures = [
        {
            "path": name,
            "name": r["name"],
            "note": captions.get(name) or f"Figure of stage `{r['name']}`.",
            "status": "written",
        }
        for r in runs
        for name in r.get("figures", [])
    ]
    made = {f["path"] for f in figures}
    figures += [
        {"path": f["file"], "name": f["stage"], "note": f["caption"], "status": "not-run"}
        for f in listed
        if f["file"] not in made
    ]
    return figures


def _stage_rows(runs: list[dict]) -> list[dict]:
    """One row per stage run: name, configuration hash, cached, seconds, files, figures and
    summary."""
    return [
        {
            "name": r["name"],
            "config_hash": r["config_hash"],
            "cached": r["cached"],
            "seconds": r["seconds"],
            "files": list(r.get("files", [])),
            "figures": list(r.get("figures", [])),
            "summary": r.get("summary", {}),
        }
        for r in runs
    ]


def build_report(
    runs: list[dict],
    *,
    fast: bool,
    track_c: Mapping | None = None,
    stages=(),
) -> dict:
    """The content of ``report.json`` (rendered by :func:`render_markdown` / :func:`render_html`).

    Args:
      runs: the runner's rows of every earlier stage (name, config_hash, cached, seconds, files,
        figures, summary, config, result); needs the ``verify`` row and reads the
        ``verdict_map`` and ``trackd_verdicts`` rows when present.
      fast: the run is ``dssl reproduce --fast``.
      track_c: the ``track_c`` row (or ``None``).
      stages: Stage objects whose figures are listed (the runner hands its catalogue: every
        stage of the run order, so that figures of stages not run are listed as not run).

    Returns:
      dict (JSON-able): title, generated, configuration, the answer table
      (:func:`sims.reproduce.report.build_answer`; None without the verdict map's cells), verdict
      map readings, hidden constants, assumptions, Track D rows (and the DECISIVE preset's, or
      how to run it), rule changes, claims, figures, stages, software.
    """
    if not isinstance(runs, list) or not all(isinstance(r, Mapping) for r in runs):
        raise TypeError("runs: must be a list of stage rows (dicts)")
    by_name = {r["name"]: r for r in runs}
    verify = by_name.get("verify")
    if verify is None:
        raise ValueError("runs: needs the verify stage to have run before the report")
    tc_result = track_c["result"] if track_c else {"available": False, "evidence": {}}
    claims = merge_track_c(verify["result"]["claims"], tc_result.get("evidence", {}))

    vm_row = by_name.get("verdict_map")
    vmap = _as_compact(vm_row["result"]) if vm_row else None
    td_row = by_name.get("trackd_verdicts")
    answer = _answer_of(vm_row, td_row)
    figures = _figure_rows(runs, stages)
    stage_rows = _stage_rows(runs)
    configs = {r["name"]: r.get("config", {}) for r in runs}
    vcfg = verify["result"].get("config", {})
    hc = vmap.get("hidden_constants", {}) if vmap else {}
    return {
        "title": "Verification of arXiv 2607.02447",
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fast": fast,
        "config_hash": overall_hash(runs),
        "verify_config": vcfg,
        "dimensions": (
            {"d": vmap["config"].get("d"), **vmap.get("dimensions", {})} if vmap else None
        ),
        "answer": answer,
        "finding": finding_text(vmap) if vmap else None,
        "summary": plain_summary(claims, track_c_available=bool(tc_result.get("available"))),
        "readings": claim_readings(vmap) if vmap else [],
        "hidden_constants": hc,
        "assumptions": assumption_table(vmap.get("assumptions", {})) if vmap else [],
        "rule_changes": rule_change_rows(
            vmap, td_row["result"].get("rule_changes", []) if td_row else []
        ),
        "track_d": list(td_row["result"]["rows"]) if td_row else [],
        "track_d_decisive": td_row["result"].get("decisive") if td_row else None,
        "track_d_paper_scale": td_row["result"].get("paper_scale_run") if td_row else None,
        "track_d_scale": td_row["result"].get("scale") if td_row else None,
        "verdict_words": [w for _, w, _ in VOCABULARY],
        "track_c_available": bool(tc_result.get("available")),
        "claims": claims,
        "figures": figures,
        "stages": stage_rows,
        "configuration": configs,
        "software": software_versions(),
        "machine": describe_machine(),
        "compute_seconds": round(sum(r["seconds"] for r in runs), 3),
    }
