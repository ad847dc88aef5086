"""JSON and figure files of the pipeline: the one ``to_jsonable`` / ``from_json``, atomic
writes, and the one helper that writes a stage's JSON, text files and figures.

Every file is written by the one writer, :mod:`sims.files`: only onto a regular file or a
free path, through a temporary file in the same folder, fsynced and moved into place with
``os.replace``, so that a run killed mid-write never leaves a truncated JSON file or a 0-byte
PNG under its final name.

JSON is read strictly (:func:`from_json`): no ``NaN``/``Infinity``, at most
:data:`MAX_DEPTH` levels of nesting and integers within Python's digit limit, each refused with
a one-line ValueError instead of a RecursionError or a message about ``sys.set_int_max_str_digits``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sims.files import atomic_path, check_target, write_text


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
    them, unless ``constants``; a number beyond float64's range such as ``1e400``, which would
    be read as infinity, even with ``constants``; nesting deeper than :data:`MAX_DEPTH`;
    integers longer than Python's digit limit; an object with a key twice, which JSON readers
    would otherwise resolve silently to the last value). Raises a one-line ValueError on
    anything else.

    >>> from_json("[" * 101 + "]" * 101)
    Traceback (most recent call last):
    ...
    ValueError: json: must be nested at most 100 levels deep, got 101 levels
    """

    def _reject(token: str):
        raise ValueError(f"json: must be strict JSON, got {token}")

    def _finite(token: str) -> float:  # 1e400 would be read as inf
        x = float(token)  # a number token is never NaN: not finite means it overflowed
        if not math.isfinite(x):  # refused with ``constants`` too: only a spelled-out
            raise ValueError(  # NaN/Infinity is a non-finite number, never an overflow
                f"json: must hold numbers within float64's range (at most about 1.8e308), got "
                f"{token[:40]}"
            )
        return x

    if isinstance(text, (bytes, bytearray)):
        text = bytes(text)
        if text.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark: read past it
            text = text[3:]
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(
                f"json: must be UTF-8 text, got a byte that is not (0x{text[err.start]:02x} at "
                f"byte {err.start})"
            ) from None
    elif isinstance(text, str):
        text = text.removeprefix("\ufeff")
    else:
        from theory import _validate as v

        v.fail_type("text", "JSON text (str or bytes)", text)

    def _unique(pairs: list) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise ValueError(f"json: must name each key of an object once, got {twice!r} twice")
        return out

    try:
        value = json.loads(
            text,
            parse_constant=None if constants else _reject,
            parse_float=_finite,
            object_pairs_hook=_unique,
        )
    except RecursionError:
        raise ValueError(
            f"json: must be nested at most {MAX_DEPTH} levels deep, got deeper than Python can read"
        ) from None
    except json.JSONDecodeError as err:
        raise ValueError(f"json: must be valid JSON, got an error at line {err.lineno} column "
                         f"{err.colno} ({err.msg})") from None  # fmt: skip
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


def read_json(path: str | Path, *, field: str = "path") -> Any:
    """:func:`from_json` of the regular file at ``path`` (a FIFO or a device is refused, never
    opened); every error is one line naming ``field`` and the file."""
    import stat

    from theory import _validate as v

    if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
        v.fail_type(field, "a path to a JSON file", path)
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        v.fail(field, f"a readable JSON file ({err.strerror})", os.fspath(path))
    if not stat.S_ISREG(mode):
        v.fail(field, "a regular JSON file (not a folder, a FIFO or a device)", os.fspath(path))
    try:
        return from_json(Path(path).read_bytes())
    except ValueError as err:
        raise ValueError(f"{field}: {os.fspath(path)}: {err}") from None


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


def _first_nonfinite(obj: Any, where: str = "") -> str | None:
    """The key path of the first NaN or ±inf float in ``obj`` (after :func:`to_jsonable`'s
    walk), or None."""
    stack = [(obj, where)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((v, f"{at}.{k}" if at else str(k)) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
            return at or "(the value)"
        elif hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
            arr = np.asarray(value)
            if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                return at or "(the value)"
    return None


def write_json(
    path: str | Path, obj: Any, *, field: str = "path", nonfinite: str = "refuse"
) -> Path:
    """Write ``obj`` as strict, indented JSON to ``path`` atomically.

    ``nonfinite``: ``"refuse"`` (default) raises a one-line ValueError naming the key of the
    first NaN or ±inf (JSON has no such number and nothing is silently changed);
    ``"null"`` writes it as ``null`` (the stage results of ``dssl reproduce``, where null
    records an undefined quantity, e.g. λ₂ of a one-client graph).

    >>> try:
    ...     write_json("/tmp/never.json", {"a": [1.0, float("nan")]})
    ... except ValueError as err:
    ...     print(str(err).split(", got ")[1])
    NaN/inf at a[1]
    """
    if nonfinite not in ("refuse", "null"):
        from theory import _validate as v

        v.fail("nonfinite", "one of refuse, null", nonfinite)
    if nonfinite == "refuse":
        bad = _first_nonfinite(obj)
        if bad is not None:
            from theory import _validate as v

            v.fail(
                "obj",
                "made of finite numbers only (JSON has no NaN or inf)",
                _Raw(f"NaN/inf at {bad}"),
            )
    return write_text(path, dumps(obj), field=field)


class _Raw(str):
    """A value shown as it is in an error line (no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def savefig(fig, path: str | Path, *, field: str = "path") -> Path:
    """Save ``fig`` to ``path`` atomically (150 dpi, tight box; format from the suffix) and
    close it. The one figure-writing function of the project."""
    import matplotlib.pyplot as plt

    try:
        path = check_target(path, field)
    except ValueError:
        plt.close(fig)
        raise
    fmt = path.suffix.lstrip(".").lower() or "png"
    known = fig.canvas.get_supported_filetypes()
    if fmt not in known:
        plt.close(fig)
        from theory import _validate as v

        v.fail(field, "a file name ending in ." + ", .".join(sorted(known)), str(path))
    try:
        with atomic_path(path, field) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=fmt)
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
        write_json(out / name, view(results), field="out", nonfinite="null")
        files.append(name)
    for name, render in (texts or {}).items():
        write_text(out / name, render(results), field="out")
        files.append(name)
    for name, make in (figures or {}).items():
        savefig(make(results), out / name, field="out")
        files.append(name)
    return files
