"""Track D benchmark: the vmapped nonlinear engine against a Python loop over clients.

Setting (issue 14): 20 clients, the small patch ViT (width 64, 2 blocks, 4 heads; 8×8 digits in
2×2 patches = 16 tokens) or the MLP, MAE with mask ratio 0.75, batch 64, 5 local steps, FedAvg
with all clients, float32, CPU. Three or four paths, measured in the same run:

* ``engine``: ``sims.run`` (one jitted ``lax.scan`` over rounds of a ``vmap`` over clients);
* ``engine_chunk1``: the same engine with ``chunk=1`` (``lax.map`` over clients inside the one
  jit: no batched dots, no Python between clients);
* ``loop``: the same jitted single-client update (``sims.trackd.train.client_update``) called
  for each client from Python, results averaged;
* ``engine_sharded`` (where there are several devices and they divide the clients): the engine
  with its clients split over the devices (``mesh=``), each device training its clients one
  at a time (``chunk=1``). On a CPU the script asks XLA for one device per core; the other
  paths run on the first device, as with one. Measured on 2 cores: pinned to one core, the
  loop ran no slower than on two (393 against 426 ms per round); sharded, ``chunk=1`` took
  241 ms per round against 317 ms with each device's clients in one ``vmap``.

Compile time is excluded (each path runs once before timing; best of ``repeats``); the final
parameters of the engine and the loop are compared. The loop's achieved FLOP/s (XLA's cost
analysis of one local step, forward and backward, times the steps) is set against a float32
matmul peak measured in the same run (:func:`timing.matmul_peak`): a speed-up of the
engine over the loop is bounded by how far below that peak the loop runs.

Usage: ``python benchmarks/bench_trackd.py [--rounds 2] [--repeats 2] [--clients 20]
[--arch vit|mlp] [--out FILE]``; writes ``benchmarks/results/trackd.json`` (ViT) or
``trackd_mlp.json`` (MLP) and prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# one CPU device per core, for the ``engine_sharded`` path (the others run on the first)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sims.core.environ import request_host_devices  # noqa: E402

request_host_devices()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
from timing import _best, machine, matmul_peak  # noqa: E402

from sims.trackd import data as tdata  # noqa: E402
from sims.trackd import train as tt  # noqa: E402
from sims.trackd.losses import LossConfig  # noqa: E402
from sims.trackd.models import NetConfig, init_params  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _setup(n_clients: int, rounds: int, arch: str = "vit"):
    images = tdata.load_images("digits", key=jr.key(0))
    xs, _, _ = tdata.split_clients(images, n_clients, "iid", key=jr.key(1))
    data = tt.tile_clients(xs, 256, key=jr.key(2))
    nc = NetConfig(arch=arch, head="decoder", n_patches=16, patch_dim=4, width=64, depth=2, heads=4)
    lc = LossConfig("mae", patch=2)
    tc = tt.TrainConfig(rounds=rounds, local_steps=5, batch_size=64, lr=1e-3)
    return nc, lc, tc, data


def _engine(nc, lc, tc, data, key, chunk=None, mesh=None):
    res = tt.train(nc, lc, tc, data, mixing="fedavg", key=key, chunk=chunk, mesh=mesh)
    jax.block_until_ready(res.global_params)
    return res.global_params


def _loop(nc, lc, tc, data, key):
    params = init_params(nc, key=jr.fold_in(key, 0))
    ek = jr.fold_in(key, 1)
    n = data.shape[0]
    xs = [jnp.asarray(data[i]) for i in range(n)]
    for t in range(tc.rounds):
        local = [tt.client_update(nc, lc, tc, params, xs[i], key=ek, t=t, i=i)[0] for i in range(n)]
        params = jax.tree.map(lambda *a: sum(a[1:], a[0]) / n, *local)
    jax.block_until_ready(params)
    return params


def _timed(fn, repeats: int) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    return first, _best(fn, repeats), out


def _rel_distance(a, b) -> float:
    # relative Frobenius distance over all parameters (float32; Adam turns rounding-level
    # gradient differences of near-zero entries into O(lr) steps, so per-leaf maxima mislead)
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    num = sum(float(jnp.sum((x - y) ** 2)) for x, y in zip(la, lb, strict=True))
    return (num / sum(float(jnp.sum(y**2)) for y in lb)) ** 0.5


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--arch", default="vit", choices=("vit", "mlp"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    out_path = Path(
        args.out or RESULTS / ("trackd.json" if args.arch == "vit" else "trackd_mlp.json")
    )
    nc, lc, tc, data = _setup(args.clients, args.rounds, args.arch)
    key = jr.key(3)
    load_before = os.getloadavg()
    peak_before = matmul_peak()
    paths = {
        "engine": lambda: _engine(nc, lc, tc, data, key),
        "engine_chunk1": lambda: _engine(nc, lc, tc, data, key, chunk=1),
        "loop": lambda: _loop(nc, lc, tc, data, key),
    }
    if jax.device_count() > 1 and args.clients % jax.device_count() == 0:
        from sims.core.sharding import client_mesh

        paths["engine_sharded"] = lambda: _engine(
            nc, lc, tc, data, key, chunk=1, mesh=client_mesh()
        )
    first, best, params = {}, {}, {}
    for name, fn in paths.items():
        first[name], best[name], params[name] = _timed(fn, args.repeats)
    peak = max(peak_before, matmul_peak())
    load_after = os.getloadavg()
    step = tt.local_step_flops(nc, lc, data[0, : tc.batch_size])
    flops_round = step * tc.local_steps * args.clients
    per_round = {k: s / tc.rounds for k, s in best.items()}
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
        "s_per_round": per_round,
        "first_call_s": first,
        "speedup_engine_vs_loop": best["loop"] / best["engine"],
        "speedup_chunk1_vs_loop": best["loop"] / best["engine_chunk1"],
        **(
            {
                "sharded_devices": jax.device_count(),
                "speedup_sharded_vs_loop": best["loop"] / best["engine_sharded"],
                "rel_param_distance_sharded_engine": _rel_distance(
                    params["engine_sharded"], params["engine"]
                ),
            }
            if "engine_sharded" in best
            else {}
        ),
        "flops_per_round": flops_round,
        "gflops": {k: flops_round / s / 1e9 for k, s in per_round.items()},
        "matmul_peak_gflops": peak / 1e9,
        "loop_fraction_of_peak": flops_round / per_round["loop"] / peak,
        "rel_param_distance_engine_loop": _rel_distance(params["engine"], params["loop"]),
        "loadavg_before": list(load_before),
        "loadavg_after": list(load_after),
        "machine": machine(),
        "gpu": "not run: no GPU was available for this benchmark",
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=1))
    g = out["gflops"]
    print(
        f"trackd {args.arch}: engine {per_round['engine'] * 1e3:.0f} ms/round "
        f"({g['engine']:.1f} GFLOP/s), chunk=1 {per_round['engine_chunk1'] * 1e3:.0f}, loop "
        f"{per_round['loop'] * 1e3:.0f} ({g['loop']:.1f} GFLOP/s; matmul peak "
        f"{peak / 1e9:.1f}); engine/loop speed-up {out['speedup_engine_vs_loop']:.2f}x; "
        + (
            f"sharded over {out['sharded_devices']} devices "
            f"{per_round['engine_sharded'] * 1e3:.0f} ms/round, "
            f"{out['speedup_sharded_vs_loop']:.2f}x the loop; "
            if "engine_sharded" in per_round
            else ""
        )
        + f"load {load_before[0]:.1f} -> {load_after[0]:.1f}, {os.cpu_count()} CPUs"
    )
    return out


if __name__ == "__main__":
    main()
