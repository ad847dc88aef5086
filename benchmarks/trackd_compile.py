"""Benchmark: what compiling a Track D arm costs, against the size of its local step.

For each preset's Table 1 architectures, one fresh process trains an arm of one round of
every objective Track D trains (``sims.trackd.losses.OBJECTIVES``, in that order), each
twice (FedAvg, the preset's clients per round, seed 0's IID split,
``sims.trackd.experiments.run_arm`` with seed keys 0 and 1): the first call compiles the
arm's programs (the round, the encoder's features, the probe), the second finds them
compiled, so their difference is what :data:`sims.trackd.cost.COMPILE_SECONDS` prices. The
process's first arm also compiles what later arms share (``first_in_process``), as the
first arm of a ``dssl trackd`` run does. Beside it, the number of operations in the lowered
(not compiled) program of one local step (:func:`sims.trackd.train.lowered_step`, whose cost
analysis is the estimate's flop count).

Each cell runs under the ``dssl`` commands' XLA flags (``sims.core.environ.cpu_xla_flags``)
with JAX's persistent compilation cache off. Writes ``benchmarks/results/trackd_compile.json``
(``--out`` to choose) with the CPU model and the load average.

Run: ``.venv/bin/python benchmarks/trackd_compile.py [--presets fast,default,paper-scale]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sims.files import write_text  # noqa: E402 - the one writer
from sims.reproduce.pipeline.machine import cpu_name  # noqa: E402


def step_ops(common, arch: str, objective: str, image: tuple) -> int:
    """Operations in the lowered program of one local step (StableHLO lines that assign)."""
    import jax
    import jax.numpy as jnp

    from sims.trackd import experiments as ex
    from sims.trackd.train import lowered_step

    nc = ex.net_config(common, arch, objective, image)
    lc = ex.loss_config(common, objective, arch)
    batch = ex.train_config(common, None, objective).batch_size
    x = jax.ShapeDtypeStruct((batch,) + image, jnp.dtype(nc.dtype))
    text = lowered_step(nc, lc, x).as_text()
    return sum(" = " in line for line in text.splitlines())


def cell(preset: str, arch: str) -> list:
    """Each objective's arm trained twice in this process: seconds of each call and the
    step's size."""
    import dataclasses

    import jax

    from sims.core.environ import cpu_xla_flags

    jax.config.update("jax_enable_compilation_cache", False)
    with cpu_xla_flags():
        from sims.trackd import experiments as ex
        from sims.trackd import presets
        from sims.trackd.losses import OBJECTIVES

        cfg = presets.preset(preset, "table1")
        common = dataclasses.replace(cfg.common, rounds=1, curve_every=0, seeds=1)
        data, _, _, _ = ex._split(common, cfg.n_clients, "iid", cfg.alpha, ex._seed_key(0))
        rows = []
        for objective in OBJECTIVES:
            seconds = []
            for seed in range(2):
                t0 = time.perf_counter()
                ex.run_arm(common, arch, data, seed_key=ex._seed_key(seed),
                           objective=objective,
                           clients_per_round=cfg.clients_per_round)  # fmt: skip
                seconds.append(time.perf_counter() - t0)
            ops = step_ops(common, arch, objective, tuple(data.shape[2:]))
            rows.append({"preset": preset, "arch": arch, "objective": objective, "ops": ops,
                         "first_in_process": not rows, "first_s": seconds[0],
                         "second_s": seconds[1],
                         "compile_s": seconds[0] - seconds[1]})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="fast,default,paper-scale")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/trackd_compile.json"))
    parser.add_argument("--cell", help=argparse.SUPPRESS)  # preset:arch, one process
    args = parser.parse_args()
    if args.cell:
        print(json.dumps(cell(*args.cell.split(":"))))
        return
    from sims.trackd import presets

    load_before, rows = os.getloadavg(), []
    for name in args.presets.split(","):
        cfg = presets.preset(name, "table1")
        for arch in cfg.archs:
            out = subprocess.run([sys.executable, __file__, "--cell", f"{name}:{arch}"],
                                 check=True, capture_output=True, text=True).stdout  # fmt: skip
            for row in json.loads(out.strip().splitlines()[-1]):
                rows.append(row)
                spec = f"{name}:{arch}:{row['objective']}"
                print(f"{spec:28s} ops {row['ops']:6d}  first {row['first_s']:6.2f} s  "
                      f"second {row['second_s']:6.2f} s  compile {row['compile_s']:6.2f} s",
                      flush=True)  # fmt: skip
    out = {"cpu": cpu_name(), "cpus": os.cpu_count(), "load_average_before": load_before,
           "load_average_after": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": rows}  # fmt: skip
    write_text(Path(args.out), json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
