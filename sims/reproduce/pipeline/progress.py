"""What ``dssl reproduce`` prints while it runs: one line per finished stage, and while stages
run, a line at least every :data:`EVERY` seconds with each running stage's time against its
weight and the time left, estimated from the stage weights (``SECONDS`` of
:mod:`sims.reproduce.stages`) scaled by how fast the finished stages ran against theirs.

The line says how far each running stage is against what it took on the reference machine,
which is what the weights are, and what the stage last reported of its own work: the INFO lines
of the ``sims`` loggers written while the run lasts (:data:`LOGGER`; Track D logs one per
trained arm and per learning-curve chunk of rounds, ``sims.trackd.experiments``; the verdict
map one per configuration; a Track C sweep one as it starts), in this process or in the worker
processes of ``--jobs`` above 1, which send theirs here
(:func:`sims.core.environ.forwarded_logs`).

Example:
  >>> import io
  >>> out = io.StringIO()
  >>> clock = iter([0, 0, 5]).__next__
  >>> p = Progress(["a", "b"], {"a": (10, 1), "b": (30, 3)}, stream=out, clock=clock)
  >>> p.running(["a"])
  >>> p.status()
  '[reproduce 0:05] 0/2 stages done; running a 0:05 of ~0:10; about 0:35 left'
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping

#: the longest gap, in seconds, between two progress lines while a stage runs
EVERY = 10.0
#: the logger whose INFO lines (and its children's) are a stage's own progress
LOGGER = "sims"
#: the longest stage note shown in a status line (characters)
NOTE_WIDTH = 80


class _Notes(logging.Handler):
    """Keeps the last INFO line of the :data:`LOGGER` loggers for the status line."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.progress.note(record.getMessage())
        except Exception:  # noqa: BLE001 - a progress note never stops a run
            self.handleError(record)


def _clock_text(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """The progress lines of one run (see the module). ``running(names)`` when the set of
    running stages changes, ``finished(row)`` when a stage ends (one line), ``start()`` /
    ``stop()`` the thread that writes a status line whenever :data:`EVERY` seconds passed
    without one.

    Args:
      names: the stages of the run.
      seconds: the stage weights, ``{name: (default run, fast run)}``; a stage missing there
        weighs 1 s.
      fast: read the fast run's weights.
      jobs: stages run side by side (the time left is divided among them).
      every: the longest gap between two lines.
      stream: where the lines go (standard error).
      clock: seconds since some origin (``time.monotonic``).
    """

    def __init__(
        self,
        names: Iterable[str],
        seconds: Mapping[str, tuple[float, float]],
        *,
        fast: bool = False,
        jobs: int = 1,
        every: float | None = None,
        stream=None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.names = list(names)
        self.weight = {n: float(seconds.get(n, (1.0, 1.0))[1 if fast else 0]) for n in self.names}
        self.jobs = max(int(jobs), 1)
        self.every = float(EVERY if every is None else every)
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.t0 = clock()
        self.started: dict[str, float] = {}
        self.done: dict[str, float | None] = {}  # name -> seconds (None: cached)
        self.last = self.t0
        self.lines = 0
        self.notes = 0
        self._note = ""
        self._handler: _Notes | None = None
        self._level = logging.NOTSET
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- events ---------------------------------------------------------------------------
    def running(self, names: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            for n in names:
                self.started.setdefault(n, now)

    def note(self, text: str) -> None:
        """What a running stage last reported of its own work (the next status line shows it,
        the line after a stage ends no longer)."""
        text = " ".join(str(text).split())
        with self._lock:
            self._note = text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1] + "…"
            self.notes += 1

    def finished(self, row: Mapping) -> None:
        name = row["name"]
        took = None if row.get("cached") else float(row.get("seconds", 0.0))
        with self._lock:
            self.done[name] = took
            self.started.pop(name, None)
            self._note = ""
            state = "cached" if took is None else f"{took:.1f} s"
            now = self.clock()
            self._write(
                f"[reproduce {_clock_text(now - self.t0)}] {len(self.done)}/{len(self.names)} "
                f"done: {name} {state} (weight ~{self.weight.get(name, 1.0):.0f} s); "
                f"{self._left_text(now)}"
            )

    # -- the status line --------------------------------------------------------------------
    def _speed(self, now: float) -> float:
        """The measured pace, actual / weighted seconds, in [0.25, 100]: of the stages that
        ran, and of the running stages already past their weight (a lower bound of theirs); 1
        before there is any (a loaded shared machine ran stages 50 times slower than their
        weights)."""
        paces = [(t, self.weight.get(n, 1.0)) for n, t in self.done.items() if t is not None]
        for n, t0 in self.started.items():
            if now - t0 > self.weight.get(n, 1.0):
                paces.append((now - t0, self.weight.get(n, 1.0)))
        weight = sum(w for _, w in paces)
        if weight < 2.0:
            return 1.0
        return min(max(sum(t for t, _ in paces) / weight, 0.25), 100.0)

    def _left(self, now: float) -> float:
        """Seconds left: every stage not finished at its weight times the pace (a running
        stage less what it ran, at least a tenth of it), shared by the jobs."""
        speed = self._speed(now)
        left = 0.0
        for n in self.names:
            if n in self.done:
                continue
            expected = self.weight.get(n, 1.0) * speed
            if n in self.started:
                expected = max(expected - (now - self.started[n]), 0.1 * expected)
            left += expected
        return left / self.jobs

    def _left_text(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        return f"about {_clock_text(self._left(now))} left"

    def status(self) -> str:
        """The status line: elapsed, stages done, each running stage against its weight, and
        the time left."""
        now = self.clock()
        with self._lock:
            running = "; running " + ", ".join(
                f"{n} {_clock_text(now - t)} of ~{_clock_text(self.weight.get(n, 1.0))}"
                for n, t in self.started.items()
            ) if self.started else ""  # fmt: skip
            note = f" ({self._note})" if self._note and self.started else ""
            return (
                f"[reproduce {_clock_text(now - self.t0)}] {len(self.done)}/{len(self.names)} "
                f"stages done{running}{note}; {self._left_text(now)}"
            )

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
        self.last = self.clock()
        self.lines += 1

    # -- the thread --------------------------------------------------------------------------
    def _beat(self) -> None:
        wake = min(1.0, self.every / 10)
        while not self._stop.wait(wake):
            if self.clock() - self.last >= self.every - wake:  # never more than `every` apart
                line = self.status()
                with self._lock:
                    self._write(line)

    def start(self) -> Progress:
        """Start the status-line thread and listen to the stages' own notes (:data:`LOGGER`)."""
        logger = logging.getLogger(LOGGER)
        self._handler, self._level = _Notes(self), logger.level
        logger.addHandler(self._handler)
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        self._thread = threading.Thread(target=self._beat, name="dssl-progress", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self._handler is not None:
            logger = logging.getLogger(LOGGER)
            logger.removeHandler(self._handler)
            logger.setLevel(self._level)
            self._handler = None
