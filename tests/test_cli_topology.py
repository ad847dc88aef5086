"""``dssl topology`` (in-process, plus one subprocess run)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sims.cli import main

KEYS = {
    "n",
    "lambda2",
    "lambda",
    "spectral_gap",
    "p",
    "avg_connectivity",
    "row_stochastic",
    "doubly_stochastic",
    "objective_weights",
    "stationary_weights",
    "effective_neighbours",
}


def _json(capsys, *argv):
    assert main(["topology", *argv, "--json"]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n") == 1
    return json.loads(out.out)


def test_ring_json(capsys):
    r = _json(capsys, "--graph", "ring", "--n-clients", "20", "--mixing", "uniform")
    assert KEYS <= r.keys()
    assert r["n"] == 20
    lam = (1 + 2 * math.cos(2 * math.pi / 20)) / 3
    assert r["lambda"] == pytest.approx(lam, rel=1e-10)
    assert r["lambda2"] == pytest.approx(lam, rel=1e-10)
    assert r["spectral_gap"] == pytest.approx(1 - lam, rel=1e-10)
    assert r["p"] == pytest.approx(1 - lam**2, rel=1e-10)
    assert r["avg_connectivity"] == 3.0
    assert r["row_stochastic"] is True and r["doubly_stochastic"] is True
    np.testing.assert_allclose(r["objective_weights"], 1 / 20, rtol=1e-12)
    np.testing.assert_allclose(r["stationary_weights"], 1 / 20, rtol=1e-10)


def test_star_weights_and_text(capsys):
    r = _json(capsys, "--graph", "star", "--n-clients", "4")
    np.testing.assert_allclose(r["objective_weights"], [0.4375, 0.1875, 0.1875, 0.1875])
    np.testing.assert_allclose(r["stationary_weights"], [0.4, 0.2, 0.2, 0.2], rtol=1e-10)
    assert r["doubly_stochastic"] is False and r["row_stochastic"] is True
    assert main(["topology", "--graph", "star", "--n-clients", "4"]) == 0
    text = capsys.readouterr().out
    assert "lambda2" in text and "stationary_weights" in text and "{" not in text


def test_paper_code_seeded_and_reports_excess(capsys):
    argv = ["--graph", "paper_code", "--n-clients", "20", "--avg-degree", "4", "--seed", "3"]
    # same n as test_ring_json: no new compilation
    r1, r2 = _json(capsys, *argv), _json(capsys, *argv)
    assert r1 == r2
    assert r1["nominal_degree"] == 4 and r1["degree_excess"] >= 0
    assert r1["mean_degree"] == pytest.approx(4 + r1["degree_excess"])
    r3 = _json(capsys, *argv[:-1], "4")
    assert r3["degrees"] != r1["degrees"] or r3["lambda"] != r1["lambda"]


def test_other_options(capsys):
    # one size (n = 16) for all, so the summary compiles once
    r = _json(capsys, "--graph", "torus", "--n-clients", "16", "--rows", "4", "--cols", "4")
    assert r["avg_connectivity"] == 5.0 and r["lambda"] == pytest.approx(0.6, rel=1e-10)
    r = _json(
        capsys, "--graph", "random_regular", "--n-clients", "16", "--degree", "3", "--seed", "1"
    )
    assert r["avg_connectivity"] == 4.0
    r = _json(
        capsys, "--graph", "erdos_renyi", "--n-clients", "16", "--prob", "0.5", "--gamma", "0.5"
    )
    assert r["gamma"] == 0.5
    sizes = ",".join(str(i) for i in range(1, 17))
    r = _json(
        capsys, "--graph", "ring", "--n-clients", "16", "--mixing", "data_size", "--sizes", sizes
    )
    assert r["row_stochastic"] is True and r["doubly_stochastic"] is False
    r = _json(capsys, "--graph", "hypercube", "--n-clients", "16", "--mixing", "metropolis")
    assert r["lambda"] == pytest.approx(0.6, rel=1e-10)
    r = _json(
        capsys, "--graph", "erdos_renyi", "--n-clients", "16", "--avg-degree", "4", "--seed", "2"
    )
    assert r["seed"] == 2 and r["avg_connectivity"] >= 2


def test_ying_exponential_lambda_is_meaningful(capsys):
    r = _json(capsys, "--graph", "exponential", "--n-clients", "16", "--mixing", "ying")
    assert r["lambda2"] is None and r["reversible"] is False
    assert r["lambda"] == pytest.approx(0.6, rel=1e-10)  # ‖W − J‖₂ = (τ−1)/(τ+1), τ = 4
    assert r["doubly_stochastic"] is True and r["avg_connectivity"] == 5.0
    assert sorted(r["eigenvalue_moduli"], reverse=True)[1] == pytest.approx(0.6, rel=1e-10)
    assert "W - J" in r["lambda_definition"]


@pytest.mark.parametrize(
    "argv,field",
    [
        (["--n-clients", "2"], "n-clients"),
        (["--graph", "hypercube", "--n-clients", "12"], "n-clients"),
        (["--graph", "torus", "--n-clients", "16", "--rows", "3"], "rows"),
        (["--graph", "random_regular", "--n-clients", "10"], "degree"),
        (["--graph", "paper_code", "--n-clients", "10"], "--avg-degree"),
        (["--graph", "paper_code", "--n-clients", "10", "--avg-degree", "12"], "--avg-degree"),
        (["--graph", "erdos_renyi", "--n-clients", "10", "--prob", "2"], "prob"),
        (["--mixing", "data_size", "--n-clients", "5"], "sizes"),
        (["--mixing", "data_size", "--n-clients", "5", "--sizes", "1,2,x,4,5"], "sizes"),
        (["--mixing", "data_size", "--n-clients", "5", "--sizes", "1,2,0,4,5"], "sizes"),
        (["--mixing", "data_size", "--n-clients", "5", "--sizes", "1,2"], "sizes"),
        (["--gamma", "1"], "gamma"),
        (["--seed", "-1", "--graph", "paper_code", "--avg-degree", "3"], "seed"),
        (["--mixing", "ying", "--graph", "ring"], "mixing"),
    ],
)
def test_bad_values_exit_2_with_one_line(capsys, argv, field):
    assert main(["topology", *argv, "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and f"{field}: must be" in out.err


@pytest.mark.parametrize("argv", [["--graph", "nope"], ["--mixing", "nope"], ["--n-clients", "x"]])
def test_bad_arguments_exit_2(capsys, argv):
    assert main(["topology", *argv]) == 2
    e = capsys.readouterr().err
    assert e.count("\n") == 1 and argv[0] in e


def test_subprocess_json():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sims.cli",
            "topology",
            "--graph",
            "star",
            "--n-clients",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert KEYS <= r.keys() and r["lambda"] == pytest.approx(0.5, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# graphs that are their own mixing rule, and the sparse summary


def test_one_peer_period_json(capsys):
    from theory import time_varying as tv

    r = _json(capsys, "--graph", "one_peer_exp", "--n-clients", "16")
    assert (r["period"], r["rho_period"], r["rho_period_error"]) == (4, 0.0, 0.0)
    r = _json(capsys, "--graph", "one_peer_exp", "--n-clients", "12")
    want = tv.period_contraction(tv.one_peer_exponential(12))
    assert r["period"] == 4 and r["rho_period"] == pytest.approx(want.rho, rel=1e-14)
    assert r["rho_per_round"] == pytest.approx(want.per_round, rel=1e-14)


def test_matching_window_from_the_seed(capsys):
    import jax.random as jr

    from sims.core import mixing as mx
    from sims.core.config import round_key
    from theory import time_varying as tv

    r = _json(capsys, "--graph", "matching", "--n-clients", "9", "--seed", "3", "--period", "5")
    rule = mx.random_matching(9)
    key = round_key(jr.key(3))  # the rounds of dssl simulate --seed 3 (its root key)
    mats = np.stack([mx.round_matrix(rule, 9, key=key, t=t) for t in range(5)])
    assert r["seed"] == 3 and r["period"] == 5
    assert r["rho_period"] == pytest.approx(tv.period_contraction(mats).rho, rel=1e-14)


def test_static_exponential_is_the_ying_summary(capsys):
    r = _json(capsys, "--graph", "static_exp", "--n-clients", "10")
    ying = _json(capsys, "--graph", "exponential", "--mixing", "ying", "--n-clients", "10")
    assert r["rho_period"] == pytest.approx(ying["lambda"], rel=1e-12)


def test_one_peer_period_at_a_sparse_size(capsys):
    r = _json(capsys, "--graph", "one_peer_exp", "--n-clients", "8192")
    assert r["solver"].startswith("sparse") and r["period"] == 13
    assert r["rho_period"] <= r["rho_period_error"] + 1e-12  # the product is J up to rounding


def test_sparse_ring_is_the_closed_form_at_any_size(capsys):
    """The ring's sparse summary is its closed form: the dense summary's numbers at N = 40, and
    N = 10⁵ (a gap of 1.3e-9, which ARPACK did not resolve in 10 minutes) at once."""
    dense = _json(capsys, "--graph", "ring", "--n-clients", "40")
    sparse = _json(capsys, "--graph", "ring", "--n-clients", "40", "--solver", "sparse")
    assert sparse["solver"].startswith("closed form")
    for key in ("lambda2", "lambda_min", "lambda"):
        assert abs(sparse[key] - dense[key]) <= sparse[key + "_error"] + 1e-13
    big = _json(capsys, "--graph", "ring", "--n-clients", "100000")
    assert big["solver"].startswith("closed form") and 0 < big["spectral_gap"] < 2e-9


def test_sparse_summary_against_the_dense_one(capsys):
    argv = ("--graph", "random_regular", "--degree", "3", "--seed", "2", "--n-clients", "40")
    dense = _json(capsys, *argv, "--mixing", "metropolis")
    sparse = _json(capsys, *argv, "--mixing", "metropolis", "--solver", "sparse")
    assert sparse["solver"].startswith("sparse")
    for key in ("lambda2", "lambda_min", "lambda"):
        assert abs(sparse[key] - dense[key]) <= sparse[key + "_error"] + 1e-12
    assert sparse["avg_connectivity"] == dense["avg_connectivity"] == 4.0


@pytest.mark.parametrize(
    "argv,message",
    [
        (("--graph", "one_peer_exp", "--mixing", "uniform"), "--mixing: must be omitted"),
        (("--graph", "ring", "--period", "3"), "--period: must be omitted"),
        (("--graph", "one_peer_exp", "--seed", "1"), "--seed: must be omitted"),
        (("--graph", "star", "--n-clients", "30", "--solver", "sparse"), "graph: must be one of"),
        (
            (
                "--graph",
                "ring",
                "--mixing",
                "data_size",
                "--sizes",
                "1,2,3",
                "--n-clients",
                "3",
                "--solver",
                "sparse",
            ),
            "mixing: must be one of uniform, metropolis, max_degree",
        ),
    ],  # fmt: skip
)
def test_new_options_fail_in_one_line(capsys, argv, message):
    assert main(["topology", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_period_summary_is_estimated_by_its_graph():
    """The period summary's estimate is its graph's (random matchings take ten times the
    one-peer graph's time at N = 10⁶, and grow faster), within 3 times the times measured
    on 2 cores: a one-peer summary of 2·10⁶ clients (26 s) is not refused as 30 minutes."""
    from sims.commands import topology

    measured = {("one_peer_exp", 10**6): 16.4, ("one_peer_exp", 4 * 10**6): 50.3,
                ("static_exp", 10**6): 9.6, ("matching", 2 * 10**5): 14.6,
                ("matching", 10**6): 210.0}  # fmt: skip
    for (graph, n), seconds in measured.items():
        assert seconds / 3 <= topology.period_seconds(graph, n) <= 3 * seconds, (graph, n)


def test_the_period_summary_is_refused_or_started_by_its_estimate(capsys, monkeypatch):
    """Through the command: random matchings at 5·10⁶ clients are refused (estimated about
    6,000 s), a one-peer summary of 2·10⁶ clients passes the checks (estimated 66 s) and goes
    on to build its rule (stood in for here), and a 10,000-round window is priced by its
    length."""
    from sims.core import mixing

    class Started(Exception):
        pass

    def stand_in(*args, **kwargs):
        raise Started

    monkeypatch.setattr(mixing, "graph_rule", stand_in)
    assert main(["topology", "--graph", "matching", "--n-clients", "5000000"]) == 2
    assert "the period summary to end within 30 minutes" in capsys.readouterr().err
    assert main(["topology", "--graph", "one_peer_exp", "--n-clients", "2000000"]) == 1
    err = capsys.readouterr().err  # the stand-in's exception reached the boundary: it started
    assert "internal error: Started" in err, err
    argv = ["topology", "--graph", "matching", "--n-clients", "100000", "--period", "10000"]
    assert main(argv) == 2


def test_a_float32_mixing_file_is_checked_at_float32s_tolerance(tmp_path, capsys):
    """A W saved in float32 (a uniform ring: rows off 1 by about 3e-8) is read as the matrix
    it is: the file's rows are checked at float32's rounding, as check_mixing checks a float32
    W from Python (the file reader had cast it to float64 first and refused it)."""
    from theory import topology as tp

    W = tp.mixing_matrix("uniform", tp.make_graph("ring", 20)).astype(np.float32)
    assert np.abs(W.astype(np.float64).sum(axis=1) - 1).max() > 1e-8
    np.save(tmp_path / "W.npy", W)
    assert main(["topology", "--mixing-file", str(tmp_path / "W.npy"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 20
    np.save(tmp_path / "off.npy", W.astype(np.float64))  # the same rows given as float64
    assert main(["topology", "--mixing-file", str(tmp_path / "off.npy")]) == 2
    assert "float64 allows" in capsys.readouterr().err
