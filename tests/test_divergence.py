"""Divergence: NaN/inf stops the run at the last finite round and names round, client, loss."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from sims.cli import main
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.core.recorded import DivergenceError, check_finite, divergence
from sims.trackc.engine_config import EngineConfig
from theory import topology

N, D, C = 4, 8, 2


def _setup(lr, rounds=12):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 12, D)) * 3.0
    targets = np.einsum("nmd,nme->nde", x, x) / 12
    mix = topology.mixing_matrix("uniform", topology.make_graph("ring", N))
    cfg = EngineConfig(
        method="mim", framework="decl", n_clients=N, d=D, c=C, rounds=rounds, batch=4, lr=lr
    )
    return cfg, make_problem(cfg, targets, x=x, mixing=mix)


def test_huge_lr_stops_at_last_finite_round_and_names_it():
    cfg, prob = _setup(0.5)
    state, trace = make_engine(cfg).run(prob, key=key_tree(0)["root"])
    info = divergence(trace)
    # the round depends on the random stream; it must be a later round, not the first
    # a client (0..N-1) or the averaged model (-1, its global loss overflowed first)
    assert info is not None and 1 <= info["round"] < 12 and info["client"] in range(-1, N)
    assert not np.isfinite(info["loss"])
    assert bool(state.diverged) and int(state.round) == info["round"]
    # the kept state is exactly the state after the last finite round
    cfg9, prob9 = _setup(0.5, rounds=info["round"])
    ref, ref_trace = make_engine(cfg9).run(prob9, key=key_tree(0)["root"])
    assert divergence(ref_trace) is None
    np.testing.assert_array_equal(np.asarray(state.params), np.asarray(ref.params))
    t = info["round"]
    where = r"(client \d+: local|the averaged model: global) loss inf"
    with pytest.raises(DivergenceError, match=rf"round {t} .*{where}") as err:
        check_finite(state, trace)
    assert len(err.value.trace["loss"]) == t
    assert np.all(np.isfinite(err.value.trace["loss"]))


def test_finite_run_passes_check():
    cfg, prob = _setup(0.05, rounds=3)
    state, trace = make_engine(cfg).run(prob, key=key_tree(0)["root"])
    assert divergence(trace) is None
    assert check_finite(state, trace)[0] is state
    assert np.all(np.asarray(trace["diverged_client"]) == -1)


def test_cli_simulate_divergence_is_reported(capsys):
    rc = main(
        [
            "simulate",
            "--n-clients",
            "4",
            "--d",
            "16",
            "--rounds",
            "4",
            "--lr",
            "1e6",
            "--samples-per-client",
            "64",
            "--batch",
            "8",
            "--json",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    # either the run's own divergence report or the command's first-round lr check
    assert err.count("\n") == 1
    assert ("diverged at round 0" in err and "client" in err and "loss" in err) or (
        "lr: must be" in err
    )
    assert err.strip().splitlines()[-1].startswith("dssl simulate: error: --lr:")


@pytest.mark.parametrize("metrics", ["all", "loss"])
def test_an_average_whose_global_loss_overflows_is_a_divergence(metrics):
    """One local step from W = 1e30 (local loss ~1e121, finite) lands at W ~ 1e91: every client's
    loss and parameters are finite, but the averaged model's global loss (Eq. 16, quartic in W)
    overflows float64. The round is flagged, named as the averaged model (client −1) and not
    applied; also when the run records only the losses."""
    import dataclasses

    import jax
    import jax.numpy as jnp

    from theory._precision import x64

    cfg, prob = _setup(0.5, rounds=1)
    cfg = dataclasses.replace(cfg, local_steps=1, metrics=metrics)
    with x64():
        engine = make_engine(cfg)
        state = engine.init(prob, key=key_tree(0)["root"])
        big = state._replace(params=jnp.full_like(state.params, 1e30))
        new, metrics = jax.jit(engine.round_step)(big, prob)
        assert bool(metrics["diverged"]) and int(metrics["diverged_client"]) == -1
        assert not np.isfinite(float(metrics["diverged_loss"]))
        np.testing.assert_array_equal(np.asarray(new.params), np.asarray(big.params))
    trace = {k: np.asarray(v)[None] for k, v in metrics.items()}
    with pytest.raises(DivergenceError, match="the averaged model: global loss"):
        check_finite(new, trace)


def test_a_loss_only_run_detects_the_same_divergence():
    """``metrics="loss"`` keeps what detects a divergence (the local losses and the averaged
    model's global loss): the same round, client and loss as the default metrics, and the
    same kept state."""
    import dataclasses

    cfg, prob = _setup(0.5)
    lean = dataclasses.replace(cfg, metrics="loss")
    state, trace = make_engine(cfg).run(prob, key=key_tree(0)["root"])
    lean_state, lean_trace = make_engine(lean).run(prob, key=key_tree(0)["root"])
    assert divergence(trace) is not None
    assert divergence(lean_trace) == divergence(trace)
    np.testing.assert_array_equal(np.asarray(lean_state.params), np.asarray(state.params))


def test_cli_rounds_done_counts_the_rounds_reported_after_a_divergence(capsys, tmp_path):
    """A run that diverges after its first round reports the finite rounds only: rounds_done
    equals the rows of the trace (CSV), not the chunk that was run."""
    csv = tmp_path / "trace.csv"
    args = ["simulate", "--n-clients", "4", "--d", "16", "--rounds", "6", "--lr", "5"]
    args += ["--samples-per-client", "64", "--batch", "8", "--json", "--csv", str(csv)]
    rc = main(args)
    out, err = capsys.readouterr()
    assert "diverged at round 1" in err  # a fixed seed: the same divergence on every CPU run
    assert rc == 0
    rows = csv.read_text().strip().splitlines()[1:]
    assert json.loads(out)["rounds_done"] == len(rows) < 6


@pytest.mark.parametrize(("lr", "finished"), [("1e5", 0), ("4", 1)])
def test_progress_bar_counts_only_the_finite_rounds(lr, finished, capsys):
    """The progress bar of ``dssl simulate`` stops at the rounds that finished finite: at 0 when
    the first round diverges, at 1 when the second does (it showed every round before)."""
    args = ["simulate", "--n-clients", "4", "--d", "16", "--c", "2", "--rounds", "10"]
    main(args + ["--lr", lr])
    err = capsys.readouterr().err
    counts = [int(m.split("/")[0]) for m in re.findall(r"\| *(\d+/10) ", err)]
    assert counts and max(counts) == finished, err.replace("\r", "\n")[-600:]
