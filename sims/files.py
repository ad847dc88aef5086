"""The one writer of the project: every file ``dssl`` and the library write goes through
:func:`atomic_path` (:func:`write_bytes`, :func:`write_text`; JSON and figures in
:mod:`sims.reproduce.pipeline.jsonio`).

* A target is a regular file or a free path (:func:`check_target`): a folder, a symbolic link,
  a device, a FIFO or a socket in its place is refused with one line naming the field
  (:class:`TargetError`, a ValueError) and left as it is; a path below a file is refused too.
* The content goes to a temporary file in the same folder, is fsynced, and is moved into place
  with ``os.replace`` (atomic on POSIX): a run killed mid-write never leaves a truncated file
  under its final name. The target is checked again just before the rename.
* A full disk, a missing permission or a name too long while writing is an ``OSError`` naming
  the target (never the temporary file), with the field as ``dssl_field``: the ``dssl``
  boundary turns it into one line naming the option.
* The temporary files in flight are known (:func:`remove_temporaries`), so that Ctrl-C, or a
  worker whose parent is gone, leaves none behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from pathlib import Path

from theory import _validate as v

__all__ = [
    "TargetError",
    "allow_writes",
    "atomic_path",
    "check_target",
    "remove_temporaries",
    "write_bytes",
    "write_text",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: files are created with the permissions ``open`` would give them (``mkstemp`` uses 0600)
_FILE_MODE = 0o666 & ~_umask()


# the temporary files of the writes in flight in this process (every thread), and whether new
# ones are refused (after Ctrl-C): a reentrant lock, since the SIGINT handler takes it in the
# main thread, possibly while that thread holds it
_TEMPORARIES: set[str] = set()
_TEMP_LOCK = threading.RLock()
_STOPPED = [False]


def remove_temporaries(stop: bool = True) -> int:
    """Delete the temporary file of every atomic write in flight in this process; with
    ``stop``, a later write raises ``KeyboardInterrupt`` instead of starting (until
    :func:`allow_writes`). Called on Ctrl-C and by a worker whose parent is gone, so that an
    interrupted run leaves no hidden ``.tmp`` file. Returns the number removed."""
    with _TEMP_LOCK:
        if stop:
            _STOPPED[0] = True
        removed = 0
        for tmp in list(_TEMPORARIES):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
                removed += 1
            _TEMPORARIES.discard(tmp)
        return removed


def allow_writes() -> None:
    """Undo the ``stop`` of :func:`remove_temporaries` (the ``dssl`` program, on exit)."""
    with _TEMP_LOCK:
        _STOPPED[0] = False


#: the deepest path written (folders are created recursively; PATH_MAX allows about 2000)
MAX_PARTS = 256

#: what an existing entry of each kind is called in an error line
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


class TargetError(ValueError):
    """An output path that is not a regular file or free (a folder, a link, a device, a FIFO,
    a socket), or whose parent is not a folder. A ValueError with one line naming the field;
    ``path`` is the offending path (the ``dssl`` boundary names the option that holds it)."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.path = os.fspath(path)


def check_target(path: str | os.PathLike, field: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` if it can be written by the one writer: a regular
    file (never through a symbolic link) or nothing, below folders (or names not taken yet).
    Anything else is refused with a one-line :class:`TargetError` naming ``field``, and left
    as it is: a device, a FIFO, a socket, a symbolic link or a folder is never replaced.

    >>> try:
    ...     check_target("/dev/null", "csv")
    ... except TargetError as err:
    ...     print(str(err)[:50])
    csv: must be a regular file or a free path, got '/
    """
    if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
        v.fail_type(field, "a file path", path)
    text = os.fspath(path)
    if isinstance(text, bytes) or "\x00" in text:
        v.fail(field, "a file path without NUL characters", path)
    if text.endswith(("/", os.sep)):
        raise TargetError(f"{field}: must be a file path, got {text!r} (it ends in a separator)",
                          text)  # fmt: skip
    path = Path(text)
    if len(path.parts) > MAX_PARTS:
        v.fail(field, f"a path at most {MAX_PARTS} folders deep", f"{len(path.parts)} levels")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        mode = None  # a parent is a file: found below
    except OSError as err:
        raise _named(err, path, field) from None
    if mode is not None and not stat.S_ISREG(mode):
        raise TargetError(
            f"{field}: must be a regular file or a free path, got {text!r} ({_kind(mode)}, "
            "never replaced)",
            text,
        )
    parent = path.absolute().parent
    while True:
        try:
            pmode = os.stat(parent).st_mode
        except FileNotFoundError:
            parent = parent.parent
            continue
        except NotADirectoryError:
            parent = parent.parent
            continue
        except OSError as err:
            raise _named(err, path, field) from None
        if not stat.S_ISDIR(pmode):
            raise TargetError(
                f"{field}: must be a path whose parent is a folder, got {text!r} ({parent} is "
                f"{_kind(pmode) if not stat.S_ISREG(pmode) else 'a file'})",
                text,
            )
        break
    return path


def _named(err: OSError, path: Path, field: str) -> OSError:
    """``err`` (raised while writing the temporary file of ``path``) as an OSError naming
    ``path`` and ``field``, never the temporary file."""
    new = OSError(err.errno, err.strerror or str(err), os.fspath(path))
    new.dssl_path = os.fspath(path)
    new.dssl_field = field
    return new


@contextlib.contextmanager
def atomic_path(path: Path, field: str = "path"):
    """Yield a temporary path next to ``path``; on success fsync it and move it into place.
    ``path`` must be a regular file or free (:func:`check_target`; checked again just before
    the rename, so that a folder or a FIFO put there meanwhile is never replaced)."""
    path = check_target(path, field)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _named(err, path, field) from None
    with _TEMP_LOCK:
        if _STOPPED[0]:
            raise KeyboardInterrupt
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:200]}.",
                                       suffix=".tmp")  # fmt: skip
        except OSError as err:
            raise _named(err, path, field) from None
        _TEMPORARIES.add(tmp)
    os.close(fd)
    try:
        try:
            os.chmod(tmp, _FILE_MODE)
            yield Path(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            check_target(path, field)
            os.replace(tmp, path)
        except OSError as err:
            raise _named(err, path, field) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        with _TEMP_LOCK:
            _TEMPORARIES.discard(tmp)


def write_bytes(path: str | Path, data: bytes, *, field: str = "path") -> Path:
    """Write ``data`` to ``path`` atomically: the one writer of the project (every other
    writer calls it or :func:`atomic_path`). ``path`` must be a regular file or free
    (:func:`check_target`); a full disk or a missing permission is an ``OSError`` naming
    ``path`` (and, as ``dssl_field``, ``field``). Returns the path."""
    with atomic_path(path, field) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)


def write_text(path: str | Path, text: str, *, field: str = "path") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (never seen half-written). Returns the
    path."""
    return write_bytes(path, text.encode("utf-8"), field=field)
