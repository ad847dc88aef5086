"""Engine benchmark: the vmapped FL/DecL engine against a Python loop over clients.

The engine-vs-loop comparison is ``timing.compare`` (N = 100 clients, d = 64, c = 16,
batch 32, 5 local steps, 20 rounds, CPU): the engine against a Python loop over clients calling a
jitted single-client update, a loop over clients and local steps, and plain NumPy; compile time
excluded, final parameters checked equal. Also: a 1000-configuration sweep
(250 seeds × 4 graphs: ring, torus, star, Erdős–Rényi; N = 16, d = 16, c = 4, 10 rounds) run
through ``sims.core.engine.sweep`` with ``lax.map(batch_size=...)`` and its compile count.

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

from timing import compare  # noqa: E402

from sims.core.engine import sweep  # noqa: E402
from sims.core.problem import make_problem  # noqa: E402
from sims.files import write_text  # noqa: E402 - the one writer
from sims.trackc.engine_config import EngineConfig  # noqa: E402
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
    t0 = time.perf_counter()
    states, traces = sweep(config, probs, keys, axes=axes, batch_size=batch_size)
    jax.block_until_ready(states.params)
    again = time.perf_counter() - t0
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
        "wall_s_after_compile": again,
        "configurations_per_second": k / again,
        "load_average": list(os.getloadavg()),
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
    res["engine_vs_loop"] = compare(repeats=args.repeats)
    res["sweep"] = bench_sweep(10 if args.quick else 250, 40 if args.quick else 100)
    res["machine"]["load_average_at_end"] = list(os.getloadavg())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_text(OUT, json.dumps(res, indent=2) + "\n")
    ev, sw = res["engine_vs_loop"], res["sweep"]
    print(f"{'measure':44s} value")
    print(f"{'vmapped engine, 20 rounds (best, s)':44s} {ev['engine_seconds']:.3f}")
    print(f"{'Python loop over clients (best, s)':44s} {ev['loop_seconds']:.3f}")
    print(f"{'speedup vs loop over clients':44s} {ev['speedup_vs_loop']:.1f}x")
    print(f"{'loop over clients and steps (best, s)':44s} {ev['per_step_loop_seconds']:.3f}")
    print(f"{'speedup vs loop over clients and steps':44s} {ev['speedup_vs_per_step_loop']:.1f}x")
    print(f"{'speedup vs numpy':44s} {ev['speedup_vs_numpy']:.1f}x")
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
