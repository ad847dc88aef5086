"""Progress of ``dssl reproduce``: one line per finished stage, and a status line at least every
:data:`sims.reproduce.pipeline.progress.EVERY` seconds while a stage runs, with the time left
from the stage weights."""

from __future__ import annotations

import contextlib
import io
import re
import time

from sims.reproduce.pipeline import Stage, run_stages
from sims.reproduce.pipeline import progress as P
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
