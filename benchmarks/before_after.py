"""The engine's speed before and after a change, on one machine in one session.

Checks out two revisions of this repository into temporary worktrees and runs, in each, the
quick engine benchmark (``dssl bench --quick --json``: the engine against stacked NumPy and a
jitted loop over clients) and the DrJAX head to head (``benchmarks/drjax_fedavg.py``,
``head_to_head("quick")``), alternating the two revisions ``--rounds`` times so that a drift of
the machine's load falls on both. Every number is a best of ``--repeats`` timed calls (the
benchmarks' own rule); this script reports the median over rounds of each ratio and each
time, with the load average beside each run.

``--measure smoke`` (or ``both``) times instead (or as well) the paper-size FedAvg smoke of
the issue on clients at scale, ``dssl simulate --framework fl --n-clients 100
--clients-per-round 5 --d 256 --rounds 5 --json --compile-cache none``: the CPU seconds (user
and system) and wall seconds of that process, each run with an empty compile cache as on a new
machine.

Usage::

    python benchmarks/before_after.py REV_BEFORE [REV_AFTER] [--rounds 3] [--out STEM]
        [--measure engine|smoke|both]

``REV_AFTER`` defaults to HEAD. Needs ``git`` and the ``bench`` extra (drjax). Writes
``STEM.json`` and ``STEM.md`` (default ``benchmarks/results/before_after``).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: (ratio name, where it is in a run's record): engine speed-ups, higher is faster
RATIOS = (
    ("engine / stacked numpy", ("bench", "speedup_vs_numpy")),
    ("engine / jitted client loop", ("bench", "speedup_vs_loop")),
    ("engine / DrJAX", ("drjax", "engine_speedup_vs_drjax")),
    ("engine / DrJAX (closed-form gradient)", ("drjax", "engine_speedup_vs_drjax_closed_form")),
)
#: (time name, where): seconds of the 20 quick rounds, lower is faster
TIMES = (
    ("engine s (dssl bench)", ("bench", "engine_seconds")),
    ("stacked numpy s", ("bench", "numpy_seconds")),
    ("jitted loop s", ("bench", "loop_seconds")),
    ("engine s (head to head)", ("drjax", "seconds", "engine")),
    ("DrJAX s", ("drjax", "seconds", "drjax")),
)

#: (time name, where): the paper-size smoke (``--measure smoke``), lower is faster
SMOKE = (
    ("smoke CPU s", ("smoke", "cpu_seconds")),
    ("smoke wall s", ("smoke", "wall_seconds")),
)
#: the smoke's command line after ``python -m sims.cli``
SMOKE_ARGS = (
    "simulate", "--framework", "fl", "--n-clients", "100", "--clients-per-round", "5",
    "--d", "256", "--rounds", "5", "--json", "--compile-cache", "none",
)  # fmt: skip

_DRJAX = (
    "import json; from drjax_fedavg import head_to_head; print(json.dumps(head_to_head('quick')))"
)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def _json_line(out: str) -> dict:
    """The last line of ``out`` that is a JSON object (the benchmarks print one)."""
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON object in the output: {out[-500:]}")


def smoke_once(tree: str, env: dict) -> dict:
    """The paper-size smoke in the checkout ``tree``: CPU seconds (user + system, from
    ``getrusage`` of the finished child) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sims.cli", *SMOKE_ARGS], cwd=tree, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_seconds": cpu, "wall_seconds": wall}


def run_once(tree: str, measure: str = "engine") -> dict:
    """The benchmarks of ``measure`` in the checkout ``tree``, each in a fresh process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, os.path.join(tree, "benchmarks")]))
    load = list(os.getloadavg())
    if measure == "smoke":
        return {"load_before": load, "smoke": smoke_once(tree, env)}
    bench = subprocess.run(
        [sys.executable, "-m", "sims.cli", "bench", "--quick", "--json"],
        cwd=tree, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    drjax = subprocess.run(
        [sys.executable, "-c", _DRJAX], cwd=tree, env=env, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    out = {
        "load_before": load,
        "bench": _json_line(bench.stdout),
        "drjax": _json_line(drjax.stdout),
    }
    if measure == "both":
        out["smoke"] = smoke_once(tree, env)
    return out


def _get(record: dict, path: tuple) -> float:
    for key in path:
        record = record[key]
    return float(record)


def rows(runs: dict) -> tuple:
    """The (name, where) rows that the runs measured."""
    first = runs["before"][0]
    return tuple(row for row in RATIOS + TIMES + SMOKE if row[1][0] in first)


def summary(runs: dict) -> dict:
    """Median over rounds of every ratio and time, per side."""
    out = {}
    for side, records in runs.items():
        out[side] = {
            name: statistics.median(_get(r, path) for r in records) for name, path in rows(runs)
        }
    return out


def report(doc: dict) -> str:
    s = doc["summary"]
    lines = [
        "# The engine before and after a change",
        "",
        f"Before {doc['before']}, after {doc['after']}; CPU {doc['cpu']}, {doc['cores']} cores; "
        f"{doc['when']}. Command: `{doc['command']}`.",
        "",
        f"Each side {doc['rounds']} times, alternating; every figure the median over those runs "
        "(the engine's: of a best of the benchmark's timed calls, quick setting: N = 100, "
        "d = 64, c = 16, B = 32, E = 5, T = 20, float32; the smoke's: one run of `python -m "
        "sims.cli "
        + " ".join(SMOKE_ARGS)
        + "`). Load average (1 min) before each run: "
        + ", ".join(
            f"{side} {[round(r['load_before'][0], 2) for r in doc['runs'][side]]}"
            for side in ("before", "after")
        )  # fmt: skip
        + ".",
        "",
        "| | before | after | after / before |",
        "|---|---:|---:|---:|",
    ]
    for name, _ in rows(doc["runs"]):
        b, a = s["before"][name], s["after"][name]
        lines.append(f"| {name} | {b:.3f} | {a:.3f} | {a / b:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", help="git revision before the change")
    ap.add_argument("after", nargs="?", default="HEAD", help="git revision after (default HEAD)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "before_after"))
    ap.add_argument(
        "--measure", choices=("engine", "smoke", "both"), default="engine",
        help="the engine's quick benchmark and DrJAX head to head, the paper-size smoke, or both",
    )  # fmt: skip
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error("--rounds: must be at least 1")
    asked = {"before": a.before, "after": a.after}
    revs = {side: _git("rev-parse", "--short", rev) for side, rev in asked.items()}
    runs: dict = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for side, rev in revs.items():
            trees[side] = os.path.join(tmp, side)
            _git("worktree", "add", "--detach", trees[side], rev)
        try:
            for k in range(a.rounds):
                for side in ("before", "after"):
                    print(f"round {k + 1}/{a.rounds}: {side} ({revs[side]})", flush=True)
                    runs[side].append(run_once(trees[side], a.measure))
        finally:
            for tree in trees.values():
                _git("worktree", "remove", "--force", tree)
    from sims.reproduce.pipeline.machine import cpu_name

    doc = {
        "before": revs["before"], "after": revs["after"], "rounds": a.rounds,
        "measure": a.measure,
        "cpu": cpu_name(), "cores": os.cpu_count(),
        "when": subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True,
                               text=True).stdout.strip(),
        "command": "python benchmarks/before_after.py " + " ".join(sys.argv[1:]),
        "runs": runs,
    }  # fmt: skip
    doc["summary"] = summary(runs)
    with open(a.out + ".json", "w") as fh:
        json.dump(doc, fh, indent=1)
    with open(a.out + ".md", "w") as fh:
        fh.write(report(doc))
    print(report(doc))


if __name__ == "__main__":
    main()
