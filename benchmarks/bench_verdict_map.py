"""Benchmark: the whole verdict map without Track C (``sims.verdict_map.compute_map``).

Target (issue 10): ≤ 2 min on 2 cores. Prints wall time, process CPU time (all threads), the
number of cells, the load average before and after (the machine may be shared) and the sizes of
the files the stage writes (``verdict_map.json``, ``verdict_cells.json``; target < 1 MB each).

Usage: ``python benchmarks/bench_verdict_map.py [--fast] [--threads K]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast", action="store_true", help="the FAST preset instead of DEFAULT")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2 = 2 cores)")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from sims import verdict_map as vm

    cfg = vm.FAST if args.fast else vm.DEFAULT
    load0 = os.getloadavg()
    w0, c0 = time.perf_counter(), time.process_time()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = vm.compute_map(cfg, workers=args.workers)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0 + child
    load1 = os.getloadavg()
    from sims.reproduce.pipeline.jsonio import dumps

    sizes = {
        "verdict_map.json": len(dumps(vm.compact_map(result)).encode()),
        "verdict_cells.json": len(dumps(vm.encode_cells(result)).encode()),
    }
    print(
        f"verdict map ({'fast' if args.fast else 'default'}): {len(result['cells'])} cells, "
        f"workers {args.workers}, wall {wall:.1f} s, cpu (all processes) {cpu:.1f} s, "
        f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
        f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}, cores {os.cpu_count()}; "
        + ", ".join(f"{k} {b / 1024:.0f} KiB" for k, b in sizes.items())
    )


if __name__ == "__main__":
    main()
