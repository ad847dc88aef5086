"""The parity ledger (paper / official code / this toolkit) generated from the presets and its
data file. Nothing here asserts that a paper claim holds: the ledger is a table of settings."""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sims.trackd import ledger, presets

ROOT = Path(__file__).resolve().parents[1]


def test_the_ledger_has_three_sourced_columns_and_a_reason_for_every_difference():
    rows = ledger.ledger_rows()
    assert len(rows) >= 30
    settings = [r["setting"] for r in rows]
    assert len(settings) == len(set(settings))
    for r in rows:
        for key in ("paper", "code", "toolkit", "paper_source", "code_source", "toolkit_source"):
            assert isinstance(r[key], str) and r[key], (r["setting"], key)
        assert r["flag"].split(";")[0] == "same" or r["why"], r["setting"]
    wanted = ("optimiser (MAE, MAR)", "learning rate (MAE, MAR)", "learning-rate schedule",
              "batch (MAE, MAR)", "local work per round (FL)", "FL rounds", "FL clients",
              "clients per FL round", "label-skew partition", "α of Table 1's label skew",
              "DecL mixing of Fig 2a", "connectivity |Ā| of Fig 2a", "SimSiam crop",
              "MAE mask ratio", "encoders", "evaluation")  # fmt: skip
    assert set(wanted) <= set(settings)


def _with(name: str, experiment: str, **common) -> dict:
    """PRESETS with one experiment's common fields changed."""
    cfg = presets.PRESETS[name][experiment]
    new = dataclasses.replace(cfg, common=dataclasses.replace(cfg.common, **common))
    return {**presets.PRESETS, name: {**presets.PRESETS[name], experiment: new}}


def test_a_changed_preset_changes_its_row():
    def row(rows, setting):
        return next(r for r in rows if r["setting"] == setting)

    before = row(ledger.ledger_rows(), "learning rate (MAE, MAR)")
    assert before["toolkit"] == "0.002" and "toolkit ≠ code" in before["flag"]
    assert before["toolkit_source"] == "preset field table1:common.lr"
    # the code's and the paper's 7.5e-5 at DEFAULT: the row says so, and says the presets differ
    after = row(
        ledger.ledger_rows(_with("default", "table1", lr=7.5e-5)), "learning rate (MAE, MAR)"
    )
    assert (
        after["toolkit"].startswith("default 7.5e-05;") and "paper-scale 0.002" in after["toolkit"]
    )
    assert after["flag"] == "same" and after["why"] == ""
    # a field the paper does not state is never a difference with the paper
    crop = row(ledger.ledger_rows(), "SimSiam crop")
    assert crop["flag"] == "toolkit ≠ code; the paper does not say"


def test_the_flag_compares_values_not_spellings():
    src = ({"group": "g", "setting": "s", "paper": "0.1", "paper_source": "§", "code": "0.10",
            "code_source": "c", "toolkit": "fig2a:alpha", "paper_value": 0.1,
            "code_value": 0.1},)  # fmt: skip
    assert ledger.ledger_rows(sources=src)[0]["flag"] == "same"
    bad = ({**src[0], "code_value": 0.2},)
    with pytest.raises(ValueError, match=r"^ledger_sources\.why: must be a reason where"):
        ledger.ledger_rows(sources=bad)


def test_the_ledger_is_printed_without_jax():
    code = ("import sys; from sims.trackd import ledger; t = ledger.ledger_text(); "
            "assert 'jax' not in sys.modules, 'jax imported'")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-500:]


def test_dssl_trackd_ledger_prints_the_table():
    from sims.commands import trackd as cmd

    out = cmd.run(argparse.Namespace(ledger=True))
    text = cmd.format_text(out)
    assert text.startswith(f"Parity ledger: {len(out['ledger'])} settings")
    assert max(len(line) for line in text.splitlines()) <= 120


def test_docs_show_the_generated_ledger():
    page = (ROOT / "docs" / "track_d.md").read_text()
    block = re.search(r"<!-- ledger:start -->\n(.*?)\n<!-- ledger:end -->", page, re.S)
    assert block is not None, "docs/track_d.md has no ledger block"
    assert block.group(1) == ledger.ledger_markdown(), (
        "stale: run python -m sims.trackd.ledger --write-docs"
    )


def test_presets_match_the_data_sets_the_loader_knows():
    from sims.trackd import data as tdata

    assert presets.DATASETS == tdata.DATASETS


def test_the_report_shows_the_ledger():
    from sims.reproduce.report import render

    lines = render._md_ledger()
    assert lines[0] == "### Parity ledger: the paper, the official code and this toolkit"
    assert sum(line.startswith("| ") for line in "\n".join(lines).splitlines()) >= 31


def test_ledger_refuses_the_options_of_a_run(capsys):
    """--ledger trains nothing and shows the presets' settings whatever is asked: an option of
    a run beside it (--preset, --save, --dataset, …) is refused in one line, not ignored."""
    from sims.cli import main

    for extra in (["--preset", "paper-scale"], ["--save", "/nonexistent/x"],
                  ["--dataset", "cifar10"], ["--seeds", "3"], ["--devices", "2"],
                  ["--compile-cache", "none"]):  # fmt: skip
        assert main(["trackd", "--ledger", *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        assert err[0].startswith(f"dssl trackd: error: {extra[0]}: must be omitted with --ledger")
    assert main(["trackd", "--ledger"]) == 0
