"""``dssl simulate``: output keys, trace, errors, progress bar, defaults."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.cli import main

SMALL = [
    "--n-clients",
    "4",
    "--d",
    "8",
    "--rounds",
    "3",
    "--samples-per-client",
    "40",
    "--batch",
    "8",
    "--local-steps",
    "2",
]
KEYS = (
    "global_rv",
    "sensitivity_N",
    "principal_angle_to_exact",
    "consensus_distance",
    "probe_accuracy",
)


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out


def test_json_keys_and_trace(capsys):
    code, out = _run(
        capsys,
        [
            "simulate",
            "--method",
            "mim",
            "--framework",
            "decl",
            "--graph",
            "ring",
            "--json",
            "--trace",
        ]
        + SMALL,
    )
    assert code == 0
    result = json.loads(out.out)
    for key in KEYS:
        assert key in result
    assert len(result["global_rv"]) == 8  # c = 2N
    assert len(result["trace"]["consensus_distance"]) == 3
    assert result["config"]["graph"] == "ring" and 0 <= result["probe_accuracy"] <= 1
    # no progress bar with --json; 3 rounds do not converge: one warning line naming both checks
    assert out.err.startswith("dssl simulate: warning: not converged: ")
    assert out.err.count("\n") == 1 and "\r" not in out.err


def test_fl_population_text_output_and_progress_bar(capsys):
    code, out = _run(
        capsys,
        [
            "simulate",
            "--method",
            "cl",
            "--framework",
            "fl",
            "--population",
            "--clients-per-round",
            "2",
            "--aggregation",
            "data-size",
        ]
        + SMALL[:8]  # no --batch: population gradients are full-batch (--batch is refused)
        + SMALL[10:],
    )
    assert code == 0
    assert "principal_angle_to_exact" in out.out
    assert "rounds" in out.err  # tqdm on stderr
    # the whole configuration comes first in text mode
    head = out.out.splitlines()[0]
    assert head.startswith("config.method") and "cl" in head
    for key in ("config.framework", "config.d", "config.lr", "config.rounds", "config.seed"):
        assert key in out.out


def test_not_converged_warning_thresholds(capsys):
    from sims.commands.simulate import _warn_not_converged
    from sims.glossary import ANGLE_WARN_RAD, LOSS_GAP_WARN

    ok = {"principal_angle_to_exact": ANGLE_WARN_RAD / 2, "loss": -0.99, "optimal_loss": -1.0}
    _warn_not_converged(ok)
    assert capsys.readouterr().err == ""
    bad = dict(ok, principal_angle_to_exact=ANGLE_WARN_RAD * 2)
    _warn_not_converged(bad)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "principal angle" in err and "loss gap" not in err
    bad = dict(ok, loss=-1.0 + 2 * LOSS_GAP_WARN)
    _warn_not_converged(bad)
    err = capsys.readouterr().err
    assert "loss gap" in err and "principal angle" not in err


def test_csv_writes_the_per_round_trace(capsys, tmp_path):
    import pandas as pd

    path = tmp_path / "trace.csv"
    code, out = _run(capsys, ["simulate", "--json", "--csv", str(path)] + SMALL)
    assert code == 0
    result = json.loads(out.out)
    df = pd.read_csv(path)
    assert df["round"].tolist() == [0, 1, 2]
    assert df["consensus_distance"].tolist() == pytest.approx(
        result["trace"]["consensus_distance"], rel=1e-15
    )


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--n-clients", "1"], "n-clients"),
        (["--c", "99"], "c"),
        (["--lr", "-1"], "lr"),
        (["--clients-per-round", "9", "--framework", "fl"], "--clients-per-round"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, argv, field):
    code, out = _run(capsys, ["simulate", "--json", "--d", "8", "--rounds", "2"] + argv)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0]


def test_subprocess_json():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sims.cli",
            "simulate",
            "--method",
            "mar",
            "--framework",
            "fl",
            "--json",
        ]
        + SMALL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert all(key in result for key in KEYS)


@pytest.mark.slow
def test_defaults_land_near_optimum(capsys):
    """With only --method/--framework/--n-clients 4/--d 64 the averaged model is within 0.05 rad
    of the population optimum (measured for cl|mim × fl|decl: 0.026–0.036 rad, seeds 0 and 1)."""
    code, out = _run(
        capsys,
        [
            "simulate",
            "--method",
            "mim",
            "--framework",
            "decl",
            "--n-clients",
            "4",
            "--d",
            "64",
            "--json",
        ],
    )
    assert code == 0
    result = json.loads(out.out)
    assert result["principal_angle_to_exact"] < 0.05


@pytest.mark.parametrize("method", ["mim", "cl", "mim-independent"])
def test_mixture_moment_gives_the_weighted_empirical_targets(method):
    """simulate computes Σ π_i X̂_i (the clients' empirical targets, π-weighted) as the target of
    the mixture's second moment S_π (one BLAS product): the target is linear in the moment."""
    import numpy as np

    from sims.trackc.simulate import _mixture_moment
    from theory.objectives import empirical_target, moment_target, p_for

    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 300, 9)) + 0.2
    pi = rng.dirichlet(np.ones(4))
    p = p_for(method, 0.75)
    want = sum(pi[i] * empirical_target(x[i], method, p=p) for i in range(4))
    got = moment_target(_mixture_moment(x, pi), method, p=p)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    # one client: the moment of its sample gives its empirical target
    one = moment_target(x[0].T @ x[0] / 300, method, p=p)
    np.testing.assert_allclose(one, empirical_target(x[0], method, p=p), rtol=1e-13, atol=1e-14)


def test_decl_ring_dense_and_sparse_gossip_agree(capsys, monkeypatch):
    """`--graph ring` with the dense W and, above a zero DENSE_GOSSIP_MAX_BYTES, with the same
    W as neighbour lists (sims.core.mixing.graph_rule): the same run to float64 rounding
    (rel 1e-12; the mixing sums the same terms in another order, and π is 1/N exactly
    against the dense W's eigenvector)."""
    from sims.core import mixing as mx

    argv = ["simulate", "--graph", "ring", "--json", "--trace", "--rounds", "4"] + SMALL[:4]
    argv += SMALL[6:]
    code, out = _run(capsys, argv)
    assert code == 0
    dense = json.loads(out.out)
    monkeypatch.setattr(mx, "DENSE_GOSSIP_MAX_BYTES", 0)
    code, out = _run(capsys, argv)
    assert code == 0
    sparse = json.loads(out.out)
    assert sparse["config"]["contraction"] is None and dense["config"]["contraction"] < 1
    for key in ("loss", "consensus_distance", "principal_angle_to_exact", "zeta_sq"):
        assert sparse[key] == pytest.approx(dense[key], rel=1e-12, abs=1e-14)
    assert sparse["global_rv"] == pytest.approx(dense["global_rv"], rel=1e-12, abs=1e-14)
    for key in ("loss", "consensus_distance"):
        assert sparse["trace"][key] == pytest.approx(dense["trace"][key], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("graph", ["one_peer_exp", "matching"])
def test_decl_rule_graph_runs(capsys, graph):
    """A one-peer exponential (and a random-matching) DecL run at N = 8 ends, finite."""
    argv = ["simulate", "--graph", graph, "--n-clients", "8", "--d", "16", "--json"]
    code, out = _run(capsys, argv + SMALL[4:])
    assert code == 0
    result = json.loads(out.out)
    assert result["config"]["graph"] == graph and result["config"]["mixing"] is None
    assert result["rounds_done"] == 3 and result["loss"] == pytest.approx(result["loss"])
    # its contraction over a period: of the W_t the engine's rounds mix with (round_key)
    import jax.random as jr

    from sims.core import mixing as mx
    from sims.core.config import round_key
    from theory import time_varying as tv

    rule, cfg = mx.graph_rule(graph, 8, mixing=None), result["config"]
    key = round_key(jr.key(cfg["seed"]))
    mats = np.stack([mx.round_matrix(rule, 8, key=key, t=t) for t in range(3)])
    assert cfg["period"] == 3 and cfg["rho_period_error"] == 0.0
    assert cfg["rho_period"] == pytest.approx(tv.period_contraction(mats).rho, rel=1e-14, abs=0)


def test_engine_mixes_with_the_rounds_of_round_key():
    """End to end: the models an engine run mixes (its local steps made exact no-ops by a
    learning rate of 1e-300) are round_matrix(rule, key=round_key(root), t) times the models
    before, round after round, for a random matching; the root key itself draws other
    matchings, so the key that dssl simulate reads ρ_P from is the one training used."""
    import jax.random as jr

    from sims.core import mixing as mx
    from sims.core.config import round_key
    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.core.recorded import problem_stats
    from sims.trackc.engine_config import EngineConfig

    n, c, d, root = 6, 2, 8, jr.key(11)
    config = EngineConfig(method="mim", framework="decl", n_clients=n, d=d, c=c, rounds=3,
                          population=True, lr=1e-300, dtype="float64")  # fmt: skip
    rule = mx.random_matching(n)
    problem = make_problem(config, np.zeros((n, d, d)), mixing=rule)
    engine = make_engine(config)
    params = jr.normal(jr.key(2), (n, c, d), np.float64)
    state = engine.init(problem, key=root)._replace(params=params)
    x, moved = np.asarray(params).reshape(n, -1), False
    for t in range(3):
        state, _ = engine.scan(state, problem, problem_stats(problem), 1)
        W = mx.round_matrix(rule, n, key=round_key(root), t=t)
        x = W @ x
        np.testing.assert_array_equal(np.asarray(state.params).reshape(n, -1), x)
        moved |= not np.array_equal(W, mx.round_matrix(rule, n, key=root, t=t))
    assert moved


def test_decl_on_a_static_w_has_no_period(capsys):
    code, out = _run(capsys, ["simulate", "--graph", "ring", "--json"] + SMALL)
    cfg = json.loads(out.out)["config"]
    assert code == 0 and cfg["contraction"] is not None
    assert [cfg[k] for k in ("period", "rho_period", "rho_period_error", "rho_per_round")] == [
        None
    ] * 4


def test_decl_rule_graph_rejects_mixing(capsys):
    code, out = _run(capsys, ["simulate", "--graph", "one_peer_exp", "--mixing", "metropolis",
                              "--json", "--d", "8", "--rounds", "2"])  # fmt: skip
    assert code == 2 and out.err.count("\n") == 1 and "--mixing" in out.err


def test_fedavg_sampled_runs_on_the_server_model(capsys, monkeypatch):
    """FL with S < N trains one server model (EngineConfig.server_model): the same results, to
    float rounding, as the N-copy round it replaces (the oracle, forced by taking the server
    model away); every client then holds exactly that model."""
    from sims.trackc.engine_config import EngineConfig

    argv = ["simulate", "--framework", "fl", "--n-clients", "4", "--clients-per-round", "2",
            "--d", "12", "--rounds", "6", "--batch", "16", "--json"]  # fmt: skip
    code, out = _run(capsys, argv)
    server = json.loads(out.out)
    assert code == 0 and server["consensus_distance"] == 0.0
    assert all(row == server["local_rv"][0] for row in server["local_rv"])
    monkeypatch.setattr(EngineConfig, "admits_server_model", property(lambda self: False))
    code, out = _run(capsys, argv)
    copies = json.loads(out.out)
    assert code == 0
    for key in ("loss", "zeta_sq", "principal_angle_to_exact", "alignment", "probe_accuracy"):
        assert server[key] == pytest.approx(copies[key], rel=1e-9, abs=1e-12), key
    assert copies["consensus_distance"] < 1e-20


def test_the_rv_line_is_wrapped_to_the_terminal():
    """``global_rv[:c]`` holds c = 2N values (260 characters at N = 20): the text view wraps
    them under their key at the terminal's width and keeps every value."""
    from sims.commands import simulate

    result = {"config": {"rounds": 1}, "global_rv": [0.5] * 40}
    result.update({k: 0.0 for k in (
        "principal_angle_to_exact", "identifiable_rank", "principal_angle_to_empirical",
        "sensitivity_N", "sensitivity_c", "consensus_distance", "zeta_sq", "loss",
        "optimal_loss", "probe_accuracy", "alignment", "uniformity_inter_mean")})  # fmt: skip
    lines = simulate.format_text(result, width=80).splitlines()
    rv = lines[lines.index(next(x for x in lines if x.startswith("global_rv[:c]"))) :]
    assert max(len(x) for x in rv) <= 80 and " ".join(rv).split()[1:] == ["0.500"] * 40
