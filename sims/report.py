"""The verification report of ``dssl reproduce``: ``report.md``, ``report.html``, ``report.json``.

Everything in the report is computed from the stage results: the verdict map's headline of
each claim (:func:`sims.verdict_map.headline`, rule R8 of docs/verdict_rules.md), the counts
behind it, the break-even hidden constants, the assumptions, the Track D column, the rule
changes with the old rule's answer, the claims table at one configuration, every figure of
every stage with the caption of its figure function, the run time and software versions.
The derivations of the errata are stated in plain mathematics and cite the docs pages
(docs/theory/). README's finding paragraph is generated from the same verdict map
(:func:`finding_text`, :func:`update_readme`), so README and report cannot disagree.
"""

from __future__ import annotations

import datetime
import html
import inspect
import json
import platform
import re
from collections.abc import Mapping
from pathlib import Path

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
        "the outcome is decided by a tie (both sides equal within tolerance, a flat series, a "
        "trivial bound, or a collapsed side), not by the model",
    ),
    (
        "B, C",
        "not-unique",
        "the optimum is not unique and the verdict differs across the optimal set",
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
#: README markers of the generated parts
FINDING_MARKERS = ("<!-- finding:start -->", "<!-- finding:end -->")
GALLERY_MARKERS = ("<!-- gallery:start -->", "<!-- gallery:end -->")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 62rem;
  margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1b1b1b; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; display: block;
  overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
code { background: #f4f4f4; padding: 0 .2rem; border-radius: 3px; font-size: .9em; }
pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
figure { margin: 1.2rem 0; } figcaption { font-size: .9rem; color: #444; }
"""


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


def _cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


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
        if bad:
            lines.append(f"{who} {v_bad} " + ", ".join(bad) + ".")
        if ok:
            lines.append(f"{who} {v_ok} " + ", ".join(ok) + ".")
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


def stage_figures(stages=None) -> list[dict]:
    """Every figure every stage writes, in run order: ``{"file", "stage", "caption"}``.

    Args:
      stages: Stage objects (default: ``sims.stages.STAGES``).
    """
    if stages is None:
        from sims.stages import STAGES as stages
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
    if "map" in vmap and "rows" not in vmap:
        vmap = vmap["map"]
    if "cells" in vmap:
        from sims import verdict_map as vm

        return vm.compact_map(dict(vmap))
    return vmap


def finding_text(vmap: Mapping) -> str:
    """README's finding paragraph: the verdict map's ``finding`` (computed from its rows)."""
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


def rule_change_rows(vmap: Mapping | None) -> list[dict]:
    """The rules changed after their output was seen, each with the cells whose word the old
    rule changes (the map's ``rule_changes``; else ``theory.verdicts.RULE_CHANGES``)."""
    changes = list(vmap.get("rule_changes", [])) if vmap else []
    if not changes:
        try:
            from theory.verdicts import RULE_CHANGES
        except ImportError:  # pragma: no cover - theory is a dependency
            RULE_CHANGES = ()
        changes = [dict(r) for r in RULE_CHANGES]
    rows = []
    for ch in changes:
        cells = ch.get("changed_cells", [])
        groups = []
        for c in cells:
            reading = c.get("reading", {})
            name = ", ".join(f"{k}={v}" for k, v in reading.items()) if reading else "—"
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


def build_report(
    runs: list[dict],
    *,
    fast: bool,
    track_c: Mapping | None = None,
    stages=None,
) -> dict:
    """The content of ``report.json`` (rendered by :func:`render_markdown` / :func:`render_html`).

    Args:
      runs: the runner's rows of every earlier stage (name, config_hash, cached, seconds, files,
        figures, summary, config, result); needs the ``verify`` row and reads the
        ``verdict_map`` and ``trackd_verdicts`` rows when present.
      fast: the run is ``dssl reproduce --fast``.
      track_c: the ``track_c`` row (or ``None``).
      stages: Stage objects whose figures are listed (default ``sims.stages.STAGES``).

    Returns:
      dict (JSON-able): title, generated, configuration, verdict map readings, hidden
      constants, assumptions, Track D rows, rule changes, claims, figures, stages, software.
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

    from sims.pipeline.runner import overall_hash

    stage_rows = [
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
        "finding": finding_text(vmap) if vmap else None,
        "summary": plain_summary(claims, track_c_available=bool(tc_result.get("available"))),
        "readings": claim_readings(vmap) if vmap else [],
        "hidden_constants": hc,
        "assumptions": assumption_table(vmap.get("assumptions", {})) if vmap else [],
        "rule_changes": rule_change_rows(vmap),
        "track_d": list(td_row["result"]["rows"]) if td_row else [],
        "verdict_words": [w for _, w, _ in VOCABULARY],
        "track_c_available": bool(tc_result.get("available")),
        "claims": claims,
        "figures": figures,
        "stages": stage_rows,
        "configuration": configs,
        "software": software_versions(),
        "compute_seconds": round(sum(r["seconds"] for r in runs), 3),
    }


# ----------------------------------------------------------------------------------------------
# render
# ----------------------------------------------------------------------------------------------
ERRATA = [
    "### (a) Complementary masks make the diagonal vanish (Eq. 17)",
    "",
    "Eq. (4) compares the two views a = m ∘ x and b = (1 − m) ∘ x of one mask m with "
    "independent entries m_k ∈ {0, 1}, P(m_k = 1) = 1 − p. Entry (k, l) of abᵀ is "
    "m_k (1 − m_l) x_k x_l. On the diagonal, m_k (1 − m_k) = 0 for m_k ∈ {0, 1}, so "
    "E[m_k (1 − m_k)] = 0; off the diagonal the two factors are independent and "
    "E[m_k (1 − m_l)] = (1 − p) p. Hence",
    "",
    "    E_m[½(abᵀ + baᵀ)] = p(1 − p) (xxᵀ − diag(x ∘ x)),",
    "",
    "a hollow matrix (zero diagonal), where Eq. (17) of the paper writes the diagonal "
    "2p(1 − p) diag(E[x ∘ x]): the exact target is supported exactly where the paper's is "
    "zero. Full derivation: `docs/theory/mask_expectation.md` and `docs/theory/errata.md` (a).",
    "",
    "### (b) The π-weighted DecL average (Eqs. 29–30)",
    "",
    "The DecL objective of Eq. (1) averages the clients' targets with the weights "
    "π_j = (1/N) Σ_{i : j ∈ A_i} 1/|A_i| (the column sums of the uniform mixing matrix over "
    "N; Σ_j π_j = 1), so X_Dec = Σ_j π_j X_j. In the paper's own diagonal model the client "
    "axis k then receives κ[τ² − (τ² − 1) π_k] with κ = 2p(1 − p), while Eqs. (29)–(30) give "
    "every axis κ(1 − 1/|Ā|) τ² through the identity (1/N) Σ_i 1/|A_i| = 1/|Ā|. Because the "
    "π_k sum to 1 they cannot all equal 1/|Ā| unless |Ā| = N; by Jensen "
    "(1/N) Σ_i 1/|A_i| ≥ 1/|Ā|, with equality only for regular graphs (4-node star: 7/16 "
    "against 2/5). When the mixing matrix is doubly stochastic, π_j = 1/N and X_Dec equals the "
    "FL target. Full derivation: `docs/theory/decl_weights.md` and `docs/theory/errata.md` (c).",
]


def _md_configuration(payload: dict) -> list[str]:
    v = payload["verify_config"]
    lines = ["## Configuration", ""]
    lines += ["| quantity | value | where |", "|---|---|---|"]
    rows = [
        ("N (clients)", v.get("n_clients"), "claims table (`verify`)"),
        ("d (input dimension)", v.get("d"), "claims table"),
        ("d-range of the sweeps", v.get("d_sweep"), "claims table"),
        ("p (mask ratio)", v.get("p"), "claims table"),
        (
            "c (embedding dimension)",
            v.get("c") if v.get("c") is not None else "2N (default)",
            "claims table",
        ),  # fmt: skip
        ("graph (DecL)", v.get("graph"), "claims table"),
        ("rare axis", v.get("rare_axis"), "claims table"),
        ("transform (CL)", v.get("transform"), "claims table"),
        (
            "hidden constants",
            ", ".join(f"{k}={v.get(k)}" for k in ("c_num", "c_den", "c_f", "c_n") if k in v),
            "Track A",
        ),
    ]
    m = payload.get("dimensions")
    if m:
        rows += [
            ("d", m.get("d"), "verdict map (exact model)"),
            ("p values", m.get("p"), "verdict map"),
            ("N values", m.get("N"), "verdict map"),
            ("rare axes", m.get("rare_axis"), "verdict map"),
        ]
        for k, vals in m.items():
            if k not in ("d", "p", "N", "rare_axis"):
                rows.append((f"reading `{k}`", vals, "verdict map"))
    hc = payload.get("hidden_constants") or {}
    if hc.get("d_range"):
        rows.append(("d-range of C*(d)", hc["d_range"], "hidden constants"))
    for key, val in _seeds(payload.get("configuration", {})).items():
        rows.append((f"seed `{key}`", val, "stage configuration"))
    for name, val, where in rows:
        if isinstance(val, list):
            val = ", ".join(_fmt(x) for x in val)
        lines.append(f"| {name} | {_cell(_fmt(val) if not isinstance(val, str) else val)} | "
                     f"{where} |")  # fmt: skip
    lines += [
        "",
        f"Configuration hash `{payload['config_hash']}` (SHA-256 over the stages' config "
        "hashes); every stage's configuration is in `report.json` under `configuration`.",
        "",
    ]
    return lines


def _md_map(payload: dict) -> list[str]:
    lines = ["## The verdict map", ""]
    if not payload["readings"]:
        return lines + ["The `verdict_map` stage did not run: no verdict map in this report.", ""]
    lines += [
        "Each claim is evaluated under every reading (MIM objective, CL augmentation, "
        "sensitivity, rare axis) at every configuration of the map (Track B: exact model; rules "
        "in `docs/verdict_rules.md`). The headline of each claim is computed from its row "
        "(rule R8); the counts are Track B words over the row's cells.",
        "",
        "![verdict map](verdict_map.png)",
        "",
        "| claim | reference | Track B headline | Track B counts | Track A counts |",
        "|---|---|---|---|---|",
    ]
    for r in payload["readings"]:
        lines.append(
            f"| `{r['claim']}` | {_cell(r['reference'])} | {_cell(r['headline'])} | "
            f"{_counts(r['counts'])} | {_counts(r['track_a_counts'])} |"
        )
    lines += ["", "### Reading of each claim's row", ""]
    for r in payload["readings"]:
        lines += [f"**`{r['claim']}`** — {r['reference']}: *{r['statement']}*", "", r["text"], ""]
        if r["readings"]:
            lines += ["| reading | headline | counts |", "|---|---|---|"]
            for x in r["readings"]:
                name = "(one reading)" if x["name"] in ("", "-") else f"`{x['name']}`"
                lines.append(f"| {name} | {_cell(x['headline'])} | {_counts(x['counts'])} |")
            lines.append("")
    return lines


def _md_hidden(payload: dict) -> list[str]:
    hc = payload.get("hidden_constants") or {}
    lines = ["## Break-even hidden constants", ""]
    if hc.get("status") != "run":
        reason = hc.get("reason", "the verdict map did not run")
        return lines + [f"Not computed in this run ({reason}).", ""]
    lo, hi = hc.get("d_range", [None, None])
    lines += [
        "For every bound and exact reading, C*(d) is the value of a hidden constant at which "
        "the bound equals the exact value; its growth exponent in d is fitted over "
        f"d ∈ [{_fmt(lo)}, {_fmt(hi)}]. A bound is `violated (asymptotically)` when C*(d) → ∞ "
        "for every reading of the constant.",
        "",
        "| claim | bound | reading | label | constants (exponent of C*(d), status) |",
        "|---|---|---|---|---|",
    ]
    for c in hc.get("cells", []):
        consts = "; ".join(
            f"{k}: {_fmt(x.get('exponent'))} ({x.get('status')})"
            for k, x in c.get("constants", {}).items()
        )
        lines.append(
            f"| `{c['claim']}` | {c['bound']} | `{c['reading']}` | {_cell(c['label'])} | "
            f"{_cell(consts)} |"
        )
    lines.append("")
    for cid, text in hc.get("summary", {}).items():
        lines.append(f"- `{cid}`: {text}.")
    return lines + [""]


def _md_assumptions(payload: dict) -> list[str]:
    lines = ["## Assumptions the proofs use", ""]
    if not payload["assumptions"]:
        return lines + ["Not computed in this run (the verdict map did not run).", ""]
    lines += [
        "Each assumption checked at every configuration of the verdict map.",
        "",
        "| assumption | met | not met | not met at |",
        "|---|---|---|---|",
    ]
    for a in payload["assumptions"]:
        where = a["where"]
        shown = "; ".join(where[:4]) + (f"; … (+{len(where) - 4})" if len(where) > 4 else "")
        lines.append(
            f"| `{a['assumption']}` | {a.get('met', 0)} | {a.get('not met', 0)} | "
            f"{_cell(shown) or '—'} |"
        )
    return lines + [""]


def _md_track_d(payload: dict) -> list[str]:
    lines = ["## Track D beside the paper's reported direction", ""]
    rows = payload.get("track_d") or []
    margin = payload.get("configuration", {}).get("trackd_verdicts", {}).get("margin")
    if not rows:
        return lines + ["The Track D stages did not run in this report (`not-run`).", ""]
    lines += [
        "Verdicts of the paper's empirical claims from the Track D runs, with the rule fixed "
        f"before them (margin {_fmt(margin)} standard errors; "
        "`docs/track_d.md`).",
        "",
        "| claim | Track D | mean ± SE | seeds | paper's direction | paper's scale |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("track_d") == "not-run" or "mean" not in r:
            stat, seeds = "—", "—"
        else:
            stat, seeds = f"{r['mean']:+.4g} ± {r['se']:.2g}", r.get("n_seeds", "—")
        lines.append(
            f"| `{r['claim']}` | {r['track_d']} | {stat} | {seeds} | {_cell(r.get('paper', ''))} "
            f"| {_cell(r.get('paper_scale', ''))} |"
        )
    return lines + [""]


def _md_rule_changes(payload: dict) -> list[str]:
    lines = ["## Rules changed after their output was seen", ""]
    lines += [
        "Every rule changed after its output was seen (`theory.verdicts.RULE_CHANGES`), with "
        "the old rule's answer beside the new one in each cell it changes.",
        "",
    ]
    for r in payload["rule_changes"]:
        name = " ".join(x for x in (f"`{r['claim']}`", r["rule"]) if x)
        lines += [f"**{name}.** Old rule: {r['old_rule']}. New rule: {r['new_rule']}."]
        if r["why"]:
            lines[-1] += f" Why: {r['why']}."
        lines.append("")
        if r["changed_cells"] is None:
            lines += ["The old rule's answers were not computed in this run.", ""]
        elif not r["changed_cells"]:
            lines += ["The old rule gives the same word in every cell evaluated.", ""]
        else:
            lines += ["| reading | old word | new word | cells |", "|---|---|---|---|"]
            for g in r["changed_cells"]:
                lines.append(f"| {_cell(g['reading'])} | {g['old']} | {g['new']} | {g['cells']} |")
            lines.append("")
    return lines


def _md_claims(payload: dict) -> list[str]:
    lines = [
        "## Claims",
        "",
        "The claims table of `dssl verify` at the configuration above (primary readings combined).",
        "",
        "| claim | reference | Track A | Track B | Track C | statement |",
        "|---|---|---|---|---|---|",
    ]
    for c in payload["claims"]:
        lines.append(
            f"| `{c['id']}` | {_cell(c['reference'])} | {c['track_a']} | {c['track_b']} | "
            f"{c['track_c']} | {_cell(c['statement'])} |"
        )
    lines += ["", "### The numbers behind each verdict", ""]
    for c in payload["claims"]:
        lines += [f"**`{c['id']}`** — {c['reference']}", ""]
        for track in TRACKS:
            ev = c.get("evidence", {}).get(track)
            if not ev:
                continue
            note = f" *{ev['note']}*" if ev.get("note") else ""
            nums = compact_numbers(ev.get("numbers", {}))
            lines.append(f"- {TRACK_NAMES[track]}: **{ev['verdict']}**.{note} {nums}".rstrip())
        lines.append("")
    return lines


def _md_figures(payload: dict) -> list[str]:
    lines = ["## Figures", ""]
    missing = [f for f in payload["figures"] if f["status"] != "written"]
    made = [f for f in payload["figures"] if f["status"] == "written"]
    for i, f in enumerate(made, 1):
        lines += [
            f"**Figure {i}** (`{f['path']}`, stage `{f['name']}`).",
            "",
            f"![{f['path']}]({f['path']})",
            "",
            f"*{f['note']}*",
            "",
        ]
    if missing:
        lines += ["Not produced in this run (their stages were not selected):", ""]
        lines += [f"- `{f['path']}` (stage `{f['name']}`): {f['note']}" for f in missing]
        lines.append("")
    return lines


def _glossary() -> list[str]:
    try:
        from sims import glossary
    except ImportError:
        return ["See `docs/glossary.md` for every output key.", ""]
    text = glossary.markdown()
    # one level down: the glossary's title becomes a section of the report
    body = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", text, flags=re.M)
    return [body, ""]


def render_markdown(payload: dict, *, glossary: bool = True) -> str:
    """The Markdown text of the report (every verdict and number from ``payload``).

    Args:
      payload: the dict of :func:`build_report`.
      glossary: append the glossary of output keys (``sims.glossary.markdown()``).
    """
    lines = [
        f"# {payload['title']}",
        "",
        "*Understanding the Robustness of Distributed Self-Supervised Learning Frameworks "
        "Against Non-IID Data* (ICLR 2026, arXiv 2607.02447). Generated by `dssl reproduce"
        + (" --fast" if payload["fast"] else "")
        + f"` on {payload['generated']}.",
        "",
    ]
    lines += ["## Summary", ""]
    if payload.get("finding"):
        lines += ["**The verdict map.** " + payload["finding"], ""]
    lines += ["**The claims table at one configuration** (see Configuration):", ""]
    lines += [*[f"- {x}" for x in payload["summary"]], ""]
    lines += [
        "## Verdict words",
        "",
        "| track | word | meaning |",
        "|---|---|---|",
        *[f"| {t} | `{w}` | {m} |" for t, w, m in VOCABULARY],
        "",
        "Rules and tolerances: `docs/verdict_rules.md`.",
        "",
    ]
    lines += _md_configuration(payload)
    lines += _md_map(payload)
    lines += _md_hidden(payload)
    lines += _md_assumptions(payload)
    lines += _md_track_d(payload)
    lines += _md_rule_changes(payload)
    lines += _md_claims(payload)
    lines += ["## Errata, derived", ""] + ERRATA + [""]
    verdicts = {c["id"]: c for c in payload["claims"]}
    for cid in ("eq17", "eq29-30"):
        if cid in verdicts:
            c = verdicts[cid]
            lines.append(
                f"Computed verdict of `{cid}` at the configuration above: Track A "
                f"**{c['track_a']}**, Track B **{c['track_b']}**."
            )
    lines.append("")
    lines += _md_figures(payload)
    lines += ["## Stage results and run time", ""]
    lines += [
        "| stage | config hash | seconds | cached | headline numbers |",
        "|---|---|---|---|---|",
    ]
    for s in payload["stages"]:
        head = compact_numbers(s["summary"], limit=6) if s["summary"] else ""
        lines.append(
            f"| `{s['name']}` | `{s['config_hash']}` | {s['seconds']:.1f} | "
            f"{'yes' if s['cached'] else 'no'} | {head} |"
        )
    lines += [
        "",
        f"Compute time of all stages: {payload['compute_seconds']:.1f} s (a cached stage shows "
        "the time of the run that computed it).",
        "",
        "## Software",
        "",
        "| package | version |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in payload["software"].items()],
        "",
    ]
    if glossary:
        lines += _glossary()
    return "\n".join(lines)


def render_html(payload: dict, *, glossary: bool = True) -> str:
    """``report.html``: the Markdown report as one HTML page (figures as ``<img>`` of the PNGs
    next to it, a small inline CSS; no other external file)."""
    import markdown

    body = markdown.markdown(
        render_markdown(payload, glossary=glossary),
        extensions=["tables", "fenced_code", "toc", "sane_lists"],
        output_format="html5",
    )
    title = html.escape(payload["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n"
        "</html>\n"
    )


# ----------------------------------------------------------------------------------------------
# README
# ----------------------------------------------------------------------------------------------
def _replace_between(text: str, markers: tuple[str, str], new: str) -> str:
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"readme_text: needs the markers {start} and {end} in this order")
    return text[: i + len(start)] + "\n" + new.strip() + "\n" + text[j:]


def marked(text: str, markers: tuple[str, str]) -> str:
    """The text between two README markers (stripped)."""
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"text: needs the markers {start} and {end} in this order")
    return text[i + len(start) : j].strip()


def gallery_markdown(figures: list[dict] | None = None) -> str:
    """README's gallery: every figure every stage writes, with its caption, two per row."""
    figures = stage_figures() if figures is None else figures
    lines = ["| | |", "|---|---|"]
    cells = [
        f"![{Path(f['file']).stem}](figures/{f['file']}) {_cell(f['caption'])} "
        f"(stage `{f['stage']}`)"
        for f in figures
    ]
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2] + ([""] if len(cells[i : i + 2]) == 1 else [])
        lines.append(f"| {pair[0]} | {pair[1]} |")
    return "\n".join(lines)


def update_readme(readme_text: str, results: Mapping, *, gallery: bool = False) -> str:
    """README with its finding paragraph (and, with ``gallery``, its gallery) regenerated.

    Args:
      readme_text: README.md's text with the markers :data:`FINDING_MARKERS`.
      results: the verdict map (``verdict_map.json``, the stage result, or its ``map``).
      gallery: also regenerate the part between :data:`GALLERY_MARKERS`.
    """
    if not isinstance(readme_text, str):
        raise TypeError("readme_text: must be a str")
    if not isinstance(results, Mapping):
        raise TypeError("results: must be a verdict map (dict)")
    out = _replace_between(readme_text, FINDING_MARKERS, finding_text(results))
    if gallery:
        out = _replace_between(out, GALLERY_MARKERS, gallery_markdown())
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m sims.report [VERDICT_MAP_JSON [README]]``: regenerate README's finding
    paragraph and gallery from a verdict map (default ``figures/verdict_map.json``)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    vm_path = Path(args[0] if args else "figures/verdict_map.json")
    readme = Path(args[1] if len(args) > 1 else "README.md")
    if not vm_path.is_file():
        print(f"verdict_map: file not found: {vm_path}", file=sys.stderr)
        return 2
    text = update_readme(readme.read_text(), json.loads(vm_path.read_text()), gallery=True)
    readme.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
