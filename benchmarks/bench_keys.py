"""What the round's key derivations cost: :mod:`sims.keys` (Threefry written out) against
``jax.random`` (Threefry as JAX lowers it on the CPU: a loop over its five blocks of rounds),
in the engine at the quick setting of ``dssl bench``.

Both give the same bits (``tests/test_keys.py``), so both engines train the same models; this
script checks that (largest difference of the final parameters, expected 0) and times:

* the engine with its default metrics and recording only the losses (``metrics="loss"``), each
  built once with :mod:`sims.keys` and once with ``jax.random`` in its place (the functions of
  :mod:`sims.keys` are replaced before that engine is traced), MIM and CL (the CL views draw
  two keys per step), and stacked NumPy beside them, all in turn
  (``timing.best_interleaved``; best and median of ``--repeats`` timed calls);
* the time of each engine's first call (tracing, compiling and one run).

Usage: ``python benchmarks/bench_keys.py [--repeats 15]``; writes
``benchmarks/results/keys.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402
from baselines import _numpy_runner  # noqa: E402
from timing import (  # noqa: E402
    QUICK,
    _problem,
    bench_config,
    interleaved_times,
    script_record,
)

import sims.keys  # noqa: E402
from sims.core.client import initial_params  # noqa: E402
from sims.core.config import key_tree  # noqa: E402
from sims.core.engine import make_engine  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "keys.json"

#: jax.random in the place of each function of sims.keys
JAX_RANDOM = {
    "fold_in": jr.fold_in,
    "split": lambda key: tuple(jr.split(key)),
    "randint": lambda key, n, maxval: jr.randint(key, (n,), 0, maxval, dtype=jnp.int32),
}


@contextmanager
def jax_random_keys():
    """sims.keys's functions replaced by jax.random's while an engine is traced."""
    saved = {name: getattr(sims.keys, name) for name in JAX_RANDOM}
    try:
        for name, fn in JAX_RANDOM.items():
            setattr(sims.keys, name, fn)
        yield
    finally:
        for name, fn in saved.items():
            setattr(sims.keys, name, fn)


def _engine(config, problem, root, written_out: bool):
    """A function running the engine once (traced with the chosen keys), its final parameters,
    and the seconds of its first call."""
    engine = make_engine(config)

    def run():
        return jax.block_until_ready(engine.run(problem, key=root)[0].params)

    t0 = time.perf_counter()
    if written_out:
        out = run()
    else:
        with jax_random_keys():
            out = run()
    return run, np.asarray(out), time.perf_counter() - t0


def _interleaved(runs: dict, repeats: int) -> dict:
    """Best and median seconds of each run, in turn, each timed call after an untimed one."""
    times = interleaved_times({name: (fn, repeats) for name, fn in runs.items()})
    return {name: {"best": min(t), "median": statistics.median(t)} for name, t in times.items()}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    load_before = list(os.getloadavg())
    root = key_tree(0)["root"]
    runs, first, diffs = {}, {}, {}
    numpy_run = None
    for method in ("mim", "cl"):
        base = replace(bench_config(**QUICK), method=method)
        problem = _problem(base)
        for metrics in ("all", "loss"):
            config = replace(base, metrics=metrics)
            outs = {}
            for keys_from in ("sims.keys", "jax.random"):
                name = f"{method}, metrics={metrics}, {keys_from}"
                run, outs[keys_from], first[name] = _engine(
                    config, problem, root, keys_from == "sims.keys"
                )
                runs[name] = run
            diffs[f"{method}, metrics={metrics}"] = float(
                np.max(np.abs(outs["sims.keys"] - outs["jax.random"]))
            )
        if method == "mim":
            npr = _numpy_runner(base, problem)
            engine = make_engine(base)
            params0 = np.asarray(
                engine.init(problem, key=root, params=initial_params(base, root)).params
            )
            npr(params0, 0)
            numpy_run = lambda npr=npr, params0=params0: npr(params0, 0)  # noqa: E731
    runs["numpy (MIM)"] = numpy_run
    times = _interleaved(runs, args.repeats)
    res = {
        "setting": {k: getattr(bench_config(**QUICK), k) for k in QUICK},
        "seconds": times,
        "first_call_seconds": first,
        "max_abs_diff_sims_keys_vs_jax_random": diffs,
        "timing": f"best and median of {args.repeats}, in turn, each after an untimed call",
    }
    res = script_record(res, load_before, args.out)
    print(f"quick setting, seconds (best / median of {args.repeats}); first call")
    for name, t in times.items():
        extra = f"   first {first[name]:.2f}" if name in first else ""
        print(f"  {name:40s} {t['best']:.4f} / {t['median']:.4f}{extra}")
    print("largest difference of the final models, sims.keys vs jax.random:", diffs)
    return res


if __name__ == "__main__":
    main()
