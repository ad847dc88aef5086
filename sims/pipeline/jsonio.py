"""JSON and figure files of the pipeline: the one ``to_jsonable`` / ``from_json``, atomic
writes, and the one helper that writes a stage's JSON, text files and figures.

Every file is written to a temporary file in the same folder, flushed, fsynced and moved into
place with ``os.replace`` (atomic on POSIX and Windows): a run killed mid-write never leaves a
truncated JSON file or a 0-byte PNG under its final name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import tempfile
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


def from_json(text: str | bytes) -> Any:
    """Parse strict JSON text (``NaN``/``Infinity`` are rejected: this project never writes
    them). Raises ValueError on anything else."""

    def _reject(token: str):
        raise ValueError(f"json: must be strict JSON, got {token}")

    return json.loads(text, parse_constant=_reject)


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


@contextlib.contextmanager
def _atomic_path(path: Path):
    """Yield a temporary path next to ``path``; on success fsync it and move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
