"""Rendering the report payload of :func:`sims.reproduce.report.build_report` as Markdown and
HTML."""

from __future__ import annotations

import html
import re

from sims.reproduce.report.answer import _cell, md_table, render_answer, render_block
from sims.reproduce.report.content import (
    TRACK_NAMES,
    TRACKS,
    VOCABULARY,
    _counts,
    _fmt,
    _seeds,
    compact_numbers,
)

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


def _md_witnesses(answer: dict) -> list[str]:
    """Each violated claim's smallest exact counterexample beside its claim (the rows'
    ``witness``, :func:`theory.symbolic.witnesses.witness`)."""
    found = [r["witness"] for r in answer.get("rows", []) if r.get("witness")]
    if not found:
        return []
    return [
        "**Exact counterexamples** (the smallest witness of each claim violated under the "
        "paper's reading, checked by exact substitution; `python -m theory.symbolic.witnesses` "
        "prints them):",
        "",
        *[f"- {w}" for w in found],
        "",
    ]


def _md_configuration(payload: dict) -> list[str]:
    v = payload["verify_config"]
    lines = ["## Configuration", ""]
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
    body = []
    for name, val, where in rows:
        if isinstance(val, list):
            val = ", ".join(_fmt(x) for x in val)
        body.append((name, _cell(_fmt(val) if not isinstance(val, str) else val), where))
    lines += md_table(("quantity", "value", "where"), body)
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
        *(
            ["**Pooled over readings.** " + payload["finding"], ""]
            if payload.get("finding")
            else []
        ),
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
        lines += [f"**`{r['claim']}`** — {r['reference']}: *{_cell(r['statement'])}*", "",
                  r["text"], ""]  # fmt: skip
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


def _md_track_d_rows(labelled: list) -> list[str]:
    """One row of the Track D table per (row, scale) of ``labelled``, then why each ``void``,
    ``absent`` or ``inconclusive``."""
    lines = []
    for r, tag in labelled:
        if r.get("track_d") == "not-run" or "mean" not in r:
            stat, tol, seeds, p = "—", "—", "—", "—"
        else:
            se = "n/a" if r.get("se") is None else f"{r['se']:.2g}"
            stat, seeds = f"{r['mean']:+.4g} ± {se}", r.get("n_seeds", "—")
            tol = f"{r['tolerance']:.2g}" if r.get("tolerance") is not None else "—"
            p = f"{r['tost_p']:.2g}" if r.get("tost_p") is not None else "—"
        lines.append(
            f"| `{r['claim']}` | {r['track_d']} | {r.get('d3_verdict') or '—'} | {tag} | {stat} "
            f"| {p} | {tol} | {seeds} | {_cell(r.get('reading', ''))} "
            f"| {_cell(r.get('paper', ''))} | {_cell(r.get('paper_scale', ''))} "
            f"| {r.get('old_verdict') or '—'} | {r.get('d1_verdict') or '—'} |"
        )
    why = [
        f"- `{r['claim']}` ({tag}): {r['track_d']}: {_cell(r.get('reason', ''))}"
        for r, tag in labelled
        if r.get("track_d") in ("void", "absent", "inconclusive") and r.get("reason")
    ]
    if why:
        lines += ["", "Why each `void`, `absent` or `inconclusive`:", "", *why]
    return lines


def _md_power(labelled: list, td_paper) -> list[str]:
    """Could the Track D runs detect the paper's effects: per preset, how often the minimum
    detectable effect exceeds the paper's, and per row the MDE beside the paper's effect."""
    lines = [
        "",
        "### Could these runs detect the paper's effects?",
        "",
        "The minimum detectable effect (MDE) is the smallest true mean difference that rules D3 "
        "and D4 call `holds` with probability 80 % at the run's seeds and its measured per-seed "
        "SD of the paired difference; beside it, the smallest effect the runs exclude (D4's "
        "TOST at level 0.05 per side: |mean| + t·SE) and the paper's own effect for the same "
        "comparison, computed from its tables (accuracy in points).",
        "",
    ]
    for preset in dict.fromkeys(p for _, p in labelled):
        ran = [r for r, p in labelled if p == preset and r.get("mde") is not None]
        ran = [r for r in ran if _paper_effect(r, td_paper)[0] is not None]
        if ran:
            above = [r["claim"] for r in ran if r["mde"] > _paper_effect(r, td_paper)[0]]
            lines.append(
                f"At {preset}: the MDE exceeds the paper's effect for {len(above)} of "
                f"{len(ran)} comparisons" + (f" ({', '.join(above)})." if above else ".")
            )
    lines += [
        "",
        "| claim | scale | seeds | mean Δ | MDE (80 % power) | excluded beyond | paper's effect "
        "| paper's effect from |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r, preset in labelled:
        effect, unit, source = _paper_effect(r, td_paper)
        digits = 3 if unit != "accuracy" else 2
        ran = r.get("track_d") != "not-run" and "mean" in r
        mean = td_paper.points_text(r["mean"], unit, digits) if ran else "—"
        if ran and r["mean"] > 0:
            mean = "+" + mean
        mde = td_paper.points_text(r.get("mde"), unit, digits) if ran else "—"
        excl = td_paper.points_text(r.get("excluded_beyond"), unit, digits) if ran else "—"
        lines.append(
            f"| `{r['claim']}` | {preset} | {r.get('n_seeds', '—') if ran else '—'} | "
            f"{_cell(mean)} | {_cell(mde)} | {_cell(excl)} | "
            f"{_cell(td_paper.points_text(effect, unit, digits))} | {_cell(source)} |"
        )
    return lines


def _md_track_d(payload: dict) -> list[str]:
    from sims.trackd import paper_numbers as td_paper
    from sims.trackd import verdicts as vd

    lines = ["## Track D beside the paper's reported direction", ""]
    rows = payload.get("track_d") or []
    margin = payload.get("configuration", {}).get("trackd_verdicts", {}).get("margin")
    if not rows:
        return lines + ["The Track D stages did not run in this report (`not-run`).", ""]
    from sims.trackd.verdict_rows import claim_tag

    decisive = payload.get("track_d_decisive")
    more = decisive.get("rows") if isinstance(decisive, dict) else None
    paper = payload.get("track_d_paper_scale")
    at_paper = paper.get("rows") if isinstance(paper, dict) else None
    here = {"scale": payload.get("track_d_scale") or {}}
    labelled = [(r, claim_tag(here, r["claim"])) for r in rows]
    labelled += [(r, claim_tag(decisive, r["claim"])) for r in more or []]
    labelled += [(r, claim_tag(paper, r["claim"])) for r in at_paper or []
                 if r.get("track_d") != "not-run"]  # fmt: skip
    lines += [
        "Verdicts of the paper's empirical claims from the Track D runs by rule D4, each at the "
        "scale of its runs (data set and training images, encoders, probe, clients, seeds, "
        "preset), a statement about that scale only, never about the paper's CIFAR/ImageNet "
        "fine-tuning or its ResNet-18/ViT. `void` when "
        "an arm entering the difference did not learn (its probe accuracy not above its own "
        "untrained encoder's by 2 SE of the paired per-seed uplift), is not above chance, or "
        "has no untrained baseline recorded; else `holds` when the mean per-seed difference "
        "exceeds the tolerance max(margin × SE, one test image) (margin "
        f"{_fmt(margin)} standard errors), `violated` below minus it; within it `absent` when "
        "two one-sided t-tests (TOST, level 0.05 each) exclude the paper's own effect for the "
        "comparison, else `inconclusive` (also with fewer than 2 seeds). Rule D3 (no `absent`: "
        "both were inconclusive) and rules D2 and D1 (history; their word `degenerate` for "
        "what D3 calls inconclusive) give the words in their columns; `docs/track_d.md`.",
        "",
        "| claim | Track D (D4) | D3 | scale | mean ± SE | TOST p | tolerance | seeds | reading "
        "| paper's direction | paper's scale | D2 | D1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += _md_track_d_rows(labelled)
    lines += _md_power(labelled, td_paper)
    if not more:
        lines += ["", f"decisive: not run (`{vd.DECISIVE_COMMAND}`)"]
    return lines + ["", *_md_ledger()]


def _md_ledger() -> list[str]:
    """The parity ledger (:func:`sims.trackd.ledger.ledger_markdown`): the paper's, the
    official code's and the presets' settings side by side."""
    from sims.trackd.ledger import ledger_markdown, ledger_rows

    rows = ledger_rows()
    differ = sum(bool(r["why"]) for r in rows)
    return [
        "### Parity ledger: the paper, the official code and this toolkit",
        "",
        f"The {len(rows)} settings that decide a Track D number, as the paper states them, as "
        "the official code runs them (its behaviour as the spec digest describes it) and as "
        f"the presets set them (generated from `sims.trackd.presets`); {differ} differ "
        "somewhere, each with why. `dssl trackd --ledger` prints it.",
        "",
        ledger_markdown(rows),
        "",
    ]


def _paper_effect(row: dict, td_paper) -> tuple:
    """A row's paper effect, its unit and its source; for an older row without them, those
    computed from the paper's tables (``None``, ``"accuracy"``, ``"—"`` for another claim)."""
    known = td_paper.PAPER_EFFECTS.get(row["claim"], {})
    effect = row.get("paper_effect", known.get("effect"))
    unit = row.get("unit") or known.get("unit") or "accuracy"
    return effect, unit, row.get("paper_effect_source") or known.get("source") or "—"


def _md_rule_changes(payload: dict) -> list[str]:
    lines = ["## Rules changed after their output was seen", ""]
    lines += [
        "Every rule changed after its output was seen (`theory.verdicts.RULE_CHANGES`; Track "
        "D's: `sims.trackd.verdicts.RULE_CHANGES`), with "
        "the old rule's answer beside the new one in each cell it changes.",
        "",
    ]
    for r in payload["rule_changes"]:
        name = " ".join(x for x in (f"`{r['claim']}`", r["rule"]) if x)
        lines += [f"**{name}.** Old rule: {r['old_rule']}. New rule: {r['new_rule']}."]
        if r["why"]:
            lines[-1] += f" Why: {r['why']}."
        lines.append("")
        if r["changed_cells"] is not None and r.get("evaluated_at_N"):
            at = ", ".join(str(n) for n in r["evaluated_at_N"])
            lines += [
                f"The old rule was re-evaluated at N = {at} only: the map's configurations at "
                "other N were not re-run under it, so the cells below are those of N = "
                f"{at}.",
                "",
            ]
        elif r["changed_cells"] is not None and r.get("cells"):
            n = r["cells"]
            lines += [f"The old rule's answer was computed in all {n} cells of the claim.", ""]
        if r["changed_cells"] is None:
            lines += ["The old rule's answers were not computed in this run.", ""]
        elif not r["changed_cells"]:
            lines += ["The old rule gives the same word in every cell evaluated.", ""]
        else:
            body = [
                (_cell(g["reading"]), g["old"], g["new"], g["cells"]) for g in r["changed_cells"]
            ]
            lines += [*md_table(("reading", "old word", "new word", "cells"), body), ""]
    return lines


def _md_claims(payload: dict) -> list[str]:
    lines = [
        "## Claims",
        "",
        "The claims table of `dssl verify` at the configuration above (primary readings combined).",
        "",
        "| claim | reference | Track A | Track B | Track C | Track D | statement |",
        "|---|---|---|---|---|---|---|",
    ]
    from sims.trackd.verdict_rows import claim_tag, word_text
    from sims.trackd.verdicts import CLAIM_OF

    track_d = {CLAIM_OF.get(r["claim"], r["claim"]): r for r in payload.get("track_d") or []}
    here = {"scale": payload.get("track_d_scale") or {}}
    for c in payload["claims"]:
        d = track_d.get(c["id"], {}).get("track_d", "n/a" if track_d else "not-run")
        if d not in ("n/a", "not-run"):
            row = track_d[c["id"]]
            d = f"{word_text(row)} at {claim_tag(here, row['claim'])}"
        lines.append(
            f"| `{c['id']}` | {_cell(c['reference'])} | {c['track_a']} | {c['track_b']} | "
            f"{c['track_c']} | {d} | {_cell(c['statement'])} |"
        )
    lines += ["", "### The numbers behind each verdict", ""]
    for c in payload["claims"]:
        lines += [f"**`{c['id']}`** — {c['reference']}", ""]
        for track in TRACKS:
            ev = c.get("evidence", {}).get(track)
            if not ev:
                continue
            note = f" *{_cell(ev['note'])}*" if ev.get("note") else ""
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
    from sims import glossary

    text = glossary.markdown()
    # one level down: the glossary's title becomes a section of the report
    body = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", text, flags=re.M)
    return [body, ""]


def _md_errata(payload: dict) -> list[str]:
    """The derived errata and the computed verdicts of the two equations they concern."""
    lines = ["## Errata, derived", ""] + ERRATA + [""]
    verdicts = {c["id"]: c for c in payload["claims"]}
    for cid in ("eq17", "eq29-30"):
        if cid in verdicts:
            c = verdicts[cid]
            lines.append(
                f"Computed verdict of `{cid}` at the configuration above: Track A "
                f"**{c['track_a']}**, Track B **{c['track_b']}**."
            )
    lines.append("")
    return lines


def _md_stages(payload: dict) -> list[str]:
    """One row per stage (hash, seconds, cached, headline numbers) and the total compute time."""
    lines = ["## Stage results and run time", ""]
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
    return lines + [
        "",
        f"Compute time of all stages: {payload['compute_seconds']:.1f} s (a cached stage shows "
        "the time of the run that computed it).",
        "",
    ]


def render_markdown(payload: dict, *, glossary: bool = True, fmt: str = "markdown") -> str:
    """The Markdown text of the report (every verdict and number from ``payload``).

    Args:
      payload: the dict of :func:`build_report`.
      glossary: append the glossary of output keys (``sims.glossary.markdown()``).
      fmt: ``"html"`` marks each verdict word of the answer with its colour as well as its
        symbol (:func:`render_html`).
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
    lines += ["## The answer", ""]
    if payload.get("answer"):
        lines += [render_block(payload["answer"], fmt), ""]
        lines += ["**Every claim under every reading** (the table above in full):", ""]
        lines += [render_answer(payload["answer"], "markdown", reasons=True), ""]
        lines += _md_witnesses(payload["answer"])
    else:
        lines += [
            "The `verdict_map` stage did not run (or its cells are missing): no answer table.",
            "",
        ]
    lines += ["## Summary", ""]
    lines += ["**The claims table at one configuration** (see Configuration):", ""]
    lines += [*[f"- {x}" for x in payload["summary"]], ""]
    lines += [
        "## Verdict words",
        "",
        *md_table(("track", "word", "meaning"), [(t, f"`{w}`", m) for t, w, m in VOCABULARY]),
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
    lines += _md_errata(payload)
    lines += _md_figures(payload)
    lines += _md_stages(payload)
    lines += [
        "## Software",
        "",
        *md_table(("package", "version"), payload["software"].items()),
        "",
    ]
    lines += _md_machine(payload.get("machine"))
    if glossary:
        lines += _glossary()
    return "\n".join(lines)


def _md_machine(machine: dict | None) -> list[str]:
    """The report's line on the machine of the run (none for a report that does not say)."""
    if not machine:
        return []
    return [
        f"Machine: {machine['cpu']} ({machine['cpus']} logical CPUs; caches "
        f"{machine['caches'] or 'not reported'}; tag {machine['tag']}). Float32 training is "
        "bit-identical run to run on one machine; `dssl compare` compares Track D by its "
        "words between machines.",
        "",
    ]


def render_html(payload: dict, *, glossary: bool = True) -> str:
    """``report.html``: the Markdown report as one HTML page (figures as ``<img>`` of the PNGs
    next to it, a small inline CSS; no other external file)."""
    import markdown

    body = markdown.markdown(
        render_markdown(payload, glossary=glossary, fmt="html"),
        extensions=["tables", "fenced_code", "toc", "sane_lists", "md_in_html"],
        output_format="html5",
    )
    title = html.escape(payload["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n"
        "</html>\n"
    )
