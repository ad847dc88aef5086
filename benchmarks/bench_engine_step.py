"""Where one local step of the engine spends its time, at the quick setting of ``dssl bench``.

The engine's local step (linear MIM, Eq. 4 of arXiv 2607.02447, SGD) on N clients at once is:
gather the client's minibatch, draw its mask (``sims.losses.mask``), form the two views,
compute the loss and its closed-form gradient (``sims.losses.methods.align_value_and_grad``: the
products z = aWᵀ, bWᵀ, WWᵀ, the two gradient products and (WWᵀ)W) and apply the update. This
script times that step (a ``lax.scan`` of ``--steps`` steps over a ``vmap`` of the clients, the
engine's structure) and two parts of it on their own:

* ``no products``: the step with the loss and gradient replaced by elementwise stand-ins of the
  same shapes (gather, mask, views, update);
* ``products only``: the closed-form loss and gradient (and update) on views made once;
* ``masks and views``: the mask drawn from the step's key and the two views formed, on a
  minibatch gathered once (no gather, no products).

XLA fuses each variant in its own way, so the parts need not add up to the step.

``--bound`` also times, in turn in this process, the engine (20 rounds of the quick setting,
DecL ring) and the loop over clients with one jitted client update per call
(``baselines._loop_runner``), and restates the bound on their ratio from the measured
parts: the engine cannot take less than its 100 local steps of (products only + masks and
views), so loop / that is the most it can gain over the loop with these kernels. The products
are counted at the speed XLA reaches on these shapes (32×64 by 64×16 per client, batched over
the clients), not at the peak of a 1024² product, which these shapes do not reach.

Usage: ``python benchmarks/bench_engine_step.py [--steps 100] [--repeats 7] [--bound]``;
writes ``benchmarks/results/engine_step.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402
from timing import QUICK, SAMPLES_PER_CLIENT, _best, matmul_peak, script_record  # noqa: E402

from sims.losses import methods  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "engine_step.json"
P, LR = 0.75, 0.01
VARIANTS = ("step", "no products", "products only", "masks and views")


def product_flops(n: int, b: int, c: int, d: int) -> int:
    """Flops of the products of one step on n clients: 8·B·c·d (two views → embeddings, two
    gradient products) + 4·c²·d (WWᵀ and (WWᵀ)W), as ``timing.round_flops`` counts
    them."""
    return n * (8 * b * c * d + 4 * c * c * d)


def _stand_in(W, a, b):
    """Elementwise work of the shapes of ``align_value_and_grad``'s outputs, no products."""
    return jnp.sum(a * b), W * jnp.sum(a - b)


def make_run(variant: str, n: int, b: int, c: int, d: int, steps: int, seed: int = 0):
    """A jitted ``run(W0) -> (W, losses)``: ``steps`` vmapped local steps of ``variant``."""
    rng = np.random.default_rng(seed)
    m = SAMPLES_PER_CLIENT
    data = jnp.asarray(rng.standard_normal((n * m, d), dtype=np.float32))
    rows = rng.integers(0, m, (steps, n, b)) + (np.arange(n) * m)[None, :, None]
    rows = jnp.asarray(rows, jnp.int32)
    root = jr.key(seed)
    keys = jax.vmap(lambda s: jax.vmap(lambda i: jr.fold_in(jr.fold_in(root, s), i))(
        jnp.arange(n)))(jnp.arange(steps))  # fmt: skip
    views0 = data[rows[0]]

    def one(W, r, key, x0):
        if variant == "products only":
            val, g = methods.align_value_and_grad(W, x0, 0.5 * x0)
            return W - LR * g, val
        if variant == "masks and views":
            a, bv = methods.get("mim").views(x0, methods.Context(p=P), key=key)
            return W, jnp.sum(a) - jnp.sum(bv)
        # the engine's views: the mask drawn from the step's key
        a, bv = methods.get("mim").views(data[r], methods.Context(p=P), key=key)
        fn = _stand_in if variant == "no products" else methods.align_value_and_grad
        val, g = fn(W, a, bv)
        return W - LR * g, val

    def run(W):
        def step(W, inp):
            r, key = inp
            return jax.vmap(one)(W, r, key, views0)

        return jax.lax.scan(step, W, (rows, keys))

    return jax.jit(run)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--bound", action="store_true", help="also time the engine and the client loop"
    )
    args = parser.parse_args(argv)
    n, d, c, b = QUICK["n_clients"], QUICK["d"], QUICK["c"], QUICK["batch"]
    load_before = list(os.getloadavg())
    W0 = 0.1 * jr.normal(jr.key(7), (n, c, d), jnp.float32)
    ms = {}
    for variant in VARIANTS:
        run = make_run(variant, n, b, c, d, args.steps)
        jax.block_until_ready(run(W0))
        best = _best(lambda run=run: jax.block_until_ready(run(W0)), args.repeats)
        ms[variant] = 1e3 * best / args.steps
    peak = matmul_peak()
    flops = product_flops(n, b, c, d)
    step = ms["step"]
    res = {
        "setting": {"n_clients": n, "d": d, "c": c, "batch": b, "steps": args.steps,
                    "method": "mim", "p": P, "optimizer": "sgd", "dtype": "float32"},
        "ms_per_step": ms,
        "products_only_over_step": ms["products only"] / step,
        "step_gflops": flops / (step * 1e-3) / 1e9,
        "products_only_gflops": flops / (ms["products only"] * 1e-3) / 1e9,
        "matmul_peak_gflops": peak / 1e9,
    }  # fmt: skip
    if args.bound:
        res |= restated_bound(ms, args.repeats)
    res = script_record(res, load_before, args.out)
    print(f"N={n}, d={d}, c={c}, B={b}: ms per step of all clients (best of {args.repeats})")
    for variant in VARIANTS:
        print(f"  {variant:14s} {ms[variant]:7.3f}")
    print(
        f"products alone {res['products_only_over_step']:.0%} of the step's time, at "
        f"{res['products_only_gflops']:.0f} GFLOP/s (the step {res['step_gflops']:.0f}); "
        f"float32 matmul peak {res['matmul_peak_gflops']:.0f} GFLOP/s"
    )
    if args.bound:
        print(
            f"engine {res['engine_seconds']:.3f} s, loop {res['loop_seconds']:.3f} s: "
            f"{res['engine_vs_loop']:.2f}x the loop; floor {res['floor_seconds']:.3f} s "
            f"(100 steps of products only + masks and views) -> bound "
            f"{res['bound_vs_loop']:.2f}x; the engine at {res['engine_over_bound']:.0%} of it"
        )
    return res


def restated_bound(ms: dict, repeats: int) -> dict:
    """The engine and the client loop at the quick setting, timed in turn, and the bound on
    their ratio: the loop's time over ``rounds × local_steps`` steps of (products only + masks
    and views), the work no organisation of the round can avoid with these kernels."""
    from baselines import _loop_runner, starting_params
    from timing import (
        _problem,
        bench_config,
        best_interleaved,
    )

    from sims.core.config import key_tree
    from sims.core.engine import make_engine

    config = bench_config(**QUICK)
    problem = _problem(config)
    root = key_tree(0)["root"]
    engine = make_engine(config)
    params0 = starting_params(engine, config, problem, root)
    loop = _loop_runner(config, problem)

    def run_engine():
        return jax.block_until_ready(engine.run(problem, key=root)[0].params)

    def run_loop():
        return loop(params0, root)

    diff = float(np.max(np.abs(np.asarray(run_engine()) - np.asarray(run_loop()))))
    best = best_interleaved({"engine": (run_engine, repeats), "loop": (run_loop, repeats)})
    steps = config.rounds * config.local_steps
    floor = steps * (ms["products only"] + ms["masks and views"]) * 1e-3
    return {
        "engine_seconds": best["engine"],
        "loop_seconds": best["loop"],
        "max_abs_diff_engine_vs_loop": diff,
        "engine_vs_loop": best["loop"] / best["engine"],
        "floor_seconds": floor,
        "bound_vs_loop": best["loop"] / floor,
        "engine_over_bound": (best["loop"] / best["engine"]) / (best["loop"] / floor),
    }


if __name__ == "__main__":
    main()
