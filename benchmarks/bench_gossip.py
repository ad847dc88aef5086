"""What one gossip mix costs, dense W against neighbour lists (``sims.core.mixing``): the time
of θ_i ← Σ_j W_ij θ_j on N client models of c × d float32 entries (c = 16, d = 64), jitted,
for N = 10³, 10⁴, 10⁵:

* ``dense``: :class:`sims.core.mixing.Gossip` with the (N, N) float32 W of the static
  exponential graph (2·N²·c·d flops); skipped where W's 4·N² bytes exceed
  :data:`DENSE_MAX_BYTES` (2 GB: N = 10⁵ would need 40 GB);
* ``sparse_static_exp``: :class:`sims.core.mixing.SparseGossip`, the same W as neighbour lists
  (k = τ + 1 = ⌈log₂ N⌉ + 1 entries per row, 2·N·k·c·d flops);
* ``sparse_one_peer``: one round of the one-peer exponential graph (k = 2), the rule a DecL
  run at N = 10⁵ uses.

The sparse and dense results are compared (max absolute difference, float32). Each time is the
best of ``--repeats`` calls, the implementations of one N in turn
(:func:`timing.best_interleaved`). The result names the CPU model and the load
average before and after: the machine the numbers were measured on.

Usage: ``python benchmarks/bench_gossip.py [--repeats 5] [--out PATH]``; writes
``benchmarks/results/gossip.json`` (through :mod:`sims.files`) and prints a table.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from timing import best_interleaved, script_record  # noqa: E402

from sims.core import mixing as mx  # noqa: E402
from sims.reproduce.pipeline.machine import cpu_name  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "gossip.json"
SIZES = (1_000, 10_000, 100_000)
C, D = 16, 64
#: the largest dense float32 W timed (bytes)
DENSE_MAX_BYTES = 2 * 10**9


def _rules(n: int) -> dict:
    """The rules timed at N, as jnp float32 pytrees (the dense one only below the cap)."""
    static = mx.static_exponential(n)
    out = {
        "sparse_static_exp": static,
        "sparse_one_peer": mx.one_peer_exponential(n).at_round(None, 0),
    }
    if 4 * n * n <= DENSE_MAX_BYTES:
        out["dense"] = mx.Gossip(mx.round_matrix(static, n))
    cast = {
        k: jax.tree.map(
            lambda a: jnp.asarray(a, jnp.float32) if np.asarray(a).dtype.kind == "f" else a, r
        )
        for k, r in out.items()
    }
    return cast


def one_size(n: int, repeats: int) -> dict:
    """Seconds per mix of each rule at N (best of ``repeats``), and the sparse-dense gap."""
    theta = jax.random.normal(jax.random.key(0), (n, C, D), jnp.float32)
    rules = _rules(n)
    mix = jax.jit(lambda rule, x: rule.mix(x, None, None)[0])
    outs = {k: jax.block_until_ready(mix(r, theta)) for k, r in rules.items()}  # compile
    reps = {k: (repeats if k != "dense" or n <= 1_000 else max(2, repeats // 2)) for k in rules}
    best = best_interleaved(
        {k: ((lambda r=r: jax.block_until_ready(mix(r, theta))), reps[k]) for k, r in rules.items()}
    )
    res = {
        "n_clients": n,
        "k_static_exp": int(rules["sparse_static_exp"].index.shape[1]),
        "seconds_per_mix": best,
        "flops": {
            "dense": 2 * n * n * C * D,
            "sparse_static_exp": 2 * n * int(rules["sparse_static_exp"].index.shape[1]) * C * D,
            "sparse_one_peer": 2 * n * 2 * C * D,
        },
        "dense_skipped": "dense" not in rules,
    }
    if "dense" in outs:
        res["max_abs_difference_sparse_vs_dense"] = float(
            jnp.max(jnp.abs(outs["dense"] - outs["sparse_static_exp"]))
        )
        res["speedup_sparse_vs_dense"] = best["dense"] / best["sparse_static_exp"]
    return res


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=SIZES)
    args = p.parse_args(argv)
    load_before = list(os.getloadavg())
    res = {
        "what": "seconds per gossip mix of N models (c, d) float32, jitted, best of repeats",
        "c": C,
        "d": D,
        "dtype": "float32",
        "repeats": args.repeats,
        "cpu_model": cpu_name(),
        "dense_max_bytes": DENSE_MAX_BYTES,
        "sizes": [one_size(n, args.repeats) for n in args.sizes],
    }
    res = script_record(res, load_before, args.out)
    print(f"CPU: {res['cpu_model']} ({os.cpu_count()} logical CPUs); load average before "
          f"{load_before}, after {res['loadavg_after']}")  # fmt: skip
    print(f"{'N':>8} {'k':>3} {'dense ms':>10} {'sparse ms':>10} {'one-peer ms':>12} {'diff':>9}")
    for r in res["sizes"]:
        t = r["seconds_per_mix"]
        dense = f"{1e3 * t['dense']:10.2f}" if "dense" in t else f"{'skipped':>10}"
        diff = r.get("max_abs_difference_sparse_vs_dense")
        print(
            f"{r['n_clients']:>8} {r['k_static_exp']:>3} {dense} "
            f"{1e3 * t['sparse_static_exp']:10.2f} {1e3 * t['sparse_one_peer']:12.2f} "
            f"{'' if diff is None else f'{diff:9.1e}'}"
        )
    return res


if __name__ == "__main__":
    main()
