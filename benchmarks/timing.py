"""Benchmarks of the training engine against the alternatives (the library behind ``dssl bench``
and ``make bench``; the alternatives are ``baselines.py``, beside it).

Measured side by side, same configuration (linear MIM, Eq. 4 of arXiv 2607.02447, SGD):

* ``engine``: the vmapped engine (:func:`sims.core.engine.make_engine`), rounds in one ``lax.scan``;
* ``loop``: a Python loop over clients calling ONE jitted single-client update per client and
  round (E local steps inside, keys derived inside the jit, data pre-sliced), then a jitted
  mixing step: how a per-client jit backend organises work. It runs the engine's own
  ``make_local_update``, so every speed-up of the local update speeds it up too;
* ``per_step_loop``: a Python loop over clients AND local steps calling a jitted per-step function
  (the organisation of fedjax's jit backend);
* ``numpy``: plain numpy, clients stacked (batched ``matmul``), numpy's own RNG (a different
  random stream: timings comparable, trajectories only statistically).

All timings exclude compilation (a warm-up call first) and are the best of ``repeats``.
Achieved FLOP/s counts the matmul flops of the local updates and the mixing
(:func:`round_flops`) and is compared with a measured float32 matmul peak (:func:`matmul_peak`).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from baselines import _loop_runner, _numpy_runner, _per_step_runner, starting_params

from sims.core.config import key_tree
from sims.core.engine import make_engine, make_round
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig
from theory import _validate as v
from theory import topology

__all__ = [
    "bench_config",
    "round_flops",
    "matmul_peak",
    "compare",
    "scale_case",
    "peak_rss_bytes",
]

#: The issue-4 setting: N = 100, d = 64, c = 16, B = 32, E = 5, T = 20, float32.
QUICK = dict(n_clients=100, d=64, c=16, batch=32, local_steps=5, rounds=20)
SAMPLES_PER_CLIENT = 256


def bench_config(
    n_clients=100, d=64, c=16, batch=32, local_steps=5, rounds=20, framework="decl", **kw
):
    """The benchmark's :class:`EngineConfig` (MIM, SGD lr 0.01, float32 unless given)."""
    kw.setdefault("dtype", "float32")
    return EngineConfig(
        method="mim",
        framework=framework,
        n_clients=n_clients,
        d=d,
        c=c,
        batch=batch,
        local_steps=local_steps,
        rounds=rounds,
        lr=0.01,
        **kw,
    )


#: Above this many bytes of (N, d, d) targets, the benchmark builds the compact problem.
COMPACT_TARGETS_BYTES = 1 << 30


def compact_targets(n: int, d: int, itemsize: int = 4) -> bool:
    """Whether the benchmark builds a problem without targets, handed their statistics
    instead: the (N, d, d) targets of ``itemsize``-byte floats exceed
    :data:`COMPACT_TARGETS_BYTES`."""
    return n * d * d * itemsize > COMPACT_TARGETS_BYTES


def identity_stats(d: int, dtype) -> tuple:
    """``target_stats`` of identity targets, exactly: X̄ = I (the mean of N ones is 1 in
    floating point for N < 2**24) and Q = 0."""
    return jnp.eye(d, dtype=dtype), jnp.zeros((d, d), dtype)


def _problem(
    config: EngineConfig, m: int = SAMPLES_PER_CLIENT, seed: int = 0, compact: bool | None = None
):
    """Gaussian client data with a little client structure; DecL on a ring (uniform weights).

    The targets (needed only by the ζ² / global-loss metrics) are the identity: O(N d²) memory
    without the O(N·M·d²) cost of empirical targets. Where even that exceeds
    :data:`COMPACT_TARGETS_BYTES` (N = 1000, d = 4096: 67 GB in float32), or ``compact=True``,
    the problem carries no targets, only their statistics (``make_problem(...,
    stats=identity_stats(d, dtype))``): outside population mode that is all a round reads of
    them."""
    n, d = config.n_clients, config.d
    rng = np.random.default_rng(seed)
    dt = np.float32 if config.dtype == "float32" else np.float64
    # in place: no temporaries of the (N, M, d) size (1.6 GB each at N = 100000, d = 64)
    x = rng.standard_normal((n, m, d), dtype=np.float32)
    x *= 0.5
    x = x.astype(dt, copy=False)
    k = min(n, d)
    x[np.arange(k), :, np.arange(k)] += 2.0
    if compact is None:
        compact = compact_targets(n, d, np.dtype(dt).itemsize)
    mixing = None
    if config.mixing_rule().takes_matrix:
        mixing = topology.mixing_matrix("uniform", topology.make_graph("ring", n))
    if compact:
        return make_problem(config, None, stats=identity_stats(d, dt), x=x, mixing=mixing)
    targets = np.broadcast_to(np.eye(d, dtype=dt), (n, d, d))
    return make_problem(config, targets, x=x, mixing=mixing)


def round_flops(config: EngineConfig) -> int:
    """Matmul flops of one round: per client-step 8·B·c·d (views → embeddings, gradient) +
    4·c²·d (WWᵀ and (WWᵀ)W), times N·E; plus the mixing (2N²cd dense DecL, 2Ncd FedAvg).
    The engine's per-round metrics (spectral norms of the client models, consensus distances,
    ζ², the global loss), which no baseline computes, are not counted: the engine's FLOP/s and
    fraction of peak are lower bounds."""
    n, d, c, b, e = config.n_clients, config.d, config.c, config.batch, config.local_steps
    local = n * e * (8 * b * c * d + 4 * c * c * d)
    mix = 2 * n * n * c * d if config.mixing_rule().takes_matrix else 2 * n * c * d
    return int(local + mix)


def matmul_peak(n: int = 1024, repeats: int = 10, precision: str | None = None) -> float:
    """Measured float32 matmul throughput (flop/s) of an n×n product under ``jit``: the peak the
    achieved FLOP/s are compared with (random operands; best of ``repeats`` after a warm-up).

    ``precision`` is JAX's matmul precision for the product (``None``: the current default).
    It matters on GPUs, where "default" lets XLA run float32 products on the TF32 tensor cores
    and "highest" asks for full float32; on CPU both are float32."""
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    f = jax.jit(lambda a: jnp.matmul(a, a, precision=precision))
    f(a).block_until_ready()
    best = _best(lambda: f(a).block_until_ready(), repeats)
    return 2.0 * n**3 / best


def peak_rss_bytes() -> int:
    """Peak resident set size of this process: ``VmHWM`` of /proc/self/status where there is
    one (it restarts at ``exec``, unlike ``getrusage``'s ru_maxrss, which a child started by
    fork + exec inherits from its parent), else ``getrusage`` (Linux reports KiB)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_interleaved(runs: dict[str, tuple[Callable[[], Any], int]]) -> dict[str, float]:
    """Best time of each ``name: (fn, repeats)``, the implementations in turn: round r runs,
    in order, every fn with more than r repeats, each as one untimed call and then one timed
    call. Implementations compared side by side so that they see the same stretch of the
    machine's time (on a shared machine whose speed drifts, timing each in a block of its own
    let the ratios drift with it), and each timed call follows a call of its own, as in a block
    (right after a NumPy run the engine's next call took 0.127-0.138 s against 0.107-0.110 s
    after one of its own: N = 100, d = 64, 2 cores).

    >>> sorted(best_interleaved({"a": (lambda: None, 2), "b": (lambda: None, 1)}))
    ['a', 'b']
    """
    return {name: min(t) for name, t in interleaved_times(runs).items()}


def interleaved_times(runs: dict[str, tuple[Callable[[], Any], int]]) -> dict[str, list[float]]:
    """Every timed call of :func:`best_interleaved` (which keeps the best), in order.

    >>> {k: len(t) for k, t in interleaved_times({"a": (lambda: None, 2)}).items()}
    {'a': 2}
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(max((n for _, n in runs.values()), default=0)):
        for name, (fn, n) in runs.items():
            if r < n:
                fn()
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return times


# ---------------------------------------------------------------------------------------------
# the comparison and the scale table


#: assumed rates of the time estimate (:func:`estimate_seconds`): flop/s of the engine, the
#: loop and numpy on a CPU, seconds per Python call of the per-step loop, and compilation
ESTIMATE_RATES = {"engine": 2e10, "loop": 5e9, "numpy": 2e9, "call_s": 1e-4, "compile_s": 15.0}


def estimate_seconds(config: EngineConfig, *, repeats: int, per_step: bool) -> float:
    """Estimated wall time of :func:`compare` (every implementation run once, then
    ``repeats`` timed calls each), from the work of a round (``round_flops``) and
    :data:`ESTIMATE_RATES`; the engine counts three times (its loss-only and sharded rows).

    >>> from sims.trackc.engine_config import EngineConfig
    >>> round(estimate_seconds(bench_config(**QUICK), repeats=5, per_step=False))
    34
    """
    r = ESTIMATE_RATES
    work = round_flops(config) * config.rounds
    calls = repeats + 1
    seconds = 3 * work / r["engine"] * calls + work / r["loop"] * calls
    seconds += work / r["numpy"] * calls
    if per_step:
        steps = config.n_clients * config.local_steps * config.rounds
        seconds += (steps * r["call_s"] + work / r["numpy"]) * repeats
    return seconds + r["compile_s"]


def compare(
    config: EngineConfig | None = None,
    *,
    repeats: int = 3,
    per_step: bool = True,
    extra: dict | None = None,
    progress: Callable[[str], None] | None = None,
):
    """Engine vs loop vs per-step loop vs numpy on one configuration (default: the issue-4 one).

    ``extra``: more implementations timed side by side, ``{name: factory}`` with
    ``factory(config, problem) -> run(params0 (N, c, d), seed) -> (N, c, d)`` (e.g. the PyTorch
    loop of ``benchmarks/torch_loop.py``, kept out of this package); each adds
    ``<name>_seconds`` and ``speedup_vs_<name>``.

    Every implementation is compiled and run once first; then all are timed in turn
    (:func:`best_interleaved`: ``repeats`` timed calls each, ``repeats − 1`` for the per-step
    loop and the ``extra`` rows), so that their ratios are measured over the same stretch of
    time.

    Returns a dict with ``seconds_per_round`` (engine), ``compile_seconds``, the best run time of
    each implementation, ``speedup_vs_loop``, ``speedup_vs_per_step_loop``, ``speedup_vs_numpy``,
    achieved FLOP/s, ``max_abs_diff_engine_vs_loop`` (same keys, same numbers expected), the
    peak RSS of the process and the load average before and after. ``progress(text)`` is
    called as each phase starts (``dssl bench`` prints it on stderr for long runs).
    """
    say = progress or (lambda text: None)
    load_before = list(os.getloadavg())
    config = bench_config(**QUICK) if config is None else config
    repeats = v.integer(repeats, "repeats", lo=1)
    problem = _problem(config)
    engine = make_engine(config)
    root = key_tree(0)["root"]

    def run_engine():
        return jax.block_until_ready(engine.run(problem, key=root)[0].params)

    say("engine: compiled and run once")
    t0 = time.perf_counter()
    final = run_engine()
    first = time.perf_counter() - t0
    params0 = starting_params(engine, config, problem, root)
    # every implementation built and run once (compiled, checked), then all timed interleaved
    say("loop over clients: run once")
    loop = _loop_runner(config, problem)
    out = loop(params0, root)
    runs = {"engine": (run_engine, repeats), "loop": (lambda: loop(params0, root), repeats)}
    res = {
        "setting": {k: getattr(config, k) for k in QUICK}
        | {
            "method": config.method,
            "framework": config.framework
            + (" (ring, uniform)" if config.mixing_rule().takes_matrix else ""),
            "dtype": config.dtype,
            "samples_per_client": SAMPLES_PER_CLIENT,
        },
        "max_abs_diff_engine_vs_loop": float(np.max(np.abs(np.asarray(out) - np.asarray(final)))),
    }
    if per_step:
        say("per-step loop: run once")
        ps = _per_step_runner(config, problem)
        out_ps = ps(params0, root)
        runs["per_step_loop"] = (lambda: ps(params0, root), max(1, repeats - 1))
        res["max_abs_diff_engine_vs_per_step_loop"] = float(
            np.max(np.abs(np.asarray(out_ps) - np.asarray(final)))
        )
    # the engine's variants: the same training recording the losses only (the per-round work
    # of the baselines, which compute no metrics), and the clients split over the devices
    variants = {"loss_only": _loss_only_engine(config, problem, root, final)}
    variants["sharded"] = _sharded_engine(config, problem, root, final)
    for name, variant in variants.items():
        if variant:
            runs[name] = (variant.pop("run"), repeats)
            res |= variant
    say("numpy: run once")
    npr = _numpy_runner(config, problem)
    npr(params0, 0)
    runs["numpy"] = (lambda: npr(params0, 0), repeats)
    for name, factory in (extra or {}).items():
        if name in runs or name in variants:
            v.fail("extra", f"names other than {sorted({*runs, *variants})}", name)
        other = factory(config, problem)
        other(params0, 0)
        runs[name] = (lambda other=other: other(params0, 0), max(1, repeats - 1))
    say(f"timing {len(runs)} implementations, {repeats} calls each")
    best = best_interleaved(runs)
    extra_names = tuple(extra or {})
    return _timings(res, best, config, repeats, tuple(variants), extra_names, load_before, first)


def _timings(res, best, config, repeats, variants: tuple, extra: tuple, load_before, first):
    """``res`` with the best times of every implementation, their ratios to the engine's, the
    achieved FLOP/s against the matmul peak, the peak RSS, the load and the machine (``first``:
    the engine's first call, compile included)."""
    t_engine = best.pop("engine")
    res |= {
        "engine_seconds": t_engine,
        "seconds_per_round": t_engine / config.rounds,
        "compile_seconds": max(0.0, first - t_engine),
        "timing": f"best of {repeats} (per-step loop and extra rows {max(1, repeats - 1)}), "
        "the implementations in turn, each timed call after an untimed one of its own",
    }
    for name in variants:
        if name in best:
            res[f"{name}_seconds"] = best.pop(name)
            res[f"speedup_{name}_vs_engine"] = t_engine / res[f"{name}_seconds"]
    for name, t in best.items():
        res[f"{name}_seconds"] = t
        res[f"speedup_vs_{name}"] = t / t_engine
    t_loop = res["loop_seconds"]
    flops = round_flops(config) * config.rounds
    peak = matmul_peak()
    res |= {
        "flops_per_run": flops,
        "engine_flop_per_s": flops / t_engine,
        "loop_flop_per_s": flops / t_loop,
        "matmul_peak_flop_per_s": peak,
        "engine_fraction_of_peak": flops / t_engine / peak,
        "best_possible_speedup_vs_loop_at_peak": t_loop / (flops / peak),
        "peak_rss_bytes": peak_rss_bytes(),
        "load_average_before": load_before,
        "machine": machine(),
    }
    for variant in variants:
        if f"{variant}_seconds" in res:
            t_variant = res[f"{variant}_seconds"]
            for name in ("numpy", "loop", "per_step_loop", *extra):
                if f"{name}_seconds" in res:
                    res[f"{variant}_speedup_vs_{name}"] = res[f"{name}_seconds"] / t_variant
            res[f"{variant}_fraction_of_peak"] = flops / t_variant / peak
    return res


def _timed_engine(engine, problem, root, params, name: str) -> dict:
    """``engine`` compiled and run once: ``run`` (a function running it, for :func:`compare` to
    time) and ``max_abs_diff_<name>_vs_engine``, the largest difference of its final
    parameters from the default engine's ``params``."""

    def run():
        return jax.block_until_ready(engine.run(problem, key=root)[0].params)

    out = run()
    diff = float(np.max(np.abs(np.asarray(out) - np.asarray(params))))
    return {"run": run, f"max_abs_diff_{name}_vs_engine": diff}


def _loss_only_engine(config: EngineConfig, problem, root, params) -> dict:
    """The engine recording only the losses each round (``EngineConfig(metrics="loss")``): the
    same training, and per round close to the baselines' work, which record nothing (it still
    computes the local and global losses and checks for NaN/inf; the default engine's
    consensus distances, ζ² and spectral norms are the difference)."""
    engine = make_engine(replace(config, metrics="loss"))
    return _timed_engine(engine, problem, root, params, "loss_only")


def _sharded_engine(config: EngineConfig, problem, root, params):
    """The engine with its clients split over all devices (:func:`sims.core.sharding.client_mesh`;
    on a CPU one device per core, which ``dssl bench`` and ``make bench`` ask XLA for:
    :func:`sims.core.environ.host_devices_flag`), compiled and run once: ``run`` (a
    function running it, for :func:`compare` to time), ``sharded_devices`` and the largest
    difference of its final parameters from the one-device engine's ``params``; empty with one
    device, N not split evenly or a compact problem (:func:`compact_targets`)."""
    from sims.core.sharding import client_mesh

    k = jax.device_count()
    # a compact problem (no targets, their statistics only) is timed on one device only, as
    # before it could be split
    if k < 2 or config.n_clients % k or problem.targets is None:
        return {}
    engine = make_engine(config, mesh=client_mesh())
    return _timed_engine(engine, problem, root, params, "sharded") | {"sharded_devices": k}


def _platform() -> dict:
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }


def machine() -> dict:
    return _platform() | {"load_average": list(os.getloadavg())}


def script_record(res: dict, load_before: list[float], out) -> dict:
    """``res`` with what a benchmark script (``benchmarks/bench_*.py``) records beside its
    numbers: the load average before and after, the machine (with the ``XLA_FLAGS`` it ran
    under) and the date; written as JSON to ``out`` (folders created) and returned."""
    res = res | {
        "loadavg_before": load_before,
        "loadavg_after": list(os.getloadavg()),
        "machine": _platform() | {"xla_flags": os.environ.get("XLA_FLAGS", "")},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    from sims.files import write_text

    write_text(out, json.dumps(res, indent=1) + "\n", field="out")
    return res


def scale_case(
    n_clients: int,
    d: int,
    *,
    rounds: int = 3,
    m: int = 64,
    loop: bool = False,
    framework: str = "fl",
    client_chunk: int | None = None,
    c: int = 16,
    batch: int = 32,
    local_steps: int = 5,
) -> dict:
    """One cell of the scale table: seconds per round after compile (jitted ``round_step``),
    compile seconds, peak RSS of the process, achieved FLOP/s, load average. Run it in a fresh
    process for a meaningful peak RSS (``benchmarks/run_all.py`` does)."""
    config = bench_config(
        n_clients=n_clients,
        d=d,
        c=c,
        batch=batch,
        local_steps=local_steps,
        rounds=rounds,
        framework=framework,
        client_chunk=client_chunk,
    )
    problem = _problem(config, m=m)
    init, round_step = make_round(config)
    stats = identity_stats(d, problem.x.dtype)  # = target_stats of _problem's identity targets
    step = jax.jit(round_step)
    state = init(problem, key=key_tree(0)["root"])
    t0 = time.perf_counter()
    state, _ = step(state, problem, stats)
    jax.block_until_ready(state.params)
    first = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        state, _ = step(state, problem, stats)
        jax.block_until_ready(state.params)
        times.append(time.perf_counter() - t0)
    per_round = min(times)
    from sims.core.client import auto_client_chunk, client_bytes

    res = {
        "n_clients": n_clients,
        "d": d,
        "c": c,
        "batch": batch,
        "local_steps": local_steps,
        "load_average": list(os.getloadavg()),
        "framework": framework,
        "samples_per_client": m,
        "client_chunk": auto_client_chunk(config),
        "client_bytes_estimate": client_bytes(config),
        "seconds_per_round": per_round,
        "compile_seconds": max(0.0, first - per_round),
        "flops_per_round": round_flops(config),
        "flop_per_s": round_flops(config) / per_round,
        "peak_rss_bytes": peak_rss_bytes(),
    }
    if loop:
        # the loop at the cell's own c, B and E (it used the quick setting's c = 16, B = 32:
        # 16x fewer flops than the efficiency cell, which made the loop look faster there);
        # DecL mixing, since the loop mixes with a dense matrix (O(N^2 c d), small at N <= 100)
        lc = bench_config(
            n_clients=n_clients, d=d, c=c, batch=batch, local_steps=local_steps, rounds=1,
            framework="decl",
        )  # fmt: skip
        lr = _loop_runner(lc, _problem(lc, m=m))
        p0 = np.asarray(state.params)
        lr(p0, key_tree(0)["root"])
        res["loop_seconds_per_round"] = _best(lambda: lr(p0, key_tree(0)["root"]), 2)
    return res
