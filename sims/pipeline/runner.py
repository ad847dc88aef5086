"""Run stages in the order given: hash each configuration, serve verified cache entries,
compute the rest, write every file atomically.

The cache entry of a stage is ``<out>/.cache/<stage>-<hash>.json``, where the hash covers the
stage name, :data:`CACHE_VERSION`, a fingerprint of the toolkit's computing source (everything
but the drawing code in ``sims/figures/``) and the JSON form of the configuration. The entry
stores the results, a fingerprint of the drawing code, a SHA-256 of every file the stage
wrote, and an HMAC-SHA256 of all of it under a secret key kept outside the output folder
(:func:`sims.pipeline.outfolder.sign`). It is served only when all of these still match (the
HMAC, and every file present, non-empty and with its recorded content); anything else (a
0-byte PNG left by a killed write, an emptied or edited JSON, an edited cache entry, even one
whose edit recomputed the hashes stored in it) recomputes the stage. A cache entry of the
wrong type (a folder in its place) is discarded and recomputed. When only the drawing code
changed, the verified results are kept and the figures are drawn again from them (a figure is
a function of the results alone). Files are written before their cache entry, each
atomically (:mod:`sims.pipeline.jsonio`).

:func:`run_stages` refuses an output folder whose ``.cache`` is a symbolic link or resolves
outside it, and holds a lock on the folder for the whole run: a second run into it refuses at
once, naming the folder and the first run's pid (:mod:`sims.pipeline.outfolder`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sims.pipeline import jsonio, outfolder
from sims.pipeline.outfolder import CACHE_DIR
from sims.pipeline.stage import Stage

CACHE_VERSION = 4  # bump to invalidate every cached stage result (4: entries signed, HMAC)
RUNS = "runs"  # the ``needs`` entry that passes every earlier row to ``compute``


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_stages`; ``finished`` stages are complete and cached."""

    def __init__(self, finished: int, out: Path) -> None:
        super().__init__(f"{finished} stages finished")
        self.finished = finished
        self.out = out


#: the drawing code, relative to the folder that holds ``sims``: outside the compute fingerprint
FIGURES_DIR = Path("sims") / "figures"


def _digest(paths: Iterable[tuple[Path, Path]]) -> str:
    digest = hashlib.sha256()
    for path, rel in paths:
        digest.update(str(rel).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _sources() -> list[tuple[Path, Path, bool]]:
    """(path, path relative to the source root, is drawing code) for every ``.py`` file."""
    import sims
    import theory

    rows = []
    for package in (theory, sims):
        root = Path(package.__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root.parent)
            rows.append((path, rel, rel.parts[:2] == FIGURES_DIR.parts))
    return rows


@functools.lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file of ``theory`` and ``sims`` except the drawing
    code (``sims/figures/``): part of each stage's cache key, so a cached result never outlives
    the code that computed it.

    The environment variable ``DSSL_SOURCE_FINGERPRINT`` replaces it (e.g. to keep a cache
    while editing comments; the content hashes of the outputs are still checked)."""
    pinned = os.environ.get("DSSL_SOURCE_FINGERPRINT")
    if pinned:
        return pinned
    return _digest((p, r) for p, r, drawing in _sources() if not drawing)


@functools.lru_cache(maxsize=1)
def figures_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the drawing code (``sims/figures/*.py``); a cache entry whose
    figures were drawn by other drawing code has its figures drawn again from its results."""
    return _digest((p, r) for p, r, drawing in _sources() if drawing)


def config_hash(stage: Stage, fast: bool = False, rows: Sequence[dict] = ()) -> str:
    """12 hex digits of SHA-256 over the stage name, cache version, source fingerprint, the
    JSON form of the stage's configuration and, for each earlier stage it reads (``needs`` and
    ``uses``; ``runs``: every earlier row), that stage's own hash and result hash (``None`` when
    a used stage did not run), so a cached result never outlives the inputs it was computed
    from."""
    payload = {
        "stage": stage.name,
        "version": CACHE_VERSION,
        "source": source_fingerprint(),
        "config": stage.config(fast).to_json(),
    }
    upstream = _upstream(stage, rows)
    if upstream:
        payload["upstream"] = upstream
    return hashlib.sha256(jsonio.canonical(payload).encode()).hexdigest()[:12]


def _upstream(stage: Stage, rows: Sequence[dict]) -> dict:
    by_name = {r["name"]: r for r in rows}
    names = [r["name"] for r in rows] if RUNS in stage.needs else []
    names += [n for n in (*stage.needs, *stage.uses) if n != RUNS and n not in names]
    out = {}
    for name in names:
        row = by_name.get(name)
        out[name] = None if row is None else [row["config_hash"], _result_hash(row["result"])]
    return out


def default_jobs(cores: int | None = None, cpu: bool | None = None) -> int:
    """Worker processes of ``dssl reproduce`` when ``--jobs`` is not given: 2 where there are 2
    or more cores (``cores``, default ``os.cpu_count()``) and JAX runs on the CPU (``cpu``,
    default :func:`sims.pipeline.parallel.runs_on_cpu`), else 1: on an accelerator each
    worker would claim most of the device's memory. Most of a run with an empty compile cache
    is XLA compilation, one core per program, so two stages side by side keep 2 cores busy
    (measured, 2 cores, empty compile cache: the fast run 2:14 with one job and 1:34 with
    two; the default run 7:06 with one and 4:35 with two, 4:06 with the flags below).
    Results do not depend on it: ``dssl`` runs XLA's matmuls on one thread in every process
    (:func:`sims.cli.cpu_xla_flags`).

    >>> default_jobs(cores=2, cpu=True), default_jobs(cores=1, cpu=True), default_jobs(8, False)
    (2, 1, 1)
    """
    if cpu is None:
        from sims.pipeline import parallel

        cpu = parallel.runs_on_cpu()
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
      >>> from sims.stages import STAGES
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


def _result_hash(result) -> str:
    return jsonio.sha256_bytes(jsonio.canonical(result).encode())


def _signed(entry: dict) -> bool:
    """Whether ``entry`` carries the HMAC of the rest of it (:func:`outfolder.sign`)."""
    import hmac

    mac = entry.get("hmac_sha256")
    rest = {k: v for k, v in entry.items() if k != "hmac_sha256"}
    return isinstance(mac, str) and hmac.compare_digest(mac, outfolder.sign(rest))


def load_cache(path: Path, out: Path, stage: Stage, digest: str) -> dict | None:
    """The verified cache entry of ``stage`` at ``digest``, or ``None``: absent, unreadable,
    not a regular file, another stage's or configuration's, not signed with this user's cache
    key (edited), or any of its files missing, empty or changed since it was written."""
    try:
        if not path.is_file():
            return None
        entry = jsonio.read_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not _signed(entry):
        return None
    if (entry.get("stage"), entry.get("config_hash"), entry.get("version")) != (
        stage.name,
        digest,
        CACHE_VERSION,
    ):
        return None
    result, seconds, files = entry.get("result"), entry.get("seconds"), entry.get("files")
    if not isinstance(result, dict) or not isinstance(seconds, (int, float)):
        return None
    if not isinstance(files, dict) or sorted(files) != sorted(stage.files):
        return None
    redraw = entry.get("figures_source") != figures_fingerprint()
    for name, recorded in files.items():
        if redraw and name in stage.figures:
            continue
        path_f = out / name
        try:
            if path_f.stat().st_size == 0 or jsonio.sha256_file(path_f) != recorded:
                return None
        except OSError:
            return None
    return {**entry, "redraw": redraw}


def _compute(stage: Stage, cfg, rows: list[dict], out: Path) -> tuple[dict, list[str]]:
    by_name = {r["name"]: r for r in rows}
    kwargs = {}
    for need in stage.needs:
        kwargs[need] = list(rows) if need == RUNS else by_name[need]
    for use in stage.uses:
        kwargs[use] = by_name.get(use)
    result = jsonio.to_jsonable(stage.compute(cfg, **kwargs))
    if not isinstance(result, dict):
        raise TypeError(f"{stage.name}: compute must return a dict, got {type(result).__name__}")
    files = jsonio.write_outputs(
        out, result, json_files=stage.json_files, texts=stage.texts, figures=stage.figures
    )
    return result, files


def _write_entry(
    path: Path, stage: Stage, digest: str, cfg, seconds: float, files, result, out: Path
) -> None:
    entry = jsonio.from_json(
        jsonio.dumps(
            {
                "stage": stage.name,
                "config_hash": digest,
                "version": CACHE_VERSION,
                "config": cfg.to_json(),
                "seconds": seconds,
                "figures_source": figures_fingerprint(),
                "files": {f: jsonio.sha256_file(out / f) for f in files},
                "result": result,
            }
        )
    )  # signed as it will be read back
    outfolder.discard_non_file(path)  # a folder in place of the entry: made again
    jsonio.write_json(path, entry | {"hmac_sha256": outfolder.sign(entry)})


def run_one(
    stage: Stage, rows: list[dict], *, fast: bool, out: Path, force: bool, cached_only=False
) -> dict | None:
    """The row of ``stage`` (served from its verified cache entry, or computed, written and
    cached); ``rows`` are the rows of the earlier stages it reads (at least those). With
    ``cached_only``: ``None`` instead of computing."""
    cfg = stage.config(fast)
    digest = config_hash(stage, fast, rows)
    cache_path = out / CACHE_DIR / f"{stage.name}-{digest}.json"
    entry = None
    if stage.cache and not force:
        entry = load_cache(cache_path, out, stage, digest)
    if entry is None and cached_only:
        return None
    if entry is not None:
        result, seconds, cached = entry["result"], float(entry["seconds"]), True
        files = list(stage.files)
        if entry["redraw"] and stage.figures:
            jsonio.write_outputs(out, result, figures=stage.figures)
        if entry["redraw"]:
            _write_entry(cache_path, stage, digest, cfg, seconds, files, result, out)
    else:
        t0 = time.perf_counter()
        result, files = _compute(stage, cfg, rows, out)
        seconds, cached = time.perf_counter() - t0, False
        if stage.cache:
            _write_entry(cache_path, stage, digest, cfg, seconds, files, result, out)
    summary = jsonio.to_jsonable(stage.summarize(result)) if stage.summarize else {}
    return {
        "name": stage.name,
        "config_hash": digest,
        "cached": cached,
        "seconds": round(seconds, 3),
        "files": files,
        "figures": list(stage.figures),
        "summary": summary,
        "cache_file": str(cache_path.relative_to(out)) if stage.cache else None,
        "config": cfg.to_json(),
        "result": result,
        "cache": stage.cache,
    }


@contextlib.contextmanager
def stage_context(blas_threads: int | None = None):
    """What every stage computes inside: ``theory._precision.x64()`` (float64 where a
    computation does not choose its dtype; the caller's JAX setting is restored afterwards)
    and, with ``blas_threads``, that many NumPy/SciPy BLAS threads (``threadpoolctl``)."""
    from theory._precision import x64

    with contextlib.ExitStack() as stack:
        stack.enter_context(x64())
        if blas_threads is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=int(blas_threads), user_api="blas"))
        yield


def overall_hash(rows: Iterable[dict]) -> str:
    """12 hex digits of SHA-256 over the config hashes of the cached stages (the report's
    stage has no results of its own to identify)."""
    text = "".join(r["config_hash"] for r in rows if r["cache"])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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
) -> dict:
    """Run (or resume) ``stages`` in the order given; return the JSON summary.

    Every stage computes inside :func:`stage_context` (float64 where a computation does not
    choose its dtype; ``blas_threads`` caps NumPy/SciPy's BLAS threads, ``None``: library
    default). ``jobs`` > 1 runs stages whose inputs are ready side by side in that many worker
    processes (:mod:`sims.pipeline.parallel`; only the stages of :data:`sims.stages.STAGES`,
    any other sequence runs one stage at a time); the files and cache entries are the same,
    and so are the results where this process runs XLA's matmuls on one thread as the
    workers do (the ``dssl`` program; see :mod:`sims.pipeline.parallel`).
    Ctrl-C raises :class:`Interrupted` (a ``KeyboardInterrupt``) after the finished stages are
    written and cached. ``on_stage(row)`` is called after each stage is written and cached
    (in finishing order).

    Summary keys: out, fast, config_hash (:func:`overall_hash`), seconds, files (all files,
    relative to ``out``), stages (per stage: name, config_hash, cached, seconds, files,
    cache_file, summary).

    The output folder must not have a ``.cache`` that is a symbolic link or resolves outside
    it, nor hold the cache key; it is locked for the run, and a run already holding it makes
    this one refuse (one-line ValueError naming ``out`` and the other run's pid;
    :mod:`sims.pipeline.outfolder`).
    """
    jobs = v_jobs(jobs, len(stages))
    out = Path(out)
    outfolder.check_cache_dir(out)
    if _inside(outfolder.key_path(), out):
        from theory import _validate as v

        v.fail("out", f"a folder that does not hold the cache key {outfolder.key_path()}", out)
    (out / CACHE_DIR).mkdir(parents=True, exist_ok=True)
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
) -> dict:
    """:func:`run_stages` once the output folder is checked and locked."""
    from tqdm import tqdm

    from sims.pipeline import parallel

    t_start = time.perf_counter()
    rows: list[dict] = []
    bar = tqdm(
        total=len(stages), desc="reproduce", unit="stage", file=sys.stderr, disable=not progress
    )

    def finished(row: dict) -> None:
        rows.append(row)
        bar.update(1)
        if on_stage is not None:
            on_stage(row)

    try:
        if jobs > 1 and parallel.registered(stages):
            done = parallel.run_parallel(
                stages,
                jobs=jobs,
                runs=RUNS,
                fast=fast,
                out=out,
                force=force,
                blas_threads=blas_threads,
                on_row=finished,
                on_running=lambda names: bar.set_postfix_str(",".join(names)),
            )
            rows[:] = done
        else:
            with stage_context(blas_threads):
                for stage in stages:
                    bar.set_postfix_str(stage.name)
                    finished(run_one(stage, rows, fast=fast, out=out, force=force))
    except KeyboardInterrupt as err:
        raise Interrupted(sum(r["cache"] for r in rows), out) from err
    finally:
        bar.close()
    keep = ("name", "config_hash", "cached", "seconds", "files", "cache_file", "summary")
    return {
        "out": str(out),
        "fast": fast,
        "config_hash": overall_hash(rows),
        "seconds": round(time.perf_counter() - t_start, 3),
        "files": [f for r in rows for f in r["files"]],
        "stages": [{k: r[k] for k in keep} for r in rows],
    }
