"""What the engine's spectral norms cost: R_t = max_i ‖W_i‖₂ (``spectral_norm_max``), one of the
nine metrics the engine records every round, at the quick setting of ``dssl bench``.

``sims.engine_metrics._spectral_norm`` squares each client's c×c Gram matrix 12 times and
rescales the iterate by a power of two every ``squarings_between_rescalings(c)`` squarings (4
at c = 16). This script times, on the models of N clients:

* the norms alone (jitted, vmapped over the clients): as the engine computed them before
  2026-11-24 09:00 UTC (the iterate divided by its largest entry after every squaring:
  :func:`divided_every_squaring`), rescaled by a power of two after every squaring
  (``every=1``) and at the default interval, and a batched ``eigvalsh`` for comparison, at the
  quick setting (N = 100, c = 16, d = 64) and the efficiency cell (N = 100, c = 64, d = 512);
* the whole engine at the quick setting with each of the three forms, the engine recording
  only the losses (``metrics="loss"``) and stacked NumPy beside it, the implementations in
  turn (``sims.bench.best_interleaved``).

For the engines with the other forms the module's ``_spectral_norm`` is replaced before that
engine is traced (the engine looks it up when it traces a round).

Usage: ``python benchmarks/bench_spectral_norm.py [--repeats 15]``; writes
``benchmarks/results/spectral_norm.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import functools
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sims.engine_metrics as em  # noqa: E402
from sims.bench import (  # noqa: E402
    QUICK,
    _numpy_runner,
    _problem,
    bench_config,
    best_interleaved,
    script_record,
)
from sims.config import key_tree  # noqa: E402
from sims.engine import make_engine  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "spectral_norm.json"
CELLS = {"quick": (100, 16, 64), "efficiency": (100, 64, 512)}


def divided_every_squaring(W):
    """The engine's norm before 2026-11-24 09:00 UTC: the same 12 squarings and Rayleigh
    quotient, the iterate divided by its largest entry after each squaring (a reduction and a
    division per squaring, each division rounding)."""
    G = W @ W.T
    tiny = jnp.finfo(G.dtype).tiny
    P = G / jnp.maximum(jnp.max(jnp.abs(G)), tiny)
    for _ in range(em._SQUARINGS):
        P = P @ P
        P = P / jnp.maximum(jnp.max(jnp.abs(P)), tiny)
    col = P[:, jnp.argmax(jnp.sum(P * P, axis=0))]
    lam = (col @ G @ col) / jnp.maximum(col @ col, tiny)
    return jnp.sqrt(jnp.maximum(lam, 0.0))


def _max_of(norm):
    return jax.jit(lambda W: jnp.max(jax.vmap(norm)(W)))


def _max_norm(every: int | None):
    return _max_of(lambda w: em._spectral_norm(w, every))


def _eigvalsh_norm(W):
    G = jnp.einsum("ncd,nkd->nck", W, W)
    return jnp.sqrt(jnp.max(jnp.linalg.eigvalsh(G)[:, -1]))


def norms_alone(repeats: int) -> dict:
    """Microseconds per call (best of ``repeats``, in turn) of the norms of N clients' models."""
    out = {}
    for cell, (n, c, d) in CELLS.items():
        W = 0.1 * jax.random.normal(jax.random.key(0), (n, c, d), jnp.float32)
        fns = {
            "divided_every_squaring": _max_of(divided_every_squaring),
            "every_squaring": _max_norm(1),
            f"every_{em.squarings_between_rescalings(c)}": _max_norm(None),
            "eigvalsh": jax.jit(_eigvalsh_norm),
        }
        want = float(np.max(np.linalg.norm(np.asarray(W, np.float64), 2, axis=(1, 2))))
        values = {k: float(f(W)) for k, f in fns.items()}
        best = best_interleaved(
            {k: ((lambda f=f, W=W: jax.block_until_ready(f(W))), repeats) for k, f in fns.items()}
        )
        out[cell] = {
            "n_clients": n, "c": c, "d": d,
            "us_per_call": {k: 1e6 * t for k, t in best.items()},
            "relative_error_vs_numpy": {k: abs(v - want) / want for k, v in values.items()},
        }  # fmt: skip
    return out


def engine_rows(repeats: int) -> dict:
    """Seconds (best of ``repeats``, in turn) of the quick setting's 20 rounds: the engine with
    the norms divided or rescaled after every squaring, at the default interval, recording
    only the losses, and stacked NumPy; and the largest difference of R_t from the default
    of the other two forms."""
    config = bench_config(**QUICK)
    problem = _problem(config)
    root = key_tree(0)["root"]
    runs, traces = {}, {}

    def add(name, engine):
        traces[name] = engine.run(problem, key=root)[1]

        def run():
            return jax.block_until_ready(engine.run(problem, key=root)[0].params)

        runs[name] = (run, repeats)

    default = em._spectral_norm
    others = {
        "engine_divided_every_squaring": divided_every_squaring,
        "engine_rescaled_every_squaring": functools.partial(default, every=1),
    }
    for name, norm in others.items():
        em._spectral_norm = norm
        try:
            add(name, make_engine(config))
        finally:
            em._spectral_norm = default
    add("engine", make_engine(config))
    add("engine_loss_only", make_engine(replace(config, metrics="loss")))
    params0 = np.asarray(make_engine(config).init(problem, key=root).params)
    numpy_run = _numpy_runner(config, problem)
    numpy_run(params0, 0)
    runs["numpy"] = (lambda: numpy_run(params0, 0), repeats)
    best = best_interleaved(runs)
    a = np.asarray(traces["engine"]["spectral_norm_max"], np.float64)

    def diff(name):
        b = np.asarray(traces[name]["spectral_norm_max"], np.float64)
        return float(np.max(np.abs(a - b) / a))

    return {
        "seconds": best,
        "speedup_vs_numpy": {k: best["numpy"] / t for k, t in best.items() if k != "numpy"},
        "max_relative_difference_of_R_t_from_engine": {k: diff(k) for k in others},
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    load_before = list(os.getloadavg())
    res = {
        "norms_alone": norms_alone(args.repeats),
        "quick_setting_20_rounds": engine_rows(args.repeats),
        "timing": f"best of {args.repeats}, the variants in turn (sims.bench.best_interleaved)",
    }
    res = script_record(res, load_before, args.out)
    for cell, r in res["norms_alone"].items():
        print(f"{cell} (N={r['n_clients']}, c={r['c']}, d={r['d']}): µs per call of the norms")
        for k, t in r["us_per_call"].items():
            print(f"  {k:24s} {t:8.0f}   rel. error vs numpy {r['relative_error_vs_numpy'][k]:.1e}")
    q = res["quick_setting_20_rounds"]
    print("quick setting, 20 rounds: seconds")
    for k, t in q["seconds"].items():
        print(f"  {k:30s} {t:.4f}")
    for k, x in q["speedup_vs_numpy"].items():
        print(f"  {k:30s} {x:.2f}x numpy")
    for k, x in q["max_relative_difference_of_R_t_from_engine"].items():
        print(f"  R_t of {k}: at most {x:.1e} (relative) from the engine's")
    return res


if __name__ == "__main__":
    main()
