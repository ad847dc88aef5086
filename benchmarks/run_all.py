"""``make bench``: the engine comparison and the scale table, written to benchmarks/results/.

1. ``timing.compare`` on the quick setting (N = 100, d = 64, c = 16, B = 32, E = 5,
   T = 20, float32): engine vs loop over clients vs per-step loop vs stacked numpy vs the
   PyTorch per-client loop of ``benchmarks/torch_loop.py`` (the official code's organisation),
   side by side in this process.
2. The efficiency cell N = 100, d = 512, c = 64, B = 128 (fraction of the measured float32
   matmul peak), in a fresh process.
3. The scale table over N ∈ {10, 100, 1000, 10000, 100000} and d ∈ {64, 512, 4096} (FedAvg,
   all clients, 64 samples per client, float32): each cell in a FRESH process (so its peak RSS
   is its own): seconds per round after compile, compile seconds, peak RSS, achieved FLOP/s
   against the measured matmul peak, load average. Cells whose data alone (samples N·64·d plus
   the (N, d, d) targets, float32) would exceed ``--max-gb`` (default 6 GiB) are skipped.
4. DrJAX head to head (``benchmarks/drjax_fedavg.py``): the same FedAvg problem at the quick
   setting and at the efficiency cell, the engine (all metrics, and ``metrics="loss"``) against
   a DrJAX round as its docs write one (``jax.grad`` client update) and one with the engine's
   closed-form gradient, timed in turn in this process, final models compared.
5. The 1000-configuration sweep of ``benchmarks/bench_engine.py``: compilations and
   configurations per second (after compilation).

The GPU table is ``benchmarks/bench_gpu.py`` (run on a machine with a GPU; results in
``benchmarks/results/gpu.md``).

Usage: ``python benchmarks/run_all.py [--quick] [--max-gb 6] [--parts compare,peak,scale,sweep]
[--ds 64,512,4096]`` (parts: compare, peak, scale, drjax, sweep);
writes ``benchmarks/results/bench.json`` and ``benchmarks/results/bench.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# one CPU device per core, for the comparison's sharded-engine row (timing.compare); the
# other rows run on the first device, as with one
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sims.core.environ import request_host_devices  # noqa: E402
from sims.files import write_text  # noqa: E402 - the one writer

request_host_devices()

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
NS = (10, 100, 1000, 10000, 100000)
DS = (64, 512, 4096)
M = 64
PARTS = ("compare", "peak", "scale", "drjax", "sweep")


def _data_bytes(n: int, d: int) -> int:
    """float32 bytes of a scale cell's problem: the samples and the (N, d, d) targets, or one
    (1, d, d) target where ``timing._problem`` builds the compact problem instead."""
    from timing import compact_targets

    return 4 * (n * M * d + (1 if compact_targets(n, d) else n) * d * d)


def _subprocess(code: str, timeout: int) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout} s time limit"}
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        return {"skipped": f"failed: {tail[0]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(n: int, d: int, timeout: int, **kw) -> dict:
    # seconds per round is the best of the timed rounds: more rounds where they are cheap, so
    # that one slow round on a shared machine does not decide a cell (3 were used before)
    rounds = 2 if n >= 100000 else 5 if n >= 10000 else 10
    m = kw.pop("m", M)
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    code = (
        "import json, jax; jax.config.update('jax_enable_x64', True);"
        "import sys; sys.path.insert(0, 'benchmarks'); import timing as bench;"
        f"print(json.dumps(bench.scale_case({n}, {d}, m={m}, rounds={rounds}, "
        f"loop={n <= 100 and d <= 512}{', ' + args if args else ''})))"
    )
    return {"n_clients": n, "d": d} | _subprocess(code, timeout)


def _sweep(timeout: int, quick: bool) -> dict:
    seeds, bs = (10, 40) if quick else (250, 100)
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks');"
        "import bench_engine as be; from timing import peak_rss_bytes;"
        f"r = be.bench_sweep({seeds}, {bs}); r['peak_rss_bytes'] = peak_rss_bytes();"
        "print(json.dumps(r))"
    )
    return _subprocess(code, timeout)


def machine_text(m: dict) -> str:
    return (
        f"{m['cpus']} CPUs ({m['processor'] or m['platform']}), jax {m['jax']} on {m['backend']}, "
        "no GPU (none is available to this run; GPU rows of issue 13 not measured)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="d = 64 rows only (N up to 100000)")
    ap.add_argument("--max-gb", type=float, default=6.0)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per table cell")
    ap.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated subset of " + ",".join(PARTS)
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--ds", default=",".join(map(str, DS)), help="comma-separated d of the scale table"
    )
    ap.add_argument(
        "--ns",
        default=",".join(map(str, NS)),
        help="comma-separated N of the scale table (cells of other N already in bench.json "
        "are kept)",
    )
    args = ap.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    for p in parts:
        if p not in PARTS:
            ap.error(f"--parts: must be a subset of {','.join(PARTS)}, got {p}")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import jax

    jax.config.update("jax_enable_x64", True)
    import timing as bench

    path = OUT / "bench.json"
    res = json.loads(path.read_text()) if path.exists() else {}
    res["machine"] = bench.machine() | {"processor": platform.processor()}
    res.pop("note", None)  # a note of an earlier partial run, no longer true of the file
    dates = res.setdefault("dates", {})
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for p in parts:
        dates[p] = stamp  # each part ran in this run, started at this time
    if "compare" in parts:
        from torch_loop import torch_runner

        res["compare"] = bench.compare(
            repeats=args.repeats, extra={"torch": lambda c, p: torch_runner(c, p)}
        )
        print(json.dumps(res["compare"]), flush=True)
    if "peak" in parts:
        res["peak_cell"] = _cell(100, 512, args.timeout, c=64, batch=128, m=256)
        print(json.dumps(res["peak_cell"]), flush=True)
    if "scale" in parts:
        # each row's % peak against a peak measured in the same run (this run's quick setting,
        # or a fresh measurement when it did not run)
        peak_now = (
            res["compare"]["matmul_peak_flop_per_s"] if "compare" in parts else bench.matmul_peak()
        )
        cells = []
        ds = [int(s) for s in args.ds.split(",") if s]
        for d in (64,) if args.quick else ds:
            for n in [int(s) for s in args.ns.split(",") if s]:
                need = _data_bytes(n, d)
                if need > args.max_gb * 2**30:
                    gb = need / 2**30
                    cells.append(
                        {
                            "n_clients": n,
                            "d": d,
                            "skipped": f"data alone {gb:.1f} GiB > {args.max_gb} GiB",
                        }
                    )
                    continue
                cells.append(_cell(n, d, args.timeout) | {"matmul_peak_flop_per_s": peak_now})
                print(json.dumps(cells[-1]), flush=True)
        new = {(cl["n_clients"], cl["d"]) for cl in cells}
        kept = [cl for cl in res.get("scale", []) if (cl["n_clients"], cl["d"]) not in new]
        res["scale"] = sorted(kept + cells, key=lambda cl: (cl["d"], cl["n_clients"]))
    if "drjax" in parts:
        from drjax_fedavg import SETTINGS, head_to_head

        res["drjax"] = [head_to_head(name, repeats=args.repeats) for name in SETTINGS]
        print(json.dumps(res["drjax"]), flush=True)
    if "sweep" in parts:
        res["sweep"] = _sweep(args.timeout, args.quick)
        print(json.dumps(res["sweep"]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(res, indent=2) + "\n")
    write_text(OUT / "bench.md", report(res))
    print(report(res))


def _mib(b) -> str:
    return f"{b / 2**20:.0f}" if b else ""


def report(res: dict) -> str:
    """bench.md from bench.json."""
    lines = ["# Engine benchmark", "", f"Machine: {machine_text(res['machine'])}.", ""]
    dates = res.get("dates", {})
    if dates:
        when = "; ".join(f"{p}: {dates.get(p, 'not recorded')}" for p in PARTS if p in res
                         or (p == "peak" and "peak_cell" in res))  # fmt: skip
        lines += [f"When each part ran (the run that started then): {when}.", ""]
    c = res.get("compare")
    if c:
        peak = c["matmul_peak_flop_per_s"]
        la, lb = c["load_average_before"], c["machine"]["load_average"]
        lines += [
            "## Quick setting (N=100, d=64, c=16, B=32, E=5, T=20, float32, DecL ring), one run",
            "",
            f"Load average (1, 5, 15 min) {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f} before and "
            f"{lb[0]:.2f}, {lb[1]:.2f}, {lb[2]:.2f} after; measured float32 matmul peak "
            f"{peak / 1e9:.1f} GFLOP/s; peak RSS {_mib(c['peak_rss_bytes'])} MiB (the whole "
            "process: every row below, and the PyTorch one).",
            "",
            "| implementation | seconds (20 rounds) | engine speed-up | sharded engine speed-up |",
            "|---|---|---|---|",
        ]
        sh = c.get("sharded_seconds")

        def row(label: str, name: str | None, digits: int = 1) -> str:
            t = c["engine_seconds"] if name is None else c[f"{name}_seconds"]
            one = "1" if name is None else f"{t / c['engine_seconds']:.{digits}f}x"
            both = f"{t / sh:.{digits}f}x" if sh else "(one device)"
            return f"| {label} | {t:.3f} | {one} | {both} |"

        if sh:
            lines.append(
                f"| vmapped engine, clients sharded over {c['sharded_devices']} CPU devices "
                f"(one per core) | {sh:.3f} | {sh / c['engine_seconds']:.2f}x | 1 |"
            )
        lines.append(row("vmapped engine, one device", None))
        if "loss_only_seconds" in c:
            label = 'vmapped engine, one device, recording only the losses (`metrics="loss"`)'
            lines.append(row(label, "loss_only", digits=2))
        lines.append(row("stacked numpy", "numpy"))
        lines.append(row("loop over clients, jitted client update", "loop"))
        if "per_step_loop_seconds" in c:
            lines.append(
                row("loop over clients and steps, jitted step (fedjax-style)", "per_step_loop")
            )
        if "torch_seconds" in c:
            lines.append(row("PyTorch loop over clients (official code's organisation)", "torch"))
        lines += [
            "",
            f"Engine compile {c['compile_seconds']:.1f} s; engine "
            f"{c['engine_flop_per_s'] / 1e9:.1f} GFLOP/s ({100 * c['engine_fraction_of_peak']:.0f}%"
            f" of peak); max |engine − loop| {c['max_abs_diff_engine_vs_loop']:.1e}"
            + (
                f"; recording only the losses: {c['loss_only_speedup_vs_numpy']:.2f}x stacked "
                f"numpy, {c['loss_only_speedup_vs_loop']:.2f}x the loop, "
                f"{100 * c['loss_only_fraction_of_peak']:.0f}% of peak, max |loss-only − engine| "
                f"{c['max_abs_diff_loss_only_vs_engine']:.1e}"
                if "loss_only_seconds" in c
                else ""
            )
            + (
                f"; sharded engine {100 * c['sharded_fraction_of_peak']:.0f}% of peak, max "
                f"|sharded − engine| {c['max_abs_diff_sharded_vs_engine']:.1e}."
                if sh
                else "."
            ),
            "",
        ]
        if "timing" in c:
            lines += [f"Timing: {c['timing']} (`timing.best_interleaved`).", ""]
    p = res.get("peak_cell")
    if p and "seconds_per_round" in p:
        peak = (c or {}).get("matmul_peak_flop_per_s")
        frac = (
            f"{100 * p['flop_per_s'] / peak:.0f}% of the quick run's measured peak" if peak else ""
        )
        la = p["load_average"]
        lines += [
            "## Efficiency cell (N=100, d=512, c=64, B=128, E=5, FedAvg, float32)",
            "",
            f"{p['seconds_per_round']:.3f} s per round, "
            f"{p['flop_per_s'] / 1e9:.1f} GFLOP/s, {frac}; "
            f"peak RSS {_mib(p['peak_rss_bytes'])} MiB; load average {la[0]:.2f}.",
            "",
        ]
        if "loop_seconds_per_round" in p:
            loop = p["loop_seconds_per_round"]
            lines += [
                f"The jitted per-client loop on the same cell: {loop:.3f} s per round "
                f"(the engine is {loop / p['seconds_per_round']:.2f}x it).",
                "",
            ]
    cells = res.get("scale")
    if cells:
        peak = (c or {}).get("matmul_peak_flop_per_s")
        lines += [
            "## Scale (FedAvg, all clients, 64 samples/client, c=16, B=32, E=5, float32)",
            "",
            "% peak: against the float32 matmul peak measured in the run that timed the row.",
            "",
            "| N | d | s/round | compile s | peak RSS MiB | GFLOP/s | % peak | chunk | load 1 min "
            "| note |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for cell in cells:
            if "skipped" in cell:
                lines.append(
                    f"| {cell['n_clients']} | {cell['d']} | | | | | | | | "
                    f"skipped: {cell['skipped']} |"
                )
                continue
            note = ""
            if "loop_seconds_per_round" in cell:
                note = f"loop {cell['loop_seconds_per_round']:.3f} s/round"
            cell_peak = cell.get("matmul_peak_flop_per_s", peak)
            pct = f"{100 * cell['flop_per_s'] / cell_peak:.0f}" if cell_peak else ""
            lines.append(
                f"| {cell['n_clients']} | {cell['d']} | {cell['seconds_per_round']:.4f} | "
                f"{cell['compile_seconds']:.1f} | {_mib(cell['peak_rss_bytes'])} | "
                f"{cell['flop_per_s'] / 1e9:.1f} | {pct} | {cell['client_chunk']} | "
                f"{cell['load_average'][0]:.2f} | {note} |"
            )
        lines.append("")
    from drjax_fedavg import drjax_report

    lines += drjax_report(res.get("drjax"))
    sw = res.get("sweep")
    if sw and "configurations" in sw:
        lines += [
            "## Sweep",
            "",
            f"{sw['configurations']} configurations (N=16, d=16, 10 rounds): "
            f"{sw['compiles_of_sweep_function']} compilation(s); "
            f"{sw['wall_s_incl_compile']:.1f} s including compilation, "
            f"{sw.get('wall_s_after_compile', float('nan')):.1f} s after "
            f"({sw.get('configurations_per_second', float('nan')):.1f} configurations/s); "
            f"peak RSS {_mib(sw.get('peak_rss_bytes'))} MiB.",
            "",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
