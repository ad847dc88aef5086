"""Benchmark: λ, spectral gap and stationary π for a batch of 1000 graphs with n = 100.

Graphs: the official code's generator (``paper_code``, nominal degree 10) with the paper's
uniform mixing rule. Times the jitted, batched :func:`theory.spectral.lambda_gap_pi` (one
stationary solve and one SVD per matrix), the three separate calls, and the full
:func:`theory.spectral.summary`. Reports compile time and the median of several runs after
compilation. Writes ``benchmarks/results/spectral.json``.

Run: ``.venv/bin/python benchmarks/bench_spectral.py [--batch 1000] [--n 100] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import jax
import numpy as np

from sims.files import write_text  # noqa: E402 - the one writer
from theory import spectral, topology

RESULTS = Path(__file__).resolve().parent / "results" / "spectral.json"


def _time(fn, arg, repeats):
    t0 = time.perf_counter()
    jax.block_until_ready(fn(arg))
    first = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(arg))
        runs.append(time.perf_counter() - t0)
    return {
        "first_call_s": first,
        "median_s": statistics.median(runs),
        "min_s": min(runs),
        "max_s": max(runs),
        "runs_s": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--degree", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    mats = np.stack(
        [
            topology.mixing_matrix("uniform", topology.paper_code(args.n, args.degree, seed=rng))
            for _ in range(args.batch)
        ]
    )
    build_s = time.perf_counter() - t0
    ws = jax.device_put(mats)

    def separate(w):
        return spectral.contraction(w), spectral.spectral_gap(w), spectral.stationary_weights(w)

    timings = {
        "lambda_gap_pi": _time(spectral.lambda_gap_pi, ws, args.repeats),
        "separate_calls": _time(separate, ws, args.repeats),
        "summary": _time(lambda w: spectral.summary(w, gamma=0.9), ws, max(1, args.repeats // 2)),
    }
    lam, gap, pi = spectral.lambda_gap_pi(ws)
    result = {
        "batch": args.batch,
        "n": args.n,
        "graph": f"paper_code(avg_degree={args.degree}) + uniform mixing",
        "build_graphs_s": build_s,
        "timings": timings,
        "target_s": 1.0,
        "meets_target": timings["lambda_gap_pi"]["median_s"] < 1.0,
        "lambda_mean": float(np.mean(lam)),
        "gap_mean": float(np.mean(gap)),
        "pi_sum_max_error": float(np.max(np.abs(np.sum(pi, axis=1) - 1))),
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1_5_15": list(os.getloadavg()),
            "platform": platform.platform(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(result, indent=1))
    print(f"batch {args.batch} x n {args.n} (load avg {os.getloadavg()[0]:.1f})")
    print(f"{'function':<16}{'compile+1st (s)':>16}{'median (s)':>12}{'min (s)':>10}")
    for name, t in timings.items():
        print(f"{name:<16}{t['first_call_s']:>16.3f}{t['median_s']:>12.3f}{t['min_s']:>10.3f}")
    print(f"target < 1 s for lambda_gap_pi: {'met' if result['meets_target'] else 'NOT met'}")


if __name__ == "__main__":
    main()
