"""Track D benchmark: the vmapped nonlinear engine against a Python loop over clients.

Setting (issue 14): 20 clients, the small patch ViT (width 64, 2 blocks, 4 heads; 8×8 digits in
2×2 patches = 16 tokens), MAE with mask ratio 0.75, batch 64, 5 local steps, FedAvg with all
clients, float32, CPU. The engine is ``sims.api.run`` (one jitted ``lax.scan`` over rounds of a
``vmap`` over clients); the loop calls the same jitted single-client update
(``sims.trackd.train.client_update``) for each client in Python and averages the results.
Compile time is excluded (each path is run once before timing); the final parameters of the
two paths are compared.

Usage: ``python benchmarks/bench_trackd.py [--rounds 3] [--repeats 3] [--clients 20]
[--arch vit|mlp]``;
writes ``benchmarks/results/trackd.json`` and prints one summary line.
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

from sims.trackd import data as tdata  # noqa: E402
from sims.trackd.losses import LossConfig  # noqa: E402
from sims.trackd.models import NetConfig, init_params  # noqa: E402
from sims.trackd.train import TrainConfig, client_update, tile_clients, train  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "trackd.json"


def _setup(n_clients: int, rounds: int, arch: str = "vit"):
    images = tdata.load_images("digits", key=jr.key(0))
    xs, _, _ = tdata.split_clients(images, n_clients, "iid", key=jr.key(1))
    data = tile_clients(xs, 256, key=jr.key(2))
    nc = NetConfig(arch=arch, head="mae", n_patches=16, patch_dim=4, width=64, depth=2, heads=4)
    lc = LossConfig("mae", patch=2)
    tc = TrainConfig(rounds=rounds, local_steps=5, batch_size=64, lr=1e-3)
    return nc, lc, tc, data


def _engine(nc, lc, tc, data, key):
    res = train(nc, lc, tc, data, mixing="fedavg", key=key)
    jax.block_until_ready(res.global_params)
    return res.global_params


def _loop(nc, lc, tc, data, key):
    params = init_params(nc, key=jr.fold_in(key, 0))
    ek = jr.fold_in(key, 1)
    n = data.shape[0]
    xs = [jnp.asarray(data[i]) for i in range(n)]
    for t in range(tc.rounds):
        local = [client_update(nc, lc, tc, params, xs[i], key=ek, t=t, i=i)[0] for i in range(n)]
        params = jax.tree.map(lambda *a: sum(a[1:], a[0]) / n, *local)
    jax.block_until_ready(params)
    return params


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--arch", default="vit", choices=("vit", "mlp"))
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    nc, lc, tc, data = _setup(args.clients, args.rounds, args.arch)
    key = jr.key(3)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    p_engine = _engine(nc, lc, tc, data, key)
    engine_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    p_loop = _loop(nc, lc, tc, data, key)
    loop_first = time.perf_counter() - t0
    engine_s = _best(lambda: _engine(nc, lc, tc, data, key), args.repeats)
    loop_s = _best(lambda: _loop(nc, lc, tc, data, key), args.repeats)
    load_after = os.getloadavg()
    # relative Frobenius distance over all parameters (float32; Adam turns rounding-level
    # gradient differences of near-zero entries into O(lr) steps, so per-leaf maxima mislead)
    num = sum(
        float(jnp.sum((a - b) ** 2))
        for a, b in zip(jax.tree.leaves(p_engine), jax.tree.leaves(p_loop), strict=True)
    )
    den = sum(float(jnp.sum(b**2)) for b in jax.tree.leaves(p_loop))
    diff = (num / den) ** 0.5
    out = {
        "setting": {
            "clients": args.clients,
            "model": (
                "ViT width 64, 2 blocks, 4 heads, 16 tokens of 4 pixels (8x8 digits)"
                if args.arch == "vit"
                else "MLP 64-64-32 on 8x8 digits"
            ),
            "objective": "MAE, mask ratio 0.75",
            "batch_size": tc.batch_size,
            "local_steps": tc.local_steps,
            "rounds": tc.rounds,
            "dtype": "float32",
            "mixing": "fedavg, all clients",
        },
        "engine_s_per_round": engine_s / tc.rounds,
        "loop_s_per_round": loop_s / tc.rounds,
        "speedup": loop_s / engine_s,
        "engine_first_call_s": engine_first,
        "loop_first_call_s": loop_first,
        "rel_param_distance": diff,
        "loadavg_before": list(load_before),
        "loadavg_after": list(load_after),
        "cpu_count": os.cpu_count(),
        "device": str(jax.devices()[0]),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "gpu": "not run: no GPU was available for this benchmark",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(
        f"trackd engine {out['engine_s_per_round'] * 1e3:.1f} ms/round, loop "
        f"{out['loop_s_per_round'] * 1e3:.1f} ms/round, speed-up {out['speedup']:.1f}x "
        f"(relative parameter distance {diff:.1e}; "
        f"load {load_before[0]:.1f} -> {load_after[0]:.1f}, "
        f"{os.cpu_count()} CPUs)"
    )
    return out


if __name__ == "__main__":
    main()
