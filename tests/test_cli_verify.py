"""``dssl verify``: JSON output, bad input (one stderr line, exit 2), the verdict map flag.
Checks the command's plumbing, never a claim of the paper."""

from __future__ import annotations

import json

import pytest

from sims.cli import main
from theory import claims as cl


def test_cli_verify_json(capsys):
    rc = main(["verify", "--d", "40", "--d-sweep", "20,40", "--claims", "eq17,thm4.6", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [c["id"] for c in out["claims"]] == ["eq17", "thm4.6"]
    for c in out["claims"]:
        assert {c["track_a"], c["track_b"], c["track_c"]} <= set(cl.VERDICTS)
        assert c["readings"]


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--p", "0"], "p"),
        (["--d", "6"], "d"),
        (["--claims", "thm9"], "claim"),
        (["--d-sweep", "a,b"], "d-sweep"),
        (["--c-den", "-1"], "c-den"),
        (["--graph", "random_regular"], "degree"),  # under-specified graph
        (["--graph", "erdos_renyi"], "prob"),
        (["--n-clients", "2"], "graph"),  # star needs N >= 3
    ],
)
def test_cli_verify_bad_input(capsys, argv, field):
    rc = main(["verify", *argv, "--json"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and field in err


def test_cli_verify_text_table(capsys):
    rc = main(["verify", "--d", "40", "--claims", "thm4.2.fl"])
    out = capsys.readouterr().out
    assert rc == 0 and "thm4.2.fl" in out and "readings" in out
