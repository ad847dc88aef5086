"""Benchmark: the exact model at any d, the d-sweep to 1e20, finite samples, break-even constants.

Items (one JSON line each on stdout, with seconds and the 1/5/15-minute load average):

* ``exact_1e12``: ``dssl exact --d 1e12 --json`` in a subprocess (import + all optima:
  N local, FL, DecL, DecL stationary, the paper's DecL), target < 10 s on 2 cores;
* ``sweep_1e20``: ``theory.structured.d_sweep`` over 37 log-spaced d in [1e2, 1e20] with
  N = round(d^{1/20}) (joint scaling), target < 10 s;
* ``finite_samples``: ``theory.finite_sample.track_b_samples`` at d = 1e4, M = 1e4, N = 4,
  20 seeds (local, FL and DecL on a star), target < 5 min;
* ``finite_readings``: the Eq. 3 reconstruction objective (``"mim-recon"``) and dissimilar CL
  under the full-space rotation (``H="rotation-full"``) on finite samples at d = M = 1000,
  N = 4, 3 seeds (no target; they cost more per seed than Eq. 4: CG solves / DCTs);
* ``breakeven``: ``theory.constants.all_verdicts`` (every bound × framework × exact reading).

Run: ``.venv/bin/python benchmarks/bench_exact.py [--only exact_1e12,sweep_1e20]
[--seeds 20] [--d 10000]``. Results are also written to ``benchmarks/results/exact.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sims.files import write_text  # noqa: E402 - the one writer

RESULTS = Path(__file__).resolve().parent / "results" / "exact.json"
ITEMS = ("exact_1e12", "sweep_1e20", "finite_samples", "finite_readings", "breakeven")


def _line(name: str, seconds: float, **extra) -> dict:
    row = {
        "item": name,
        "seconds": round(seconds, 3),
        "cpu_seconds_total": round(time.process_time(), 2),
        "loadavg": list(os.getloadavg()),
        **extra,
    }
    print(json.dumps(row), flush=True)
    return row


def bench_exact() -> dict:
    import resource

    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, "-m", "sims.cli", "exact", "--d", "1e12", "--method", "cl", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(out.stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return _line(
        "exact_1e12",
        time.perf_counter() - t0,
        child_cpu_seconds=round(child_cpu, 2),
        inner_seconds=round(res["seconds"], 3),
        fl_rank=res["fl"]["rank"],
        fl_tied=res["fl"]["tied"],
    )


def bench_sweep() -> dict:
    from theory import structured as st

    t0 = time.perf_counter()
    out = st.d_sweep("mim", framework="fl", c_n=1.0)
    return _line("sweep_1e20", time.perf_counter() - t0, points=len(out["d"]), n_rule=out["n_rule"])


def bench_finite(d: int, seeds: int) -> dict:
    """One seed at a time (a progress line per seed on stderr), wall and CPU seconds."""
    import numpy as np

    from theory import finite_sample as fs
    from theory import structured as st
    from theory.datamodel import DataModel

    model = DataModel(d=d, n_clients=4)
    decl = {"star": st.decl_weights("star", 4)}
    abar = {"star": st.decl_abar("star", 4)}
    t0, c0 = time.perf_counter(), time.process_time()
    min_rv, bound = [], None
    for seed in range(seeds):
        out = fs.track_b_samples(model, "mim", m=d, seeds=[seed], decl=decl, abar=abar)
        min_rv.append(float(out["fl"]["min_rv"][0]))
        bound = out["fl"]["bound"]
        row = {
            "seed": seed,
            "wall_s": round(time.perf_counter() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2),
            "loadavg": list(os.getloadavg()),
        }
        print(json.dumps(row), file=sys.stderr, flush=True)
    return _line(
        "finite_samples",
        time.perf_counter() - t0,
        cpu_seconds=round(time.process_time() - c0, 2),
        d=d,
        m=d,
        n_clients=4,
        seeds=seeds,
        fl_min_rv_median=float(np.median(min_rv)),
        fl_fraction_meeting_bound=float(np.mean(np.asarray(min_rv) >= bound)),
    )


def bench_finite_readings(d: int = 1000, seeds: int = 3) -> dict:
    """Seconds per reading (all seeds), FL median min r and the fraction meeting the bound."""
    import numpy as np

    from theory import finite_sample as fs
    from theory.datamodel import DataModel

    model = DataModel(d=d, n_clients=4)
    t0 = time.perf_counter()
    per = {}
    for method, H in (("mim-recon", None), ("cl-dissimilar", fs.FULL_ROTATION)):
        t1 = time.perf_counter()
        out = fs.track_b_samples(model, method, m=d, seeds=seeds, H=H)
        name = method if H is None else f"{method}/{H}"
        per[name] = {
            "seconds": round(time.perf_counter() - t1, 2),
            "fl_min_rv_median": float(np.median(out["fl"]["min_rv"])),
            "fl_bound": out["fl"]["bound"],
            "fl_fraction_meeting_bound": out["fl"]["fraction_meeting_bound"],
        }
        print(json.dumps({name: per[name]}), file=sys.stderr, flush=True)
    return _line("finite_readings", time.perf_counter() - t0, d=d, m=d, seeds=seeds, **per)


def bench_breakeven() -> dict:
    from theory import constants as C

    t0 = time.perf_counter()
    verdicts = C.all_verdicts()
    return _line("breakeven", time.perf_counter() - t0, verdicts=len(verdicts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ITEMS), help="comma-separated items")
    parser.add_argument("--seeds", type=int, default=20, help="finite-sample seeds (20)")
    parser.add_argument("--d", type=int, default=10_000, help="finite-sample d = M (1e4)")
    args = parser.parse_args(argv)
    rows = []
    for item in args.only.split(","):
        if item == "exact_1e12":
            rows.append(bench_exact())
        elif item == "sweep_1e20":
            rows.append(bench_sweep())
        elif item == "finite_samples":
            rows.append(bench_finite(args.d, args.seeds))
        elif item == "finite_readings":
            rows.append(bench_finite_readings())
        elif item == "breakeven":
            rows.append(bench_breakeven())
        else:
            parser.error(f"--only: must be items from {', '.join(ITEMS)}, got {item!r}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    merged = {}
    if RESULTS.exists():  # keep the items not rerun this time
        merged = {row["item"]: row for row in json.loads(RESULTS.read_text())}
    merged.update({row["item"]: row for row in rows})
    write_text(RESULTS, json.dumps([merged[k] for k in ITEMS if k in merged], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
