"""``dssl bounds``: JSON shape, agreement with theory.bounds, bad input → exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.cli import main
from theory import bounds as B

EXAMPLE = ["bounds", "--d", "100000", "--p", "0.75", "--abar", "5"]


def _run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_example_json(capsys):
    out = _run_json(capsys, EXAMPLE)
    assert set(out) == {"mim", "cl_similar", "cl_dissimilar", "inputs", "warnings"}
    for key in ("mim", "cl_similar", "cl_dissimilar"):
        assert set(out[key]) == {"local", "decl", "fl"}
        for fw in out[key].values():
            assert set(fw) == {"lb", "s", "vacuous", "undefined"}
    want = B.sensitivities(d=1e5, p=0.75, abar=5.0)
    for m, fws in want.items():
        for fw, val in fws.items():
            assert out[m][fw]["s"] == pytest.approx(float(val), rel=1e-14)
            assert out[m][fw]["lb"] == pytest.approx(1 - float(val), rel=1e-14)
            assert out[m][fw]["vacuous"] is False and out[m][fw]["undefined"] is False
    inputs = out["inputs"]
    assert inputs["n"] == pytest.approx(1e5**0.05, rel=1e-12)
    assert inputs["n_source"] == "C_N*d^(1/20)"
    assert inputs["kappa"] == pytest.approx(0.375)
    # N ≈ 1.78 < |Ā| = 5: outside the paper's 2 <= |Ā| <= N, reported, not rejected
    assert any("abar" in w and "N =" in w for w in out["warnings"])


def test_options_are_passed_through(capsys):
    argv = EXAMPLE + [
        "--n-clients",
        "8",
        "--trH",
        "2.5",
        "--c-num",
        "2",
        "--c-den",
        "0.5",
        "--c-f",
        "0.3",
        "--sign",
        "-",
        "--fl-term",
        "theta",
    ]
    out = _run_json(capsys, argv)
    consts = {"c_num": 2.0, "c_den": 0.5, "c_f": 0.3, "c_n": 1.0}
    for m in B.METHODS:
        for fw in B.FRAMEWORKS:
            want = B.sensitivity(
                m,
                fw,
                d=1e5,
                p=0.75,
                abar=5.0,
                n=8.0,
                trH=2.5,
                constants=consts,
                sign="-",
                fl_term="theta",
            )
            assert out[m][fw]["s"] == pytest.approx(float(want), rel=1e-14)
    assert out["inputs"]["n"] == 8.0 and out["inputs"]["n_source"] == "given"
    # the one line: N = 8 is off N = C_N d^(1/20) = 1.78 at d = 1e5 with C_N = 1
    assert len(out["warnings"]) == 1 and "Theta(d^(1/20))" in out["warnings"][0]


def test_undefined_bounds_are_null_free_and_flagged(capsys):
    out = _run_json(capsys, ["bounds", "--d", "1e4", "--p", "0.5", "--abar", "1", "--sign", "-"])
    assert out["cl_similar"]["decl"]["undefined"] is True
    assert out["cl_similar"]["decl"]["vacuous"] is True
    assert any("cl_similar/decl" in w for w in out["warnings"])
    assert np.isfinite(out["cl_similar"]["local"]["s"])


def test_abar_only_with_the_decl_bound(capsys):
    out = _run_json(capsys, ["bounds", "--d", "1e5", "--p", "0.75"])
    for m in B.METHODS:
        assert set(out[m]) == {"local", "fl"}
        assert out[m]["fl"]["s"] == pytest.approx(
            float(B.sensitivity(m, "fl", d=1e5, p=0.75)), rel=1e-14
        )
    assert out["inputs"]["abar"] is None and out["inputs"]["frameworks"] == ["local", "fl"]
    out = _run_json(
        capsys, ["bounds", "--d", "1e5", "--p", "0.75", "--abar", "3", "--frameworks", "decl"]
    )
    assert all(set(out[m]) == {"decl"} for m in B.METHODS)
    for argv, field in (
        (["--frameworks", "decl"], "--abar"),
        (["--abar", "3", "--frameworks", "local,fl"], "--abar"),
        (["--frameworks", "local,dec"], "--frameworks"),
    ):
        assert main(["bounds", "--d", "1e5", "--p", "0.75", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"error: {field}:" in err


def test_csv_one_row_per_method_and_framework(capsys, tmp_path):
    import pandas as pd

    path = tmp_path / "bounds.csv"
    out = _run_json(capsys, EXAMPLE + ["--csv", str(path)])
    df = pd.read_csv(path)
    assert len(df) == 9
    row = df[(df.method == "mim") & (df.framework == "decl")]
    assert row["s"].item() == pytest.approx(out["mim"]["decl"]["s"], rel=1e-15)
    assert row["lb"].item() == pytest.approx(out["mim"]["decl"]["lb"], rel=1e-15)


def test_text_table(capsys):
    assert main(EXAMPLE) == 0
    text = capsys.readouterr().out
    assert "sensitivity" in text and "lower bound" in text
    assert text.count("informative") == 9
    assert "warning:" in text


@pytest.mark.parametrize(
    "extra, field",
    [
        (["--p", "1.5"], "--p"),
        (["--p", "0"], "--p"),
        (["--n-clients", "1"], "--n-clients"),
        (["--trH", "0"], "--trH"),
        (["--d", "0"], "--d"),
        (["--d", "-3"], "--d"),
        (["--abar", "0.5"], "--abar"),
        (["--c-num", "0"], "--c-num"),
        (["--c-n", "-1"], "--c-n"),
    ],
)
def test_bad_input_exit_2(capsys, extra, field):
    assert main(EXAMPLE + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"error: {field}:" in err


@pytest.mark.parametrize("extra", [["--sign", "x"], ["--fl-term", "exact"], ["--p", "abc"]])
def test_argparse_errors_exit_2(capsys, extra):
    assert main(EXAMPLE + extra) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_subprocess_json():
    proc = subprocess.run(
        [sys.executable, "-m", "sims.cli", *EXAMPLE, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["mim"]["local"]["s"] == pytest.approx(2.6660e-4, rel=5e-4)
