"""GPU benchmark table: the engine on a GPU against that GPU's measured matmul peak.

Run it on a machine with a GPU (``make bench`` is the CPU table). In one process:

1. **Peak.** The GPU's float32 matmul throughput, an 8192×8192 product of random operands
   (:func:`timing.matmul_peak`), at JAX's two matmul precisions: ``default`` (XLA may run
   float32 products on the TF32 tensor cores) and ``highest`` (full float32).
2. **Track C engine** (linear MIM, Eq. 4 of arXiv 2607.02447; FedAvg, all clients, SGD, E = 5,
   float32; :func:`timing.scale_case`, best of the timed rounds after compilation) at
   N = 1000, d = 4096 with c = 64, B = 128 (the CPU efficiency cell's c and B) and with c = 16,
   B = 32 (the quick setting's), and the quick setting N = 100, d = 64, each at both precisions.
   Achieved FLOP/s count the matmul flops of :func:`timing.round_flops` and are set
   against the peak measured at the same precision.
3. **CPU/GPU ratio.** The default-precision cells again on the same machine's CPU, in a fresh
   process with ``JAX_PLATFORMS=cpu`` (float32 on the CPU is full float32 either way).
4. **Track D at the paper's FL scale** (100 clients, 5 sampled per round; the ``paper-scale``
   preset of :mod:`sims.trackd.presets`: the patch ViT on the bundled MNIST images, 7×7 patches,
   MAE; its batch, widths and mask ratio). FLOP/s are
   XLA's flop count of one local step (forward and backward) times the steps and the clients
   that train; also with all 100 clients training per round, to show how the rate moves with the
   work in flight.

Writes ``gpu.json`` and ``gpu.md`` (device named, load average, versions) to ``--out``
(default ``benchmarks/results``) and prints the table last.

5. **Rounds per second** of the quick cell as one jitted scan of 2000 rounds
   (:attr:`sims.core.engine.Engine.scan`), with all metrics and with the loss only.
6. **DrJAX head to head** (``benchmarks/drjax_fedavg.py``) on the GPU, if drjax is installed.

``benchmarks/gpu_checks.sh OUT`` runs this and the scale cells of ``benchmarks/bench_scale.py``
(10⁶ clients) in one go.

Usage: ``python benchmarks/bench_gpu.py [--out DIR] [--parts peak,engine,rounds,drjax,trackd,cpu]
[--smoke]``; ``--smoke`` runs tiny sizes on whatever backend there is (a check of the script).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import jax
import jax.random as jr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import timing as bench  # noqa: E402

from sims.files import write_text  # noqa: E402 - the one writer

PARTS = ("peak", "engine", "rounds", "drjax", "trackd", "cpu")
PRECISIONS = ("default", "highest")
# (N, d, c, B, samples per client)
CELLS = ((1000, 4096, 64, 128, 128), (1000, 4096, 16, 32, 64), (100, 64, 16, 32, 256))
SMOKE_CELLS = ((8, 32, 4, 8, 16), (4, 16, 2, 4, 8))


def _device() -> dict:
    dev = jax.devices()[0]
    out = {"backend": jax.default_backend(), "device_kind": dev.device_kind, "jax": jax.__version__}
    try:
        out["memory_bytes"] = int((dev.memory_stats() or {}).get("bytes_limit", 0))
    except Exception:
        pass
    try:
        query = "--query-gpu=name,driver_version,clocks.max.sm"
        smi = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        out["nvidia_smi"] = smi.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return out


def peaks(n: int) -> dict:
    return {p: bench.matmul_peak(n, repeats=10, precision=p) for p in PRECISIONS}


def engine_cell(n, d, c, b, m, precision, rounds) -> dict:
    with jax.default_matmul_precision(precision):
        res = bench.scale_case(n, d, c=c, batch=b, m=m, rounds=rounds, framework="fl")
    return res | {"precision": precision, "backend": jax.default_backend()}


def rounds_per_second(length: int, metrics: str, repeats: int = 3, smoke: bool = False) -> dict:
    """The quick cell (FedAvg, every client, N = 100, d = 64, float32: ``bench.QUICK``) as
    ``length`` rounds in one jitted ``lax.scan`` (:attr:`sims.core.engine.Engine.scan`, what
    ``Engine.run`` calls): rounds per second, best of ``repeats`` after a compiling call. One
    dispatch per scan instead of one per round, so that the GPU is not idle between rounds."""
    from sims.core.config import key_tree
    from sims.core.engine import make_engine
    from sims.core.recorded import target_stats

    fields = dict(bench.QUICK) | ({"n_clients": 8, "d": 16} if smoke else {})
    config = bench.bench_config(**fields, framework="fl", metrics=metrics)
    problem = bench._problem(config, m=bench.SAMPLES_PER_CLIENT)
    engine = make_engine(config)
    state0 = engine.init(problem, key=key_tree(0)["root"])
    stats = target_stats(problem.targets)

    def once():
        state, trace = engine.scan(state0, problem, stats, length)
        jax.block_until_ready((state.params, trace))

    t0 = time.perf_counter()
    once()
    first = time.perf_counter() - t0
    best = bench._best(once, repeats)
    return {
        "cell": {k: fields[k] for k in ("n_clients", "d", "c", "batch", "local_steps")},
        "metrics": metrics,
        "rounds_per_scan": length,
        "seconds_per_scan": best,
        "rounds_per_second": length / best,
        "first_call_seconds": first,
        "backend": jax.default_backend(),
    }


def drjax_cells(smoke: bool) -> list:
    """``benchmarks/drjax_fedavg.py``'s head to head (the engine and DrJAX on identical FedAvg
    work) at its settings, on this machine's default device; [] with a note if drjax is not
    installed."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import drjax  # noqa: F401
    except ImportError:
        return [{"skipped": "drjax is not installed"}]
    from drjax_fedavg import SETTINGS, head_to_head

    over = {"n_clients": 4, "d": 8, "c": 2, "batch": 4, "rounds": 2} if smoke else None
    out = []
    for name in SETTINGS:
        r = head_to_head(name, repeats=2 if smoke else 5, overrides=over)
        out.append(r | {"backend": jax.default_backend()})
        print(
            f"drjax {name}: engine {r['seconds']['engine']:.4g} s, drjax "
            f"{r['seconds']['drjax']:.4g} s ({r['engine_speedup_vs_drjax']:.2f}x)",
            flush=True,
        )
    return out


def cpu_cells(cells, rounds: int, timeout: int) -> dict:
    """The cells on this machine's CPU, in a fresh process (a GPU process cannot switch)."""
    code = (
        f"import json, sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'benchmarks')!r}];"
        "import timing as bench;"
        f"cells = {[list(x) for x in cells]!r};"
        "out = {'peak': bench.matmul_peak(2048, repeats=5),"
        f" 'cells': [bench.scale_case(n, d, c=c, batch=b, m=m, rounds={rounds}, framework='fl')"
        " for n, d, c, b, m in cells]};"
        "print(json.dumps(out))"
    )
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    try:
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout} s limit"}
    if r.returncode != 0:
        return {"skipped": "failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def trackd_cells(smoke: bool, precisions) -> list:
    from sims.trackd import data as tdata
    from sims.trackd import presets
    from sims.trackd import train as tt
    from sims.trackd.experiments import loss_config, net_config, train_config

    cfg = presets.preset("paper-scale", "table1")
    common = replace(cfg.common, rounds=2)  # two rounds per timed call
    n, s = cfg.n_clients, cfg.clients_per_round
    if smoke:
        common = replace(common, width=16, depth=1, local_steps=2, batch_size=8, rows=32)
        n, s = 6, 2
    # the preset's MNIST (smoke: 500 training images)
    images = tdata.load_images(
        common.dataset, key=jr.key(0), max_train=500 if smoke else None, max_test=100
    )
    xs, _, _ = tdata.split_clients(images, n, "iid", key=jr.key(1))
    data = tt.tile_clients(xs, common.rows, key=jr.key(2))
    nc = net_config(common, "vit", "mae", images.x_train.shape[1:])
    lc = loss_config(common, "mae")
    step_flops = tt.local_step_flops(nc, lc, data[0, : common.batch_size])
    out = []
    for precision, sampled in precisions:
        tc = train_config(common, s if sampled else None)
        trained = s if sampled else n

        def once(tc=tc):
            res = tt.train(nc, lc, tc, data, mixing="fedavg", key=jr.key(3))
            jax.block_until_ready(res.global_params)

        with jax.default_matmul_precision(precision):
            t0 = time.perf_counter()
            once()
            first = time.perf_counter() - t0
            best = bench._best(once, 2)
        per_round = best / common.rounds
        flops = step_flops * common.local_steps * trained
        print(f"trackd {trained} of {n} clients, {precision}: {per_round:.4g} s/round, "
              f"{flops / per_round / 1e12:.2f} TFLOP/s", flush=True)  # fmt: skip
        out.append({
            "precision": precision,
            "clients": n,
            "clients_trained_per_round": trained,
            "rounds_timed": common.rounds,
            "s_per_round": per_round,
            "first_call_s": first,
            "step_flops_xla": step_flops,
            "flops_per_round": flops,
            "flop_per_s": flops / per_round,
            "model": f"ViT width {common.width}, {common.depth} blocks, {common.heads} heads, "
                     f"{nc.n_patches} patches of {nc.patch_dim} values",
            "batch_size": common.batch_size,
            "local_steps": common.local_steps,
        })  # fmt: skip
    return out


def _table(res: dict) -> str:
    dev = res["device"]
    lines = [
        f"# GPU benchmark: {dev.get('device_kind')} ({dev.get('nvidia_smi', '')})",
        "",
        f"jax {dev.get('jax')}, backend {dev.get('backend')}; load average "
        f"{res['load_before'][0]:.2f} → {res['load_after'][0]:.2f}; {res['date']}.",
        "",
    ]
    pk = res.get("peak", {})
    if pk:
        lines += [
            "Measured float32 matmul peak (8192×8192, random operands): "
            + ", ".join(f"{p} {v / 1e12:.1f} TFLOP/s" for p, v in pk.items()),
            "",
        ]
    cells = res.get("engine", [])
    if cells:
        lines += [
            "| N | d | c | B | precision | s/round | TFLOP/s | of the peak at that precision "
            "| clients per chunk | CPU s/round | CPU/GPU |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        cpu = {(x["n_clients"], x["d"], x["c"], x["batch"]): x for x in res.get("cpu_cells", [])}
        for x in cells:
            k = (x["n_clients"], x["d"], x["c"], x["batch"])
            cx = cpu.get(k) if x["precision"] == "default" else None
            frac = x["flop_per_s"] / pk[x["precision"]] if pk else float("nan")
            t, tc = x["seconds_per_round"], cx["seconds_per_round"] if cx else None
            lines.append(
                f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {x['precision']} | {t:.4g} | "
                f"{x['flop_per_s'] / 1e12:.2f} | {frac:.0%} | {x['client_chunk']} | "
                + (f"{tc:.4g} | {tc / t:.0f}× |" if cx else "– | – |")
            )
        lines.append("")
    rps = res.get("rounds", [])
    if rps:
        q = rps[0]["cell"]
        lines += [
            f"Quick cell as one scan of rounds (FedAvg, every client, N = {q['n_clients']}, "
            f"d = {q['d']}, c = {q['c']}, B = {q['batch']}, E = {q['local_steps']}, float32, "
            "default precision; `Engine.scan`, best of 3 after compiling):",
            "",
            "| metrics | rounds per scan | s per scan | rounds / s |",
            "|---|---|---|---|",
        ]
        lines += [f"| {x['metrics']} | {x['rounds_per_scan']} | {x['seconds_per_scan']:.4g} | "
                  f"{x['rounds_per_second']:.0f} |" for x in rps]  # fmt: skip
        lines.append("")
    dj = [x for x in res.get("drjax", []) if "seconds" in x]
    if dj:
        lines += [
            f"Against DrJAX {dj[0]['drjax_version']} on this device (FedAvg, every client, float32,"
            " identical data, keys and starting model; `benchmarks/drjax_fedavg.py`; seconds "
            "for the setting's rounds, best of 5):",
            "",
            "| setting | N | d | c | B | rounds | engine | engine, loss only | DrJAX | DrJAX, "
            "closed-form gradient | DrJAX / engine | max abs diff of the model |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for x in dj:
            c, t = x["config"], x["seconds"]
            lines.append(
                f"| {x['setting']} | {c['n_clients']} | {c['d']} | {c['c']} | {c['batch']} | "
                f"{c['rounds']} | {t['engine']:.4g} | {t['loss_only']:.4g} | {t['drjax']:.4g} | "
                f"{t['drjax_closed_form']:.4g} | {x['engine_speedup_vs_drjax']:.2f}× | "
                f"{x['max_abs_diff_vs_engine']['drjax']:.2g} |"
            )
        lines.append("")
    td = res.get("trackd", [])
    if td:
        lines += [
            "Track D, paper-scale FL (" + td[0]["model"] + f", batch {td[0]['batch_size']}, "
            f"{td[0]['local_steps']} local steps, MAE):",
            "",
            "| clients trained per round | precision | s/round | TFLOP/s (XLA count) "
            "| of the peak |",
            "|---|---|---|---|---|",
        ]
        for x in td:
            frac = x["flop_per_s"] / pk[x["precision"]] if pk else float("nan")
            lines.append(
                f"| {x['clients_trained_per_round']} of {x['clients']} | {x['precision']} | "
                f"{x['s_per_round']:.4g} | {x['flop_per_s'] / 1e12:.2f} | {frac:.0%} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--parts", default=",".join(PARTS))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a check of the script)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per engine cell")
    args = ap.parse_args(argv)
    parts = args.parts.split(",")
    for p in parts:
        if p not in PARTS:
            ap.error(f"--parts: each must be one of {', '.join(PARTS)}, got {p!r}")
    if jax.default_backend() == "cpu" and not args.smoke:
        ap.error("no GPU: JAX's default backend is cpu (use --smoke to check the script)")
    cells = SMOKE_CELLS if args.smoke else CELLS
    res = {
        "device": _device(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_before": list(os.getloadavg()),
        "cpus": os.cpu_count(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save():
        res["load_after"] = list(os.getloadavg())
        write_text(out / "gpu.json", json.dumps(res, indent=1))
        write_text(out / "gpu.md", _table(res))

    if "peak" in parts:
        res["peak"] = peaks(512 if args.smoke else 8192)
        print("peak", {k: f"{v / 1e12:.2f} TFLOP/s" for k, v in res["peak"].items()}, flush=True)
        save()
    if "engine" in parts:
        res["engine"] = []
        for n, d, c, b, m in cells:
            for p in PRECISIONS:
                x = engine_cell(n, d, c, b, m, p, 2 if args.smoke else args.rounds)
                res["engine"].append(x)
                print(f"engine N={n} d={d} c={c} B={b} {p}: {x['seconds_per_round']:.4g} s/round,"
                      f" {x['flop_per_s'] / 1e12:.2f} TFLOP/s, chunk {x['client_chunk']}",
                      flush=True)  # fmt: skip
                save()
    if "rounds" in parts:
        res["rounds"] = []
        for metrics in ("all", "loss"):
            x = rounds_per_second(20 if args.smoke else 2000, metrics, smoke=args.smoke)
            res["rounds"].append(x)
            rate = x["rounds_per_second"]
            print(f"quick cell, metrics {metrics}: {rate:.0f} rounds/s", flush=True)
            save()
    if "drjax" in parts:
        res["drjax"] = drjax_cells(args.smoke)
        save()
    if "trackd" in parts:
        which = [("default", True), ("default", False), ("highest", True)]
        res["trackd"] = trackd_cells(args.smoke, which)
        save()
    if "cpu" in parts:
        got = cpu_cells(cells, 1 if not args.smoke else 2, 240)
        print("cpu", got.get("skipped") or [round(c["seconds_per_round"], 4) for c in got["cells"]],
              flush=True)  # fmt: skip
        res["cpu_skipped"] = got.get("skipped")
        res["cpu_peak"] = got.get("peak")
        res["cpu_cells"] = got.get("cells", [])
        save()
    save()
    print(_table(res))
    return res


if __name__ == "__main__":
    main()
