"""Peak resident memory of every ``dssl`` subcommand, at its defaults and at the paper's sizes.

Each command runs in its own child process (``python -m sims.cli ...``) under a small parent
whose only child it is; the parent reports ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``
(the child's peak RSS). Results go to ``benchmarks/results/peak_rss.json``. That is the peak
of the largest single process the command ran, not the sum of processes alive at once: for
``dssl reproduce``, whose stages run in two worker processes on a machine with 2 or more cores
(``--jobs``), the machine holds up to about twice the figure.

"Paper's settings": DecL with N = 20 clients (Fig. 2a, Table 6 of arXiv 2607.02447) and FL with
N = 100 (d = 2N = 200, the smallest d the model allows). Training commands run ONE round:
memory does not grow with rounds (the trace holds a few scalars per round), time does.

Usage::

    python benchmarks/peak_rss.py                 # every case
    python benchmarks/peak_rss.py --only simulate  # cases whose name contains "simulate"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "results", "peak_rss.json")

#: (name, dssl arguments); ``{tmp}`` is replaced by a fresh temporary folder.
CASES = [
    ("topology (defaults)", ["topology"]),
    ("topology N=20", ["topology", "--graph", "ring", "--n", "20"]),
    ("topology N=100", ["topology", "--graph", "ring", "--n", "100"]),
    ("bounds (required args only)", ["bounds", "--d", "64", "--p", "0.75", "--abar", "4"]),
    ("exact (defaults)", ["exact"]),
    ("exact N=20", ["exact", "--n-clients", "20", "--d", "64"]),
    ("verify (defaults)", ["verify"]),
    ("simulate (defaults, 1 round)", ["simulate", "--rounds", "1"]),
    (
        "simulate DecL N=20 (1 round)",
        [
            "simulate",
            "--framework",
            "decl",
            "--graph",
            "ring",
            "--n-clients",
            "20",
            "--d",
            "64",
            "--rounds",
            "1",
        ],
    ),
    (
        "simulate DecL N=20 d=64 50 rounds (issue 11's OOM case)",
        [
            "simulate",
            "--method",
            "mim",
            "--framework",
            "decl",
            "--graph",
            "ring",
            "--n-clients",
            "20",
            "--d",
            "64",
            "--rounds",
            "50",
        ],
    ),
    (
        "simulate FL N=100 (1 round)",
        ["simulate", "--framework", "fl", "--n-clients", "100", "--d", "200", "--rounds", "1"],
    ),
    ("bench --quick", ["bench", "--quick"]),
    ("reproduce --fast", ["reproduce", "--fast", "--out", "{tmp}"]),
]

_PARENT = (
    "import resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "err = rc.stderr.decode(errors='replace').strip().splitlines()\n"
    "print(rc.returncode, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, time.monotonic() - t)\n"
    "print(err[-1] if err else '')\n"
)


def measure(args: list[str], timeout: float) -> dict:
    """Run ``dssl args`` in a child; its exit status, peak RSS (MiB), CPU and wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [a.replace("{tmp}", os.path.join(tmp, "out")) for a in args]
        cmd = [sys.executable, "-c", _PARENT, sys.executable, "-m", "sims.cli", *argv, "--json"]
        env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE + "/.."
            )
        except subprocess.TimeoutExpired:
            return {"status": f"timeout after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    rc, kib, cpu, wall = lines[0].split()
    return {
        "status": "ok" if rc == "0" else f"exit {rc}: {lines[1] if len(lines) > 1 else ''}",
        "peak_rss_mib": round(int(kib) / 1024, 1),
        "cpu_s": round(float(cpu), 1),
        "wall_s": round(float(wall), 1),
    }


def _write(path: str, results: dict) -> None:
    doc = {
        "description": "peak RSS (ru_maxrss of the child) of dssl subcommands",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cases": results,
    }
    from sims.files import write_text  # the one writer

    write_text(path, json.dumps(doc, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    ap.add_argument("--out", default=OUT, help="JSON file (merged with what it holds)")
    a = ap.parse_args(argv)
    results = {}
    if os.path.exists(a.out):
        with open(a.out) as fh:
            results = json.load(fh).get("cases", {})
    for name, args in CASES:
        if a.only and a.only not in name:
            continue
        load = os.getloadavg()[0]
        res = measure(args, a.timeout)
        res["command"] = "dssl " + " ".join(args) + " --json"
        res["load_average_1min_before"] = round(load, 2)
        results[name] = res
        print(f"{name:58s} {res.get('peak_rss_mib', '-'):>9} MiB  {res['status']}", flush=True)
        _write(a.out, results)  # after every case, so a long run keeps what it measured
    _write(a.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
