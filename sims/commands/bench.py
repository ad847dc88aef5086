"""``dssl bench``: the vmapped engine against a Python loop over clients, a per-step loop and
plain numpy on the issue-4 setting (N = 100, d = 64, c = 16, B = 32, E = 5, T = 20, float32).

The full table over N and d is ``make bench`` (``benchmarks/run_all.py``)."""

from __future__ import annotations

import argparse

from sims.commands import _common
from sims.commands._names import BENCH_SAMPLES_PER_CLIENT
from theory import _validate as v

NAME = "bench"
HELP = "time the vmapped engine against a Python loop over clients and plain numpy"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="skip the per-step loop (N·E·T Python calls): engine, loop and numpy "
                   "only; under 60 s at the default sizes (N=100, d=64)")  # fmt: skip
    p.add_argument("--n-clients", type=_common.integer(), default=100)
    p.add_argument("--d", type=_common.integer(), default=64)
    p.add_argument("--c", type=_common.integer(), default=16)
    p.add_argument("--batch", type=_common.integer(), default=32)
    p.add_argument("--local-steps", type=_common.integer(), default=5)
    p.add_argument("--rounds", type=_common.integer(), default=20)
    p.add_argument(
        "--repeats",
        type=_common.integer(),
        default=5,
        help="timed calls of each implementation, interleaved; the best counts (default 5)",
    )
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))


#: ``dssl bench`` times the engine as the Python API runs it: XLA's own CPU settings, not the
#: one-thread, level-1 flags of the commands that compute results
#: (:func:`sims.core.environ.cpu_xla_flags`).
XLA_DEFAULTS = True

#: ... and on a CPU with one XLA device per core, for the row of the engine with its clients
#: sharded over the cores (``compare`` of ``benchmarks/timing.py``).
HOST_DEVICES = True


def _sizes(args, samples_per_client: int) -> tuple[int, ...]:
    """(N, d, c, B, E, T, repeats) of ``args``, each checked against its range."""
    n = v.integer(args.n_clients, "n_clients", lo=2, hi=2000)
    d = v.integer(args.d, "d", lo=1, hi=4096)
    c = v.integer(args.c, "c", lo=1, hi=d, why="at most d")
    b = v.integer(args.batch, "batch", lo=2)
    e = v.integer(args.local_steps, "local_steps", lo=1)
    t = v.integer(args.rounds, "rounds", lo=1)
    r = v.integer(args.repeats, "repeats", lo=1, hi=20)
    if b > samples_per_client:
        v.fail("batch", f"at most the {samples_per_client} samples per client", b)
    return n, d, c, b, e, t, r


def check(args) -> None:
    """The sizes and the checkout's benchmarks/ folder, before JAX is imported (sims.cli)."""
    _sizes(args, BENCH_SAMPLES_PER_CLIENT)
    _benchmarks()


#: The benchmarking code ``dssl bench`` runs, in the checkout's ``benchmarks/`` folder (it
#: lives with the benchmarks, not in the package); ``timing`` imports ``baselines`` by name.
BENCH_MODULES = ("baselines", "timing")


def _benchmarks():
    """The ``benchmarks/`` folder of the source checkout this package runs from (beside
    ``sims/`` and ``pyproject.toml``), or one line saying there is none (an install without
    the checkout)."""
    from pathlib import Path

    import sims

    folder = Path(sims.__file__).resolve().parents[1] / "benchmarks"
    present = all((folder / f"{name}.py").is_file() for name in BENCH_MODULES)
    if not present or not (folder.parent / "pyproject.toml").is_file():
        v.fail(
            "bench", "run from a source checkout or its editable install (pip install -e .), "
            "whose benchmarks/ holds timing.py and baselines.py", str(folder),
        )  # fmt: skip
    return folder


def _timing():
    """``benchmarks/timing.py`` with ``baselines.py``, imported from the checkout's files: a
    module of either name already imported from elsewhere is not used, and a failed import
    leaves nothing behind."""
    import importlib.util
    import sys

    folder = _benchmarks()
    for name in BENCH_MODULES:
        path = (folder / f"{name}.py").resolve()
        old = sys.modules.get(name)
        if old is not None and getattr(old, "__file__", None) and path.samefile(old.__file__):
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    return sys.modules["timing"]


def run(args) -> dict:
    bench = _timing()
    n, d, c, b, e, t, r = _sizes(args, bench.SAMPLES_PER_CLIENT)
    config = bench.bench_config(
        n_clients=n, d=d, c=c, batch=b, local_steps=e, rounds=t, dtype=args.dtype
    )
    # the per-step loop makes N·E·T Python calls: skip it in quick mode
    seconds = bench.estimate_seconds(config, repeats=r, per_step=not args.quick)
    field = "rounds" if t * 10 >= max(n, d) else ("n_clients" if n >= d else "d")
    v.check_time(field, getattr(args, field), seconds, what="the benchmark")
    say = _common.progress(NAME, seconds, "the benchmark")
    return bench.compare(config, repeats=r, per_step=not args.quick, progress=say)


def format_text(result: dict) -> str:
    keys = (
        "seconds_per_round",
        "compile_seconds",
        "engine_seconds",
        "loop_seconds",
        "speedup_vs_loop",
        "per_step_loop_seconds",
        "speedup_vs_per_step_loop",
        "numpy_seconds",
        "speedup_vs_numpy",
        "engine_flop_per_s",
        "matmul_peak_flop_per_s",
        "engine_fraction_of_peak",
        "max_abs_diff_engine_vs_loop",
        "loss_only_seconds",
        "speedup_loss_only_vs_engine",
        "loss_only_speedup_vs_numpy",
        "loss_only_speedup_vs_loop",
        "loss_only_speedup_vs_per_step_loop",
        "loss_only_fraction_of_peak",
        "max_abs_diff_loss_only_vs_engine",
        "sharded_devices",
        "sharded_seconds",
        "sharded_speedup_vs_numpy",
        "sharded_speedup_vs_loop",
        "sharded_speedup_vs_per_step_loop",
        "sharded_fraction_of_peak",
        "max_abs_diff_sharded_vs_engine",
    )
    width = max(map(len, keys))
    return "\n".join(f"{k:{width}s} {result[k]:.4g}" for k in keys if k in result)
