"""Run independent stages side by side in worker processes (``dssl reproduce --jobs N``).

A stage may start once every stage it reads has finished: the stages named in its ``needs``
and ``uses`` that come earlier in the run order (``runs``: every earlier stage). Among the
stages that may start, the one heading the longest chain of stages waiting on it goes first,
each stage weighted by its expected seconds, handed down by the caller (``dssl reproduce``:
:data:`sims.reproduce.stages.SECONDS`; at least 1 s; so that
``track_a → track_c → verdict_map`` is not left to the end, and a long stage does not start
last and run alone), then run order. Each stage
runs exactly as :func:`sims.reproduce.pipeline.runner.run_stages` runs it one after another (same
configuration hash, same cache entry, same files), in a worker started with ``spawn`` (a
fresh interpreter: JAX is not safe to fork). Workers run XLA's matmuls on one thread, as
``dssl`` runs them in its main process on a CPU (:func:`sims.core.environ.cpu_xla_flags`): a stage's
results are then the same in a worker and in a one-job run. (A process using XLA's thread pool
instead, e.g. a Python session that did not set the flags, sums float32 products in another
order and agrees only to float32 rounding.)

Workers look a stage up by name in the catalogue they are handed (a module-level function,
``sims.reproduce.stages.catalogue`` for ``dssl reproduce``), so only its stages can run here;
:func:`~sims.reproduce.pipeline.runner.run_stages` runs any other sequence one stage at a time.
Nothing here imports the stages.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sims.reproduce.pipeline.progress import LOGGER as NOTES_LOGGER
from sims.reproduce.pipeline.stage import Stage
from theory._validate import sizes_are_forced

_QUIET_TRACKER = "ignore:resource_tracker:UserWarning"


def dependencies(stages: Sequence[Stage], runs: str) -> list[set[int]]:
    """For each stage, the positions of the earlier stages it reads (``needs``/``uses``;
    ``runs`` in ``needs``: all earlier ones).

    Example:
      >>> from sims.reproduce.stages import STAGES
      >>> deps = dependencies(STAGES, "runs")
      >>> names = [s.name for s in STAGES]
      >>> [names[j] for j in sorted(deps[names.index("verdict_map")])]
      ['track_c']
    """
    pos = {s.name: i for i, s in enumerate(stages)}
    deps = []
    for i, stage in enumerate(stages):
        if runs in stage.needs:
            deps.append(set(range(i)))
            continue
        deps.append({pos[n] for n in (*stage.needs, *stage.uses) if pos.get(n, i) < i})
    return deps


def heights(deps: Sequence[set[int]], weights: Sequence[float] | None = None) -> list[float]:
    """Weight of the heaviest chain of stages from each stage through those that wait on it
    (directly or not), the stage itself included; ``weights`` default to 1 each (the chain's
    length).

    Example (1 ← 0 → 2: stages 1 and 2 wait on stage 0):
      >>> heights([set(), {0}, {0}])
      [2, 1, 1]
      >>> heights([set(), {0}, {0}], weights=[1.0, 5.0, 2.0])
      [6.0, 5.0, 2.0]
    """
    w = [1] * len(deps) if weights is None else list(weights)
    h = list(w)
    for i in reversed(range(len(deps))):  # dependants come later in the run order
        for j in deps[i]:
            h[j] = max(h[j], w[j] + h[i])
    return h


def stage_weights(
    stages: Sequence[Stage], fast: bool, seconds: Mapping[str, tuple[float, float]]
) -> list[float]:
    """Each stage's expected seconds in ``seconds`` ({name: (default run, fast run)}; the
    ``fast`` column with ``fast``), at least 1; a stage missing there weighs 1 s."""
    return [max(1.0, float(seconds.get(s.name, (1, 1))[int(fast)])) for s in stages]


def registered(stages: Sequence[Stage], catalogue: Sequence[Stage]) -> bool:
    """Whether every stage is the one ``catalogue`` holds under its name."""
    known = {s.name: s for s in catalogue}
    return all(known.get(s.name) is s for s in stages)


#: set in the environment of a worker process (its children see it too)
WORKER_ENV = "DSSL_STAGE_WORKER"
#: XLA's matmuls on one thread per worker (unless ``XLA_FLAGS`` chooses): two workers with
#: XLA's default thread pool each (its threads spin while they wait) on the same cores ran
#: several times slower than one after another. ``dssl`` sets it for its main process too
#: (:func:`sims.core.environ.cpu_xla_flags`), so a stage computes the same numbers in either.
WORKER_XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false",)


def in_worker() -> bool:
    """Whether this process is a worker of :func:`run_parallel` (a stage may then use fewer
    processes of its own)."""
    return os.environ.get(WORKER_ENV) == "1"


def _worker_init(parent: int, notes=None) -> None:
    """In each worker (before JAX is imported there): XLA on one thread, Ctrl-C left to the
    parent (which reports it in one line), and exit as soon as the parent is gone (killed, or
    exited after Ctrl-C) instead of computing on for nobody, after removing the temporary
    file of any write in flight (:func:`sims.files.remove_temporaries`). With ``notes`` (a
    :func:`sims.core.environ.forwarded_logs` queue), the stage's own progress lines (INFO of
    the ``sims`` loggers: Track D's arms, the verdict map's configurations, the sweeps) go to
    the parent, whose progress line shows them.

    A worker starts with SIGINT blocked (:func:`_spawning`): a Ctrl-C sent to the process
    group while its interpreter was still importing printed a traceback per worker. Here it
    is ignored, then unblocked."""
    os.environ[WORKER_ENV] = "1"
    from sims.core.environ import add_xla_flags, send_logs

    os.environ["XLA_FLAGS"] = add_xla_flags(os.environ.get("XLA_FLAGS"), WORKER_XLA_FLAGS)
    send_logs(notes, NOTES_LOGGER)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        # a sims.files still being imported (its functions not yet defined) has written nothing
        remove = getattr(sys.modules.get("sims.files"), "remove_temporaries", None)
        if remove is not None:
            remove(stop=True)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


#: held while a worker process may be starting, and after Ctrl-C (see :func:`stop_launches`)
_LAUNCHING = threading.Lock()
#: the thread holding :data:`_LAUNCHING` for a launch (its ident; 0: none), see
#: :func:`launching_here`; and whether :func:`stop_launches` holds it
_launcher, _stopped = [0], [False]


@contextlib.contextmanager
def _spawning():
    """Inside the block a worker process may start: SIGINT is blocked in this thread, so a
    ``spawn`` worker inherits the mask and starts with SIGINT blocked (see
    :func:`_worker_init`; the terminal sends Ctrl-C to the whole process group, and the
    parent alone reports it), and :data:`_LAUNCHING` is held. The main thread of the parent
    is not blocked (it sees the Ctrl-C) unless the block runs in it, and then only for the
    moment of a submit (the lock is released before SIGINT is unblocked)."""
    posix = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if posix else None
    try:
        with _LAUNCHING:
            _launcher[0] = threading.get_ident()
            try:
                yield
            finally:
                _launcher[0] = 0
    finally:
        if posix:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def launching_here() -> bool:
    """Whether the calling thread is starting a worker process right now. A Ctrl-C handled
    there (the main thread sees a SIGINT that another thread received) must not end the
    program before the new worker has been handed its task: waiting for the launch to end
    would wait for the handler's own thread, and raising ends the parent while the worker
    reads from it (its ``EOFError`` traceback). The handler returns instead and the
    interrupt is raised again (by the command line's error boundary)."""
    return _launcher[0] == threading.get_ident()


def stop_launches(timeout: float = 5.0) -> None:
    """Wait for a worker process in flight to be handed its task (at most ``timeout``
    seconds), then start no other until :func:`allow_launches`. The SIGINT handler of
    ``dssl`` calls it before the program exits: a worker whose parent was gone before it had
    read what to run printed a traceback (``EOFError``), and the pipeline's thread could start
    the next worker between the end of one launch and the exit."""
    if not _stopped[0] and _LAUNCHING.acquire(timeout=timeout):
        _stopped[0] = True


def allow_launches() -> None:
    """Undo :func:`stop_launches` (the interrupt was handled and the program goes on)."""
    if _stopped[0]:
        _stopped[0] = False
        _LAUNCHING.release()


def _work(
    catalogue: Callable[[], Sequence[Stage]],
    name: str,
    rows: list[dict],
    fast: bool,
    out: str,
    force: bool,
    blas: int | None,
    sizes: bool = False,
):
    """One stage in a worker: the same context and call as the serial runner, with the
    parent's ``--force-size`` (``sizes``: a context variable does not cross processes)."""
    import sims.reproduce.pipeline.execute as execute
    from theory._validate import sizes_forced

    listed = tuple(catalogue())
    stage = {s.name: s for s in listed}[name]
    with execute.stage_context(blas), sizes_forced(sizes):
        return execute.run_one(stage, rows, fast=fast, out=Path(out), force=force, catalogue=listed)


def _ready(waiting: list, deps: list, rows: dict, prio: list) -> list:
    """The waiting stages whose inputs are all done, highest priority first."""
    ready = [i for i in waiting if deps[i] <= rows.keys()]
    ready.sort(key=lambda i: (-prio[i], i))
    return ready


def _worker_pool(stack: contextlib.ExitStack, jobs: int) -> cf.ProcessPoolExecutor:
    """The pool of ``jobs`` spawned workers, shut down (pending stages cancelled) by
    ``stack``."""
    import multiprocessing as mp

    # After Ctrl-C ``dssl reproduce`` exits at once (os._exit), and the semaphores of the pool
    # are then removed by multiprocessing's resource tracker, which would add a warning to the
    # one-line report; the flag reaches only the processes started from here (the tracker,
    # the workers).
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)
    from sims.core.environ import forwarded_logs

    context = mp.get_context("spawn")
    # the workers' progress lines, read here until the pool has shut down (entered first)
    notes = stack.enter_context(forwarded_logs(context, NOTES_LOGGER))
    pool = stack.enter_context(
        cf.ProcessPoolExecutor(
            jobs,
            mp_context=context,
            initializer=_worker_init,
            initargs=(os.getpid(), notes),
        )
    )
    stack.callback(pool.shutdown, wait=True, cancel_futures=True)
    return pool


def run_parallel(
    stages: Sequence[Stage],
    *,
    catalogue: Callable[[], Sequence[Stage]],
    seconds: Mapping[str, tuple[float, float]],
    jobs: int,
    runs: str,
    fast: bool,
    out: Path,
    force: bool,
    blas_threads: int | None,
    on_row: Callable[[dict], None],
    on_running: Callable[[list[str]], None] = lambda names: None,
) -> list[dict]:
    """Rows of ``stages`` (in the given order), computed by ``jobs`` worker processes.

    ``catalogue`` is a module-level function (pickled by name for the workers) returning every
    stage of the run order; ``seconds`` the expected seconds by which ready stages are ordered.
    ``on_row(row)`` is called in this process as each stage finishes (in finishing order);
    ``on_running(names)`` whenever the set of running stages changes. A stage that raises
    stops the run: the stages still running finish (and are cached), none is started, and
    the error is raised here. Ctrl-C cancels the stages not started.
    """
    import sims.reproduce.pipeline.execute as execute

    deps = dependencies(stages, runs)
    prio = heights(deps, stage_weights(stages, fast, seconds))
    listed = tuple(catalogue())
    rows: dict[int, dict] = {}
    waiting = list(range(len(stages)))
    running: dict[cf.Future, int] = {}
    error: BaseException | None = None
    with contextlib.ExitStack() as stack:
        pool = None
        while waiting or running:
            ready = _ready(waiting, deps, rows, prio)
            while error is None and ready and len(running) < jobs:
                i = ready.pop(0)
                waiting.remove(i)
                given = [rows[j] for j in sorted(deps[i])]
                with execute.stage_context(blas_threads):  # a verified cache entry: served here
                    row = execute.run_one(
                        stages[i],
                        given,
                        fast=fast,
                        out=out,
                        force=force,
                        cached_only=True,
                        catalogue=listed,
                    )
                if row is not None:
                    rows[i] = row
                    on_row(row)
                    ready = _ready(waiting, deps, rows, prio)
                    continue
                if pool is None:
                    pool = _worker_pool(stack, jobs)
                args = (catalogue, stages[i].name, given, fast, str(out), force, blas_threads,
                        sizes_are_forced())  # fmt: skip
                with _spawning():  # a submit may start a worker process
                    running[pool.submit(_work, *args)] = i
            if not running:
                if error is None and waiting:
                    continue  # served from the cache; more stages are ready now
                break
            on_running([stages[i].name for i in sorted(running.values())])
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                i = running.pop(future)
                try:
                    rows[i] = future.result()
                except BaseException as err:  # noqa: BLE001 - re-raised once the rest finish
                    error = error or err
                    continue
                on_row(rows[i])
    if error is not None:
        raise error
    return [rows[i] for i in range(len(stages))]
