"""README's generated parts: the finding paragraph equals the text generated from the committed
verdict map, and the gallery lists every figure every stage writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sims import report

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_finding_paragraph_is_generated_from_the_committed_verdict_map():
    path = ROOT / "figures" / "verdict_map.json"
    if not path.is_file():
        pytest.skip("figures/verdict_map.json is not committed yet (written by make reproduce)")
    expected = report.finding_text(json.loads(path.read_text()))
    assert report.marked(README, report.FINDING_MARKERS) == expected, (
        "README's finding paragraph is stale: run `python -m sims.report`"
    )


def test_gallery_lists_every_figure_of_every_stage():
    from sims.stages import STAGES

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
    from sims.stages import STAGES

    i = README.index("The stages run in the order of `sims.stages.STAGES`")
    text = README[i : README.index("## GPU")]
    named = [n for n in re.findall(r"`(\w+)`", text) if n in {s.name for s in STAGES}]
    order = list(dict.fromkeys(named))
    assert order == [s.name for s in STAGES]
    assert "130" in text and "SHA-256" in text


def test_update_readme_keeps_everything_outside_the_markers():
    vmap = {"finding": "generated words.", "rows": {}}
    out = report.update_readme(README, vmap)
    s, e = report.FINDING_MARKERS
    assert out.split(s)[0] == README.split(s)[0]
    assert out.split(e)[1] == README.split(e)[1]
    assert report.marked(out, report.FINDING_MARKERS) == "generated words."
