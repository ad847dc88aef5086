"""README's generated parts: the answer table equals the one computed from the committed
figures (verdict map, its cells, Track D), and the gallery lists every figure every stage
writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sims.reproduce import report

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_answer_table_is_generated_from_the_committed_verdict_map():
    path = ROOT / "figures" / "verdict_map.json"
    if not path.is_file():
        pytest.skip("figures/verdict_map.json is not committed yet (written by make reproduce)")
    expected = report.render_block(report.answer_from_folder(path.parent), "markdown")
    assert report.marked(README, report.FINDING_MARKERS) == expected, (
        "README's answer table is stale: run `python -m sims.reproduce.report`"
    )


def test_gallery_lists_every_figure_of_every_stage():
    from sims.reproduce.stages import STAGES

    gallery = report.marked(README, report.GALLERY_MARKERS)
    listed = re.findall(r"\]\(figures/([^)]+\.png)\)", gallery)
    assert len(listed) == len(set(listed))
    assert set(listed) == {f for s in STAGES for f in s.figures}


def test_every_figure_in_readme_is_in_the_gallery():
    outside = README.replace(report.marked(README, report.GALLERY_MARKERS), "")
    assert not re.findall(r"!\[[^]]*\]\(figures/[^)]+\.png\)", outside)


def test_setup_commands_and_vocabulary():
    assert "make test        # creates .venv" in README
    assert "make reproduce   # creates .venv" in README
    assert "mismatch" not in README
    for word in ("informative", "vacuous", "invalid", "holds", "violated", "degenerate",
                 "not-unique", "not-run"):  # fmt: skip
        assert word in README


def test_reproduce_stage_list_follows_the_run_order():
    from sims.reproduce.stages import STAGES

    i = README.index("The stages run in the order of `sims.reproduce.stages.STAGES`")
    text = README[i : README.index("## GPU")]
    named = [n for n in re.findall(r"`(\w+)`", text) if n in {s.name for s in STAGES}]
    order = list(dict.fromkeys(named))
    assert order == [s.name for s in STAGES]
    assert "130" in text and "SHA-256" in text


def test_update_readme_keeps_everything_outside_the_markers():
    path = ROOT / "figures" / "verdict_map.json"
    if not path.is_file():
        pytest.skip("figures/verdict_map.json is not committed yet (written by make reproduce)")
    answer = report.answer_from_folder(path.parent)
    answer = {**answer, "rows": answer["rows"][:1], "finding": "generated words."}
    out = report.update_readme(README, answer)
    s, e = report.FINDING_MARKERS
    assert out.split(s)[0] == README.split(s)[0]
    assert out.split(e)[1] == README.split(e)[1]
    assert report.marked(out, report.FINDING_MARKERS) == report.render_block(answer)
    assert report.marked(out, report.FINDING_MARKERS).endswith("**Finding.** generated words.")
