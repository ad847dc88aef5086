"""Compile time of one engine run from the Python API, with and without the engine's own
compile options (:func:`sims.core.environ.bounded_compile_options`; issue: an ``EngineConfig()``
run, whose default is one local step, compiled for more than ten minutes on CPU at XLA's
default LLVM level).

Each case runs in a fresh process (``JAX_PLATFORMS=cpu``, no ``XLA_FLAGS`` of ours) under a
time limit; ``--without`` sets ``XLA_FLAGS=--xla_backend_optimization_level=2`` (XLA's default),
which the engine then leaves alone (the user's choice wins), so the program compiles as it did
before. Prints one line per case: seconds to the trained model, or "did not finish in LIMIT s".

    python benchmarks/bench_api_compile.py [--limit 600] [--local-steps 1 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

CASE = """
import time, numpy as np, jax, jax.random as jr
from theory import objectives
from theory.datamodel import DataModel
from sims import data
from sims.trackc.engine_config import EngineConfig
from sims.core.engine import make_engine
from sims.core.problem import make_problem
cfg = EngineConfig(local_steps={steps})
model = DataModel(d=cfg.d, n_clients=cfg.n_clients, c=cfg.c)
W = np.full((cfg.n_clients, cfg.n_clients), 1.0 / cfg.n_clients)
with jax.enable_x64(True):
    x, _ = data.sample_paper_model(model, 256, key=jr.PRNGKey(0))
    problem = make_problem(cfg, objectives.population_targets(model, cfg.method),
                           x=np.asarray(x), mixing=W)
    state, _ = make_engine(cfg).run(problem, key=jr.PRNGKey(1))
    jax.block_until_ready(state.params)
"""


def one(steps: int, without: bool, limit: float) -> str:
    env = {k: val for k, val in os.environ.items() if k not in ("XLA_FLAGS",)}
    env["JAX_PLATFORMS"] = "cpu"
    if without:
        env["XLA_FLAGS"] = "--xla_backend_optimization_level=2"
    start = time.perf_counter()
    try:
        subprocess.run(
            [sys.executable, "-c", CASE.format(steps=steps)],
            env=env,
            check=True,
            timeout=limit,
            capture_output=True,
        )
    except subprocess.TimeoutExpired:
        return f"did not finish in {limit:g} s"
    return f"{time.perf_counter() - start:.1f} s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=600.0, help="seconds per case (600)")
    ap.add_argument("--local-steps", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()}")
    for steps in args.local_steps:
        for without in (False, True):
            label = "XLA default level 2" if without else "engine options (level 1)"
            print(f"local_steps={steps}  {label:<26} {one(steps, without, args.limit)}", flush=True)
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
