"""The verification report (sims.reproduce.report): rendered from small synthetic stage rows, no
expensive computation. Checks that every verdict and number in the text comes from the rows."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from sims.reproduce import report
from sims.reproduce.report.__main__ import main as readme_main
from sims.reproduce.stages import STAGES

_EV = {"verdict": "x", "note": "", "numbers": {}}


def _claim(cid: str, a: str, b: str) -> dict:
    return {
        "id": cid,
        "reference": f"ref {cid}",
        "statement": f"statement of {cid}",
        "track_a": a,
        "track_b": b,
        "track_c": "not-run",
        "evidence": {
            "track_a": {**_EV, "verdict": a, "numbers": {"lb": 0.25}},
            "track_b": {**_EV, "verdict": b, "numbers": {"rv_min": 0.125}},
            "track_c": {**_EV, "verdict": "not-run"},
        },
    }


CLAIMS = [
    _claim("eq17", "invalid", "violated"),
    _claim("thm4.2.fl", "informative", "violated"),
    _claim("thm4.3.fl", "informative", "holds"),
    _claim("cor4.5", "informative", "degenerate"),
]

VMAP = {
    "config": {"d": 10**6},
    "dimensions": {
        "objective": ["eq4-complementary", "eq3-reconstruction"],
        "p": [0.5, 0.75],
        "N": [2, 4],
        "rare_axis": ["class-index"],
    },  # fmt: skip
    "rows": {
        "thm4.2.fl": {
            "reference": "Thm 4.2 item 3",
            "statement": "FL MIM RV bound",
            "headline": "violated only under objective=eq4-complementary; holds only under "
            "objective=eq3-reconstruction",
            "counts": {"violated": 4, "holds": 4},
            "track_a_counts": {"informative": 8},
            "hidden_constants": "violated (asymptotically) under eq4-complementary",
        },
        "cor4.5": {
            "reference": "Cor 4.5",
            "statement": "DecL sensitivity decreases with |Ā|",
            "headline": "degenerate under every reading",
            "counts": {"degenerate": 6},
            "track_a_counts": {"informative": 6},
        },
    },
    "readings": {
        "thm4.2.fl": {
            "objective=eq4-complementary": {
                "headline": "violated under every reading",
                "counts": {"violated": 4},
            },  # fmt: skip
            "objective=eq3-reconstruction": {
                "headline": "holds under every reading",
                "counts": {"holds": 4},
            },  # fmt: skip
        }
    },
    "assumptions": {
        "p=0.5,N=2,rare_axis=class-index": {"A.5": "not met", "N-scaling": "met"},
        "p=0.75,N=4,rare_axis=class-index": {"A.5": "not met", "N-scaling": "met"},
    },
    "rule_changes": [
        {
            "claim": "cor4.5",
            "old_rule": "non-increasing and one decreasing",
            "new_rule": "R6 per method",
            "cells": 6,
            "changed_cells": [
                {
                    "reading": {"method": "similar"},
                    "old": "violated",
                    "new": "degenerate",
                    "cells": 5,
                },  # fmt: skip
            ],
        }
    ],
    "hidden_constants": {
        "status": "run",
        "d_range": [1e4, 1e20],
        "cells": [
            {
                "claim": "thm4.2.fl",
                "bound": "mim",
                "reading": "eq4-complementary",
                "label": "violated (asymptotically)",
                "constants": {"c_num": {"exponent": 0.4, "status": "grows"}},
            }
        ],
        "summary": {"thm4.2.fl": "violated (asymptotically) under eq4-complementary"},
    },
    "finding": "Track B per claim: thm4.2.fl: violated only under objective=eq4-complementary.",
}

TRACKD = {
    "rows": [
        {
            "claim": "fig2a",
            "track_d": "violated",
            "mean": -0.0123,
            "se": 0.004,
            "n_seeds": 5,
            "tolerance": 0.008,
            "old_verdict": "holds",
            "reading": "slope of accuracy on |Ā|",
            "paper": "accuracy rises with |Ā|",
            "paper_scale": "+5 points",
        },  # fmt: skip
        {"claim": "table1", "track_d": "not-run", "paper": "drop under skew", "paper_scale": "?"},
    ],
    "margin": 2.0,
    "rule_changes": [
        {
            "claim": "track D (all four claims)",
            "rule": "D1 -> D2",
            "old_rule": "2 SE",
            "new_rule": "max(2 SE, one image)",
            "why": "one-image ties",
            "changed_cells": [
                {"reading": {"claim": "fig2a"}, "old": "holds", "new": "violated", "cells": 1}
            ],
        }
    ],
}


def _map_cells() -> list[dict]:
    """Cells of VMAP's thm4.2.fl row: Eq. 4 violated, Eq. 3 holds at every configuration."""
    return [
        {
            "claim": "thm4.2.fl",
            "reading": {"objective": o},
            "config": {"p": p, "N": n, "rare_axis": "class-index", "d": 10**6},
            "track_a": "informative",
            "track_b": w,
        }
        for p in (0.5, 0.75)
        for n in (2, 4)
        for o, w in (("eq4-complementary", "violated"), ("eq3-reconstruction", "holds"))
    ]


def _answer() -> dict:
    return report.build_answer(VMAP, _map_cells(), None)


#: synthetic stages: figure functions with docstrings, one wrapped in a lambda


def make_alpha_figure(results):
    """Alpha panel: sensitivity against d (log-log).

    ``results`` is ignored here."""


def make_beta_figure(results):
    """Beta grid: one row per claim."""


def _stages():
    return [
        SimpleNamespace(name="alpha", figures={"alpha.png": make_alpha_figure}),
        SimpleNamespace(name="verify", figures={}),
        SimpleNamespace(
            name="verdict_map",
            figures={"beta.png": lambda r: make_beta_figure(r), "gamma.png": make_beta_figure},
        ),
        SimpleNamespace(name="late", figures={"late.png": make_alpha_figure}),
    ]


def _row(name, result, figures=(), seconds=1.5):
    return {
        "name": name,
        "config_hash": f"{name[:6]:0<12}",
        "cached": False,
        "cache": True,
        "seconds": seconds,
        "files": [f"{name}.json", *figures],
        "figures": list(figures),
        "summary": {"n": 1},
        "config": {"seed": 3} if name == "alpha" else {},
        "result": result,
    }


def _runs():
    return [
        _row("alpha", {}, ["alpha.png"]),
        _row(
            "verify",
            {
                "config": {
                    "d": 400,
                    "n_clients": 4,
                    "p": 0.75,
                    "d_sweep": [100, 400],
                    "graph": "star",
                },
                "claims": CLAIMS,
            },
        ),  # fmt: skip
        _row("verdict_map", {"map": VMAP}, ["beta.png", "gamma.png"]),
        _row("trackd_verdicts", TRACKD),
    ]


@pytest.fixture(scope="module")
def payload():
    return report.build_report(_runs(), fast=True, stages=_stages())


@pytest.fixture(scope="module")
def md(payload):
    return report.render_markdown(payload)


def test_every_claim_of_the_map_appears_with_its_computed_headline(payload, md):
    for cid, row in VMAP["rows"].items():
        assert f"`{cid}`" in md
        assert row["headline"] in md
        total = sum(row["counts"].values())
        assert f"Over {total} cells" in md
    for per in VMAP["readings"].values():
        for name, r in per.items():
            assert f"| `{name}` | {r['headline']} |" in md
    assert [r["claim"] for r in payload["readings"]] == list(VMAP["rows"])
    assert VMAP["finding"] in md


def test_hidden_constants_assumptions_track_d_and_rule_changes(md):
    assert "violated (asymptotically)" in md and "c_num: 0.4 (grows)" in md
    assert "| `A.5` | 0 | 2 |" in md and "| `N-scaling` | 2 | 0 | — |" in md
    assert (
        "| `fig2a` | violated | — | scale not recorded | -0.0123 ± 0.004 | — | 0.008 | 5 | slope "
        "of accuracy on \\|Ā\\| | accuracy rises with \\|Ā\\|" in md
    )
    # Track D's rule change is listed with the theory's, with the claim whose word it changed
    assert "**`track D (all four claims)` D1 -> D2.** Old rule: 2 SE." in md
    assert "| claim=fig2a | holds | violated | 1 |" in md
    assert "| `table1` | not-run |" in md
    assert "| method=similar | violated | degenerate | 5 |" in md


def test_claims_table_uses_the_new_words_only(payload, md):
    for c in CLAIMS:
        assert f"| `{c['id']}` | ref {c['id']} | {c['track_a']} | {c['track_b']} |" in md
    # the glossary explains the old word for older runs; the report itself never uses it
    assert "mismatch" not in report.render_markdown(payload, glossary=False).lower()
    assert "The exact linear model contradicts eq17, thm4.2.fl." in payload["summary"]
    assert "The exact linear model agrees with thm4.3.fl." in payload["summary"]
    assert "lb=0.25" in md and "rv_min=0.125" in md
    for word in ("informative", "vacuous", "invalid", "degenerate", "not-unique"):
        assert f"`{word}`" in md


def test_configuration_and_run_times(md):
    assert "| N (clients) | 4 |" in md and "| d-range of the sweeps | 100, 400 |" in md
    assert "| p values | 0.5, 0.75 |" in md and "| d | 1000000 | verdict map" in md
    assert "| seed `alpha.seed` | 3 |" in md
    assert "| `verify` | `verify000000` | 1.5 | no |" in md
    assert "## Software" in md and "| numpy |" in md


def test_every_figure_is_referenced_with_its_docstring_caption(payload, md):
    files = [f for s in _stages() for f in s.figures]
    assert sorted(f["path"] for f in payload["figures"]) == sorted(files)
    for f in ("alpha.png", "beta.png", "gamma.png"):
        assert f"![{f}]({f})" in md
    assert "*Alpha panel: sensitivity against d (log-log).*" in md
    assert "results" not in md.split("Alpha panel")[1].split("\n")[0]
    assert "*Beta grid: one row per claim.*" in md  # through the lambda
    assert "`late.png` (stage `late`): Alpha panel" in md  # listed, not produced


def test_html_has_an_img_per_figure_and_no_external_resource(payload):
    page = report.render_html(payload, glossary=False)
    srcs = re.findall(r'<img[^>]*src="([^"]+)"', page)
    for f in ("alpha.png", "beta.png", "gamma.png"):
        assert f in srcs
    assert all(not s.startswith(("http", "/")) for s in srcs)
    assert "<table>" in page and "<style>" in page and "<script" not in page
    assert "<link" not in page


def test_errata_are_plain_maths_not_sympy_strings(md):
    errata = md.split("## Errata, derived")[1].split("## Figures")[0]
    assert "E[m_k (1 − m_k)] = 0" in errata
    assert "E_m[½(abᵀ + baᵀ)] = p(1 − p) (xxᵀ − diag(x ∘ x))" in errata
    assert "π_j = (1/N) Σ_{i : j ∈ A_i} 1/|A_i|" in errata
    assert "docs/theory/errata.md" in errata
    assert "p*(" not in errata and "**2" not in errata
    assert "Track A **invalid**, Track B **violated**" in errata


def test_report_without_the_map_or_track_d_says_so():
    runs = [r for r in _runs() if r["name"] in ("alpha", "verify")]
    text = report.render_markdown(report.build_report(runs, fast=False, stages=_stages()))
    assert "The `verdict_map` stage did not run" in text
    assert "The Track D stages did not run" in text
    # rule changes fall back to theory.verdicts.RULE_CHANGES (old rule stated, not computed)
    assert "The old rule's answers were not computed in this run." in text


def test_bad_arguments_fail_with_one_clear_line():
    with pytest.raises(ValueError, match="runs: needs the verify stage"):
        report.build_report([_row("alpha", {})], fast=True, stages=_stages())
    with pytest.raises(TypeError, match="runs: must be a list"):
        report.build_report("verify", fast=True)
    with pytest.raises(ValueError, match="readme_text: needs the markers"):
        report.update_readme("no markers", _answer())
    with pytest.raises(TypeError, match="answer: must be the answer table"):
        report.update_readme(report.FINDING_MARKERS[0] + report.FINDING_MARKERS[1], VMAP)


def test_update_readme_replaces_only_the_marked_paragraph():
    s, e = report.FINDING_MARKERS
    text = f"head\n{s}\nold words\n{e}\ntail\n"
    answer = _answer()
    table = report.render_block(answer, "markdown")
    out = report.update_readme(text, answer)
    assert out == f"head\n{s}\n{table}\n{e}\ntail\n"
    assert report.marked(out, report.FINDING_MARKERS) == table
    row = "| [`thm4.2.fl`](#claim-thm4-2-fl) MIM bound, FL | ✗ violated everywhere |"
    assert row in table
    assert report.update_readme(out, answer) == out  # idempotent


def test_gallery_lists_the_given_figures():
    figs = report.stage_figures(_stages())
    table = report.gallery_markdown(figs)
    assert re.findall(r"\(figures/([^)]+\.png)\)", table) == [f["file"] for f in figs]


def test_the_stage_writes_report_html_and_the_finding(tmp_path):
    from sims.reproduce.stages import report as stage

    files = stage.STAGE.files
    assert {"report.md", "report.html", "report.json", "README_finding.md"} <= set(files)
    payload = stage.compute(stage.Config.FAST, verify=_runs()[1], runs=_runs())
    assert payload["answer"] is None  # the synthetic map carries no cells
    assert stage.STAGE.texts["README_finding.md"](payload).startswith("No answer table")
    runs = _runs()
    figs = ["beta.png", "gamma.png"]
    runs[2] = _row("verdict_map", {"map": {**VMAP, "cells": _map_cells()}}, figs)
    payload = stage.compute(stage.Config.FAST, verify=runs[1], runs=runs)
    assert payload["answer"]["rows"] == _answer()["rows"]
    text = stage.STAGE.texts["README_finding.md"](payload)
    assert text == report.render_block(_answer(), "markdown") + "\n"
    md = report.render_markdown(payload, glossary=False)
    assert md.split("## ")[1].startswith("The answer\n")
    assert stage.summarize(payload)["figures"].startswith("3 of ")


def test_main_regenerates_readme_from_a_verdict_map_file(tmp_path, capsys):
    import json

    s, e = report.FINDING_MARKERS
    gs, ge = report.GALLERY_MARKERS
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{s}\nold\n{e}\nb\n{gs}\nold\n{ge}\nc\n")
    from sims import verdict_map as vm_files

    vm = tmp_path / "verdict_map.json"
    vm.write_text(json.dumps({**VMAP, "cells_file": "cells.json"}))
    assert readme_main([str(vm), str(readme)]) == 2  # the map without its cells file
    assert "verdict_cells: file not found" in capsys.readouterr().err
    cells = vm_files.encode_cells({**VMAP, "cells": _map_cells()})
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    assert readme_main([str(vm), str(readme)]) == 0
    text = readme.read_text()
    # the cells read back from the file carry their basis (computed), the hand-made ones none
    expected = report.render_block(report.answer_from_folder(tmp_path))
    assert report.marked(text, report.FINDING_MARKERS) == expected
    assert report.marked(text, report.GALLERY_MARKERS) == report.gallery_markdown(
        report.stage_figures(STAGES)
    )
    assert readme_main([str(tmp_path / "missing.json"), str(readme)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("verdict_map: file not found")


def test_every_png_a_stage_writes_is_in_the_report_and_the_readme_gallery():
    pngs = sorted({f for s in STAGES for f in s.figures if f.endswith(".png")})
    assert pngs
    runs = _runs()
    for made in (False, True):  # listed as "not produced" and as written figures
        if made:
            runs = [*runs, {**runs[-1], "name": "all", "figures": pngs}]
        text = report.render_markdown(
            report.build_report(runs, fast=True, stages=STAGES), glossary=False
        )
        assert [p for p in pngs if f"`{p}`" not in text] == []
    s, e = report.FINDING_MARKERS
    gs, ge = report.GALLERY_MARKERS
    readme = report.update_readme(
        f"{s}\n{e}\n{gs}\n{ge}\n", _answer(), gallery=report.stage_figures(STAGES)
    )
    gallery = report.marked(readme, report.GALLERY_MARKERS)
    assert [p for p in pngs if f"(figures/{p})" not in gallery] == []
    captions = {f["file"]: f["caption"] for f in report.stage_figures(STAGES)}
    assert all(captions[p] for p in pngs)


def test_figure_captions_are_plain_text():
    """A caption is the first paragraph of its figure function's docstring, printed as it is in
    report.md, report.html and the README gallery, where no TeX is typeset: the API pages'
    :math: roles belong after that paragraph."""
    for f in report.stage_figures(STAGES):
        tex = re.findall(r"\\[A-Za-z]+|[_^]\{|:math:", f["caption"])
        assert not tex, (f["file"], tex)


def test_python_m_sims_report_runs_the_readme_update(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "sims.reproduce.report", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "file not found" in out.stderr


def test_summary_marks_an_equality_that_holds_by_construction():
    """Eq. 89: Track B's identical weights and Track C's bit-equal runs are said, not hidden."""
    from sims.reproduce.report.content import plain_summary

    eq89 = {
        "id": "thm4.6.eq89",
        "track_a": "informative",
        "track_b": "holds",
        "track_c": "holds",
        "evidence": {
            "track_b": {"numbers": {"r": {"numbers": {"weights_identical": True}}}},
            "track_c": {
                "numbers": {"mim": {"s_dec_N": 0.1, "s_fed_N": 0.1, "identical_runs": True}}
            },
        },
    }
    other = {
        "id": "thm4.6",
        "track_a": "informative",
        "track_b": "holds",
        "track_c": "holds",
        "evidence": {"track_c": {"numbers": {"mim": {"s_dec_N": 0.1, "s_fed_N": 0.1}}}},
    }
    lines = plain_summary([eq89, other], track_c_available=True)
    b = next(x for x in lines if x.startswith("The exact linear model agrees"))
    c = next(x for x in lines if x.startswith("The simulations agree"))
    assert "thm4.6.eq89 (by construction: one objective on both sides)" in b
    assert "thm4.6.eq89 (by construction: one run on both sides)" in c
    assert "thm4.6 (by" not in b and "thm4.6 (by" not in c
    eq89["evidence"]["track_c"]["numbers"]["mim"]["identical_runs"] = False  # not one run
    c = next(x for x in plain_summary([eq89], track_c_available=True) if "simulations" in x)
    assert "by construction" not in c
