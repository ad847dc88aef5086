"""The output folder of a run: its cache folder's checks, the lock against a second run, and
the secret key that signs the cache entries.

* **The cache folder** ``<out>/.cache`` must be a real folder inside the output folder: a
  symbolic link there (anything whose real path is elsewhere) would make a run write outside
  the folder it was given, so it is refused with one line naming ``out``
  (:func:`check_cache_dir`). An entry of our own folders that is not a regular file (a
  folder where a cache entry, ``manifest.json`` or a lock file belongs) is discarded and made
  again (:func:`discard_non_file`), never a traceback.
* **The lock**: a run holds ``fcntl.flock`` on ``<out>/.cache/run.lock`` (the file records its
  pid) from start to end (:func:`locked`). A second run into the same folder does not wait: it
  refuses at once, in one line naming the folder and the pid of the run that holds it (two
  runs with different settings would overwrite each other's files). The kernel releases the
  lock when the process ends, however it ends, so a killed run leaves no stale lock.
* **The cache key**: each cache entry carries an HMAC-SHA256 of its content (results,
  configuration, the SHA-256 of every file it wrote) under a secret key kept outside the
  output folder, in ``$XDG_CACHE_HOME/dssl-verify/cache-key`` (``~/.cache/...``; file mode
  0600, made on first use; ``$DSSL_CACHE_KEY_FILE`` names another file) (:func:`sign`). A
  SHA-256 stored next to the data would detect damage only: whoever can edit a result can
  recompute its hash. Without the key, an edited entry, or an edited output file together
  with its recorded hash, does not verify and the stage is computed again. The key is per
  user and machine: a cache folder copied elsewhere is recomputed there.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "CACHE_DIR",
    "LOCK",
    "KEY_ENV",
    "check_cache_dir",
    "discard_non_file",
    "locked",
    "open_lock",
    "key_path",
    "sign",
]

#: the cache folder inside an output folder
CACHE_DIR = ".cache"
#: the lock file inside the cache folder
LOCK = "run.lock"
#: environment variable naming the cache key's file
KEY_ENV = "DSSL_CACHE_KEY_FILE"


def _fail(field: str, allowed: str, value) -> None:
    from theory import _validate as v

    v.fail(field, allowed, value)


def check_cache_dir(out: str | Path, field: str = "out") -> Path:
    """``<out>/.cache`` (not created): absent, or a real folder that resolves to
    ``<out>/.cache`` (its real path is the output folder's real path plus ``.cache``);
    one-line ValueError naming ``field`` otherwise (a symbolic link, a file).

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> check_cache_dir(out) == out / ".cache"
    True
    >>> (out / ".cache").symlink_to(tempfile.mkdtemp())
    >>> check_cache_dir(out)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: out: must be a folder whose .cache is a folder inside it (it is a symbolic ...
    """
    out = Path(out)
    cache = out / CACHE_DIR
    shown = str(out)
    if cache.is_symlink():
        _fail(field, "a folder whose .cache is a folder inside it (it is a symbolic link)", shown)
    if os.path.lexists(cache):
        if not cache.is_dir():
            _fail(field, "a folder whose .cache is a folder (it is a file)", shown)
        if os.path.realpath(cache) != os.path.join(os.path.realpath(out), CACHE_DIR):
            _fail(
                field, "a folder whose .cache is a folder inside it (it resolves elsewhere)", shown
            )
    return cache


def discard_non_file(path: str | Path) -> bool:
    """Remove whatever is at ``path`` unless it is a regular file (a folder with its content,
    a symbolic link, a socket): for the files of our own folders (cache entries, the compile
    cache's ``manifest.json``, lock files), which are made again. Returns whether anything
    was removed.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "entry.json"
    >>> p.mkdir(); discard_non_file(p), p.exists()
    (True, False)
    """
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISREG(mode):
        return False
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        path.unlink()
    return True


def open_lock(path: Path) -> int:
    """A descriptor of the lock file ``path`` (created if missing, never through a symbolic
    link; something else in its place is discarded first)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    discard_non_file(path)
    return os.open(path, flags, 0o644)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text.isdigit():
            return f"pid {text}"
    return "pid unknown"


@contextlib.contextmanager
def _held_lock(path: Path, field: str, shown: str, what: str) -> Iterator[None]:
    """``fcntl.flock`` on the file ``path`` inside the block, the holder's pid written in it;
    one-line ValueError naming ``field`` (``what`` held by which pid) when another process
    holds it. Without ``fcntl`` (not POSIX) there is no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = open_lock(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            _fail(field, f"{what} ({_holder(fd)} holds {path})", shown)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:  # a full disk: the lock file and the field, not a bare errno
            err.filename, err.dssl_field = str(path), field
            raise
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def locked(out: str | Path, field: str = "out") -> Iterator[None]:
    """Hold the output folder ``out`` (its cache folder must exist) for one run: a second run
    into it refuses at once with one line naming the folder and this run's pid (see the
    module docstring).

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()); (out / ".cache").mkdir()
    >>> with locked(out):  # doctest: +ELLIPSIS
    ...     with locked(out):
    ...         pass
    Traceback (most recent call last):
    ...
    ValueError: out: must be a folder no other run is writing (pid ... holds ...), got ...
    """
    check_cache_dir(out, field)
    what = "a folder no other run is writing"
    with _held_lock(Path(out) / CACHE_DIR / LOCK, field, str(out), what):
        yield


# ---------------------------------------------------------------------------------------------
# the cache key


def key_path() -> Path:
    """The file of the cache key: ``$DSSL_CACHE_KEY_FILE``, else
    ``$XDG_CACHE_HOME/dssl-verify/cache-key`` (``~/.cache/dssl-verify/cache-key``)."""
    given = os.environ.get(KEY_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dssl-verify" / "cache-key"


def _read_key(path: Path) -> bytes | None:
    """The key in ``path`` (64 hex digits in a regular file), None if absent or damaged."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ELOOP):
            return None
        raise
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        text = fh.read(256).strip()
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return key if len(key) == 32 else None


def _make_key(path: Path) -> bytes:
    """Read the key in ``path``, or make one there: written to a 0600 temporary file, then
    linked into place, so that no process reads a half-written key and the first of two
    processes making one at once wins. A damaged key file is replaced."""
    key = _read_key(path)
    if key is not None:
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.path.lexists(path):  # damaged: replaced (every entry it signed is recomputed)
        discard_non_file(path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
        os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    key = _read_key(path)
    if key is None:
        raise OSError(errno.EIO, "the cache key could not be read back", str(path))
    return key


@functools.lru_cache(maxsize=8)
def _key(path: str) -> bytes:
    try:
        return _make_key(Path(path))
    except OSError as err:
        why = err.strerror or str(err)
        sys.stderr.write(
            f"dssl: warning: cannot keep the cache key in {path} ({why}); cached stages of "
            "this run will not be served to later runs\n"
        )
        return secrets.token_bytes(32)


def sign(obj) -> str:
    """HMAC-SHA256 (hex) of the canonical JSON of ``obj`` under the cache key
    (:func:`key_path`; made on first use)."""
    import sims.reproduce.pipeline.jsonio as jsonio

    key = _key(str(key_path()))
    return hmac.new(key, jsonio.canonical(obj).encode(), hashlib.sha256).hexdigest()


#: the file a run keeps in its output folder until its record (``report.json``) describes the
#: files beside it: an interrupted run, or one that wrote stages without the report, leaves
#: it, and ``dssl compare`` refuses such a folder (its ``report.json``, if any, is an earlier
#: run's, made maybe on another machine)
UNFINISHED = ".dssl-unfinished"
#: the record of a run (its machine, its stages): the file :data:`UNFINISHED` waits for
RECORD = "report.json"


def mark_unfinished(out: Path, stages) -> None:
    """Write :data:`UNFINISHED` in ``out`` (the run's pid and stages) before any stage writes."""
    from sims.files import write_text

    text = json.dumps({"pid": os.getpid(), "stages": list(stages)}) + "\n"
    write_text(Path(out) / UNFINISHED, text, field="out")


def mark_finished(out: Path, rows) -> None:
    """Remove :data:`UNFINISHED` when the run's record describes its files: it wrote
    :data:`RECORD` itself, or ``out`` holds none."""
    out = Path(out)
    wrote_record = any(RECORD in r.get("files", ()) for r in rows)
    if wrote_record or not (out / RECORD).exists():
        with contextlib.suppress(FileNotFoundError):
            (out / UNFINISHED).unlink()


def unfinished(folder: Path) -> bool:
    """Whether ``folder`` holds :data:`UNFINISHED` (any kind of entry)."""
    return os.path.lexists(Path(folder) / UNFINISHED)
