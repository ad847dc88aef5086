"""Time and peak memory per round as the number of clients N grows, at fixed work per client.

Every client draws its minibatches from their keys inside the round (``EngineConfig.sampler``:
no sample is held), so what a run holds is the models. The cells:

Wall seconds and CPU seconds (user + system of the process, all its threads) per round are
both recorded: on a shared machine the wall time includes waiting for a core.

* FL (FedAvg, Algorithm 1 of arXiv 2607.02447): N clients, S of them sampled per round
  (default 100), every sampled client E local steps on minibatches of B. Two forms:
  ``fl-server`` keeps one server model (``EngineConfig.server_model``: the clients keep no
  state), ``fl`` the engine's N client copies;
* ``run``: the same DecL round through the plug-in API a user trains their own model with,
  ``sims.run(loss, W0, sims.KeyedData(sample, N), mixing=rule, chunk=...)``: the loss the
  linear MIM objective written for one client (``sims.losses.mim``, its gradient by autodiff
  where the engine uses the closed form), the minibatches the same generator's, drawn from
  their keys; the clients in chunks of the engine's width (``auto_client_chunk``), each round
  one ``sims.run`` call (``rounds=1``, timed whole: checks, stacking, round). It records the
  participants' mean loss and the consensus distance, not the engine's metrics. ``run-fl``:
  the same with FedAvg, ``--clients-per-round`` S of the N clients trained a round (``sims.run``
  keeps the N clients' copies, as the engine's ``fl`` form);
* DecL (Algorithm 2): every client trains and mixes with the rule the cell is handed
  (``MIXINGS``: the dense uniform ring W by default, 2·N²·c·d flops and N² memory per round,
  run only up to ``--decl-max-n``), or ``--mixing one-peer``: the one-peer exponential graph
  (:func:`sims.core.mixing.one_peer_exponential`, 2·N·c·d flops per round, any N).

The data: ``GaussianClients`` (client i: 0.5·N(0, I_d) + 2·e_(i mod d)), a generator usable at
any N (the paper's model needs d ≥ 2N); ``--data hash-gaussian`` draws the same distribution
with ``sims.losses.gaussian``, ``--data fixed`` draws nothing (the controls). The metrics'
targets: the problem carries no (N, d, d) array, only the statistics of identity targets
(``make_problem(..., stats=timing.identity_stats(d, dtype))``), which is all a round without
population gradients reads of them. Metrics level ``--metrics``.

``--devices K`` (K > 1): on a CPU, K XLA devices (one per core:
``--xla_force_host_platform_device_count``) split the clients (``make_engine(config, mesh)``
places the problem with ``sims.core.sharding.shard_clients``): each device trains the clients
it holds, and the mixing gathers the neighbours' rows across them. The ``fl-server`` cells keep
one device (the server-model round runs on one).

The rounds run as a user runs them: ``sims.core.engine.make_engine(config, mesh,
compiler_options=sims.core.environ.long_run_options())``, its ``chunks`` of one round each (the
models donated). Each (framework, N) runs in a fresh process: seconds per round (best of
``--rounds`` rounds after a first one that also initialises and compiles), the process's peak
RSS after them, its RSS after
the imports (the baseline), and the bytes N·c·d·(dtype size) of one stack of models. The
machine (CPU model, cores, load average) is recorded beside the numbers.

Usage::

    python benchmarks/bench_scale.py                      # FL 1e2..1e5, DecL 1e2..1e3
    python benchmarks/bench_scale.py --n 100,1000 --frameworks fl
    python benchmarks/bench_scale.py --n 1000,10000,100000 --frameworks decl \
        --mixing one-peer --devices 2                     # DecL on both cores
"""

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "results", "scale")


# no ``from __future__ import annotations`` in this file: the tests import it from its path,
# outside sys.modules, where dataclasses cannot resolve string annotations
@dataclasses.dataclass(frozen=True)
class GaussianClients:
    """Keyed minibatches of client i: 0.5·N(0, I_d) + 2·e_(i mod d), from ``key`` alone."""

    d: int

    def __call__(self, key, i, batch, dtype):
        import jax
        import jax.random as jr

        x = 0.5 * jr.normal(key, (batch, self.d), dtype)
        return x + 2.0 * jax.nn.one_hot(i % self.d, self.d, dtype=dtype)


@dataclasses.dataclass(frozen=True)
class FixedClients:
    """Client i's minibatch without a random draw: rows 2·e_(i mod d) + a fixed ramp (a
    benchmark control: the round's cost with the data draw taken out)."""

    d: int

    def __call__(self, key, i, batch, dtype):
        import jax
        import jax.numpy as jnp

        ramp = jnp.linspace(-0.5, 0.5, batch * self.d, dtype=dtype).reshape(batch, self.d)
        return ramp + 2.0 * jax.nn.one_hot(i % self.d, self.d, dtype=dtype)


@dataclasses.dataclass(frozen=True)
class HashGaussianClients:
    """As :class:`GaussianClients` with the noise of ``sims.losses.gaussian`` (the counter hash
    and a float32 inverse normal CDF: the generator of the CL views) instead of
    ``jax.random.normal``: the same distribution, another stream, a cheaper draw on a CPU
    (``benchmarks/bench_gaussian.py``)."""

    d: int

    def __call__(self, key, i, batch, dtype):
        import jax

        from sims.losses import gaussian

        x = 0.5 * gaussian(key, (batch, self.d), dtype)
        return x + 2.0 * jax.nn.one_hot(i % self.d, self.d, dtype=dtype)


#: The client data generators of ``--data``.
DATA = {"gaussian": GaussianClients, "hash-gaussian": HashGaussianClients, "fixed": FixedClients}
#: What the report says of each generator.
DATA_WORDS = {
    "gaussian": "minibatches drawn from their keys (jax.random.normal; no samples held)",
    "hash-gaussian": "minibatches drawn from their keys (sims.losses.gaussian; no samples held)",
    "fixed": "fixed minibatches, no draw (the control of --data fixed)",
}


def dense_ring(n: int):
    """The uniform ring's dense (N, N) mixing matrix (theory.topology)."""
    from theory import topology

    return topology.mixing_matrix("uniform", topology.make_graph("ring", n))


def one_peer(n: int):
    """The one-peer exponential graph's time-varying rule (sims.core.mixing; neighbour lists
    of k = 2 per round, no N × N array)."""
    from sims.core import mixing

    return mixing.one_peer_exponential(n)


#: DecL mixing rules by name: ``rule(N)`` -> what the cell's problem mixes with (a dense
#: matrix, or a rule value of sims.core.mixing).
MIXINGS = {"dense-ring": dense_ring, "one-peer": one_peer}
#: The MIXINGS that build an N × N matrix (bounded by ``--decl-max-n``).
DENSE_MIXINGS = ("dense-ring",)


def _rss_bytes() -> int:
    """Current resident set size of this process (Linux /proc), bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_api_cell(name: str, n: int, a) -> dict:
    """The ``run`` and ``run-fl`` cells: ``sims.run`` with keyed data and the DecL rule of
    ``--mixing`` (``run``) or FedAvg with S of the N clients a round (``run-fl``), one round a
    call as a user calls it (no ``on_chunk``: the models are donated between rounds): a first
    call that compiles, then ``a.rounds`` calls, each timed whole (its checks, the clients'
    models stacked, the round)."""
    import jax
    import jax.random as jr
    import numpy as np

    import sims
    from sims.core.client import auto_client_chunk
    from sims.losses import mim
    from sims.trackc.engine_config import EngineConfig

    base_rss = _rss_bytes()
    dt = np.float32 if a.dtype == "float32" else np.float64
    d, gen = a.d, DATA[a.data](a.d)
    if a.method != "mim":
        raise SystemExit("--method: the run cells train mim (sims.losses.mim)")
    fl = name == "run-fl"
    sampled = min(a.clients_per_round, n) if fl else None
    width = auto_client_chunk(EngineConfig(
        method="mim", framework="fl" if fl else "decl", n_clients=n, d=d, c=a.c,
        batch=a.batch, local_steps=a.local_steps, dtype=a.dtype, sampler=gen,
        clients_per_round=sampled,
    ))  # fmt: skip

    def sample(key, i, b):
        return gen(key, i, b, dt)

    def loss(W, x, *, key):
        return mim(W, x, 0.75, key=key)

    w0 = jr.normal(jr.key(1), (a.c, d), dt) / float(np.sqrt(d))
    mesh = None
    if a.devices > 1:
        from sims.core.sharding import client_mesh

        if len(jax.devices()) < a.devices:
            raise SystemExit(f"--devices: at most the {len(jax.devices())} devices present")
        mesh = client_mesh(jax.devices()[: a.devices])
    rule = "fedavg" if fl else MIXINGS[a.mixing](n)

    def one_round():
        t0, c0 = time.perf_counter(), time.process_time()
        res = sims.run(
            loss, w0, sims.KeyedData(sample, n), mixing=rule, clients_per_round=sampled,
            rounds=1, local_steps=a.local_steps, batch_size=a.batch, lr=0.01, key=jr.key(0),
            chunk=width, mesh=mesh,
        )  # fmt: skip
        jax.block_until_ready(res.params)
        return res, time.perf_counter() - t0, time.process_time() - c0

    res, first, _ = one_round()
    times, cpu = [], []
    for _ in range(a.rounds):
        del res  # one run's models at a time
        res, wall, used = one_round()
        times.append(wall)
        cpu.append(used)
    loss_last = float(np.asarray(res.trace["loss"])[-1])
    assert np.isfinite(loss_last)
    return {
        "framework": name,
        "mixing": "fedavg" if fl else a.mixing,
        "n_clients": n,
        "clients_per_round": sampled or n,
        "server_model": False,
        "seconds_per_round": min(times),
        "seconds_per_round_all": times,
        "cpu_seconds_per_round": min(cpu),
        "cpu_seconds_per_round_all": cpu,
        "first_round_seconds": first,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baseline_rss_bytes": base_rss,
        "model_stack_bytes": n * a.c * d * np.dtype(dt).itemsize,
        "client_chunk": width,
        "load_average": list(os.getloadavg()),
        "device": _device_name(),
        "devices": 1 if mesh is None else a.devices,
        "loss": loss_last,  # the last round's mean local loss
    }


def run_cell(name: str, n: int, a) -> dict:
    """One cell, in this process: build, compile, time ``a.rounds`` rounds. ``name``: fl,
    fl-server, decl, run or run-fl (:func:`run_api_cell`)."""
    if name in ("run", "run-fl"):
        return run_api_cell(name, n, a)
    import jax
    import jax.random as jr
    import numpy as np
    from timing import identity_stats

    from sims.core.client import auto_client_chunk
    from sims.core.engine import make_engine
    from sims.core.environ import long_run_options
    from sims.core.problem import make_problem
    from sims.core.sharding import client_mesh
    from sims.trackc.engine_config import EngineConfig

    base_rss = _rss_bytes()
    framework = "fl" if name.startswith("fl") else "decl"
    dt = np.float32 if a.dtype == "float32" else np.float64
    d = a.d
    config = EngineConfig(
        method=a.method, framework=framework, n_clients=n, d=d, c=a.c, batch=a.batch,
        local_steps=a.local_steps, rounds=a.rounds + 1, lr=0.01, dtype=a.dtype,
        metrics=a.metrics,
        clients_per_round=min(a.clients_per_round, n) if framework == "fl" else None,
        sampler=DATA[a.data](d),
        # one server model (S <= N clients train from it) or the engine's N copies
        server_model=name == "fl-server",
    )  # fmt: skip
    # no (N, d, d) targets: the round reads them only through their (X̄, Q), handed to the
    # problem (make_problem's stats) and to each round
    stats = identity_stats(d, dt)
    # DecL's W or rule value (make_problem validates either at N)
    mixing = None if framework == "fl" else MIXINGS[a.mixing](n)
    problem = make_problem(config, None, stats=stats, mixing=mixing)
    mesh = None
    if a.devices > 1 and not config.server_model:
        if len(jax.devices()) < a.devices:
            raise SystemExit(f"--devices: at most the {len(jax.devices())} devices present")
        mesh = client_mesh(jax.devices()[: a.devices])
    # the rounds as a user runs them: make_engine's chunks of one round each (the models
    # donated; the problem placed on the mesh), compiled with long_run_options (on a CPU,
    # XLA's newer fusion code generator); the first chunk also initialises and compiles
    engine = make_engine(config, mesh, compiler_options=long_run_options())
    chunks = engine.chunks(problem, key=jr.key(0), chunk=1)
    t0 = time.perf_counter()
    state, _ = next(chunks)
    jax.block_until_ready(state.params)
    first = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(a.rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        state, trace = next(chunks)
        jax.block_until_ready(state.params)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    metrics = jax.tree.map(lambda x: x[0], trace)
    assert bool(np.isfinite(np.asarray(metrics["loss_global"])))
    isz = np.dtype(dt).itemsize
    return {
        "framework": name,
        "mixing": a.mixing if framework == "decl" else "fedavg",
        "n_clients": n,
        "clients_per_round": config.n_sampled,
        "server_model": config.server_model,
        "seconds_per_round": min(times),
        "seconds_per_round_all": times,
        "cpu_seconds_per_round": min(cpu),
        "cpu_seconds_per_round_all": cpu,
        "first_round_seconds": first,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baseline_rss_bytes": base_rss,
        "model_stack_bytes": n * a.c * d * isz,
        # the clients' widest chunk (sims.core.rounds.map_clients makes them equal, at most this)
        "client_chunk": auto_client_chunk(config),
        "load_average": list(os.getloadavg()),
        "device": _device_name(),
        "devices": 1 if mesh is None else int(mesh.devices.size),
        "loss_global": float(np.asarray(metrics["loss_global"])),  # the last round's
    }


def _device_name() -> str:
    """The device the cell ran on: ``cpu``, or the accelerator's kind (e.g. ``NVIDIA H200``)
    and, on a GPU, its peak memory in use after the rounds."""
    import jax

    dev = jax.devices()[0]
    if dev.platform == "cpu":
        return "cpu"
    stats = dev.memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return dev.device_kind + (f" (peak {peak / 2**30:.2f} GiB in use)" if peak else "")


def _child(framework: str, n: int, argv: list[str], timeout: float) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--cell", f"{framework}:{n}", *argv]
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    k = int(argv[argv.index("--devices") + 1]) if "--devices" in argv else 1
    if k > 1 and env["JAX_PLATFORMS"] == "cpu":  # K devices on the CPU, before jax starts
        from sims.core.environ import add_xla_flags

        flag = f"--xla_force_host_platform_device_count={k}"
        env["XLA_FLAGS"] = add_xla_flags(env.get("XLA_FLAGS"), (flag,))
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=os.path.dirname(HERE)
        )
    except subprocess.TimeoutExpired:
        return {"framework": framework, "n_clients": n, "status": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [""])[-1]
        return {"framework": framework, "n_clients": n, "status": f"exit {proc.returncode}: {last}"}
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"status": "ok"}


def slope(cells: list[dict]) -> float | None:
    """Least-squares slope of the run's memory against N (bytes per client) over the ok cells:
    each cell's peak RSS less its process's baseline before the cell built anything (cells
    added by different runs start from different baselines: 238 and 196 MiB here)."""
    import numpy as np

    ok = [c for c in cells if c.get("status") == "ok"]
    if len(ok) < 2:
        return None
    n = np.array([c["n_clients"] for c in ok], dtype=float)
    rss = np.array([c["peak_rss_bytes"] - c["baseline_rss_bytes"] for c in ok], dtype=float)
    return float(np.polyfit(n, rss, 1)[0])


def _devices(cells: list[dict]) -> str:
    """The devices the cells name, once each (cells of before the field: the CPU, no GPU)."""
    names = []
    for c in cells:
        name = c.get("device", "cpu").split(" (peak")[0]
        if c.get("status") == "ok" and name not in names:
            names.append(name)
    return ", ".join(names) or "none ran"


def slopes(cells: list[dict]) -> dict:
    """:func:`slope` of each framework's cells, DecL's per mixing rule (``"decl (one-peer)"``)
    and each per device count (``", 2 devices"``): one line per form of the round, over every
    cell of the table (added runs included)."""
    groups: dict[str, list[dict]] = {}
    for c in cells:
        label = c["framework"] + (f" ({c['mixing']})" if c["framework"] in ("decl", "run") else "")
        label += f", {c['devices']} devices" if c.get("devices", 1) > 1 else ""
        groups.setdefault(label, []).append(c)
    return {label: slope(group) for label, group in groups.items()}


def markdown(doc: dict) -> str:
    s = doc["settings"]
    lines = [
        "# Time and peak RSS per round against the number of clients",
        "",
        f"CPU: {doc['machine']['cpu_model']} ({doc['machine']['cpus']} cores), "
        f"load average before {doc['loadavg_before']}, after {doc['loadavg_after']}; "
        f"{doc['date']}. Device of the cells: {_devices(doc['cells'])}.",
        "",
        f"Method {s['method']}, d = {s['d']}, c = {s['c']}, B = {s['batch']}, "
        f"E = {s['local_steps']}, {s['dtype']}, metrics '{s['metrics']}'; "
        + DATA_WORDS[s.get("data", "gaussian")]
        + f". Each cell a fresh process; seconds per round: best "
        f"of {s['rounds']} after a compiling round. Command: `{doc['command']}`.",
        "",
        "| framework | mixing | devices | N | S | s / round (wall) | CPU s / round "
        "| peak RSS (MiB) | baseline RSS (MiB) | one model stack N·c·d (MiB) | status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    mib = 1 << 20
    for c in doc["cells"]:
        if c.get("status") != "ok":
            lines.append(f"| {c['framework']} | | | {c['n_clients']} | | | | | | | {c['status']} |")
            continue
        mixing = c["mixing"] + (" (server model)" if c.get("server_model") else "")
        lines.append(
            f"| {c['framework']} | {mixing} | {c.get('devices', 1)} | {c['n_clients']} "
            f"| {c['clients_per_round']} "
            f"| {c['seconds_per_round']:.4f} | {c['cpu_seconds_per_round']:.4f} "
            f"| {c['peak_rss_bytes'] / mib:.0f} "
            f"| {c['baseline_rss_bytes'] / mib:.0f} | {c['model_stack_bytes'] / mib:.1f} "
            f"| ok{'' if c.get('device', 'cpu') == 'cpu' else ', ' + c['device']} |"
        )
    lines += [
        "",
        "fl-server keeps one server model (at S = N every client trains from it), fl the "
        "engine's N copies; run (DecL) and run-fl (FedAvg, N copies): the round through "
        "sims.run with sims.KeyedData (the user's API: the loss's gradient by autodiff, no "
        "engine metrics). Wall seconds "
        "include waiting for a core on a shared machine (see the load average); CPU seconds "
        "are user + system of the process. The "
        "DecL slope includes the dense W (N² entries), the N identity targets (N·d² entries) "
        "that make_problem validates, and the rows of every client's metrics. DecL one-peer: the "
        "one-peer exponential rule (neighbour lists, no N × N array; π uniform) and one "
        "identity target, as FL.",
        "",
    ]
    for run in doc.get("added_runs", []):
        # the machine of an added run (not recorded before 2026-11-28 17:00 UTC)
        where = run.get("machine", {}).get("cpu_model", "CPU not recorded")
        lines += [
            f"Cells added by `{run['command']}` ({run['settings']['mixing']}), {run['date']}, "
            f"{where}: load average before {run['loadavg_before']}, after "
            f"{run['loadavg_after']}.",
            "",
        ]
    for fw, sl in slopes(doc["cells"]).items():
        if sl is not None:
            lines.append(
                f"Peak RSS less baseline, slope, {fw}: {sl:.0f} bytes per client "
                f"(one model stack: {doc['model_bytes_per_client']} bytes per client; "
                f"ratio {sl / doc['model_bytes_per_client']:.2f})."
            )
    return "\n".join(lines) + "\n"


_RUN_FIELDS = ("command", "settings", "loadavg_before", "loadavg_after", "date", "machine")


def _added(old: dict, new: dict) -> dict:
    """``old`` with ``new``'s cells added (replacing its cells of the same framework, mixing,
    N and device count) and ``new``'s command, settings, load and date listed under
    ``added_runs``."""
    key = lambda c: (c["framework"], c.get("mixing"), c["n_clients"], c.get("devices", 1))  # noqa: E731
    fresh = {key(c) for c in new["cells"]}
    runs = old.get("added_runs", []) + [{k: new[k] for k in _RUN_FIELDS}]
    return old | {
        "cells": [c for c in old["cells"] if key(c) not in fresh] + new["cells"],
        "added_runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="100,1000,10000,100000", help="N values, comma-separated")
    ap.add_argument(
        "--frameworks", default="fl-server,fl,decl", help="of fl-server, fl, decl, run, run-fl"
    )
    ap.add_argument("--decl-max-n", type=int, default=1000, help="largest N of dense DecL")
    ap.add_argument("--mixing", default="dense-ring", choices=tuple(MIXINGS))
    ap.add_argument("--method", default="mim")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--c", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--local-steps", type=int, default=5)
    ap.add_argument("--clients-per-round", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--metrics", default="all", choices=("all", "loss"))
    ap.add_argument(
        "--data",
        default="gaussian",
        choices=tuple(DATA),
        help="client minibatches: drawn from keys, or fixed (no draw: a control)",
    )
    ap.add_argument(
        "--devices",
        type=int,
        default=1,
        help="split the clients over K devices (on a CPU: K XLA devices, one per core)",
    )
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per cell")
    ap.add_argument("--out", default=OUT, help="output stem (.json and .md are written)")
    ap.add_argument("--cell", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--render", action="store_true", help="rewrite OUT.md from OUT.json only")
    ap.add_argument(
        "--add",
        action="store_true",
        help="keep OUT.json's cells of other (framework, mixing, N) and add this run's",
    )
    a = ap.parse_args(argv)
    if a.render:
        from sims.files import write_text

        with open(a.out + ".json") as fh:
            write_text(a.out + ".md", markdown(json.load(fh)), field="out")
        return 0
    if a.cell is not None:
        fw, n = a.cell.split(":")
        print(json.dumps(run_cell(fw, int(n), a)))
        return 0
    shared = [
        "--mixing", a.mixing, "--method", a.method, "--d", str(a.d), "--c", str(a.c),
        "--batch", str(a.batch), "--local-steps", str(a.local_steps),
        "--clients-per-round", str(a.clients_per_round), "--rounds", str(a.rounds),
        "--dtype", a.dtype, "--metrics", a.metrics, "--data", a.data,
        "--devices", str(a.devices),
    ]  # fmt: skip
    ns = [int(float(x)) for x in a.n.split(",")]
    load_before = [round(x, 2) for x in os.getloadavg()]
    cells = []
    for fw in a.frameworks.split(","):
        for n in ns:
            if fw in ("decl", "run") and a.mixing in DENSE_MIXINGS and n > a.decl_max_n:
                continue
            cell = _child(fw, n, shared, a.timeout)
            cells.append(cell)
            print(json.dumps({k: cell.get(k) for k in (
                "framework", "n_clients", "seconds_per_round", "peak_rss_bytes", "status")}),
                flush=True)  # fmt: skip
    from sims.reproduce.pipeline.machine import cpu_name

    isz = 4 if a.dtype == "float32" else 8
    doc = {
        "description": "seconds and peak RSS per round against N, keyed minibatches",
        "command": " ".join(["python benchmarks/bench_scale.py", *(argv or sys.argv[1:])]),
        "settings": {k: getattr(a, k) for k in (
            "method", "d", "c", "batch", "local_steps", "clients_per_round", "rounds", "dtype",
            "metrics", "mixing", "decl_max_n", "data", "devices")},
        "machine": {
            "cpu_model": cpu_name(), "cpus": os.cpu_count(), "platform": platform.platform(),
        },
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "model_bytes_per_client": a.c * a.d * isz,
        "cells": cells,
    }  # fmt: skip
    if a.add and os.path.exists(a.out + ".json"):
        with open(a.out + ".json") as fh:
            doc = _added(json.load(fh), doc)
    doc["rss_slope_bytes_per_client"] = slopes(doc["cells"])
    from sims.files import write_text  # the one writer

    write_text(a.out + ".json", json.dumps(doc, indent=1) + "\n", field="out")
    write_text(a.out + ".md", markdown(doc), field="out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
