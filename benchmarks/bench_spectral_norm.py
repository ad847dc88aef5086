"""What the engine's spectral norms cost: R_t = max_i ‖W_i‖₂ (``spectral_norm_max``), one of the
nine metrics the engine records every round, at the quick setting of ``dssl bench``.

``sims.core.recorded._spectral_norm`` squares each client's c×c Gram matrix
``norm_squarings(c)`` times (12 at c = 16), rescales the iterate by a power of two every
``squarings_between_rescalings(c)`` squarings (4 at c = 16) and takes tr(PGP)/tr(PP). Before
2026-11-24 (before commit 97e3f90) it ran 12 squarings, divided the iterate by its largest entry
after each, and took the Rayleigh quotient of one column (:func:`divided_every_squaring`);
that form's documented accuracy did not hold for c > 2 (see the function's docstring). This
script times, on the models of N clients:

* the norms alone (jitted, vmapped over the clients): the earlier form, the current one with
  its iterate rescaled after every squaring (``every=1``) and at the default interval, and a
  batched ``eigvalsh`` for comparison, at the quick setting (N = 100, c = 16, d = 64) and the
  efficiency cell (N = 100, c = 64, d = 512); and the current form at the quick setting's
  shapes for N = 100, 500 and 2000 clients in one call (microseconds per client);
* the relative error in ‖W‖ of the earlier and the current form on two spectra that are hard
  for them (:func:`accuracy_cases`, float64);
* the whole engine at the quick setting with each of the three forms, the engine recording
  only the losses (``metrics="loss"``) and stacked NumPy beside it, the implementations in
  turn (``timing.best_interleaved``).

For the engines with the other forms the module's ``_spectral_norm`` is replaced before that
engine is traced (the engine looks it up when it traces a round).

Usage: ``python benchmarks/bench_spectral_norm.py [--repeats 15]``; writes
``benchmarks/results/spectral_norm.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.special  # noqa: E402
from baselines import _numpy_runner  # noqa: E402
from timing import (  # noqa: E402
    QUICK,
    _problem,
    bench_config,
    best_interleaved,
    script_record,
)

import sims.core.recorded as em  # noqa: E402
from sims.core.config import key_tree  # noqa: E402
from sims.core.engine import make_engine  # noqa: E402
from theory._precision import x64  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "spectral_norm.json"
CELLS = {"quick": (100, 16, 64), "efficiency": (100, 64, 512)}
PER_CLIENT_SIZES = (100, 500, 2000)


def divided_every_squaring(W):
    """The engine's norm before 2026-11-24 (before commit 97e3f90): 12 squarings, the iterate
    divided by its largest entry after each (a reduction and a rounding division per
    squaring), and the Rayleigh quotient of the largest column of G^4096."""
    G = W @ W.T
    tiny = jnp.finfo(G.dtype).tiny
    P = G / jnp.maximum(jnp.max(jnp.abs(G)), tiny)
    for _ in range(12):
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
            "squarings": {"divided_every_squaring": 12, "current": em.norm_squarings(c)},
            "us_per_call": {k: 1e6 * t for k, t in best.items()},
            "relative_error_vs_numpy": {k: abs(v - want) / want for k, v in values.items()},
        }  # fmt: skip
    return out


def per_client(repeats: int, sizes=PER_CLIENT_SIZES) -> dict:
    """Microseconds per client (best of ``repeats``, in turn) of the current norms at the quick
    setting's shapes, N clients in one call for each N of ``sizes``."""
    _, c, d = CELLS["quick"]
    norm = _max_norm(None)
    Ws = {n: 0.1 * jax.random.normal(jax.random.key(0), (n, c, d), jnp.float32) for n in sizes}
    best = best_interleaved(
        {n: ((lambda W=W: jax.block_until_ready(norm(W))), repeats) for n, W in Ws.items()}
    )
    return {str(n): 1e6 * t / n for n, t in best.items()}


def _matrix(s, d: int, U) -> np.ndarray:
    V, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(d, len(s))))
    return (U * np.asarray(s)) @ V.T


def accuracy_cases(c: int = 16) -> dict:
    """Relative errors in ‖W‖ (float64) of the earlier and the current form on two spectra that
    are hard for them: (a) the current form's worst case, all c − 1 other eigenvalues of G at
    (λ_i/λ_max)^(2m) = e^(−1−W₀((c−1)/e)); (b) the top eigenvector spread over all
    coordinates but one and the second eigenvector on that one, (λ_2/λ_max)^8192 = 1.1/(c − 1)
    (the earlier form picks that coordinate's column). With the proven bounds."""
    w0 = float(scipy.special.lambertw((c - 1) / math.e).real)
    m = 2 ** em.norm_squarings(c)
    rng = np.random.default_rng(0)
    U_rand, _ = np.linalg.qr(rng.normal(size=(c, c)))
    v1 = np.r_[0.0, np.full(c - 1, 1 / math.sqrt(c - 1))]
    U_adv, _ = np.linalg.qr(np.column_stack([v1, np.eye(c)[:, 0], rng.normal(size=(c, c - 2))]))
    r_a = math.exp(-(1 + w0) / (2 * m))
    r_b = (1.1 / (c - 1)) ** (1 / 8192)
    cases = {
        "worst_for_current": _matrix([1.0] + [math.sqrt(r_a)] * (c - 1), c + 4, U_rand),
        "top_vector_off_the_column": _matrix([1.0, math.sqrt(r_b)] + [0.7] * (c - 2), c + 4, U_adv),
    }
    out = {}
    with x64():
        forms = {"divided_every_squaring": divided_every_squaring, "current": em._spectral_norm}
        for name, W in cases.items():
            want = np.linalg.norm(W, 2)
            out[name] = {k: float(1 - f(jnp.asarray(W)) / want) for k, f in forms.items()}
    eps = w0 / (2 * m)
    out["proven_bound_current"] = eps / (2 - eps)
    out["documented_bound_earlier"] = 2.3e-5
    out["c"] = c
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
        "us_per_client_by_n_clients": per_client(args.repeats),
        "relative_error_in_norm": accuracy_cases(),
        "quick_setting_20_rounds": engine_rows(args.repeats),
        "timing": (f"best of {args.repeats}, the variants in turn (timing.best_interleaved)"),
    }
    res = script_record(res, load_before, args.out)
    for cell, r in res["norms_alone"].items():
        print(f"{cell} (N={r['n_clients']}, c={r['c']}, d={r['d']}): µs per call of the norms")
        for k, t in r["us_per_call"].items():
            print(f"  {k:24s} {t:8.0f}   rel. error vs numpy {r['relative_error_vs_numpy'][k]:.1e}")
    acc = res["relative_error_in_norm"]
    print(f"relative error in ‖W‖ at c = {acc['c']} (float64):")
    for case in ("worst_for_current", "top_vector_off_the_column"):
        errs = ", ".join(f"{k} {e:.2e}" for k, e in acc[case].items())
        print(f"  {case:26s} {errs}")
    print(
        f"  bounds: current (proven) {acc['proven_bound_current']:.2e}, earlier (documented) "
        f"{acc['documented_bound_earlier']:.1e}"
    )
    per = ", ".join(f"N={n}: {t:.2f}" for n, t in res["us_per_client_by_n_clients"].items())
    print(f"the norms, µs per client: {per}")
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
