"""``run_stages(jobs=2)`` (``dssl reproduce --jobs``): the same rows and files as one stage at
a time, stages start only after what they read, and the order logic on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sims.reproduce.pipeline import parallel, run_stages
from sims.reproduce.pipeline.runner import RUNS
from sims.reproduce.stages import SECONDS, STAGES, catalogue

CHEAP = ("mask", "verify", "report")


#: what ``dssl reproduce`` hands the runner: the catalogue its workers look stages up in, and the
#: expected seconds that order the stages
HANDED = {"catalogue": catalogue, "seconds": SECONDS}


def _stages(names):
    return [s for s in STAGES if s.name in names]


def test_two_jobs_write_what_one_job_writes(tmp_path, monkeypatch):
    stages = _stages(CHEAP)
    one = run_stages(stages, out=tmp_path / "one", progress=False, fast=True, jobs=1)
    weights, heights = [], parallel.heights
    monkeypatch.setattr(
        parallel, "heights", lambda deps, w=None: weights.append(w) or heights(deps, w)
    )
    two = run_stages(stages, out=tmp_path / "two", progress=False, fast=True, jobs=2, **HANDED)
    # the order of starting weighs each stage by its fast-run seconds
    assert weights == [parallel.stage_weights(stages, True, SECONDS)]
    assert [s["name"] for s in two["stages"]] == list(CHEAP)  # rows in run order
    assert two["config_hash"] == one["config_hash"]
    assert not any(s["cached"] for s in two["stages"])
    for name in ("mask.json", "verify.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    a = json.loads((tmp_path / "one" / "report.json").read_text())
    b = json.loads((tmp_path / "two" / "report.json").read_text())
    assert a["claims"] == b["claims"] and a["summary"] == b["summary"]
    # a rerun is served from the cache without starting a worker
    again = run_stages(stages, out=tmp_path / "two", progress=False, fast=True, jobs=2, **HANDED)
    assert [s["cached"] for s in again["stages"]] == [True, True, False]


def test_dependencies_and_priorities_of_the_run_order():
    names = [s.name for s in STAGES]
    deps = parallel.dependencies(STAGES, RUNS)
    for i, stage in enumerate(STAGES):
        assert all(j < i for j in deps[i])
        for n in (*stage.needs, *stage.uses):
            if n != RUNS and n in names[:i]:
                assert names.index(n) in deps[i]
    assert deps[names.index("report")] == set(range(names.index("report")))
    h = parallel.heights(deps)
    assert h[names.index("report")] == 1
    # track_a -> track_c -> verdict_map -> report is the longest chain
    assert h[names.index("track_a")] == max(h) == 4
    # every stage has a weight, and the weighted chains start with the longest stages
    assert set(SECONDS) == set(names)
    for fast in (False, True):
        w = parallel.stage_weights(STAGES, fast, SECONDS)
        assert min(w) >= 1.0
        hw = parallel.heights(deps, w)
        assert hw[names.index("report")] == w[names.index("report")]
        for i in range(len(names)):  # a stage's chain outweighs each of its dependants'
            assert all(hw[j] >= hw[i] + w[j] for j in deps[i])


def test_heights_of_a_small_graph():
    # 0 <- 1 <- 3, 0 <- 2: stage 0 has the chain 1 -> 3 waiting on it
    assert parallel.heights([set(), {0}, {0}, {1}]) == [3, 2, 1, 1]
    # weighted: the heaviest chain, not the longest
    assert parallel.heights([set(), {0}, {0}, {1}], [1, 1, 10, 2]) == [11, 3, 10, 2]


def test_weighted_order_starts_the_long_stage_first():
    """Four independent stages of 10, 1, 1 and 50 s on two jobs, replayed as run_parallel
    starts them (highest priority first, then run order): counting stages starts the 50 s
    stage last (done at 52 s); weighing them by seconds starts it first (done at 50 s)."""
    deps = [set(), set(), set(), set()]
    w = [10.0, 1.0, 1.0, 50.0]

    def makespan(prio):
        t, done, running, waiting = 0.0, set(), {}, list(range(len(deps)))
        while waiting or running:
            ready = sorted((i for i in waiting if deps[i] <= done), key=lambda i: (-prio[i], i))
            while ready and len(running) < 2:
                i = ready.pop(0)
                waiting.remove(i)
                running[i] = t + w[i]
            i = min(running, key=running.get)
            t = running.pop(i)
            done.add(i)
        return t

    assert makespan(parallel.heights(deps)) == 52.0
    assert makespan(parallel.heights(deps, w)) == 50.0


def test_unregistered_stages_run_one_at_a_time(tmp_path):
    from tests._pipeline_helpers import counting_stage

    calls: list = []
    stages = [counting_stage(calls, "a"), counting_stage(calls, "b")]
    summary = run_stages(stages, out=tmp_path, progress=False, jobs=2, **HANDED)
    assert [s["name"] for s in summary["stages"]] == ["a", "b"]
    assert len(calls) == 2  # computed here: a worker process would not append to ``calls``


@pytest.mark.parametrize("jobs", [0, -1, 2.5, "two"])
def test_bad_jobs_is_one_clear_line(tmp_path, jobs):
    with pytest.raises(ValueError, match="jobs"):
        run_stages(_stages(("mask",)), out=tmp_path, progress=False, jobs=jobs)


@pytest.mark.parametrize(
    ("argv", "cores", "cpu", "expected"),
    [
        ([], 2, True, 2),  # compile-bound: two stages compile side by side
        (["--fast"], 2, True, 2),
        (["--fast"], 1, True, 1),
        ([], 16, False, 1),  # an accelerator: each worker would claim most of its memory
        (["--fast", "--jobs", "1"], 2, True, 1),  # an explicit --jobs wins
        (["--jobs", "3"], 2, False, 3),
    ],
)
def test_reproduce_default_jobs(tmp_path, monkeypatch, argv, cores, cpu, expected):
    import sims.reproduce.pipeline
    from sims.cli import main

    seen: list = []
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    monkeypatch.setattr("sims.core.environ.runs_on_cpu", lambda: cpu)
    monkeypatch.setattr(
        sims.reproduce.pipeline,
        "run_stages",
        lambda stages, **kw: seen.append(kw["jobs"]) or _EMPTY,
    )
    assert main(["reproduce", "--out", str(tmp_path), "--json", *argv]) == 0
    assert seen == [expected]


def test_jobs_do_not_change_float32_results(tmp_path):
    """``dssl reproduce`` computes the same numbers with one job (the stage in the main
    process) as with two (the stage in a worker). The fast ``table6`` stage trains float32
    engines whose matmuls XLA's thread pool sums in another order than one thread: it differed
    when only the workers ran on one thread."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_PLATFORMS")}
    env["JAX_PLATFORMS"] = "cpu"
    results = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        argv = ["reproduce", "--fast", "--stages", "mask,table6", "--jobs", str(jobs)]
        proc = subprocess.run(
            [sys.executable, "-m", "sims.cli", *argv, "--out", str(out), "--json",
             "--compile-cache", "none"],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        results.append(json.loads((out / "table6.json").read_text()))
    for r in results:
        r.pop("seconds")
    assert results[0] == results[1]  # every number equal, not only to rounding


_EMPTY = {"out": "", "fast": False, "config_hash": "", "seconds": 0.0, "files": [], "stages": []}


@pytest.mark.parametrize(
    ("cpu", "worker", "expected"), [(True, False, 2), (True, True, 1), (False, False, 1)]
)
def test_verdict_map_processes(monkeypatch, cpu, worker, expected):
    """The verdict map starts a second process only on a CPU and outside a --jobs worker."""
    from sims.reproduce.stages import verdict_map

    monkeypatch.setattr(verdict_map, "runs_on_cpu", lambda: cpu)
    monkeypatch.setattr(verdict_map, "in_worker", lambda: worker)
    assert verdict_map.map_workers() == expected
