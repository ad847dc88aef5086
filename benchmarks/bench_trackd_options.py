"""Benchmark: the compiler options of Track D's training programs.

One DEFAULT arm of each kind Track D trains (``sims.trackd.presets``, seed 0's label-skew
partition of MNIST, MLP encoder, 30 rounds × 20 local steps): SimSiam and MAE in FedAvg (5 of
10 clients per round) and MAE in DecL (10 clients, complete graph, uniform mixing), trained
through ``sims.trackd.train.train`` with each of

* ``bounded``: ``sims.core.environ.bounded_compile_options()`` (LLVM level 1: what every
  ``sims.run`` program gets unless told otherwise);
* ``long``: ``sims.core.environ.long_training_options()`` (XLA's newer fusion code generator
  and LLVM level 2: what Track D passes since 2026-11-26).

The process runs under the ``dssl`` commands' XLA flags (``sims.core.environ.cpu_flags()``: one
thread, level 1, the older fusion generator), as ``dssl trackd`` and ``dssl reproduce`` do. Each
arm is trained twice with different keys: the first call's seconds include compiling, the second's
do not; ``max_abs_diff`` is the largest difference between the parameters the two settings
trained from the same key (0: bit-identical). Writes ``benchmarks/results/trackd_options.json``.

Run: ``.venv/bin/python benchmarks/bench_trackd_options.py``
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

from sims.files import write_text  # noqa: E402 - the one writer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "trackd_options.json"


def main() -> None:
    from sims.core.environ import cpu_xla_flags

    with cpu_xla_flags():
        _bench()


def _bench() -> None:
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from sims.core.environ import bounded_compile_options, long_training_options
    from sims.trackd import experiments as ex
    from sims.trackd import presets
    from sims.trackd.train import train
    from theory import topology

    common = presets.preset("default", "table1").common
    data, _, _, _ = ex._split(common, 10, "label", 0.1, ex._seed_key(0))
    gossip = topology.uniform_mixing(topology.complete(10))
    arms = (("simsiam", "fedavg", 5, "FedAvg"), ("mae", "fedavg", 5, "FedAvg"),
            ("mae", gossip, None, "DecL"))  # fmt: skip
    settings = {"bounded": bounded_compile_options(), "long": long_training_options()}
    rows, trained = [], {}
    for name, options in settings.items():
        for objective, mixing, cpr, framework in arms:
            nc = ex.net_config(common, "mlp", objective, data.shape[2:])
            lc = ex.loss_config(common, objective, "mlp")
            tc = ex.train_config(common, cpr, objective)
            seconds = []
            for rep in range(2):
                t0 = time.perf_counter()
                res = train(nc, lc, tc, data, mixing=mixing, key=jr.key(rep),
                            compiler_options=options)  # fmt: skip
                jax.block_until_ready(res.params)
                seconds.append(time.perf_counter() - t0)
            trained[name, objective, framework] = res.params
            row = {"options": name, "compiler_options": options, "method": objective,
                   "framework": framework, "first_call_s": seconds[0], "run_s": seconds[1],
                   "steps": tc.rounds * tc.local_steps}  # fmt: skip
            rows.append(row)
            print(f"{name:8s} {objective:8s} {framework:6s} first call {seconds[0]:6.2f} s, "
                  f"second {seconds[1]:6.2f} s", flush=True)  # fmt: skip
    for row in rows:
        key = (row["method"], row["framework"])
        diffs = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))),
                             trained[("bounded",) + key], trained[("long",) + key])  # fmt: skip
        row["max_abs_diff"] = max(jax.tree.leaves(diffs))
        print(f"{row['options']:8s} {key}: max |Δθ| against the other {row['max_abs_diff']}")
    out = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg(), "jax": jax.__version__, "rows": rows}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text(RESULTS, json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
