"""Benchmark: the XLA CPU flags of the ``dssl`` commands, with and without XLA's older fusion
code generator (``--xla_cpu_use_fusion_emitters=false``).

Two flag sets, each part in a FRESH process (XLA reads its flags once, when its backend
starts): ``dssl`` (``sims.core.environ.cpu_flags()``: one thread, LLVM level 1, and the
older fusion code generator where this jaxlib has the flag) and ``level1``
(``sims.core.environ.CPU_XLA_FLAGS``: the same with the newer generator,
``--xla_cpu_use_fusion_emitters=true`` where the flag exists, so that a ``dssl`` command in
part 3 does not add the older one).

1. ``compile``: the six engine programs of the fast ``mim_vs_cl`` stage (FL on the paper's
   model at d = 48 and 96 for MIM and CL, and on digits for both), compile seconds of each
   (``jax.jit(...).lower(...).compile()``), then seconds to run it once;
2. ``track_c`` (unless ``--no-track-c``): ``sims.trackc.runs.track_c_runs`` at the default
   configuration and settings (N = 4, d = 400, B = 128, 200 rounds, 12 runs per method):
   seconds per method sweep, compile included, and a checksum of the trained models;
3. ``stages`` (with ``--stages default|fast``): every stage of that ``dssl reproduce`` run, in
   run order, each in a fresh process (``dssl reproduce --stages NAME --force --jobs 1
   --compile-cache none`` into one output folder per flag set, so a stage reads the files of
   the stages before it): wall seconds, and XLA's compile seconds in it (JAX's
   ``backend_compile_duration`` events). Left out: ``report`` (it runs only together with
   every stage before it; it compiles nothing).

Writes ``benchmarks/results/cpu_flags.json``.

Run: ``.venv/bin/python benchmarks/bench_cpu_flags.py [--no-track-c] [--no-compile]
[--stages default|fast]``
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
RESULTS = ROOT / "benchmarks" / "results" / "cpu_flags.json"

_COMPILE = """
import json, time
import jax
import sims.trackc.experiments.method_comparisons as mc
from sims.trackc.presets import MIM_VS_CL_FAST
rows, inner = [], mc.sweep
def timed(config, problems, keys, *, axes=None, batch_size=None):
    from sims.core.engine import sweep_call
    fn, args = sweep_call(config, problems, keys, axes=axes, batch_size=batch_size)
    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    t1 = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    rows.append({"method": config.method, "d": config.d, "compile_s": t1 - t0,
                 "run_s": time.perf_counter() - t1})
    return inner(config, problems, keys, axes=axes, batch_size=batch_size)
mc.sweep = timed
mc.mim_vs_cl(MIM_VS_CL_FAST)
print(json.dumps({"programs": rows, "compile_s": sum(r["compile_s"] for r in rows)}))
"""

_TRACK_C = """
import json, time
import jax
from sims.trackc import runs as er
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

_STAGE = """
import collections, json, sys, time
import jax.monitoring
seconds = collections.Counter()
jax.monitoring.register_event_duration_secs_listener(
    lambda name, dur, **kw: seconds.__setitem__(name, seconds[name] + dur))
from sims import cli
name, out, fast = sys.argv[1], sys.argv[2], sys.argv[3] == "fast"
argv = ["reproduce", "--stages", name, "--out", out, "--force", "--jobs", "1",
        "--compile-cache", "none"] + (["--fast"] if fast else [])
t0 = time.perf_counter()
rc = cli._main(argv)
print(json.dumps({"stage": name, "rc": rc, "wall_s": time.perf_counter() - t0,
                  "compile_s": seconds["/jax/core/compile/backend_compile_duration"]}))
"""


def _flag_sets() -> dict[str, tuple[str, ...]]:
    """``dssl``: the flags of the ``dssl`` commands; ``level1``: the same with XLA's newer
    fusion generator, chosen explicitly where this jaxlib has the flag (a ``dssl`` command
    adds only flags that are not set; XLA aborts on a flag it does not know)."""
    from sims.core.environ import CPU_XLA_FLAGS, cpu_flags, xla_has_flag

    newer = ("--xla_cpu_use_fusion_emitters=true",)
    return {
        "dssl": cpu_flags(),
        "level1": CPU_XLA_FLAGS + (newer if xla_has_flag("xla_cpu_use_fusion_emitters") else ()),
    }


def _run(code: str, flags: tuple[str, ...], *args: str) -> dict:
    from sims.core.environ import add_xla_flags

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = add_xla_flags(env.get("XLA_FLAGS"), flags)
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{flags}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-track-c", action="store_true")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--stages", choices=("default", "fast"), default=None)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    result = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    result["load_before"] = os.getloadavg()
    sets = _flag_sets()
    result["flags"] = {name: list(flags) for name, flags in sets.items()}
    parts = [] if args.no_compile else [("compile", _COMPILE)]
    parts += [] if args.no_track_c else [("track_c", _TRACK_C)]
    for part, code in parts:
        for name, flags in sets.items():
            key = f"{part}_{name}"
            result[key] = _run(code, flags)
            print(key, json.dumps(result[key]), flush=True)
    if args.stages is not None:
        _stages(args.stages, sets, result)
    result["load_after"] = os.getloadavg()
    from sims.files import write_text  # the one writer

    write_text(Path(args.out), json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def _stages(preset: str, sets: dict, result: dict) -> None:
    """Part 3: each stage of the ``preset`` run in a fresh process, per flag set."""
    import tempfile

    from sims.reproduce.stages import STAGES

    for name, flags in sets.items():
        rows = []
        with tempfile.TemporaryDirectory() as out:
            for stage in STAGES:
                if stage.needs:  # the report: it can only run with every stage before it
                    continue
                row = _run(_STAGE, flags, stage.name, out, preset)
                rows.append(row)
                print(f"stages_{preset}_{name}", json.dumps(row), flush=True)
        result[f"stages_{preset}_{name}"] = {
            "rows": rows,
            "wall_s": sum(r["wall_s"] for r in rows),
            "compile_s": sum(r["compile_s"] for r in rows),
        }


if __name__ == "__main__":
    main()
