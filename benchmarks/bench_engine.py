"""Engine benchmark: the vmapped FL/DecL engine against a Python loop over clients.

Setting (issue 4): N = 100 clients, d = 64, c = 16, batch 32, 5 local steps, 20 rounds, CPU,
MIM (Eq. 4) on Gaussian client data (M = 256 rows per client), DecL on a ring with uniform
weights. The baseline loops over clients in Python, calling a jitted single-client update (the
engine's own ``make_local_update``) and a jitted mixing step; both exclude compile time (a warm-up
run first) and produce the same final parameters (checked). Also: a 1000-configuration sweep
(250 seeds × 4 graphs: ring, torus, star, Erdős–Rényi; N = 16, d = 16, c = 4, 10 rounds) run
through ``sims.engine.sweep`` with ``lax.map(batch_size=...)`` and its compile count.

Usage: ``python benchmarks/bench_engine.py [--repeats 3] [--quick]``; writes
``benchmarks/results/engine.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

from sims.config import EngineConfig, key_tree, split_streams  # noqa: E402
from sims.engine import make_engine, make_local_update, make_problem, sweep  # noqa: E402
from theory import topology  # noqa: E402

DTYPE = "float32"  # simulation precision; theory checks run in float64 elsewhere
OUT = Path(__file__).resolve().parent / "results" / "engine.json"


def _compiles():
    names: list[str] = []

    def listener(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            names.append(str(kw.get("fun_name", "")))

    jax.monitoring.register_event_duration_secs_listener(listener)
    return names, listener


def _problem(config, rng):
    n, d = config.n_clients, config.d
    x = rng.normal(size=(n, 256, d)) * 0.5
    x[:, :, : min(n, d)] += np.eye(n, d)[:, None, : min(n, d)] * 2.0
    targets = np.einsum("nmd,nme->nde", x, x) / x.shape[1]  # any (N, d, d) for the metrics
    mixing = topology.mixing_matrix("uniform", topology.make_graph("ring", n))
    return make_problem(config, targets, x=x, mixing=mixing)


def _loop_runner(config, problem):
    """Python loop over rounds and clients calling ONE jitted single-client function (keys derived
    inside it, data pre-sliced per client outside the timed region), then a jitted mixing."""
    n = config.n_clients
    local = make_local_update(config)
    dt = problem.x.dtype

    @jax.jit
    def client(params, x_i, n_i, X_i, root, t, i):
        s = split_streams(root)
        k_idx = jr.fold_in(jr.fold_in(jr.fold_in(s["sampling"], t), 1), i)
        k_loss = jr.fold_in(jr.fold_in(s["masks"], t), i)
        z_bar = jnp.zeros((config.batch, config.c), dt)
        one = jnp.ones((), dt)
        return local(params, (), x_i, n_i, X_i, None, z_bar, jnp.zeros((), dt), k_idx, k_loss, one)[
            0
        ]

    mix = jax.jit(lambda M, *ws: jnp.tensordot(M, jnp.stack(ws), axes=(1, 0)))
    xs = [problem.x[i] for i in range(n)]
    sizes = [problem.sizes[i] for i in range(n)]
    targets = [problem.targets[i] for i in range(n)]
    ts = [jnp.asarray(t, jnp.int32) for t in range(config.rounds)]
    idx = [jnp.asarray(i, jnp.int32) for i in range(n)]

    def run(params0, root):
        params = [params0[i] for i in range(n)]
        for t in range(config.rounds):
            new = [
                client(params[i], xs[i], sizes[i], targets[i], root, ts[t], idx[i])
                for i in range(n)
            ]
            stacked = mix(problem.mixing, *new)
            params = [stacked[i] for i in range(n)]
        return jax.block_until_ready(jnp.stack(params))

    return run


def _naive_loop_runner(config, problem):
    """The same loop written naively: per-client keys and data slices computed eagerly inside
    the loop (each a separate dispatch), then the jitted single-client update."""
    n = config.n_clients
    local = jax.jit(make_local_update(config))
    dt = problem.x.dtype
    mix = jax.jit(lambda M, *ws: jnp.tensordot(M, jnp.stack(ws), axes=(1, 0)))

    def run(params0, root):
        params = [params0[i] for i in range(n)]
        z_bar = jnp.zeros((config.batch, config.c), dt)
        for t in range(config.rounds):
            s = split_streams(root)
            new = []
            for i in range(n):
                k_idx = jr.fold_in(jr.fold_in(jr.fold_in(s["sampling"], t), 1), i)
                k_loss = jr.fold_in(jr.fold_in(s["masks"], t), i)
                p = local(
                    params[i],
                    (),
                    problem.x[i],
                    problem.sizes[i],
                    problem.targets[i],
                    None,
                    z_bar,
                    jnp.zeros((), dt),
                    k_idx,
                    k_loss,
                    jnp.ones((), dt),
                )[0]
                new.append(p)
            stacked = mix(problem.mixing, *new)
            params = [stacked[i] for i in range(n)]
        return jax.block_until_ready(jnp.stack(params))

    return run


def bench_engine_vs_loop(repeats: int) -> dict:
    config = EngineConfig(
        method="mim",
        framework="decl",
        n_clients=100,
        d=64,
        c=16,
        batch=32,
        local_steps=5,
        rounds=20,
        lr=0.01,
        dtype=DTYPE,
    )
    problem = _problem(config, np.random.default_rng(0))
    engine = make_engine(config)
    root = key_tree(0)["root"]
    t0 = time.perf_counter()
    state, _ = engine.run(problem, key=root)
    jax.block_until_ready(state.params)
    first_engine = time.perf_counter() - t0
    engine_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state, trace = engine.run(problem, key=root)
        jax.block_until_ready(state.params)
        engine_times.append(time.perf_counter() - t0)

    loop = _loop_runner(config, problem)
    params0 = engine.init(problem, key=root).params
    t0 = time.perf_counter()
    out = loop(params0, root)  # warm-up: compiles the single-client update once
    first_loop = time.perf_counter() - t0
    loop_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = loop(params0, root)
        loop_times.append(time.perf_counter() - t0)
    max_diff = float(np.max(np.abs(np.asarray(out) - np.asarray(state.params))))
    naive = _naive_loop_runner(config, problem)
    naive(params0, root)
    naive_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        naive(params0, root)
        naive_times.append(time.perf_counter() - t0)
    e, lp = min(engine_times), min(loop_times)
    return {
        "setting": {
            "n_clients": 100,
            "d": 64,
            "c": 16,
            "batch": 32,
            "local_steps": 5,
            "rounds": 20,
            "method": "mim",
            "framework": "decl (ring, uniform)",
            "dtype": DTYPE,
            "samples_per_client": 256,
        },
        "engine_s_best": e,
        "engine_s_all": engine_times,
        "engine_first_call_s_incl_compile": first_engine,
        "loop_s_best": lp,
        "loop_s_all": loop_times,
        "loop_first_call_s_incl_compile": first_loop,
        "speedup_best": lp / e,
        "naive_loop_s_best": min(naive_times),
        "naive_loop_s_all": naive_times,
        "speedup_vs_naive_loop_best": min(naive_times) / e,
        "flops_estimate": "about 4e5 flop per client-step (MIM loss + gradient, B=32, d=64, "
        "c=16): 4e9 flop per run, so both versions are compute-bound on this CPU",
        "speedup_median": float(np.median(loop_times) / np.median(engine_times)),
        "max_abs_diff_engine_vs_loop": max_diff,
        "note": "engine includes the per-round metrics (consensus distance, zeta^2, loss, R_t); "
        "the loop computes none",
    }


def bench_sweep(n_seeds: int, batch_size: int) -> dict:
    n = 16
    config = EngineConfig(
        method="mim",
        framework="decl",
        n_clients=n,
        d=16,
        c=4,
        batch=16,
        local_steps=2,
        rounds=10,
        lr=0.02,
        dtype=DTYPE,
    )
    graphs = [
        topology.make_graph("ring", n),
        topology.make_graph("torus", n, rows=4, cols=4),
        topology.make_graph("star", n),
        topology.make_graph("erdos_renyi", n, avg_degree=4.0, seed=1),
    ]
    mixings = np.stack([topology.mixing_matrix("metropolis", a) for a in graphs])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 64, 16))
    targets = np.einsum("nmd,nme->nde", x, x) / 64
    prob = make_problem(config, targets, x=x, mixing=mixings[0])
    k = n_seeds * len(graphs)
    mix_all = jnp.asarray(np.tile(mixings, (n_seeds, 1, 1)), dtype=jnp.float32)
    seeds = jnp.repeat(jnp.arange(n_seeds, dtype=jnp.uint32), len(graphs))
    keys = jax.vmap(jr.PRNGKey)(seeds)
    probs = prob._replace(mixing=mix_all, pi=jnp.full((k, n), 1.0 / n, jnp.float32))
    axes = jax.tree.map(lambda _: None, prob)._replace(mixing=0, pi=0)
    names, listener = _compiles()
    t0 = time.perf_counter()
    states, traces = sweep(config, probs, keys, axes=axes, batch_size=batch_size)
    jax.block_until_ready(states.params)
    wall = time.perf_counter() - t0
    jax.monitoring.unregister_event_duration_listener(listener)
    sweep_compiles = [nm for nm in names if "_engine_sweep" in nm]
    xi = np.asarray(traces["consensus_distance"])[:, -1].reshape(n_seeds, len(graphs))
    return {
        "configurations": k,
        "seeds": n_seeds,
        "graphs": ["ring", "torus 4x4", "star", "erdos_renyi(avg_degree=4)"],
        "per_config": {
            "n_clients": n,
            "d": 16,
            "c": 4,
            "batch": 16,
            "local_steps": 2,
            "rounds": 10,
        },
        "batch_size": batch_size,
        "wall_s_incl_compile": wall,
        "compiles_of_sweep_function": len(sweep_compiles),
        "final_consensus_distance_mean_per_graph": xi.mean(0).tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="40-configuration sweep only")
    args = ap.parse_args()
    res = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "load_average_at_start": list(os.getloadavg()),
        },
    }
    res["engine_vs_loop"] = bench_engine_vs_loop(args.repeats)
    res["sweep"] = bench_sweep(10 if args.quick else 250, 40 if args.quick else 100)
    res["machine"]["load_average_at_end"] = list(os.getloadavg())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    ev, sw = res["engine_vs_loop"], res["sweep"]
    print(f"{'measure':44s} value")
    print(f"{'vmapped engine, 20 rounds (best, s)':44s} {ev['engine_s_best']:.3f}")
    print(f"{'Python loop over clients (best, s)':44s} {ev['loop_s_best']:.3f}")
    print(
        f"{'speedup (best / median)':44s} {ev['speedup_best']:.1f}x / {ev['speedup_median']:.1f}x"
    )
    print(f"{'naive Python loop (best, s)':44s} {ev['naive_loop_s_best']:.3f}")
    print(f"{'speedup vs naive loop (best)':44s} {ev['speedup_vs_naive_loop_best']:.1f}x")
    print(f"{'max |engine - loop|':44s} {ev['max_abs_diff_engine_vs_loop']:.2e}")
    print(f"{'sweep configurations':44s} {sw['configurations']}")
    print(f"{'sweep wall time incl. compile (s)':44s} {sw['wall_s_incl_compile']:.1f}")
    print(f"{'sweep compilations':44s} {sw['compiles_of_sweep_function']}")
    print(
        f"{'load average start / end':44s} {res['machine']['load_average_at_start'][0]:.2f}"
        f" / {res['machine']['load_average_at_end'][0]:.2f}"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
