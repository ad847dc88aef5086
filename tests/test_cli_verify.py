"""``dssl verify``: JSON output, bad input (one stderr line, exit 2), the verdict map flag.
Checks the command's plumbing, never a claim of the paper."""

from __future__ import annotations

import dataclasses
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


def test_the_claims_table_says_each_claim_as_it_starts(capsys, monkeypatch):
    """Past VERIFY_PROGRESS_AFTER_S the command prints its estimate, then a line per claim on
    stderr (standard output keeps only the JSON); the API hands each id to ``on_claim``."""
    import sims
    import sims.api

    seen = []
    sims.verify(n_clients=4, d=40, claims=["eq17", "thm4.6"], d_sweep=(40,), on_claim=seen.append)
    assert seen == ["eq17", "thm4.6"]
    monkeypatch.setattr(sims.api, "CLAIMS_TABLE_SECONDS", (100.0, 0.0, 0.0))
    assert main([*_FAST[:5], "--claims", "eq17,thm4.6", "--json"]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "2 of 13 claims; the whole table: about 100 s (estimated)" in lines[0], lines
    assert lines[1].endswith("] eq17 (1 of 2)") and lines[2].endswith("] thm4.6 (2 of 2)"), lines
    json.loads(captured.out)
    monkeypatch.setattr(sims.api, "CLAIMS_TABLE_SECONDS", (1.0, 0.0, 0.0))
    assert main([*_FAST[:5], "--claims", "eq17", "--json"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sims.api, "CLAIMS_TABLE_SECONDS", (1e4, 0.0, 0.0))  # past the budget
    assert main([*_FAST[:5], "--claims", "eq17", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dssl verify: error: --n-clients: must be small enough for the whole")
    assert "pass --force-size to go further" in err and "\n" not in err
    with pytest.raises(ValueError, match="^n_clients: must be small enough for the whole claims"):
        sims.verify(n_clients=4, d=40, claims=["eq17"])
    with sims.sizes_forced():  # the API's way past the budget
        sims.verify(n_clients=4, d=40, claims=["eq17"], d_sweep=(40,))
    with pytest.raises(ValueError, match="^on_claim: must be None or a function"):
        sims.verify(n_clients=4, d=40, claims=["eq17"], on_claim=3)


def test_the_default_d_sweep_is_raised_to_2n():
    """Left at its default, the d-sweep is scaled up to start at 2N or above (N = 60: the API's
    100 would be below the data model's least d; N = 300: the command's 400), so a larger N is
    not refused for a dimension the user never set; ``dataclasses.replace`` keeps the first
    N's sweep unless given ``d_sweep=None``."""
    from sims.cli import build_parser
    from sims.commands import verify

    assert cl.VerifyConfig(n_clients=60, d=400).d_sweep == (200, 400, 800)
    assert cl.VerifyConfig(n_clients=4, d=400).d_sweep == (100, 200, 400)
    args = build_parser().parse_args(["verify", "--n-clients", "300", "--d", "1000"])
    assert verify.verify_options(args)["d_sweep"] == (800, 2 * 10**6, 2 * 10**12)
    args = build_parser().parse_args(["verify", "--n-clients", "300", "--d-sweep", "700"])
    assert verify.verify_options(args)["d_sweep"] == (700,)
    with pytest.raises(ValueError, match=r"^d_sweep: must be an integer >= 120, got 100"):
        dataclasses.replace(cl.VerifyConfig(), n_clients=60, d=400)  # the sweep of N = 4
    assert dataclasses.replace(cl.VerifyConfig(), n_clients=60, d_sweep=None).d_sweep[0] == 200


def test_cli_verify_text_table(capsys):
    rc = main(["verify", "--d", "40", "--claims", "thm4.2.fl"])
    out = capsys.readouterr().out
    assert rc == 0 and "thm4.2.fl" in out and "readings" in out


# ---------------------------------------------------------------------------------------------
# Track D column (--trackd-results) and --mixing-file

_FAST = ["verify", "--d", "40", "--d-sweep", "20,40", "--json"]


def _trackd_file(folder, **overrides):
    """A small hand-written trackd_verdicts.json in the stage's format."""
    rows = [
        {"claim": "mim_vs_cl", "track_d": "violated", "mean": -0.02, "se": 0.005, "n_seeds": 3,
         "reason": "mean + 2 SE < 0", "paper": "p1", "paper_scale": "s1"},
        {"claim": "connectivity", "track_d": "degenerate", "mean": 0.001, "se": 0.002,
         "n_seeds": 3, "reason": "|mean| within 2 SE", "paper": "p2", "paper_scale": "s2"},
        {"claim": "fl_vs_decl", "track_d": "holds", "mean": 0.03, "se": 0.01, "n_seeds": 3,
         "reason": "mean - 2 SE > 0", "paper": "p3", "paper_scale": "s3"},
        {"claim": "mar_vs_mim", "track_d": "not-run", "paper": "p4", "paper_scale": "s4"},
    ]  # fmt: skip
    data = {
        "rows": rows,
        "scale": {"table1": {"dataset": "digits", "seeds": 3, "rounds": 15},
                  "fig2a": {"dataset": "digits", "n_clients": 20, "seeds": 3}},
        "margin": 2.0,
    }  # fmt: skip
    data.update(overrides)
    (folder / "trackd_verdicts.json").write_text(json.dumps(data))
    return folder


def test_cli_verify_trackd_column_json(capsys, tmp_path):
    folder = _trackd_file(tmp_path)
    argv = [*_FAST, "--claims", "eq17,thm4.4,cor4.5,thm4.6", "--trackd-results", str(folder)]
    rc = main(argv)
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    td = {c["id"]: c["track_d"] for c in out["claims"]}
    assert td["eq17"] == {"verdict": "n/a"}
    assert td["thm4.4"]["claim"] == "mim_vs_cl" and td["thm4.4"]["verdict"] == "violated"
    assert td["thm4.4"]["mean"] == -0.02 and td["thm4.4"]["se"] == 0.005
    assert td["thm4.4"]["scale"]["rounds"] == 15
    assert td["cor4.5"]["verdict"] == "degenerate" and td["thm4.6"]["verdict"] == "holds"
    assert td["thm4.6"]["scale"]["n_clients"] == 20  # fl_vs_decl reads Fig 2a's runs
    mar = out["track_d_only"]["mar_vs_mim"]
    assert mar["verdict"] == "not-run" and "trackd_verdicts" in mar["command"]


def test_the_answer_and_the_claims_table_read_track_d_from_one_folder(capsys, tmp_path):
    """--trackd-results names the Track D folder of the answer table too (it had read the
    committed figures/ while the claims table below read the folder given), and a
    --map-results folder holding Track D verdicts is that folder when none is named."""
    import shutil

    (tmp_path / "td").mkdir()
    folder = _trackd_file(tmp_path / "td")
    mapped = tmp_path / "map"
    shutil.copytree("figures", mapped, ignore=shutil.ignore_patterns("*.png", "*.html", "*.md"))
    shutil.copy(folder / "trackd_verdicts.json", mapped / "trackd_verdicts.json")
    for extra in (["--trackd-results", str(folder)], ["--map-results", str(mapped)]):
        assert main([*_FAST, "--claims", "thm4.4,cor4.5,thm4.6", *extra]) == 0
        out = json.loads(capsys.readouterr().out)
        table = {c["id"]: c["track_d"]["verdict"] for c in out["claims"]}
        answer = {r["claim"]: r["track_d"]["verdict"] for r in out["answer"]["rows"]
                  if r["claim"] in table}  # fmt: skip
        assert table == answer == {"thm4.4": "violated", "cor4.5": "degenerate",
                                   "thm4.6": "holds"}, extra  # fmt: skip
    (mapped / "trackd_verdicts.json").unlink()  # a map whose run had no Track D: not-run, not
    assert main([*_FAST, "--claims", "thm4.4", "--map-results", str(mapped)]) == 0  # figures/'s
    out = json.loads(capsys.readouterr().out)
    answer = {r["claim"]: r["track_d"]["verdict"] for r in out["answer"]["rows"]}
    assert out["claims"][0]["track_d"]["verdict"] == answer["thm4.4"] == "not-run"


def test_cli_verify_trackd_text(capsys, tmp_path):
    folder = _trackd_file(tmp_path)
    rc = main(["verify", "--d", "40", "--claims", "thm4.6", "--trackd-results", str(folder)])
    out = capsys.readouterr().out
    assert rc == 0 and "Track D" in out
    lines = out.splitlines()
    line = next(s for s in lines if "fl_vs_decl" in s)  # the word at its scale, then Δ
    nxt = lines[lines.index(line) + 1]
    assert "holds at " in line and "20 cl·3 seeds" in line
    assert "+3.00 ± 1.00 points" in nxt and "n_clients 20" in nxt
    # a true column of the claims table: its header, thm4.6's cell, and §5's MAR row
    lines = out.splitlines()  # the answer table first (tests/test_answer.py), then this one
    head = next(i for i, s in enumerate(lines) if s.startswith("claim ") and "track D" in s)
    lines = lines[head:]
    col = lines[0].index("track D")
    row = next(s for s in lines if s.startswith("thm4.6 "))
    assert row[col:].split()[0] == "holds"
    mar = next(s for s in lines if s.startswith("mar(§5)"))
    assert mar[col:].split()[0] == "not-run"


def test_cli_verify_trackd_not_run(capsys, tmp_path, monkeypatch):
    from sims.commands import verify

    monkeypatch.chdir(tmp_path)  # no figures/trackd_verdicts.json here
    monkeypatch.setattr(verify, "CHECKOUT_FIGURES", str(tmp_path / "no-checkout"))
    rc = main([*_FAST, "--claims", "thm4.4"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    e = out["claims"][0]["track_d"]
    assert e["verdict"] == "not-run" and "dssl reproduce" in e["command"]


def test_cli_verify_trackd_default_folder(capsys, tmp_path, monkeypatch):
    (tmp_path / "figures").mkdir()
    _trackd_file(tmp_path / "figures")
    monkeypatch.chdir(tmp_path)
    rc = main([*_FAST, "--claims", "cor4.5"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["claims"][0]["track_d"]["verdict"] == "degenerate"
    # one folder for both: the answer is not taken from the checkout's figures/ (review)
    assert out["answer"]["status"] == "not-run"


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"scale": {}}),  # no rows
        json.dumps({"rows": [{"claim": "mim_vs_cl", "track_d": "holds"}]}),  # no paper keys
        json.dumps(
            {"rows": [{"claim": "mim_vs_cl", "track_d": "holds", "paper": "p", "paper_scale": "s"}]}
        ),  # fmt: skip  # no numbers
        json.dumps(
            {"rows": [{"claim": "thm9", "track_d": "holds", "paper": "p", "paper_scale": "s"}]}
        ),  # fmt: skip
    ],
)
def test_cli_verify_trackd_bad_file(capsys, tmp_path, content):
    (tmp_path / "trackd_verdicts.json").write_text(content)
    rc = main([*_FAST, "--claims", "thm4.4", "--trackd-results", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "trackd-results" in err


def test_cli_verify_trackd_missing_folder(capsys, tmp_path):
    rc = main([*_FAST, "--trackd-results", str(tmp_path)])  # folder without the file
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "trackd-results" in err


def _star_uniform(n: int):
    import numpy as np

    a = np.zeros((n, n))
    a[0, 1:] = a[1:, 0] = 1
    a += np.eye(n)
    return a / a.sum(axis=1, keepdims=True)


def test_cli_verify_mixing_file_equals_graph(capsys, tmp_path):
    """The paper's mixing on a star, given as a file, gives the same claims as --graph star."""
    import numpy as np

    path = tmp_path / "W.npy"
    np.save(path, _star_uniform(4))
    argv = [*_FAST, "--claims", "thm4.2.decl,thm4.6"]
    assert main(argv) == 0
    ref = json.loads(capsys.readouterr().out)
    assert main([*argv, "--mixing-file", str(path)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["config"]["graph"] == "mixing-file"
    assert got["config"]["mixing_file"]["uniform_rule"] is True
    assert got["config"]["mixing_file"]["abar"] == 2.5  # (4 + 2 + 2 + 2) / 4
    for a, b in zip(ref["claims"], got["claims"], strict=True):
        assert (a["track_a"], a["track_b"]) == (b["track_a"], b["track_b"])
        assert a["readings"] == b["readings"]


def test_cli_verify_mixing_file_changes_graph(capsys, tmp_path):
    """A ring's mixing matrix as the file: the DecL weights are the ring's (uniform π), not the
    star's, so Thm 4.2's DecL evidence differs from the default star."""
    import numpy as np

    n = 4
    W = np.zeros((n, n))
    for i in range(n):
        W[i, i] = W[i, (i + 1) % n] = W[i, (i - 1) % n] = 1 / 3
    path = tmp_path / "W.csv"
    np.savetxt(path, W, delimiter=",")
    argv = [*_FAST, "--claims", "thm4.2.decl", "--mixing-file", str(path)]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    assert main([*_FAST, "--claims", "thm4.2.decl", "--graph", "ring"]) == 0
    ring = json.loads(capsys.readouterr().out)
    assert got["claims"][0]["readings"] == ring["claims"][0]["readings"]
    assert got["config"]["mixing_file"]["abar"] == 3.0
    # the evidence names the graph it used: the file's support, not the default star
    assert got["claims"][0]["evidence"]["track_b"]["numbers"]["graph"] == "mixing-file"
    assert ring["claims"][0]["evidence"]["track_b"]["numbers"]["graph"] == "ring"


def test_cli_verify_mixing_file_weights_are_used(capsys, tmp_path):
    """The file's own weights, not the 1/|A_i| rule on its support: Metropolis weights on a
    star are doubly stochastic, so the exact DecL objective weighs the clients uniformly
    (Eq. 1 column sums / N = 1/N) and Thm 4.2's DecL RVs are FL's, while the paper's rule on
    the same star (--graph star) weighs the centre less."""
    import numpy as np

    from theory import topology

    a = np.zeros((4, 4))
    a[0, 1:] = a[1:, 0] = 1
    W = topology.mixing_matrix("metropolis", a)
    np.testing.assert_allclose(W.sum(axis=0), 1.0)  # the oracle: doubly stochastic
    path = tmp_path / "W.npy"
    np.save(path, W)

    def rv(*extra):
        assert main([*_FAST, *extra]) == 0
        out = json.loads(capsys.readouterr().out)
        return out, out["claims"][0]["evidence"]["track_b"]["numbers"]["rv_N"]

    got, rv_file = rv("--claims", "thm4.2.decl", "--mixing-file", str(path))
    _, rv_fl = rv("--claims", "thm4.2.fl")
    _, rv_star = rv("--claims", "thm4.2.decl", "--graph", "star")
    assert got["config"]["mixing_file"]["uniform_rule"] is False
    np.testing.assert_allclose(rv_file, rv_fl, atol=1e-12)
    assert abs(rv_star[0] - rv_file[0]) > 0.05  # the uniform rule would have given this


@pytest.mark.parametrize(
    "matrix, extra",
    [
        ([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], []),  # not square
        ([[0.6, 0.6], [0.5, 0.5]], ["--n-clients", "2"]),  # rows do not sum to 1
        ([[1.0, 0.0], [0.0, 1.0]], ["--n-clients", "2"]),  # reducible
        ([[float("nan"), 1.0], [0.5, 0.5]], ["--n-clients", "2"]),  # non-finite
        ([[0.5, 0.5], [0.5, 0.5]], []),  # N = 2 but --n-clients 4
    ],
)
def test_cli_verify_mixing_file_bad(capsys, tmp_path, matrix, extra):
    import numpy as np

    path = tmp_path / "W.npy"
    np.save(path, np.asarray(matrix, dtype=float))
    rc = main([*_FAST, "--claims", "thm4.6", *extra, "--mixing-file", str(path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "mixing-file" in err


def test_cli_verify_mixing_file_with_graph_flag(capsys, tmp_path):
    import numpy as np

    path = tmp_path / "W.npy"
    np.save(path, _star_uniform(4))
    rc = main([*_FAST, "--graph", "ring", "--mixing-file", str(path)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--graph" in err


def test_cli_verify_mixing_file_says_which_claims_it_enters(capsys, tmp_path):
    """Every claim evaluated with --mixing-file says whether the file enters it; Cor 4.5 (a sweep
    over graphs) and Eq. 89 (the complete graph) say they do not, in one line each, and a
    claim with a DecL side that reads W says it does (its words were silently the default's)."""
    import numpy as np

    path = tmp_path / "W.npy"
    np.save(path, _star_uniform(4))
    argv = [*_FAST, "--claims", "cor4.5,thm4.6.eq89,thm4.6,thm4.2.local"]
    assert main([*argv, "--mixing-file", str(path)]) == 0
    got = {r["id"]: r["mixing_file"] for r in json.loads(capsys.readouterr().out)["claims"]}
    assert got["thm4.6"] == "enters"
    for cid in ("cor4.5", "thm4.6.eq89", "thm4.2.local"):
        assert got[cid].startswith("does not enter: ")
    assert main([a for a in argv if a != "--json"] + ["--mixing-file", str(path)]) == 0
    text = capsys.readouterr().out
    lines = [ln for ln in text.splitlines() if ln.strip().startswith(("cor4.5 ", "thm4.6.eq89"))]
    assert any("does not enter: a sweep over graphs" in ln for ln in lines)
    assert any("does not enter: FL against DecL on the complete graph" in ln for ln in lines)
    # without a file no claim carries the field
    assert main(argv) == 0
    assert all("mixing_file" not in r for r in json.loads(capsys.readouterr().out)["claims"])


def test_track_c_progress_reaches_stderr_while_the_table_runs(capsys, monkeypatch):
    """``dssl verify --simulate`` shows Track C's own lines (sims.trackc.runs' INFO log) on
    stderr with the elapsed time, only while the command runs, and none without --simulate.
    Track C's training is replaced by a stand-in that logs as it does and returns no
    evidence."""
    import logging

    from sims.trackc import evidence

    log = logging.getLogger("sims.trackc.runs")

    def stand_in(config, **kwargs):
        log.info("Track C: training %s (%d of %d methods)", "mim", 1, 2)
        return {}

    monkeypatch.setattr(evidence, "track_c_evidence", stand_in)
    assert main([*_FAST[:5], "--claims", "eq17", "--json", "--simulate", "fast"]) == 0
    log.info("after the command")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith("] Track C: training mim (1 of 2 methods)"), err
    assert main([*_FAST[:5], "--claims", "eq17", "--json"]) == 0
    assert capsys.readouterr().err == ""
