"""Every command's text answer fits the terminal it is printed on: at 80 columns no line of
these answers is wider than 80 characters (lists are cut to what fits, prose is wrapped)."""

from __future__ import annotations

import pytest

from sims.cli import main

GOLDEN = "tests/golden/fast_reference"


@pytest.mark.parametrize(
    "argv",
    [
        ["topology"],
        ["topology", "--graph", "matching", "--n-clients", "64"],
        ["explain", "cor4.5"],
        ["explain", "rho_period"],
        ["trackd", "--ledger"],
        ["compare", GOLDEN, GOLDEN],
        ["bounds", "--d", "1e5", "--p", "0.5"],
        ["exact", "--graph", "paper_code", "--avg-degree", "2", "--n-clients", "20", "--d", "1e12"],
        ["exact", "--n-clients", "6", "--d", "24", "--dense"],
    ],
    ids=" ".join,
)
def test_the_answer_fits_80_columns(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out, "no answer"
    wide = [line for line in out if len(line) > 80]
    assert not wide, f"dssl {' '.join(argv)}: {len(wide)} lines over 80, e.g. {wide[0]!r}"
