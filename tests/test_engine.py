"""The vmapped engine against a plain Python loop over clients (the oracle), determinism,
compile counts, sweeps, population gradients, MAR and validation."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims import losses
from sims.core.client import population_loss
from sims.core.config import float_dtype, key_tree, split_streams
from sims.core.engine import make_engine, make_round, sweep
from sims.core.problem import make_problem
from sims.core.recorded import NORM_BATCH, NORM_RTOL
from sims.core.rounds import batch_indices, loss_key, participation
from sims.trackc.engine_config import EngineConfig
from tests._helpers import mixing, structured_samples, swept
from tests.conftest import count_compiles
from theory import objectives
from theory.datamodel import DataModel

N, D, C = 4, 8, 2


def _data(n=N, d=D, m=12, seed=0):
    return structured_samples(n, m, d, seed=seed)  # a little client structure


def _targets(x, p=0.75, method="mim"):
    return np.stack(
        [objectives.empirical_target(xi, method, p=objectives.p_for(method, p)) for xi in x]
    )


# ---------------------------------------------------------------------------------------------
# the oracle: one client at a time, Python loops, numpy mixing


def _oracle(config: EngineConfig, x, sizes, mixing, agg, *, seed):
    """Plain Python loop over rounds, clients and local steps with the engine's key scheme."""
    n, c, d, E, b, p = (
        config.n_clients,
        config.c,
        config.d,
        config.local_steps,
        config.batch,
        config.p,
    )
    root = key_tree(seed)["root"]
    streams = split_streams(root)
    W0 = config.init_scale * jr.normal(jr.fold_in(streams["init"], 0), (c, d)) / np.sqrt(d)
    Ws = [np.asarray(W0) for _ in range(n)]

    def loss(W, batch, key):
        return losses.mim(W, batch, p, key=key)

    g = jax.jit(jax.grad(loss))
    history = []
    for t in range(config.rounds):
        if config.framework == "fl":
            act = np.asarray(
                participation(streams["sampling"], t, n, config.n_sampled, jnp.float64)
            )
            s = act * np.asarray(agg)
            s /= s.sum()
            M = np.outer(np.ones(n), s)
        else:
            M = np.asarray(mixing)
        new = []
        for i in range(n):
            W = jnp.asarray(Ws[i])
            for k in range(E):
                idx = np.asarray(batch_indices(streams["sampling"], t, i, k, int(sizes[i]), b))
                batch = jnp.asarray(x[i][idx])
                W = W - config.lr * g(W, batch, loss_key(streams["masks"], t, i, k))
            new.append(np.asarray(W))
        stacked = np.stack(new)
        Ws = list(np.einsum("ij,jcd->icd", M, stacked))
        history.append(np.stack(Ws))
    return np.stack(history)


#: uneven FedAvg weights of the star cases
AGG = np.array([1.0, 2.0, 3.0, 4.0])


def _star_case(framework: str, sizes=None, **kw):
    """``(x, config, problem)`` of MIM on N clients: DecL on a star graph (uneven mixing
    weights), or FedAvg with 2 of the N clients per round and the weights :data:`AGG`."""
    x = _data()
    config = EngineConfig(
        method="mim", framework=framework, n_clients=N, d=D, c=C, clients_per_round=2, **kw
    )
    prob = make_problem(config, _targets(x), x=x, sizes=sizes, mixing=mixing("star", N), agg=AGG)
    return x, config, prob


@pytest.mark.parametrize("framework", ["fl", "decl"])
def test_engine_equals_python_loop_oracle(framework):
    sizes = np.array([12, 9, 12, 7])  # ragged clients: padded rows must never be drawn
    x, config, prob = _star_case(framework, sizes=sizes, lr=0.05, local_steps=3, batch=5, rounds=4)
    init, round_step = make_round(config)
    state = init(prob, key=key_tree(3)["root"])
    step = jax.jit(round_step)
    got = []
    for t in range(config.rounds):
        if t == 0 and framework == "decl":
            unjitted, _ = round_step(state, prob)  # the un-jitted path, once
        state, _ = step(state, prob)
        if t == 0 and framework == "decl":
            np.testing.assert_allclose(
                np.asarray(unjitted.params), np.asarray(state.params), rtol=1e-12, atol=1e-14
            )
        got.append(np.asarray(state.params))
    want = _oracle(config, x, sizes, mixing("star", N), AGG, seed=3)
    np.testing.assert_allclose(np.stack(got), want, rtol=1e-6, atol=1e-9)


def test_fl_rows_equal_server_model_and_counts():
    x = _data()
    config = EngineConfig(
        method="mim", framework="fl", n_clients=N, d=D, c=C, rounds=5, clients_per_round=2, batch=4
    )
    prob = make_problem(config, _targets(x), x=x)
    state, trace = make_engine(config).run(prob, key=key_tree(0)["root"])
    params = np.asarray(state.params)
    np.testing.assert_array_equal(params, np.broadcast_to(params[0], params.shape))
    assert int(state.counts.sum()) == 2 * 5
    np.testing.assert_array_equal(np.asarray(trace["consensus_distance"]), 0.0)


@pytest.mark.parametrize("method", ["mim", "mar"])
def test_fedavg_of_all_clients_is_gossip_with_j(method):
    """FedAvg with S = N and uniform weights (framework "fl") and DecL with the mixing matrix
    J = 11ᵀ/N (framework "decl") are one computation: the same rows, masks and keys, then the
    same average. The experiments and the Track C evidence run their FL rows as DecL with J
    so that FL and DecL share one vmapped sweep; this is the check that they are FL."""
    from theory._precision import x64

    x = _data()
    with x64():
        kw = dict(method=method, n_clients=N, d=D, c=C, rounds=4, batch=4, dtype="float64")
        fl = EngineConfig(framework="fl", **kw)
        decl = EngineConfig(framework="decl", **kw)
        key = key_tree(5)["root"]
        a, ta = make_engine(fl).run(make_problem(fl, _targets(x), x=x), key=key)
        J = np.full((N, N), 1.0 / N)
        b, tb = make_engine(decl).run(make_problem(decl, _targets(x), x=x, mixing=J), key=key)
        np.testing.assert_allclose(np.asarray(a.params), np.asarray(b.params), atol=1e-13)
        np.testing.assert_allclose(np.asarray(ta["loss"]), np.asarray(tb["loss"]), atol=1e-13)
        loss = np.asarray(ta["loss"])
        assert abs(loss[-1] - loss[0]) > 1e-8  # it trained: the comparison is not of two inits


def test_same_seed_bit_identical_and_seeds_differ():
    x = _data()
    config = EngineConfig(method="cl", framework="decl", n_clients=N, d=D, c=C, rounds=3, batch=4)
    prob = make_problem(config, _targets(x, method="cl"), x=x, mixing=mixing("ring", N))
    engine = make_engine(config)
    a, ta = engine.run(prob, key=key_tree(7)["root"])
    b, tb = engine.run(prob, key=key_tree(7)["root"])
    c, _ = engine.run(prob, key=key_tree(8)["root"])
    assert np.array_equal(np.asarray(a.params), np.asarray(b.params))
    assert np.array_equal(np.asarray(ta["loss"]), np.asarray(tb["loss"]))
    assert not np.array_equal(np.asarray(a.params), np.asarray(c.params))


def test_key_tree_streams_distinct():
    keys = key_tree(0)
    raw = {k: tuple(np.asarray(v).tolist()) for k, v in keys.items()}
    assert len(set(raw.values())) == len(raw)
    with pytest.raises(ValueError, match="seed"):
        key_tree(-1)


def test_population_step_is_gradient_descent_on_closed_form():
    """One FL round, E = 1, full participation, population mode: W⁺ = W − η·(1/N)Σ∇f_i(W)."""
    model = DataModel(d=D, n_clients=N)
    X = objectives.population_targets(model, "cl")
    config = EngineConfig(
        method="cl", framework="fl", n_clients=N, d=D, c=C, rounds=1, population=True, lr=0.1
    )
    prob = make_problem(config, X)
    init, round_step = make_round(config)
    state = init(prob, key=key_tree(0)["root"])
    W = state.params[0]
    new, _ = jax.jit(round_step)(state, prob)
    want = W - 0.1 * np.mean([np.asarray(objectives.grad(W, Xi)) for Xi in X], axis=0)
    np.testing.assert_allclose(np.asarray(new.params[1]), want, rtol=1e-12, atol=1e-14)
    # closed-form loss matches theory.objectives.loss
    np.testing.assert_allclose(population_loss(W, X[0]), objectives.loss(W, X[0]), rtol=1e-12)


def test_run_compiles_once_and_sweep_compiles_once(caplog):
    x = _data()
    config = EngineConfig(method="mim", framework="decl", n_clients=N, d=D, c=C, rounds=2, batch=4)
    prob = make_problem(config, _targets(x), x=x, mixing=mixing("ring", N))
    engine = make_engine(config)
    with count_compiles("_engine_scan") as cnt:
        engine.run(prob, key=key_tree(0)["root"])
        engine.run(prob, key=key_tree(1)["root"])
    assert cnt.count == 1
    # sweep: 3 seeds × 2 graphs (ring, star) in one vmap, then chunked with lax.map
    seeds = np.repeat(np.arange(3), 2)
    mixings = np.stack([mixing("ring", N), mixing("star", N)] * 3)
    probs, axes = swept(prob, mixing=mixings)
    keys = jax.vmap(jr.PRNGKey)(jnp.asarray(seeds))
    with count_compiles("_engine_sweep") as cnt, caplog.at_level("INFO", logger="sims"):
        states, traces = sweep(config, probs, keys, axes=axes)
    assert cnt.count == 1
    assert states.params.shape == (6, N, C, D)
    # the line dssl reproduce's progress shows while a stage sweeps
    said = [r.getMessage() for r in caplog.records if r.name == "sims.core.engine"]
    assert said == [f"training 6 runs at once: {N} clients, 2 rounds each"]
    with count_compiles("_engine_sweep") as cnt:
        chunked, _ = sweep(config, probs, keys, axes=axes, batch_size=4)
    assert cnt.count == 1
    np.testing.assert_allclose(
        np.asarray(chunked.params), np.asarray(states.params), rtol=1e-12, atol=1e-14
    )
    # each sweep point equals its own single run
    single, _ = engine.run(
        prob._replace(mixing=jnp.asarray(mixings[3])), key=jr.PRNGKey(int(seeds[3]))
    )
    np.testing.assert_allclose(
        np.asarray(states.params[3]), np.asarray(single.params), rtol=1e-12, atol=1e-14
    )


def test_sweep_compiler_options_reach_xla_and_keep_the_results():
    """``compiler_options`` are XLA's for the sweep's program: an unknown option is XLA's
    error, and the newer fusion generator of ``long_run_options`` trains the same models as
    the older one, each in a program of its own, to the rounding of the CL noise (drawn in
    float32 whatever the dtype, ``sims.losses.gaussian``: the two generators may round its
    float32 arithmetic differently; measured with the tests' XLA flags, 1e-8 relative)."""
    from sims.core.environ import NEWER_FUSION_GENERATOR, long_run_options, xla_has_flag

    x = _data()
    config = EngineConfig(method="cl", framework="decl", n_clients=N, d=D, c=C, rounds=3, batch=4)
    prob = make_problem(config, _targets(x, method="cl"), x=x, mixing=mixing("ring", N))
    probs, axes = swept(prob, mixing=np.stack([mixing("ring", N), mixing("star", N)]))
    keys = jax.vmap(jr.PRNGKey)(jnp.arange(2))
    with pytest.raises(Exception, match="xla_no_such_option"):
        sweep(config, probs, keys, axes=axes, compiler_options={"xla_no_such_option": True})
    older = {NEWER_FUSION_GENERATOR: False} if xla_has_flag(NEWER_FUSION_GENERATOR) else None
    plain, _ = sweep(config, probs, keys, axes=axes, compiler_options=older)
    options = long_run_options()
    with count_compiles("_engine_sweep") as cnt:
        fast, _ = sweep(config, probs, keys, axes=axes, compiler_options=options)
    assert cnt.count == (1 if options else 0)
    np.testing.assert_allclose(
        np.asarray(fast.params), np.asarray(plain.params), rtol=1e-6, atol=1e-9
    )


def test_record_local_iterates_consistent():
    x = _data()
    config = EngineConfig(
        method="cl",
        framework="decl",
        n_clients=N,
        d=D,
        c=C,
        rounds=3,
        local_steps=2,
        batch=4,
        record_local=True,
        lr=0.05,
    )
    ring = mixing("ring", N)
    prob = make_problem(config, _targets(x, method="cl"), x=x, mixing=ring)
    state, trace = make_engine(config).run(prob, key=key_tree(0)["root"])
    it = np.asarray(trace["local_iterates"])  # (T, N, E+1, c, d)
    gr = np.asarray(trace["local_grads"])  # (T, N, E, c, d)
    assert it.shape == (3, N, 3, C, D) and gr.shape == (3, N, 2, C, D)
    np.testing.assert_allclose(it[:, :, 1:], it[:, :, :-1] - 0.05 * gr, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        np.einsum("ij,tjcd->ticd", ring, it[:, :, -1])[:-1], it[1:, :, 0], rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(
        np.einsum("ij,jcd->icd", ring, it[-1, :, -1]),
        np.asarray(state.params),
        rtol=1e-12,
        atol=1e-14,
    )


def _check_spectral_norm_max(config, prob, seed: int) -> None:
    """Every round's R_t against numpy's 2-norms of every pre-mixing model (the last local
    iterate) and every post-mixing one: want·(1 − NORM_RTOL) <= got <= want (+ rounding)."""
    init, round_step = make_round(config)
    state = init(prob, key=key_tree(seed)["root"])
    step = jax.jit(round_step)
    for _ in range(config.rounds):
        state, m = step(state, prob)
        before = np.asarray(m["local_iterates"])[:, -1]
        after = np.asarray(state.params)
        want = np.linalg.norm(np.concatenate([before, after]), 2, axis=(1, 2)).max()
        got = float(m["spectral_norm_max"])
        assert want * (1 - NORM_RTOL) <= got <= want * (1 + 1e-12), (got, want)


@pytest.mark.parametrize("framework", ["fl", "decl"])
def test_spectral_norm_max_is_the_largest_norm_before_and_after_mixing(framework):
    """R_t (``spectral_norm_max``) against numpy's 2-norms of every pre-mixing model (the last
    local iterate; a FedAvg client not sampled keeps its round-start model) and every
    post-mixing one. The engine reads only the pre-mixing models (the others are their convex
    combinations) and its norm is a lower estimate with relative error at most NORM_RTOL
    (sims.core.recorded._spectral_norm), so: want·(1 − NORM_RTOL) <= got <= want (+ rounding)."""
    _, config, prob = _star_case(
        framework, rounds=4, local_steps=2, batch=4, lr=0.2, record_local=True
    )
    _check_spectral_norm_max(config, prob, seed=5)


def test_spectral_norm_max_beyond_one_norm_batch():
    """With more clients than NORM_BATCH (the norms in batches, a smaller last one included),
    R_t against numpy's 2-norms of every pre- and post-mixing model, as above."""
    n, d, c = NORM_BATCH + 17, 6, 2
    rng = np.random.default_rng(0)
    targets = np.stack([np.diag(rng.uniform(0.5, 3.0, d)) for _ in range(n)])
    config = EngineConfig(
        method="mim", framework="fl", n_clients=n, d=d, c=c, population=True, rounds=2,
        local_steps=2, lr=0.05, record_local=True,
    )  # fmt: skip
    _check_spectral_norm_max(config, make_problem(config, targets), seed=2)


def test_mar_gamma_schedule_and_recon_run():
    x = _data()
    config = EngineConfig(
        method="mar",
        framework="fl",
        n_clients=N,
        d=D,
        c=C,
        rounds=6,
        batch=4,
        clients_per_round=4,
        optimizer="adam",
        lr=1e-2,
        persist_opt_state=True,
    )
    prob = make_problem(config, _targets(x), x=x, gamma_max=0.1, gamma_min=0.001)
    state, trace = make_engine(config).run(prob, key=key_tree(0)["root"])
    g = np.asarray(trace["gamma_mean"])
    omega = config.gamma_omega  # = S·T/N = 6
    want = [0.0] + [
        0.001 + 0.099 * 0.5 * (1 + np.cos(np.pi * min(1, t / omega))) for t in range(1, 6)
    ]
    np.testing.assert_allclose(g, want, rtol=1e-12)
    assert np.all(np.isfinite(np.asarray(trace["loss"])))
    assert np.abs(np.asarray(state.z_bar)).sum() > 0
    rc = EngineConfig(
        method="mim-recon",
        framework="decl",
        n_clients=N,
        d=D,
        c=C,
        rounds=30,
        batch=8,
        lr=0.02,
        lr_schedule="cosine",
    )
    prob = make_problem(rc, _targets(x), x=x, mixing=mixing("ring", N))
    st, tr = make_engine(rc).run(prob, key=key_tree(0)["root"])
    loss = np.asarray(tr["loss"])
    assert st.params[0].shape == (N, C, D) and st.params[1].shape == (N, D, C)
    assert loss[-5:].mean() < loss[:5].mean()


def test_float32_path():
    x = _data().astype(np.float32)
    config = EngineConfig(
        method="mim",
        framework="decl",
        n_clients=N,
        d=D,
        c=C,
        rounds=3,
        batch=4,
        dtype="float32",
        optimizer="momentum",
        lr=1e-2,
    )
    prob = make_problem(config, _targets(x), x=x, mixing=mixing("ring", N))
    state, trace = make_engine(config).run(prob, key=key_tree(0)["root"])
    assert state.params.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(trace["loss"])))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(method="nope"), "method"),
        (dict(framework="gossip"), "framework"),
        (dict(c=99), "c"),
        (dict(p=1.0), "p"),
        (dict(lr=0.0), "lr"),
        (dict(clients_per_round=9), "clients_per_round"),
        (dict(method="mar", population=True), "method"),
    ],
)
def test_config_validation(kwargs, field):
    base = dict(n_clients=N, d=D, c=C)
    with pytest.raises(ValueError, match=f"^{field}:"):
        EngineConfig(**(base | kwargs))


def test_problem_validation():
    x = _data()
    config = EngineConfig(method="mim", framework="decl", n_clients=N, d=D, c=C)
    with pytest.raises(ValueError, match="^mixing:"):
        make_problem(config, _targets(x), x=x)
    with pytest.raises(ValueError, match="^mixing:"):
        make_problem(config, _targets(x), x=x, mixing=np.full((N, N), 0.5))
    with pytest.raises(ValueError, match="^x:"):
        make_problem(config, _targets(x))
    with pytest.raises(ValueError, match="^sizes:"):
        make_problem(config, _targets(x), x=x, sizes=[0, 1, 2, 3], mixing=mixing("ring", N))
    with pytest.raises(ValueError, match="^targets:"):
        make_problem(config, np.zeros((N, D, D + 1)), x=x, mixing=mixing("ring", N))


def test_float64_without_x64_is_an_error_not_a_silent_float32():
    """The package never switches x64 on globally: a float64 run outside x64 mode must say so."""
    from sims.trackc.engine_config import EngineConfig

    cfg = EngineConfig(method="mim", framework="fl", n_clients=4, d=16, c=4)
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match="^dtype: float64 needs"):
            float_dtype(cfg)
    with jax.enable_x64(True):
        assert float_dtype(cfg) == jax.numpy.float64


@pytest.mark.parametrize("framework", ["fl", "decl"])
def test_loss_only_metrics_train_the_same_models(framework):
    """``metrics="loss"`` records the two losses and the divergence fields (and the
    ``record_local`` ones), nothing else; the training, and those fields, are those of the
    default ``"all"`` bit for bit: whole runs (jitted), and one un-jitted round of each."""
    _, full_cfg, prob = _star_case(
        framework, rounds=3, local_steps=2, batch=4, lr=0.1, record_local=True
    )
    lean_cfg = dataclasses.replace(full_cfg, metrics="loss")
    key = key_tree(4)["root"]
    full_state, full = make_engine(full_cfg).run(prob, key=key)
    lean_state, lean = make_engine(lean_cfg).run(prob, key=key)
    fields = {"loss", "loss_global", "diverged", "diverged_client", "diverged_loss"}
    assert set(lean) == fields | {"local_iterates", "local_grads"}
    assert {"zeta_sq", "spectral_norm_max", "consensus_distance"} <= set(full)
    for name in sorted(set(lean)):
        np.testing.assert_array_equal(np.asarray(lean[name]), np.asarray(full[name]), name)
    for a, b in zip(jax.tree.leaves(lean_state), jax.tree.leaves(full_state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    init, round_step = make_round(lean_cfg)
    state = init(prob, key=key)
    lean_eager_state, eager = round_step(state, prob)
    full_eager_state, full_eager = make_round(full_cfg)[1](state, prob)
    _, jitted = jax.jit(round_step)(state, prob)
    assert set(eager) == set(lean)
    for name in sorted(set(eager)):
        np.testing.assert_array_equal(np.asarray(eager[name]), np.asarray(full_eager[name]), name)
    for a, b in zip(
        jax.tree.leaves(lean_eager_state), jax.tree.leaves(full_eager_state), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for name in ("loss", "loss_global"):
        np.testing.assert_allclose(float(eager[name]), float(jitted[name]), rtol=1e-12)
        np.testing.assert_allclose(float(jitted[name]), float(lean[name][0]), rtol=1e-12)


def test_metrics_level_is_validated():
    with pytest.raises(ValueError, match=r"^metrics: must be one of all, loss, got 'none'$"):
        EngineConfig(metrics="none")


def test_bounded_compile_options_on_cpu_unless_the_user_chose(monkeypatch):
    """The engine's programs get LLVM level 1 and the older fusion generator on a CPU (an
    ``EngineConfig()`` run compiled for more than ten minutes at XLA's default level 2; a
    simulate chunk for minutes with the newer generator); a flag in the user's XLA_FLAGS wins."""
    from sims.core.environ import (
        NEWER_FUSION_GENERATOR,
        OPTIMIZATION_LEVEL,
        bounded_compile_options,
        xla_has_flag,
    )

    if jax.default_backend() != "cpu" or not xla_has_flag(OPTIMIZATION_LEVEL):
        pytest.skip("CPU backend with the level flag only")
    older = {NEWER_FUSION_GENERATOR: False} if xla_has_flag(NEWER_FUSION_GENERATOR) else {}
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    assert bounded_compile_options() == {OPTIMIZATION_LEVEL: 1, **older}
    monkeypatch.setenv("XLA_FLAGS", f"--{OPTIMIZATION_LEVEL}=2")
    assert bounded_compile_options() == older
    monkeypatch.setenv("XLA_FLAGS", f"--{NEWER_FUSION_GENERATOR}=true")
    assert bounded_compile_options() == {OPTIMIZATION_LEVEL: 1}


def test_default_engine_config_run_returns_from_a_fresh_process():
    """The Python API's ``EngineConfig()`` (one local step) trains in a fresh process without
    the CLI's flags; before the engine's own compile options it did not return in 10 minutes
    (``benchmarks/bench_api_compile.py``). The limit turns a hang into a failure."""
    import importlib.util
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_api_compile.py"
    spec = importlib.util.spec_from_file_location("bench_api_compile", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    env = {k: val for k, val in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    for case in (bench.CASE, bench.SIMULATE_CASE):  # the simulate chunk: minutes before
        subprocess.run(
            [sys.executable, "-c", case.format(steps=1)], env=env, check=True, timeout=300,
            capture_output=True,
        )  # fmt: skip
