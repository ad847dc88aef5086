"""Run stages in the order given, each through :func:`sims.reproduce.pipeline.execute.run_one`
(hash its configuration, serve its verified cache entry or compute it, write every file
atomically), one after another or side by side (:mod:`sims.reproduce.pipeline.parallel`).

The cache: :mod:`sims.reproduce.pipeline.execute`.

:func:`run_stages` refuses an output folder whose ``.cache`` is a symbolic link or resolves
outside it, and holds a lock on the folder for the whole run: a second run into it refuses at
once, naming the folder and the first run's pid (:mod:`sims.reproduce.pipeline.outfolder`).
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import sims.reproduce.pipeline.outfolder as outfolder
from sims.reproduce.pipeline.execute import (  # noqa: F401  (re-exported)
    config_hash,
    run_one,
    stage_context,
)
from sims.reproduce.pipeline.outfolder import CACHE_DIR
from sims.reproduce.pipeline.stage import RUNS, Stage, overall_hash


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_stages`; ``finished`` stages are complete and cached."""

    def __init__(self, finished: int, out: Path) -> None:
        super().__init__(f"{finished} stages finished")
        self.finished = finished
        self.out = out


#: the errors of making --out that say the path itself is unusable (bad input, exit 2)
_BAD_OUT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS,
                      errno.EEXIST})  # fmt: skip


def default_jobs(cores: int | None = None, cpu: bool | None = None) -> int:
    """Worker processes of ``dssl reproduce`` when ``--jobs`` is not given: 2 where there are 2
    or more cores (``cores``, default ``os.cpu_count()``) and JAX runs on the CPU (``cpu``,
    default :func:`sims.core.environ.runs_on_cpu`), else 1: on an accelerator each
    worker would claim most of the device's memory. Most of a run with an empty compile cache
    is XLA compilation, one core per program, so two stages side by side keep 2 cores busy
    (measured, 2 cores, empty compile cache: the fast run 2:14 with one job and 1:34 with
    two; the default run 7:06 with one and 4:35 with two, 4:06 with the flags below).
    Results do not depend on it: ``dssl`` runs XLA's matmuls on one thread in every process
    (:func:`sims.core.environ.cpu_xla_flags`).

    >>> default_jobs(cores=2, cpu=True), default_jobs(cores=1, cpu=True), default_jobs(8, False)
    (2, 1, 1)
    """
    if cpu is None:
        from sims.core import environ

        cpu = environ.runs_on_cpu()
    cores = (os.cpu_count() or 1) if cores is None else cores
    return 2 if cpu and cores >= 2 else 1


def v_jobs(jobs, n_stages: int) -> int:
    """``jobs`` checked (an integer >= 1), capped at the number of stages."""
    from theory import _validate as v

    return min(v.integer(jobs, "jobs", lo=1, hi=64), max(n_stages, 1))


def _needed(stage: Stage) -> list[str]:
    return [n for n in stage.needs if n != RUNS]


def select_stages(names: str | Iterable[str], stages: Sequence[Stage]) -> list[Stage]:
    """The stages named in ``names`` (a list, or one comma-separated string), in the order of
    ``stages``.

    Raises ValueError (one line) for an unknown or repeated name, an empty selection, or a stage
    selected without a stage it needs (``Stage.needs``; e.g. ``report`` needs ``verify``).

    Example:
      >>> from sims.reproduce.stages import STAGES
      >>> [s.name for s in select_stages("verify,mask", STAGES)]
      ['mask', 'verify']
    """
    from theory import _validate as v

    known = {s.name: s for s in stages}
    allowed = "a comma-separated list of " + ", ".join(known)
    if isinstance(names, str):
        names = names.split(",")
    names = [str(n).strip() for n in names]
    if not names or any(not n for n in names):
        v.fail("stages", allowed, ",".join(names))
    for n in names:
        if n not in known:
            v.fail("stages", allowed, n)
    if len(set(names)) != len(names):
        v.fail("stages", allowed + " (each once)", ",".join(names))
    for n in names:
        missing = [r for r in _needed(known[n]) if r not in names]
        if missing:
            v.fail("stages", f"a list that includes {', '.join(missing)} (needed by {n})", n)
    return [s for s in stages if s.name in names]


def run_stages(
    stages: Sequence[Stage],
    *,
    fast: bool = False,
    out: str | Path = "figures",
    progress: bool = True,
    force: bool = False,
    blas_threads: int | None = None,
    on_stage: Callable[[dict], None] | None = None,
    jobs: int = 1,
    catalogue: Callable[[], Sequence[Stage]] | None = None,
    seconds: Mapping[str, tuple[float, float]] | None = None,
) -> dict:
    """Run (or resume) ``stages`` in the order given; return the JSON summary.

    ``catalogue`` is a module-level function returning every stage of the run order (``dssl
    reproduce`` hands ``sims.reproduce.stages.catalogue``; default: ``stages`` themselves): a
    stage that uses ``catalogue`` receives it, and worker processes look stages up in it.
    ``seconds`` holds each stage's expected seconds (default run, ``--fast`` run), the weights
    by which side-by-side stages are ordered (default: 1 s each).

    Every stage computes inside :func:`stage_context` (float64 where a computation does not
    choose its dtype; ``blas_threads`` caps NumPy/SciPy's BLAS threads, ``None``: library
    default). ``jobs`` > 1 runs stages whose inputs are ready side by side in that many worker
    processes (:mod:`sims.reproduce.pipeline.parallel`; only stages of a ``catalogue``, any
    other sequence runs one stage at a time); the files
    and cache entries are the same, and so are the results where this process runs XLA's matmuls on
    one thread as the workers do (the ``dssl`` program; see
    :mod:`sims.reproduce.pipeline.parallel`). Ctrl-C raises :class:`Interrupted` (a
    ``KeyboardInterrupt``) after the finished stages are written and cached. ``on_stage(row)`` is
    called after each stage is written and cached (in finishing order). ``progress`` prints,
    on standard error, one line per finished stage and, while stages run, a status line at
    least every 10 s with the time left estimated from ``seconds``
    (:mod:`sims.reproduce.pipeline.progress`).

    Summary keys: out, fast, config_hash (:func:`overall_hash`), seconds, files (all files,
    relative to ``out``), stages (per stage: name, config_hash, cached, seconds, files,
    cache_file, summary).

    The output folder must not have a ``.cache`` that is a symbolic link or resolves outside
    it, nor hold the cache key; it is locked for the run, and a run already holding it makes
    this one refuse (one-line ValueError naming ``out`` and the other run's pid;
    :mod:`sims.reproduce.pipeline.outfolder`).
    """
    jobs = v_jobs(jobs, len(stages))
    out = Path(out)
    outfolder.check_cache_dir(out)
    if _inside(outfolder.key_path(), out):
        from theory import _validate as v

        v.fail("out", f"a folder that does not hold the cache key {outfolder.key_path()}", out)
    try:
        (out / CACHE_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as err:  # an --out that cannot be made is bad input (exit 2), not a failed
        if err.errno not in _BAD_OUT:  # run; a full disk or an I/O error is the run's (exit 1)
            raise
        from theory import _validate as v

        v.fail("out", "a folder that exists or can be created", f"{out} ({err.strerror or err})")
    with outfolder.locked(out):
        return _run_locked(
            stages,
            fast=fast,
            out=out,
            progress=progress,
            force=force,
            blas_threads=blas_threads,
            on_stage=on_stage,
            jobs=jobs,
            catalogue=catalogue,
            seconds=seconds or {},
        )


def _inside(path: Path, folder: Path) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _run_locked(
    stages: Sequence[Stage],
    *,
    fast: bool,
    out: Path,
    progress: bool,
    force: bool,
    blas_threads: int | None,
    on_stage: Callable[[dict], None] | None,
    jobs: int,
    catalogue: Callable[[], Sequence[Stage]] | None,
    seconds: Mapping[str, tuple[float, float]],
) -> dict:
    """:func:`run_stages` once the output folder is checked and locked."""
    import sims.reproduce.pipeline.parallel as parallel
    from sims.reproduce.pipeline.progress import Progress

    t_start = time.perf_counter()
    rows: list[dict] = []
    names = [s.name for s in stages]
    bar = Progress(names, seconds or {}, fast=fast, jobs=jobs, stream=sys.stderr)
    if progress:
        bar.start()

    def finished(row: dict) -> None:
        rows.append(row)
        if progress:
            bar.finished(row)
        if on_stage is not None:
            on_stage(row)

    outfolder.mark_unfinished(out, [s.name for s in stages])
    try:
        listed = tuple(catalogue()) if catalogue is not None else tuple(stages)
        if jobs > 1 and catalogue is not None and parallel.registered(stages, listed):
            done = parallel.run_parallel(
                stages,
                catalogue=catalogue,
                seconds=seconds,
                jobs=jobs,
                runs=RUNS,
                fast=fast,
                out=out,
                force=force,
                blas_threads=blas_threads,
                on_row=finished,
                on_running=bar.running,
            )
            rows[:] = done
        else:
            with stage_context(blas_threads):
                for stage in stages:
                    bar.running([stage.name])
                    row = run_one(stage, rows, fast=fast, out=out, force=force, catalogue=listed)
                    finished(row)
    except KeyboardInterrupt as err:
        raise Interrupted(sum(r["cache"] for r in rows), out) from err
    finally:
        bar.stop()
    outfolder.mark_finished(out, rows)
    keep = ("name", "config_hash", "cached", "seconds", "files", "cache_file", "summary")
    return {
        "out": str(out),
        "fast": fast,
        "config_hash": overall_hash(rows),
        "seconds": round(time.perf_counter() - t_start, 3),
        "files": [f for r in rows for f in r["files"]],
        "stages": [{k: r[k] for k in keep} for r in rows],
    }
