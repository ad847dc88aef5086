"""One stage of ``dssl reproduce``: its configuration hash, its verified cache entry, and
computing, writing and caching it (:func:`run_one`, inside :func:`stage_context`). The runner
(:mod:`sims.reproduce.pipeline.runner`, one stage after another) and the worker processes of
:mod:`sims.reproduce.pipeline.parallel` (side by side) both call :func:`run_one`.

The cache entry of a stage is ``<out>/.cache/<stage>-<hash>.json``, where the hash covers the
stage name, :data:`CACHE_VERSION`, a fingerprint of the toolkit's computing source (everything
but the drawing code in ``sims/reproduce/figures/``) and the JSON form of the configuration. The
entry stores the results, a fingerprint of the drawing code, a SHA-256 of every file the stage
wrote, and an HMAC-SHA256 of all of it under a secret key kept outside the output folder
(:func:`sims.reproduce.pipeline.outfolder.sign`). It is served only when all of these still match
(the HMAC, and every file present, non-empty and with its recorded content); anything else (a
0-byte PNG left by a killed write, an emptied or edited JSON, an edited cache entry, even one
whose edit recomputed the hashes stored in it) recomputes the stage. A cache entry of the
wrong type (a folder in its place) is discarded and recomputed. When only the drawing code
changed, the verified results are kept and the figures are drawn again from them (a figure is
a function of the results alone). Files are written before their cache entry, each
atomically (:mod:`sims.reproduce.pipeline.jsonio`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import sims.reproduce.pipeline.jsonio as jsonio
import sims.reproduce.pipeline.outfolder as outfolder
from sims.reproduce.pipeline.outfolder import CACHE_DIR
from sims.reproduce.pipeline.stage import CATALOGUE, RUNS, Stage

CACHE_VERSION = 4  # bump to invalidate every cached stage result (4: entries signed, HMAC)

#: the drawing code, relative to the folder that holds ``sims``: outside the compute fingerprint
FIGURES_DIR = Path("sims") / "reproduce" / "figures"


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
            rows.append((path, rel, rel.parts[: len(FIGURES_DIR.parts)] == FIGURES_DIR.parts))
    return rows


@functools.lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file of ``theory`` and ``sims`` except the drawing
    code (``sims/reproduce/figures/``): part of each stage's cache key, so a cached result never
    outlives the code that computed it.

    The environment variable ``DSSL_SOURCE_FINGERPRINT`` replaces it (e.g. to keep a cache
    while editing comments; the content hashes of the outputs are still checked)."""
    pinned = os.environ.get("DSSL_SOURCE_FINGERPRINT")
    if pinned:
        return pinned
    return _digest((p, r) for p, r, drawing in _sources() if not drawing)


@functools.lru_cache(maxsize=1)
def figures_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the drawing code (``sims/reproduce/figures/*.py``); a cache entry
    whose figures were drawn by other drawing code has its figures drawn again from its results."""
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
    names += [n for n in (*stage.needs, *stage.uses) if n not in (RUNS, CATALOGUE, *names)]
    out = {}
    for name in names:
        row = by_name.get(name)
        out[name] = None if row is None else [row["config_hash"], _result_hash(row["result"])]
    return out


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


def _compute(
    stage: Stage, cfg, rows: list[dict], out: Path, catalogue: Sequence[Stage]
) -> tuple[dict, list[str]]:
    by_name = {r["name"]: r for r in rows}
    kwargs = {}
    for need in stage.needs:
        kwargs[need] = list(rows) if need == RUNS else by_name[need]
    for use in stage.uses:
        kwargs[use] = tuple(catalogue) if use == CATALOGUE else by_name.get(use)
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
    stage: Stage,
    rows: list[dict],
    *,
    fast: bool,
    out: Path,
    force: bool,
    cached_only=False,
    catalogue: Sequence[Stage] = (),
) -> dict | None:
    """The row of ``stage`` (served from its verified cache entry, or computed, written and
    cached); ``rows`` are the rows of the earlier stages it reads (at least those);
    ``catalogue`` the stages of the run order, for a stage that uses it. With ``cached_only``:
    ``None`` instead of computing."""
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
        result, files = _compute(stage, cfg, rows, out, catalogue)
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
    """What every stage computes inside: a scoped ``jax.enable_x64(True)`` (float64 where a
    computation does not choose its dtype; the caller's JAX setting is restored afterwards)
    and, with ``blas_threads``, that many NumPy/SciPy BLAS threads (``threadpoolctl``)."""
    from theory._precision import x64

    with contextlib.ExitStack() as stack:
        stack.enter_context(x64())
        if blas_threads is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=int(blas_threads), user_api="blas"))
        yield
