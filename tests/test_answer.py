"""The answer table (sims.reproduce.report.answer): computed from a small hand-made map (every word
and range checked against the cells it came from), and from the committed figures/ (README, the
report and ``dssl verify`` show the same table; the finding's form). Checks the computation
and where it is shown, never whether a claim of the paper holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sims.reproduce import report
from sims.reproduce.report import answer as A
from theory import claims as cl
from theory import verdicts as vd

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
#: how the one-screen answer opens (figures/report.md written before it does not)
WHAT_START = A.WHAT[:40]
N_VALUES = (2, 3, 4, 5)


def _cell(claim, reading, n, word, rare="extra"):
    return {
        "claim": claim,
        "reading": reading,
        "config": {"p": 0.5, "N": n, "rare_axis": rare, "d": 10**6},
        "track_a": "informative",
        "track_b": word,
    }


def _small_map() -> tuple[dict, list[dict]]:
    """thm4.2.local (one dimension): the paper's Eq. 4 violated at N ≥ 3 and holds at N = 2,
    Eq. 17 holds, independent masks not run; cor4.5 (two paper readings, R5 per N)."""
    cells = []
    for n in N_VALUES:
        o = "objective"
        word = "holds" if n == 2 else "violated"
        cells.append(_cell("thm4.2.local", {o: "eq4-complementary"}, n, word))
        cells.append(_cell("thm4.2.local", {o: "eq17-surrogate"}, n, "holds"))
        cells.append(_cell("thm4.2.local", {o: "eq4-independent"}, n, "not-run"))
        for method, word in (("eq4-complementary", "holds"), ("similar", "degenerate")):
            reading = {"method": method, "sensitivity": "spread-N"}
            cells.append(_cell("cor4.5", reading, n, word if n < 5 else "not-run"))
        cells.append(_cell("cor4.5", {"method": "similar", "sensitivity": "gap"}, n, "holds"))
    vmap = {
        "config": {"d": 10**6},
        "dimensions": {"p": [0.5], "N": list(N_VALUES), "rare_axis": ["extra"]},
        "rows": {
            "thm4.2.local": {"reference": "Thm 4.2 item 1", "statement": "local MIM bound"},
            "cor4.5": {"reference": "Cor 4.5", "statement": "connectivity helps"},
        },
        "readings": {},
        "hidden_constants": {
            "status": "run",
            "cells": [
                {
                    "claim": "thm4.2.local",
                    "reading": "eq4-complementary",
                    "label": "violated (asymptotically)",
                    "constants": {
                        "c_num": {"exponent": 0.8, "status": "degenerates (C* -> inf)"},
                        "c_den": {"exponent": "nan", "status": "degenerates (no positive C)"},
                    },
                },
                {
                    "claim": "thm4.2.local",
                    "reading": "eq17-surrogate",
                    "label": "not violated asymptotically",
                    "constants": {
                        "c_num": {"exponent": "nan", "status": "holds for every constant"}
                    },
                },
            ],
        },
        "track_c": {
            "status": "run",
            "config": {"d": 400, "N": 4, "p": 0.75, "graph": "star", "seeds": 2},
            "cells": [
                {"claim": "thm4.2.local", "reading": {"objective": "eq4-complementary"},
                 "track_c": "violated"},
                {"claim": "cor4.5", "reading": {"method": "eq4-complementary",
                                                "sensitivity": "spread-N"}, "track_c": "holds"},
                {"claim": "cor4.5", "reading": {"method": "similar", "sensitivity": "spread-N"},
                 "track_c": "degenerate", "numbers": {"abar": [1.5, 3.0], "s": [0.004, 0.002],
                                                      "tolerance": 0.02}},
            ],
        },
    }  # fmt: skip
    return vmap, cells


TRACKD = {
    "rows": [
        {"claim": "connectivity", "track_d": "inconclusive", "preset": "default"},
        {"claim": "mar_vs_mim", "track_d": "void", "preset": "default"},
        {"claim": "mim_vs_cl", "track_d": "not-run"},
    ],
    "decisive": {"rows": [{"claim": "connectivity", "track_d": "holds"}]},
}


@pytest.fixture(scope="module")
def small():
    vmap, cells = _small_map()
    return A.build_answer(vmap, cells, TRACKD)


def test_n_ranges_are_ranges_never_lists():
    dom = range(2, 21)
    assert A.n_range(range(3, 21), dom) == "N ≥ 3"
    assert A.n_range([2], dom) == "N = 2"
    assert A.n_range(range(2, 21), dom) == "every N"
    assert A.n_range([9, 10, *range(12, 21)], dom) == "9 ≤ N ≤ 10 or N ≥ 12"
    assert A.n_range([3, 5, 7], dom) == "3 of the 19 values of N"
    assert A.n_range([3, 4, 6], (2, 3, 4, 6)) == "N ≥ 3"  # ranges over the map's own N values


def test_a_degenerate_track_c_word_says_why(small):
    """The reason under the table is read from the degenerate cell: the trained quantities it
    compares (a trend over its |Ā| axis), the tolerance they fall within; a bound Track A calls
    vacuous is named as such; Thm 4.4's framework that ties; a cell of another form gives its
    note; no reason where nothing is degenerate."""
    assert small["track_c_why"] == (
        "Track C degenerate (d = 400, N = 4, 2 seeds; rule T6's tolerance: twice the standard "
        "error over the seeds, at least 0.02): cor4.5: sensitivities 0.002 to 0.004 over |Ā| "
        "1.5 to 3, no two apart by more than 0.02."
    )
    assert small["track_c_why"] in A.render_headline(small, "markdown")
    assert "than 0.02.\nEach claim in full" in A.render_headline(small, "text", width=100)
    tied = A._tied_sides
    assert tied({"s_dec": 0.31, "s_fed": 0.3, "tolerance": 0.02}) == (
        "s_Dec 0.31 and s_Fed 0.3 equal within 0.02"
    )
    assert tied({"min_rv": 0.5, "lower_bound": -1.0, "tolerance": 0.02}).startswith(
        "the bound -1 is vacuous (Track A)"
    )
    assert tied({"min_rv": 0.96, "lower_bound": 0.97, "tolerance": 0.02}) == (
        "min r 0.96 and the bound 0.97 equal within 0.02"
    )
    thm44 = {
        "local": {"s_cl": 0.1, "s_mim": 0.3, "tolerance": 0.02, "verdict": "violated"},
        "fl": {"s_cl": 0.01, "s_mim": 0.02, "tolerance": 0.02, "verdict": "degenerate"},
    }
    assert tied(thm44) == "fl: s_CL 0.01 and s_MIM 0.02 equal within 0.02"
    assert tied({"angle": 0.1}) is None
    vmap, cells = _small_map()
    cell = vmap["track_c"]["cells"][-1]
    del cell["numbers"]
    cell["note"] = "a form of its own"
    assert A.build_answer(vmap, cells)["track_c_why"].endswith("cor4.5: a form of its own.")
    cell["track_c"] = "holds"
    assert A.build_answer(vmap, cells)["track_c_why"] is None


def test_paper_verdict_per_configuration_and_where(small):
    rows = {r["claim"]: r for r in small["rows"]}
    thm = rows["thm4.2.local"]
    assert thm["paper_reading"] == "objective=eq4-complementary"
    assert thm["paper_verdict"]["verdict"] == "violated"  # R5 over configurations
    assert thm["paper_verdict"]["counts"] == {"violated": 3, "holds": 1}
    assert thm["paper_verdict"]["text"] == "violated at N ≥ 3; holds at N = 2"
    # the other readings: Eq. 17 holds 4, independent masks not run, named as not run
    assert thm["other_readings"]["counts"] == {"holds": 4, "not-run": 4}
    assert thm["other_readings"]["not_run_readings"] == ["objective=eq4-independent"]
    assert thm["hidden_constant"]["verdict"] == "no"
    assert thm["hidden_constant"]["text"] == "no (c_num* ~ d^0.80, fit)"  # no closed form here
    assert thm["track_c"] == "violated" and thm["track_d"]["verdict"] == "n/a"
    # cor4.5: both paper readings combined with R5 per configuration (holds + degenerate)
    cor = rows["cor4.5"]
    assert cor["paper_reading"] == "method=eq4-complementary+similar, sensitivity=spread-N"
    assert cor["paper_verdict"]["text"] == "degenerate at N ≤ 4; not-run at N = 5"
    assert cor["other_readings"]["counts"] == {"holds": 4}
    assert cor["hidden_constant"]["verdict"] == "n/a" and cor["track_c"] == "degenerate"
    td = cor["track_d"]
    assert (td["verdict"], td["preset"], td["decisive"]) == ("inconclusive", "default", "holds")
    assert td["text"] == (
        "inconclusive at scale not recorded, preset default; decisive: holds at scale not recorded"
    )
    assert td["word"] == "inconclusive"  # a file before D4 (no d3_verdict): its own word
    assert small["track_d_only"]["mar_vs_mim"]["verdict"] == "void"
    assert small["grid"] == {
        "d": 10**6, "n_configurations": 4, "p": [0.5], "N": list(N_VALUES),
        "rare_axis": ["extra"], "n_cells": 24, "n_not_run": 6,
        # cells without a recorded basis count as computed: decided by a float tolerance
        "n_tolerance_decided": 18, "n_proved": 0, "n_certified": 0,
    }  # fmt: skip


def test_finding_is_computed_from_the_rows(small):
    text = small["finding"]
    assert text.startswith("Under the paper's own reading,")
    assert "contradicts 1 of 2 claims, supports 0 and leaves 1 undecided" in text
    assert "Violated: thm4.2.local at N ≥ 3." in text
    assert "6 of the 24 cells were not run" in text and "objective=eq4-independent" in text
    assert "the break-even c_num grows like d^0.80" in text
    assert "thm4.2.local in 4 cells, only under objective=eq17-surrogate" in text
    assert len(text.split()) <= A.MAX_WORDS


def test_track_d_not_run_and_no_cells():
    vmap, cells = _small_map()
    out = A.build_answer(vmap, cells, None)
    assert {r["track_d"]["verdict"] for r in out["rows"]} == {"n/a", "not-run"}
    with pytest.raises(ValueError, match="cells: the answer table needs"):
        A.build_answer(vmap, None, None)
    with pytest.raises(TypeError, match="vmap: must be a verdict map"):
        A.build_answer([], cells)


def test_render_names_the_paper_reading_in_every_row(small):
    md = A.render_answer(small, "markdown")
    table = [ln for ln in md.splitlines() if ln.startswith("| **`")]
    assert len(table) == len(small["rows"])
    for r, ln in zip(small["rows"], table, strict=True):
        assert f"`{r['paper_reading']}`" in ln and r["paper_verdict"]["text"] in ln
    assert md.splitlines()[0].startswith("| claim | paper's reading | Track B under")
    assert md.rstrip().endswith(small["finding"])
    for fmt in ("html", "text"):  # plain text is the one-screen block's (render_block)
        with pytest.raises(ValueError, match="fmt: must be markdown"):
            A.render_answer(small, fmt)
    reasons = A.render_answer(small, "markdown", reasons=True)
    assert cl.REGISTRY["cor4.5"].paper_reading_why in reasons


# ---------------------------------------------------------------------------------------------
# the committed figures/: README, report and dssl verify show the one computed table


def _committed():
    if (
        not (FIGURES / "verdict_map.json").is_file()
        or not (FIGURES / "verdict_cells.json").is_file()
    ):
        pytest.skip("figures/verdict_map.json is not committed yet (written by make reproduce)")
    return A.answer_from_folder(FIGURES)


def test_readme_opens_with_the_table_computed_from_the_committed_map():
    readme = (ROOT / "README.md").read_text()
    expected = A.render_block(_committed(), "markdown")
    assert report.marked(readme, report.FINDING_MARKERS) == expected, (
        "README's answer table is stale: run `python -m sims.reproduce.report`"
    )
    # the answer is the first thing after the title
    head = readme.split(report.FINDING_MARKERS[0])[0].strip().split("\n\n")
    assert len(head) == 1 and head[0].startswith("# ")


def test_committed_finding_is_short_and_writes_ranges():
    answer = _committed()
    text = answer["finding"]
    assert 0 < len(text.split()) <= 200
    assert not re.search(r"N\s*=\s*\d+(?:\s*[,/]\s*\d+){2,}", text)
    assert not re.search(r"\b\d+/\d+/\d+\b", text)
    assert text.startswith("Under the paper's own reading")
    for r in answer["rows"]:
        assert r["paper_reading"] and r["paper_reading_why"]
        assert set(r["paper_readings"]) == {
            cl.reading_name(x) for x in cl.paper_readings(r["claim"])
        }


def test_report_opens_with_the_table_computed_from_the_committed_map():
    expected = _committed()
    vmap = json.loads((FIGURES / "verdict_map.json").read_text())
    cells = json.loads((FIGURES / "verdict_cells.json").read_text())
    full = {**vmap, "cells": A._cells_of(vmap, cells)}
    trackd = json.loads((FIGURES / "trackd_verdicts.json").read_text())
    verify = {"claims": [], "config": {}}
    runs = [
        {"name": n, "config_hash": "0" * 12, "cached": False, "cache": True, "seconds": 0.0,
             "result": r}
        for n, r in (("verify", verify), ("verdict_map", {"map": full}),
                     ("trackd_verdicts", trackd))
    ]  # fmt: skip
    payload = report.build_report(runs, fast=False, stages=[])
    assert payload["answer"]["rows"] == expected["rows"]
    assert payload["answer"]["finding"] == expected["finding"]
    md = report.render_markdown(payload, glossary=False)
    first = md.split("## ")[1]
    assert first.startswith("The answer\n")
    assert first.split("\n\n", 1)[1].startswith(A.render_block(expected, "markdown"))
    assert A.render_answer(expected, "markdown", reasons=True) in first
    from sims.reproduce.stages import report as stage

    assert stage.STAGE.texts["README_finding.md"](payload) == A.render_block(expected) + "\n"
    html = report.render_html(payload, glossary=False)
    assert 'class="verdict" style="color:' in html and "✗ violated" in html


def test_committed_report_opens_with_the_table():
    """figures/report.md as committed: it opens with the table once a reproduce run has
    written it with this generator (until then it predates the table: skipped)."""
    md = (FIGURES / "report.md").read_text()
    if "## The answer" not in md:
        pytest.skip("figures/report.md predates the answer table (the next dssl reproduce)")
    first = md.split("## ")[1]
    if WHAT_START not in first:
        pytest.skip("figures/report.md predates the one-screen answer (the next dssl reproduce)")
    assert first.startswith("The answer\n") and A.render_block(_committed()) in first


def test_dssl_verify_prints_the_committed_table_first(capsys, monkeypatch):
    from sims.cli import main

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "120")
    expected = _committed()
    assert main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "eq17"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(A.render_block(expected, "text", width=120) + "\n")
    assert max(len(line) for line in out.splitlines()) <= 120
    assert main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "eq17", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"]["rows"] == json.loads(json.dumps(expected["rows"]))
    assert [c["id"] for c in data["claims"]] == ["eq17"]  # the structure is kept


def test_dssl_verify_without_a_map(capsys, monkeypatch, tmp_path):
    """No figures/ here and no checkout beside the package: not run, saying how to read one."""
    from sims.cli import main
    from sims.commands import verify

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(verify, "CHECKOUT_FIGURES", str(tmp_path / "no-checkout"))
    assert main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "eq17"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The answer table: not run") and "--map-results DIR" in out
    assert main(["verify", "--claims", "eq17", "--map-results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "map-results" in err[0]


def test_dssl_verify_from_another_folder_reads_the_checkouts_results(capsys, monkeypatch, tmp_path):
    """Run from a folder without figures/ (a new user's review: every Track D cell said
    not-run), dssl verify reads the committed figures/ of the checkout it runs from."""
    from sims.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "thm4.4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(A.render_block(_committed(), "text", width=120) + "\n")
    assert "not-run" not in out.split("Track D (nonlinear encoders):")[1].splitlines()[1]


def test_dssl_reproduce_ends_with_the_table_and_the_report_path(monkeypatch):
    from sims.commands import reproduce

    answer = _committed()
    result = {"out": "figures", "fast": False, "config_hash": "x", "stages": [], "seconds": 1.0,
              "answer": answer, "report_html": "figures/report.html"}  # fmt: skip
    monkeypatch.setenv("COLUMNS", "100")
    text = reproduce.format_text(result)
    assert A.render_block(answer, "text", width=100) in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.rstrip().endswith("Full report: figures/report.html")
    missing = reproduce._answer(ROOT / "no-such-folder")
    assert missing["answer"]["status"] == "not-run" and missing["report_html"] is None


def test_hidden_constant_exponent_from_the_closed_form():
    """A break-even exponent with a closed form is shown exactly and labelled; a fit is
    labelled a fit (issue 37, item 10: c_num* ~ d^0.80 was printed unlabelled)."""
    cell = {"claim": "thm4.2.local", "reading": "eq4-complementary",
            "label": "violated (asymptotically)",
            "constants": {"c_num": {"exponent": 0.8, "exponent_exact": "4/5",
                                    "exponent_source": "closed form", "status": "x"}}}  # fmt: skip
    vmap = {"hidden_constants": {"status": "run", "cells": [cell]}}
    out = A._hidden_constant(vmap, "thm4.2.local")
    assert out["text"] == "no (c_num* ~ d^(4/5), closed form)"
    cell["constants"]["c_num"].update(exponent=0.6012, exponent_exact=None, exponent_source="fit")
    assert A._hidden_constant(vmap, "thm4.2.local")["text"] == "no (c_num* ~ d^0.60, fit)"


# ----------------------------------------------------------------------------------------------
# the answer in one screen
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [120, 100, 80, 60, 40])
def test_one_screen_fits_the_width_and_names_every_claim(small, width):
    text = A.render_headline(small, "text", width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert lines[0].startswith("dssl-verify")
    for label, *_ in A.HEADLINES:
        assert label.split()[0] in text
    for r in small["rows"]:
        assert r["claim"] in text and r["paper_verdict"]["text"].split()[0] in text


def test_one_screen_of_the_committed_results_in_40_lines_at_120_columns():
    answer = _committed()
    lines = A.render_block(answer, "text", width=120).splitlines()
    assert max(len(line) for line in lines) <= 120
    top = "\n".join(lines[:40])
    for r in answer["rows"]:  # a word for every claim on the first screen
        assert re.search(rf"^{re.escape(r['claim'])}\s+\S", top, re.M)


def test_the_headline_fits_seven_lines_at_120_columns():
    """Four claims in at most seven lines (six before every Track D word carried its reason:
    the MDE, the paper's effect excluded, the arms that did not learn); each reason is there."""
    lines = A.render_headline(_committed(), "text", width=120).splitlines()
    table = next(k for k, line in enumerate(lines) if line.startswith("claim"))
    headline = [x for x in lines[:table] if x.startswith("  ")]  # a claim and its wraps
    assert len(headline) <= 7
    text = " ".join(headline)
    assert "inconclusive (MDE " in text and "absent (the paper's " in text
    assert re.search(r"void \(\d arms? did not learn\)", text)


def test_one_screen_renders_whatever_words_and_bases_the_data_carries(small):
    """New words and bases (a later rule change) are shown as they are, never mapped."""
    import copy

    answer = copy.deepcopy(small)
    row = copy.deepcopy(answer["rows"][0])
    row["claim"] = "thm4.4"
    answer["rows"].append(row)
    row["paper_verdict"]["text"] = "newword at N ≥ 3"
    row["paper_verdict"]["basis_text"] = "certified"
    row["track_d"] = {"verdict": "absent", "scale": "MNIST 5k, MLP", "text": "absent"}
    text = A.render_headline(answer, "text")
    assert "newword at N ≥ 3, certified" in text and "absent at MNIST 5k, MLP" in text
    md = A.render_headline(answer, "markdown")
    assert f"{A.OTHER_STYLE[0]} newword at N ≥ 3" in md
    html = A.render_headline(answer, "html")
    assert f'style="color:{A.OTHER_STYLE[1]}">{A.OTHER_STYLE[0]} newword' in html


def test_basis_comes_from_the_cells():
    dims = {"p": [0.5], "N": [2, 3, 4], "rare_axis": ["extra"]}
    vmap = {"config": {"d": 100}, "dimensions": dims, "rows": {"eq17": {}}}
    cells = [
        {
            "claim": "eq17",
            "reading": {},
            "track_b": "violated",
            "verdict_basis": b,
            "config": {"p": 0.5, "N": n, "rare_axis": "extra"},
        }
        for n, b in ((2, "computed (grid)"), (3, "certified (arb)"), (4, "certified (arb)"))
    ]
    pv = A.build_answer(vmap, cells)["rows"][0]["paper_verdict"]
    assert pv["basis_text"] == "certified 2/3, computed 1/3"


def test_markdown_links_each_short_name_to_its_full_statement(small):
    md = A.render_headline(small, "markdown")
    for r in small["rows"]:
        anchor = A._anchor(r["claim"])
        assert f"(#claim-{anchor})" in md and f'<a id="claim-{anchor}"></a>' in md
    assert set(A.SHORT_NAMES) == set(cl.CLAIM_IDS)


def test_explain_a_claim_and_a_key():
    got = A.explain("thm4.2.local")
    assert got["statement"] == cl.REGISTRY["thm4.2.local"].statement
    assert "[N]\\{i}" in got["statement"]
    assert A.explain("probe_accuracy")["kind"] == "key"
    with pytest.raises(ValueError, match="KEY|CLAIM"):
        A.explain("no-such-key")


def test_fit_table_never_exceeds_the_width():
    head = ("claim", "a", "b")
    rows = [("thm4.2.local", "word " * 12, "x" * 15)]
    for width in (30, 50, 80):
        lines = A.fit_table(head, rows, width, drop=(1,))
        assert max(len(line) for line in lines) <= width


def test_a_backslash_of_a_statement_survives_markdown():
    """thm4.2.local's ``k in [N]\\{i}``: the Markdown of README and the report keep the
    backslash (it is no escape of ``{``), also inside the collapsed list of the claims."""
    import markdown

    answer = _committed()
    md = A.render_block(answer, "markdown")
    html = markdown.markdown(md, extensions=["tables", "md_in_html"])
    assert "[N]\\{i}" in html and "[N]{i}" not in html
    assert html.count('<li><a id="claim-') == len(answer["rows"])


def test_every_track_b_void_names_its_failed_premise():
    """A Track B ``void`` (R11, the only rule that gives it) says its premise beside it, in the
    table and the finding: the optimum is W = 0."""
    answer = _committed()
    voids = [
        part for r in answer["rows"] for part in r["paper_verdict"]["text"].split("; ")
        if part.startswith("void ")
    ]  # fmt: skip
    assert voids and all(f", {vd.VOID_PREMISE}" in part for part in voids)
    assert f"void at N = 2, {vd.VOID_PREMISE}" in A.render_block(answer, "text", width=120)
