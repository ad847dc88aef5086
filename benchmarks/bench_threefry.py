"""Benchmark: JAX's threefry2x32 hash on the CPU, JAX's loop lowering against the straight-line
lowering of ``sims.threefry`` (the same bits).

Each arm runs in a FRESH process (the lowering is registered process-wide), under two sets
of XLA flags: ``dssl`` (those of the ``dssl`` commands, ``sims.cli.cpu_flags()``: one thread,
LLVM level 1, XLA's older fusion code generator where this jaxlib has it) and ``level1``
(``sims.cli.CPU_XLA_FLAGS`` only: XLA's current fusion code generator):

1. ``draws``: 32-bit words and float32 normals of shape (12, 4, 128, 400) (the Gaussian
   noise of one CL step of the Track C runs: configurations × clients × B × d); compile
   seconds and the median of 10 calls;
2. ``track_c`` (unless ``--no-track-c``): ``sims.evidence_runs.track_c_runs`` at the default
   configuration and settings (N = 4, d = 400, B = 128, 200 rounds, 12 runs per method),
   seconds per method sweep (compile included) and in all.

Writes ``benchmarks/results/threefry.json``.

Run: ``.venv/bin/python benchmarks/bench_threefry.py [--repeats 10] [--no-track-c]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "threefry.json"

_DRAWS = """
import json, statistics, sys, time
import jax, jax.numpy as jnp, jax.random as jr
if sys.argv[1] == "straight":
    from sims.threefry import use_straight_threefry
    assert use_straight_threefry()
shape, repeats = (12, 4, 128, 400), int(sys.argv[2])
out = {}
for name, fn in [("bits", lambda k: jr.bits(k, shape, jnp.uint32)),
                 ("normal", lambda k: jr.normal(k, shape, jnp.float32))]:
    k = jr.key(0)
    t0 = time.perf_counter()
    c = jax.jit(fn).lower(k).compile()
    compile_s = time.perf_counter() - t0
    jax.block_until_ready(c(k))
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter(); jax.block_until_ready(c(k)); runs.append(time.perf_counter() - t0)
    out[name] = {"compile_s": compile_s, "median_s": statistics.median(runs), "min_s": min(runs),
                 "checksum": float(jnp.sum(c(k).astype(jnp.float32)))}
print(json.dumps(out))
"""

_TRACK_C = """
import json, sys, time
import jax
if sys.argv[1] == "straight":
    from sims.threefry import use_straight_threefry
    assert use_straight_threefry()
from sims import evidence_runs as er
from theory.claims import VerifyConfig
seconds, inner = {}, er.sweep
def timed(config, *a, **k):
    t0 = time.perf_counter(); out = inner(config, *a, **k); jax.block_until_ready(out)
    seconds[config.method] = time.perf_counter() - t0
    return out
er.sweep = timed
t0 = time.perf_counter()
runs = er.track_c_runs(VerifyConfig(), settings=er.DEFAULT_SETTINGS)
total = time.perf_counter() - t0
sums = {m: float(abs(w).sum()) for m, w in runs["models"].items()}
print(json.dumps({"sweep_s": seconds, "total_s": total, "model_abs_sums": sums}))
"""


def _flag_sets() -> dict[str, tuple[str, ...]]:
    from sims.cli import CPU_XLA_FLAGS, cpu_flags

    return {"dssl": cpu_flags(), "level1": CPU_XLA_FLAGS}


def _run(code: str, flags: tuple[str, ...], arm: str, *args: str) -> dict:
    from sims.pipeline.environ import add_xla_flags

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = add_xla_flags(env.get("XLA_FLAGS"), flags)
    proc = subprocess.run(
        [sys.executable, "-c", code, arm, *args], cwd=ROOT, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{arm}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-track-c", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    result = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    result["load_before"] = os.getloadavg()
    sets = _flag_sets()
    result["flags"] = {name: list(flags) for name, flags in sets.items()}
    parts = [("draws", _DRAWS, (str(args.repeats),))]
    if not args.no_track_c:
        parts.append(("track_c", _TRACK_C, ()))
    for part, code, extra in parts:
        for name, flags in sets.items():
            for arm in ("loop", "straight"):
                key = f"{part}_{name}_{arm}"
                result[key] = _run(code, flags, arm, *extra)
                print(key, json.dumps(result[key]), flush=True)
    result["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
