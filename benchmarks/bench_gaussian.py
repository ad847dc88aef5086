"""Benchmark: the CL augmentation noise, ``sims.losses.gaussian`` against ``jax.random.normal``.

What a Track C CL step draws: two (B, d) = (128, 400) float32 arrays of standard normals per
step, here inside one jitted ``lax.scan`` over 200 keys that sums them (the sum keeps XLA from
dropping the draws). Also ``gaussian`` with ``jnp.log`` in place of the arithmetic log it uses
(``sims.losses.masks._log32``), and the hash's 32-bit words alone (as float32). Each flag
set in a FRESH process (XLA reads its flags once): ``dssl`` (``sims.core.environ.cpu_flags()``, with
XLA's older fusion code generator where this jaxlib has it) and ``level1``
(``sims.core.environ.CPU_XLA_FLAGS`` with the newer generator; ``bench_cpu_flags._flag_sets``).
Millions of draws per second, best of three.

Writes ``benchmarks/results/gaussian.json``.

Run: ``.venv/bin/python benchmarks/bench_gaussian.py``
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gaussian.json"

_CODE = """
import json, time
import jax, jax.numpy as jnp, jax.random as jr
from sims.losses import masks
SHAPE, STEPS = (128, 400), 200
def rate(draw):
    keys = jr.split(jr.key(0), STEPS)
    @jax.jit
    def total(keys):
        return jax.lax.scan(lambda c, k: (c + draw(k), None), jnp.zeros(SHAPE), keys)[0]
    jax.block_until_ready(total(keys))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter(); jax.block_until_ready(total(keys))
        best = min(best, time.perf_counter() - t0)
    return STEPS * SHAPE[0] * SHAPE[1] / best / 1e6
out = {
    "jax.random.normal": rate(lambda k: jr.normal(k, SHAPE, jnp.float32)),
    "sims.losses.gaussian": rate(lambda k: masks.gaussian(k, SHAPE)),
    "hash words": rate(lambda k: masks.random_bits32(k, SHAPE).astype(jnp.float32)),
}
masks._log32 = jnp.log
out["sims.losses.gaussian with jnp.log"] = rate(lambda k: masks.gaussian(k, SHAPE))
print(json.dumps(out))
"""


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench_cpu_flags import _flag_sets, _run

    result = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    result["load_before"] = os.getloadavg()
    result["unit"] = "million float32 draws per second, best of 3"
    for name, flags in _flag_sets().items():
        result[name] = {"flags": list(flags), **_run(_CODE, flags)}
        print(name, json.dumps(result[name]), flush=True)
    result["load_after"] = os.getloadavg()
    from sims.files import write_text  # the one writer

    write_text(RESULTS, json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
