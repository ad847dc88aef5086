"""JSON and figure files of the pipeline: the one ``to_jsonable`` / ``from_json``, atomic
writes, and the one helper that writes a stage's JSON, text files and figures.

Every file is written to a temporary file in the same folder, flushed, fsynced and moved into
place with ``os.replace`` (atomic on POSIX and Windows): a run killed mid-write never leaves a
truncated JSON file or a 0-byte PNG under its final name. The temporary files in flight are
known (:func:`remove_temporaries`), so that Ctrl-C, or a worker whose parent is gone, leaves
none behind either.

JSON is read strictly (:func:`from_json`): no ``NaN``/``Infinity``, at most
:data:`MAX_DEPTH` levels of nesting and integers within Python's digit limit, each refused with
a one-line ValueError instead of a RecursionError or a message about ``sys.set_int_max_str_digits``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types from NumPy/JAX scalars and arrays, mappings, tuples and dataclasses.

    Non-finite floats become ``None`` (strict JSON); a dataclass becomes its ``to_json()``
    when it has one, else ``dataclasses.asdict``.

    >>> to_jsonable({"a": np.arange(2), "b": (np.float64(0.5), float("nan"))})
    {'a': [0, 1], 'b': [0.5, None]}
    """
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        to_json = getattr(obj, "to_json", None)
        return to_jsonable(to_json() if callable(to_json) else dataclasses.asdict(obj))
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        obj = float(obj)
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        return to_jsonable(arr.item() if arr.ndim == 0 else arr.tolist())
    return obj


def dumps(obj: Any, *, indent: int | None = 1) -> str:
    """Strict JSON text of ``to_jsonable(obj)`` (raises on NaN left in by mistake)."""
    return json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)


def canonical(obj: Any) -> str:
    """Canonical JSON text (sorted keys, no whitespace): the input of every content hash."""
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


#: the deepest nesting of lists and objects :func:`from_json` reads (the project's files: 11)
MAX_DEPTH = 100


def depth(obj: Any) -> int:
    """Levels of lists and objects in ``obj`` (0 for a number or a string), counted without
    recursion.

    >>> depth(1), depth([]), depth({"a": [1, {"b": []}]})
    (0, 1, 4)
    """
    deepest, stack = 0, [(obj, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in value)
    return deepest


def from_json(text: str | bytes, *, constants: bool = False) -> Any:
    """Parse strict JSON text (``NaN``/``Infinity`` are rejected: this project never writes
    them, unless ``constants``; nesting deeper than :data:`MAX_DEPTH`; integers longer than
    Python's digit limit; an object with a key twice, which JSON readers would otherwise
    resolve silently to the last value). Raises a one-line ValueError on anything else.

    >>> from_json("[" * 101 + "]" * 101)
    Traceback (most recent call last):
    ...
    ValueError: json: must be nested at most 100 levels deep, got 101 levels
    """

    def _reject(token: str):
        raise ValueError(f"json: must be strict JSON, got {token}")

    def _unique(pairs: list) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise ValueError(f"json: must name each key of an object once, got {twice!r} twice")
        return out

    try:
        value = json.loads(
            text, parse_constant=None if constants else _reject, object_pairs_hook=_unique
        )
    except RecursionError:
        raise ValueError(
            f"json: must be nested at most {MAX_DEPTH} levels deep, got deeper than Python can read"
        ) from None
    except ValueError as err:
        if "integer string conversion" not in str(err):
            raise
        limit = sys.get_int_max_str_digits()
        raise ValueError(
            f"json: must hold integers of at most {limit} digits, got a longer one"
        ) from None
    levels = depth(value)
    if levels > MAX_DEPTH:
        raise ValueError(
            f"json: must be nested at most {MAX_DEPTH} levels deep, got {levels} levels"
        )
    return value


def read_json(path: str | Path) -> Any:
    """:func:`from_json` of the file at ``path``."""
    return from_json(Path(path).read_bytes())


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


@contextlib.contextmanager
def _atomic_path(path: Path):
    """Yield a temporary path next to ``path``; on success fsync it and move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _TEMP_LOCK:
        if _STOPPED[0]:
            raise KeyboardInterrupt
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        _TEMPORARIES.add(tmp)
    os.close(fd)
    try:
        os.chmod(tmp, _FILE_MODE)
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        with _TEMP_LOCK:
            _TEMPORARIES.discard(tmp)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (never seen half-written). Returns the path."""
    with _atomic_path(Path(path)) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as strict, indented JSON to ``path`` atomically."""
    return write_text(path, dumps(obj))


def savefig(fig, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` atomically (150 dpi, tight box; format from the suffix) and
    close it. The one figure-writing function of the project."""
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        with _atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return path


def write_outputs(
    out: str | Path,
    results: Mapping,
    *,
    json_files: Mapping[str, Callable[[Mapping], Any]] | None = None,
    texts: Mapping[str, Callable[[Mapping], str]] | None = None,
    figures: Mapping[str, Callable[[Mapping], Any]] | None = None,
) -> list[str]:
    """Write a stage's files under ``out``; return their names (relative to ``out``) in order.

    ``json_files``: file -> function of ``results`` giving the JSON content; ``texts``: file ->
    function giving text; ``figures``: file -> ``make_<name>_figure(results) -> Figure``.
    """
    out = Path(out)
    files = []
    for name, view in (json_files or {}).items():
        write_json(out / name, view(results))
        files.append(name)
    for name, render in (texts or {}).items():
        write_text(out / name, render(results))
        files.append(name)
    for name, make in (figures or {}).items():
        savefig(make(results), out / name)
        files.append(name)
    return files
