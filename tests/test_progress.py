"""Progress of ``dssl reproduce``: one line per finished stage, and a status line at least every
:data:`sims.reproduce.pipeline.progress.EVERY` seconds while a stage runs, with the time left
from the stage weights."""

from __future__ import annotations

import contextlib
import io
import re
import time

from sims.core.environ import forwarded_logs
from sims.reproduce.pipeline import Stage, run_stages
from sims.reproduce.pipeline import progress as P
from sims.reproduce.pipeline.progress import LOGGER
from tests._pipeline_helpers import CountConfig


def _sleeping(name: str, seconds: float) -> Stage:
    def compute(cfg: CountConfig) -> dict:
        time.sleep(seconds)
        return {"x": cfg.x}

    return Stage(name, CountConfig, compute, summarize=lambda r: {"x": r["x"]})


def _stamped(err: io.StringIO, times: list):
    """A stream that records when each line was written."""

    class Stream(io.StringIO):
        def write(self, text):
            times.append(time.monotonic())
            return err.write(text)

    return Stream()


def test_status_lines_come_at_least_every_interval_while_stages_run(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "EVERY", 0.3)
    err, times = io.StringIO(), []
    stages = [_sleeping("slow_a", 1.6), _sleeping("slow_b", 0.9)]
    seconds = {"slow_a": (2.0, 2.0), "slow_b": (1.0, 1.0)}
    start = time.monotonic()
    with contextlib.redirect_stderr(_stamped(err, times)):
        run_stages(stages, out=tmp_path, progress=True, seconds=seconds)
    lines = err.getvalue().splitlines()
    status = [x for x in lines if x.startswith("[reproduce ") and " done: " not in x]
    done = [x for x in lines if re.match(r"^\[reproduce \d+:\d\d\] \d+/2 done: ", x)]
    assert len(done) == 2 and "slow_a" in done[0] and "slow_b" in done[1]
    assert len(status) >= 5, lines  # 2.5 s of stages at one line per 0.3 s
    assert all("left" in x and "running slow_" in x for x in status)
    gaps = [b - a for a, b in zip([start, *times], times, strict=False)]
    assert max(gaps) <= 0.3 + 0.5  # the interval plus the thread's wake-up


def test_no_lines_without_progress(tmp_path, capsys):
    run_stages([_sleeping("quick", 0.0)], out=tmp_path, progress=False)
    assert capsys.readouterr().err == ""


def test_time_left_follows_the_weights_and_the_measured_speed():
    clock = iter([0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 10.0]).__next__
    out = io.StringIO()
    p = P.Progress(["a", "b", "c"], {"a": (5, 1), "b": (20, 1), "c": (10, 1)}, stream=out,
                   clock=clock)  # fmt: skip
    p.running(["a"])
    p.finished({"name": "a", "cached": False, "seconds": 10.0})  # twice its weight
    assert "1/3 done: a 10.0 s" in out.getvalue()
    assert "about 1:00 left" in out.getvalue()  # (20 + 10) x 2


def _noting(name: str, notes: int, every: float) -> Stage:
    """A stage that reports its own work: an INFO line of a ``sims`` logger every ``every`` s."""
    import logging

    log = logging.getLogger("sims.test_progress")

    def compute(cfg: CountConfig) -> dict:
        for k in range(notes):
            log.info("step %d of %d", k + 1, notes)
            time.sleep(every)
        return {"x": cfg.x}

    return Stage(name, CountConfig, compute, summarize=lambda r: {"x": r["x"]})


def test_status_lines_show_what_the_stage_last_reported(tmp_path, monkeypatch):
    """The stage's own progress (its INFO lines) is in the status lines, which come at least
    every interval; nothing of it is left on the logger after the run."""
    import logging

    monkeypatch.setattr(P, "EVERY", 0.3)
    err, times = io.StringIO(), []
    start = time.monotonic()
    with contextlib.redirect_stderr(_stamped(err, times)):
        run_stages([_noting("noting", 6, 0.25)], out=tmp_path, progress=True,
                   seconds={"noting": (1.0, 1.0)})  # fmt: skip
    status = [x for x in err.getvalue().splitlines() if " stages done" in x]
    assert len(status) >= 3
    steps = [int(m.group(1)) for x in status if (m := re.search(r"\(step (\d) of 6\)", x))]
    assert steps and steps == sorted(steps)  # each line shows the latest step
    gaps = [b - a for a, b in zip([start, *times], times, strict=False)]
    assert max(gaps) <= 0.3 + 0.5
    logger = logging.getLogger(P.LOGGER)
    assert not any(isinstance(h, P._Notes) for h in logger.handlers)
    assert logger.level == logging.NOTSET


def test_a_note_is_cut_to_the_width_and_cleared_when_the_stage_ends():
    clock = iter([0.0] * 20).__next__
    out = io.StringIO()
    p = P.Progress(["a", "b"], {"a": (1, 1), "b": (1, 1)}, stream=out, clock=clock)
    p.running(["a"])
    p.note("x" * 200)
    assert f"({'x' * (P.NOTE_WIDTH - 1)}…)" in p.status()
    p.finished({"name": "a", "cached": False, "seconds": 1.0})
    assert "(x" not in p.status()


def test_the_verdict_maps_workers_send_their_progress_lines_here():
    """compute_map's worker processes (spawned) forward their per-configuration lines."""
    import concurrent.futures as cf
    import logging
    import multiprocessing as mp

    from sims.verdict_map import compute

    got: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            got.append(record.getMessage())

    logger = logging.getLogger(compute.cells_log.name)
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        context = mp.get_context("spawn")
        with (
            forwarded_logs(context, compute.cells_log.name) as notes,
            cf.ProcessPoolExecutor(
                1, mp_context=context, initializer=compute._one_blas_thread, initargs=(notes,)
            ) as pool,  # fmt: skip
        ):
            assert notes is not None
            pool.submit(compute.cells_log.info, "configuration %d of %d", 1, 2).result()
            pool.submit(compute.cells_log.info, "configuration %d of %d", 2, 2).result()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert got == ["configuration 1 of 2", "configuration 2 of 2"]
    with forwarded_logs(mp.get_context("spawn"), compute.cells_log.name) as notes:  # nobody listens
        assert notes is None


def test_the_pipelines_workers_send_the_stages_progress_lines_here():
    """A stage run by ``dssl reproduce --jobs 2`` runs in a worker process; its own INFO lines
    (a Track D arm, a sweep) reach this process's ``sims`` loggers, where the progress line
    reads them."""
    import logging

    from sims.reproduce.pipeline import parallel

    got: list[tuple[str, str]] = []

    class Keep(logging.Handler):
        def emit(self, record):
            got.append((record.name, record.getMessage()))

    logger = logging.getLogger(LOGGER)
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with contextlib.ExitStack() as stack:
            pool = parallel._worker_pool(stack, 1)
            arm = logging.getLogger("sims.trackd.experiments")
            pool.submit(arm.info, "mae mlp, %d clients: round %d of %d", 10, 5, 30).result()
            pool.submit(logging.getLogger("sims.core.engine").debug, "not at INFO").result()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert got == [("sims.trackd.experiments", "mae mlp, 10 clients: round 5 of 30")]


def test_a_stage_in_a_worker_keeps_the_parents_force_size(monkeypatch, tmp_path):
    """``dssl reproduce --force-size`` reaches the stages its worker processes run: a context
    variable does not cross processes, so ``_work`` is handed the flag and sets it around the
    stage (found in review: a worker refused what the parent forced)."""
    import types

    from sims.reproduce.pipeline import execute, parallel
    from theory._validate import sizes_are_forced

    monkeypatch.setattr(execute, "run_one", lambda *a, **k: sizes_are_forced())
    stage = types.SimpleNamespace(name="s")
    for forced in (True, False):
        got = parallel._work(lambda: [stage], "s", [], True, str(tmp_path), False, None, forced)
        assert got is forced
    assert not sizes_are_forced()
