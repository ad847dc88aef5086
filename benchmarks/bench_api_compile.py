"""Compile time of one run from the Python API, with and without the engine's own compile
options (:func:`sims.core.environ.bounded_compile_options`; issues: an ``EngineConfig()`` run,
whose default is one local step, compiled for more than ten minutes on CPU at XLA's default
LLVM level; ``sims.trackc.simulate`` of a 4-client FL run was still compiling after 120 s at
level 1 with XLA's newer fusion generator).

Each case runs in a fresh process (``JAX_PLATFORMS=cpu``, no ``XLA_FLAGS`` of ours) under a
time limit; ``--without`` sets XLA's defaults in ``XLA_FLAGS`` (LLVM level 2, the newer fusion
generator), which the engine then leaves alone (the user's choice wins), so the program
compiles as it did before. Prints one line per case: seconds to the trained model, or "did
not finish in LIMIT s".

    python benchmarks/bench_api_compile.py [--limit 600] [--local-steps 1 2] \
        [--case engine simulate]
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

#: ``dssl simulate``'s library function from Python (FL, 4 clients, d = 8, samples)
SIMULATE_CASE = """
from sims.trackc.simulate import SimulateSettings, simulate
simulate(SimulateSettings(framework="fl", n_clients=4, d=8, rounds=2, samples_per_client=40,
                          batch=8, local_steps={steps}))
"""

CASES = {"engine": CASE, "simulate": SIMULATE_CASE}
#: XLA's own defaults of the flags the engine's options set
XLA_DEFAULTS = "--xla_backend_optimization_level=2 --xla_cpu_use_fusion_emitters=true"


def one(case: str, steps: int, without: bool, limit: float) -> str:
    env = {k: val for k, val in os.environ.items() if k not in ("XLA_FLAGS",)}
    env["JAX_PLATFORMS"] = "cpu"
    if without:
        env["XLA_FLAGS"] = XLA_DEFAULTS
    start = time.perf_counter()
    try:
        subprocess.run(
            [sys.executable, "-c", CASES[case].format(steps=steps)],
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
    ap.add_argument("--case", nargs="+", choices=sorted(CASES), default=sorted(CASES))
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()}")
    for case in args.case:
        for steps in args.local_steps:
            for without in (False, True):
                label = "XLA defaults" if without else "engine options"
                took = one(case, steps, without, args.limit)
                print(f"{case:<8} local_steps={steps}  {label:<15} {took}", flush=True)
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
