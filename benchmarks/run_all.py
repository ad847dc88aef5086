"""``make bench``: the engine comparison and the scale table, written to benchmarks/results/.

1. ``sims.bench.compare`` on the issue-4 setting (engine vs loop over clients vs per-step loop
   vs numpy), in this process.
2. The scale table over N ∈ {10, 100, 1000, 10000} and d ∈ {64, 512, 4096} (FedAvg, all clients,
   64 samples per client, float32): each cell in a FRESH process (so its peak RSS is its own):
   seconds per round after compile, compile seconds, peak RSS, achieved FLOP/s against the
   measured matmul peak. Cells whose data alone (samples N·64·d plus the (N, d, d) targets)
   would exceed ``--max-gb`` (default 6 GiB) are skipped and listed as such.

Usage: ``python benchmarks/run_all.py [--quick] [--max-gb 6]``; writes
``benchmarks/results/bench.json`` and ``benchmarks/results/bench.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
NS = (10, 100, 1000, 10000)
DS = (64, 512, 4096)
M = 64


def _data_bytes(n: int, d: int) -> int:
    return 4 * (n * M * d + n * d * d)


def _cell(n: int, d: int, timeout: int) -> dict:
    code = (
        "import json, jax; jax.config.update('jax_enable_x64', True);"
        "from sims import bench;"
        f"print(json.dumps(bench.scale_case({n}, {d}, m={M}, loop={n <= 100 and d <= 512})))"
    )
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
        return {"n_clients": n, "d": d, "skipped": f"over the {timeout} s time limit"}
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["?"]
        return {"n_clients": n, "d": d, "skipped": f"failed: {tail[0]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="d = 64 row of the table only")
    ap.add_argument("--max-gb", type=float, default=6.0)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per table cell")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import jax

    jax.config.update("jax_enable_x64", True)
    from sims import bench

    res = {"machine": bench.machine(), "compare": bench.compare(repeats=3)}
    peak = res["compare"]["matmul_peak_flop_per_s"]
    cells = []
    for d in (64,) if args.quick else DS:
        for n in NS:
            need = _data_bytes(n, d)
            if need > args.max_gb * 2**30:
                cells.append(
                    {
                        "n_clients": n,
                        "d": d,
                        "skipped": f"data alone {need / 2**30:.1f} GiB > {args.max_gb} GiB",
                    }
                )
                continue
            cell = _cell(n, d, args.timeout)
            if "flop_per_s" in cell:
                cell["fraction_of_peak"] = cell["flop_per_s"] / peak
            cells.append(cell)
            print(json.dumps(cell), flush=True)
    res["scale"] = cells
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(res, indent=2) + "\n")
    c = res["compare"]
    lines = [
        "# Engine benchmark",
        "",
        f"Machine: {res['machine']['cpus']} CPUs, jax {res['machine']['jax']}, "
        f"load average {res['machine']['load_average'][0]:.2f}; "
        f"measured float32 matmul peak {peak / 1e9:.1f} GFLOP/s.",
        "",
        "## Issue-4 setting (N=100, d=64, c=16, B=32, E=5, T=20, float32, DecL ring)",
        "",
        "| implementation | seconds (20 rounds) | engine speed-up |",
        "|---|---|---|",
        f"| vmapped engine | {c['engine_seconds']:.3f} | 1 |",
        f"| loop over clients, jitted client update | {c['loop_seconds']:.3f} | "
        f"{c['speedup_vs_loop']:.1f}x |",
    ]
    if "per_step_loop_seconds" in c:
        lines.append(
            f"| loop over clients and steps, jitted step (fedjax-style) | "
            f"{c['per_step_loop_seconds']:.3f} | {c['speedup_vs_per_step_loop']:.1f}x |"
        )
    lines += [
        f"| numpy, clients stacked | {c['numpy_seconds']:.3f} | {c['speedup_vs_numpy']:.1f}x |",
        "",
        f"Engine compile: {c['compile_seconds']:.1f} s. Engine achieved "
        f"{c['engine_flop_per_s'] / 1e9:.1f} GFLOP/s ({100 * c['engine_fraction_of_peak']:.0f}%"
        " of peak).",
        "",
        "## Scale (FedAvg, all clients, 64 samples/client, float32)",
        "",
        "| N | d | s/round | compile s | peak RSS MiB | GFLOP/s | % peak | chunk | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        if "skipped" in cell:
            lines.append(
                f"| {cell['n_clients']} | {cell['d']} | | | | | | | skipped: {cell['skipped']} |"
            )
            continue
        note = ""
        if "loop_seconds_per_round" in cell:
            note = f"loop {cell['loop_seconds_per_round']:.3f} s/round"
        lines.append(
            f"| {cell['n_clients']} | {cell['d']} | {cell['seconds_per_round']:.4f} | "
            f"{cell['compile_seconds']:.1f} | {cell['peak_rss_bytes'] / 2**20:.0f} | "
            f"{cell['flop_per_s'] / 1e9:.1f} | {100 * cell['fraction_of_peak']:.0f} | "
            f"{cell['client_chunk']} | {note} |"
        )
    (OUT / "bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
