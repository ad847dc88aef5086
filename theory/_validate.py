"""Argument validation shared by every public entry point.

Each check raises ``ValueError`` with one line that names the field, the allowed range and the
value received, e.g. ``"p: must be in (0, 1), got 1.5"``. A value of the wrong type (a string
where a number is expected, None, a dict for an array) raises :class:`FieldTypeError`, which is
both a ``TypeError`` and a ``ValueError`` with the same one-line message. The CLI turns either
into exit status 2.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np


class FieldTypeError(TypeError, ValueError):
    """A wrong-type argument. Also a ValueError, so code that catches the project's one-line
    ValueError (the CLI) handles it the same way."""


def fail(field: str, allowed: str, value: Any) -> None:
    """Raise the project's one-line ValueError."""
    raise ValueError(f"{field}: must be {allowed}, got {_short(value)}")


def fail_type(field: str, allowed: str, value: Any) -> None:
    """Raise the one-line :class:`FieldTypeError` (a TypeError and a ValueError)."""
    raise FieldTypeError(
        f"{field}: must be {allowed}, got {_short(value)} ({type(value).__name__})"
    )


@contextlib.contextmanager
def renamed(field: str, name: str) -> Iterator[None]:
    """Inside the block, a one-line error about ``field`` names ``name`` instead: for a caller
    whose argument reaches a function under another name (``--transform-seed`` reaching
    ``transform(seed=...)``), so that the message names what the caller typed.

    >>> with renamed("seed", "transform_seed"):
    ...     integer(-1, "seed", lo=0)
    Traceback (most recent call last):
    ...
    ValueError: transform_seed: must be an integer >= 0, got -1
    """
    try:
        yield
    except ValueError as err:
        text = str(err)
        if not text.startswith(f"{field}: "):
            raise
        new = text.replace(field, name, 1)
        cls = FieldTypeError if isinstance(err, FieldTypeError) else ValueError
        raise cls(new) from None


def _is_number(value: Any) -> bool:
    """A real scalar of any numeric type (Python, NumPy, 0-d JAX/NumPy array, sympy/Fraction
    numbers); not str, bytes, bool, None or containers."""
    if value is None or isinstance(value, (str, bytes, bool, np.bool_, dict, list, tuple, set)):
        return False
    if hasattr(value, "shape") and np.ndim(value) != 0:
        return False
    if np.ndim(value) == 0 and getattr(getattr(value, "dtype", None), "kind", "f") in "bc":
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _short(value: Any) -> str:
    text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def integer(
    value: Any, field: str, *, lo: int | None = None, hi: int | None = None, why: str = ""
) -> int:
    """Return ``value`` as int if it is an integer in [lo, hi]. ``why``: where a bound comes
    from when another argument sets it (e.g. ``"2·n_clients"``), named in the message."""

    def allowed() -> str:  # built only for an error message
        return _range_text("an integer", lo, hi) + (f" ({why})" if why else "")

    if not _is_number(value):
        fail_type(field, allowed(), value)
    if not isinstance(value, (int, np.integer)) and np.ndim(value) == 0:
        value = np.asarray(value).item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            fail(field, allowed(), value)
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(field, allowed(), value)
    return value


def real(
    value: Any,
    field: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    why: str = "",
) -> float:
    """Return ``value`` as a finite float in the given (open or closed) interval; ``why``: where
    a bound comes from, named in the message."""
    allowed = _interval_text(lo, hi, lo_open, hi_open) + (f" ({why})" if why else "")
    if not _is_number(value):
        fail_type(field, allowed, value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        fail(field, allowed, value)
    if not math.isfinite(x):
        fail(field, allowed, value)
    if lo is not None and (x < lo or (lo_open and x == lo)):
        fail(field, allowed, value)
    if hi is not None and (x > hi or (hi_open and x == hi)):
        fail(field, allowed, value)
    return x + 0.0  # -0.0 is 0.0 (never echoed with its sign)


def boolean(value: Any, field: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy): a string such as ``"no"`` or a number
    is refused, not read by its truth value.

    >>> boolean(True, "population")
    True
    >>> boolean("no", "population")
    Traceback (most recent call last):
    ...
    theory._validate.FieldTypeError: population: must be True or False, got 'no' (str)
    """
    if not isinstance(value, (bool, np.bool_)):
        fail_type(field, "True or False", value)
    return bool(value)


def _holds_complex(value: Any) -> bool:
    """Whether ``value`` is complex (an array of a complex dtype, a complex scalar, or a list
    holding one): converted to float, its imaginary part would be silently dropped."""
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind is not None:
        return kind == "c"
    if isinstance(value, complex):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_complex(x) for x in value)
    return False


def _holds_bool(value: Any) -> bool:
    """Whether ``value`` is a bool (a 0-d bool array included) or a (nested) list/tuple holding
    one: a number typed as ``True``. A bool *array* is data (an adjacency, a mask) and is
    left to the caller."""
    if isinstance(value, (bool, np.bool_)):
        return True
    if getattr(getattr(value, "dtype", None), "kind", None) == "b" and np.ndim(value) == 0:
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(x) for x in value)
    return False


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    options = tuple(choices)
    if all(isinstance(o, str) for o in options) and not isinstance(value, str):
        fail_type(field, "one of " + ", ".join(map(str, options)), value)
    if value not in options:
        fail(field, "one of " + ", ".join(map(str, options)), value)
    return value


def array(
    value: Any,
    field: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Return ``value`` as a NumPy array with the given rank / shape, all entries finite.

    A boolean typed where a number is asked for (``True``, or a list holding one) is refused,
    not read as 1, and so are numbers beyond float64's range (``10**400``).
    """
    if value is None or isinstance(value, (str, bytes, dict, set)):
        fail_type(field, "a numeric array", value)
    if np.dtype(dtype).kind != "c" and _holds_complex(value):
        fail_type(field, "real numbers (a complex value's imaginary part would be dropped)", value)
    if np.dtype(dtype).kind != "b" and _holds_bool(value):
        fail_type(field, "numbers, not booleans", value)
    try:
        a = np.asarray(value, dtype=dtype)
    except OverflowError:
        fail(field, "numbers within float64's range (|x| <= 1.8e308)", value)
    except (TypeError, ValueError):
        fail_type(field, "a numeric array", value)
    if ndim is not None and a.ndim != ndim:
        fail(field, f"an array of rank {ndim}", f"shape {a.shape}")
    if shape is not None:
        mismatch = a.ndim != len(shape) or any(
            s is not None and s != t for s, t in zip(shape, a.shape, strict=False)
        )
        if mismatch:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            fail(field, f"an array of shape {want}", f"shape {a.shape}")
    if finite and a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        fail(field, "finite (no NaN or inf)", "an array with NaN/inf entries")
    return a


def _range_text(kind: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{kind} in [{lo}, {hi}]"
    if lo is not None:
        return f"{kind} >= {lo}"
    if hi is not None:
        return f"{kind} <= {hi}"
    return kind


def _interval_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is None and hi is None:
        return "a finite number"
    if hi is None:
        return f"a finite number {'>' if lo_open else '>='} {lo}"
    if lo is None:
        return f"a finite number {'<' if hi_open else '<='} {hi}"
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f"in {left}{lo}, {hi}{right}"


# memory: checked before allocating, at every entry point whose arguments drive memory


def memory_limit_bytes() -> int:
    """Bytes this process may use: the smallest of physical memory, the address-space rlimit
    and the cgroup limit (``memory.max``), whichever are known."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft not in (resource.RLIM_INFINITY, -1) and soft > 0:
            limits.append(int(soft))
    except (ImportError, ValueError, OSError):
        pass
    for cg in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(cg) as fh:
                text = fh.read().strip()
            if text.isdigit() and int(text) < 1 << 60:
                limits.append(int(text))
        except OSError:
            pass
    return min(limits) if limits else 1 << 62


def format_bytes(n: float) -> str:
    """'1.5 GiB'-style size (any size: an integer beyond float64's range is 'inf PiB').

    >>> format_bytes(3 * 2**30), format_bytes(10**400)
    ('3.0 GiB', 'inf PiB')
    """
    n = _as_float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024.0
    return f"{n:.1f} PiB"  # pragma: no cover


def _as_float(n) -> float:
    """``float(n)``, or ±inf where ``n`` is an integer too large for a float (OverflowError)."""
    try:
        return float(n)
    except OverflowError:
        return math.inf if n > 0 else -math.inf


#: the share of :func:`memory_limit_bytes` one call may plan to use without ``force_size``
MEMORY_BUDGET = 0.5
#: how a caller goes past the budget, from any entry point (some also take ``force_size=True``;
#: the ``dssl`` boundary shows its option ``--force-size`` instead: :data:`CLI_FORCE_HINT`)
FORCE_HINT = "run it inside `with sims.sizes_forced():` to go further"
CLI_FORCE_HINT = "pass --force-size to go further"

_FORCED = contextvars.ContextVar("force_size", default=False)


@contextlib.contextmanager
def sizes_forced(on: bool = True) -> Iterator[None]:
    """Inside the block (this thread or task only), :func:`check_fits` and :func:`check_time` let
    any estimate through: the caller asked to go past the budget (``force_size=True``,
    ``--force-size``). Public as ``sims.sizes_forced``, the way past the budget that every
    entry point takes.

    >>> with sizes_forced():
    ...     check_fits("n", 10**9, 1e30)
    """
    token = _FORCED.set(bool(on))
    try:
        yield
    finally:
        _FORCED.reset(token)


def sizes_are_forced() -> bool:
    """Whether :func:`sizes_forced` is on here (what a worker process is handed, since a
    context variable does not cross into another process)."""
    return _FORCED.get()


def memory_budget_bytes() -> int:
    """Bytes one call may plan to use: :data:`MEMORY_BUDGET` of :func:`memory_limit_bytes`."""
    return int(MEMORY_BUDGET * memory_limit_bytes())


def check_fits(
    field: str, value, estimated_bytes: float, *, what: str = "the run", force: bool = False
) -> None:
    """Fail before allocating when ``estimated_bytes`` exceeds :func:`memory_budget_bytes`
    (half this machine's memory): one line naming ``field``, the estimate, the budget and how
    to go further (:data:`FORCE_HINT`; ``--force-size`` on the command line). ``force`` (or
    :func:`sizes_forced`) lets the call go on whatever the estimate.

    >>> try:
    ...     check_fits("d", 10**6, 8e18)
    ... except ValueError as err:
    ...     print(str(err).split(",")[0])
    d: must be small enough for the run to fit in memory (estimated 7105.4 PiB
    """
    if force or _FORCED.get():
        return
    budget = memory_budget_bytes()
    estimated_bytes = _as_float(estimated_bytes)
    if not estimated_bytes <= budget:  # NaN too
        fail(
            field,
            f"small enough for {what} to fit in memory (estimated "
            f"{format_bytes(estimated_bytes)}, budget {format_bytes(budget)}, half this "
            f"machine's memory; {FORCE_HINT})",
            value,
        )


#: the longest a call may plan to run without ``force_size`` (seconds)
TIME_BUDGET_S = 1800.0
#: estimated runs longer than this show progress on stderr (the commands)
PROGRESS_AFTER_S = 3.0


def check_time(field: str, value, seconds: float, *, what: str = "the run",
               force: bool = False) -> None:  # fmt: skip
    """Fail before starting when the estimated ``seconds`` exceed :data:`TIME_BUDGET_S`: one
    line naming ``field``, the estimate, the budget and :data:`FORCE_HINT`.

    >>> check_time("rounds", 10**9, 1e7, force=True)
    """
    if force or _FORCED.get():
        return
    seconds = _as_float(seconds)
    if not seconds <= TIME_BUDGET_S:
        fail(
            field,
            f"small enough for {what} to end within {TIME_BUDGET_S / 60:g} minutes (estimated "
            f"{seconds:.3g} s; {FORCE_HINT})",
            value,
        )


#: absolute error a float64 row (or column) sum may carry per entry and still "sum to 1"
STOCHASTIC_ATOL = 1e-10


#: the loosest a row sum may be from 1 whatever its dtype and length (a float16 or a long
#: float32 row would otherwise allow sums far from 1)
STOCHASTIC_MAX_TOL = 1e-3


def stochastic_tolerance(dtype, n: int) -> float:
    """How far a row sum of ``n`` entries (a dense row: N; a sparse one: its nonzeros) given in
    ``dtype`` may be from 1: n times :data:`STOCHASTIC_ATOL`, or n times 64 units of
    ``dtype``'s rounding where that is larger (a float32 uniform ring's rows sum to
    1 + 3e-8), at most :data:`STOCHASTIC_MAX_TOL`. One tolerance for every mixing matrix
    (:func:`sums_to_one`).

    >>> stochastic_tolerance(np.float64, 4), round(stochastic_tolerance(np.float32, 4), 9)
    (4e-10, 3.0518e-05)
    >>> stochastic_tolerance(np.float32, 10**6)
    0.001
    """
    eps = float(np.finfo(dtype).eps) if np.dtype(dtype).kind == "f" else 0.0
    return min(max(STOCHASTIC_ATOL, 64 * eps) * max(int(n), 1), STOCHASTIC_MAX_TOL)


def float_dtype(value: Any) -> np.dtype:
    """The floating dtype ``value`` was given in (an array's, a scipy matrix's; a list's or
    tuple's: its items' widest, as NumPy would stack them), float64 for anything else: the
    dtype whose rounding :func:`stochastic_tolerance` allows.

    >>> float_dtype(np.ones(2, np.float32)), float_dtype([np.ones(2, np.float32)] * 2)
    (dtype('float32'), dtype('float32'))
    >>> float_dtype([[0.5, 0.5]])
    dtype('float64')
    """
    if isinstance(value, (list, tuple)) and value and all(hasattr(x, "dtype") for x in value):
        return np.dtype(np.result_type(*(float_dtype(x) for x in value)))
    given = getattr(value, "dtype", None)
    floating = given is not None and np.dtype(given).kind == "f"
    return np.dtype(given if floating else np.float64)


def sums_to_one(sums: np.ndarray, field: str, *, dtype: Any, n: int, what: str = "row",
                requirement: str = "row-stochastic (rows sum to 1)") -> None:  # fmt: skip
    """Fail in one line unless every entry of ``sums`` (a matrix's ``what`` sums: row or
    column) is 1 within :func:`stochastic_tolerance` of ``dtype`` (the dtype the matrix was
    given in) and ``n`` (the most entries a sum adds): the one check of every mixing matrix,
    dense, sparse or in a sequence.

    >>> sums_to_one(np.array([1.0, 1 + 3e-8]), "W", dtype=np.float32, n=2)
    >>> try:
    ...     sums_to_one(np.array([1.0, 1 + 3e-8]), "W", dtype=np.float64, n=2)
    ... except ValueError as err:
    ...     print(str(err).split("got ")[1])
    'row sums off 1 by up to 3e-08 (float64 allows 2e-10 for 2 entries)'
    """
    sums = np.asarray(sums, dtype=np.float64)
    off = float(np.max(np.abs(sums - 1.0))) if sums.size else 0.0
    tol = stochastic_tolerance(dtype, n)
    if not off <= tol:  # NaN too
        fail(field, requirement, f"{what} sums off 1 by up to {off:.3g} "
             f"({np.dtype(dtype).name} allows {tol:.3g} for {n} entries)")  # fmt: skip


#: relative asymmetry a "symmetric" matrix may carry: rounding of products like A·Aᵀ is
#: ~1e-16 of the largest entry; anything above this was built non-symmetric
SYMMETRY_RTOL = 1e-10


def symmetric(a: np.ndarray, field: str) -> np.ndarray:
    """``a`` (..., d, d) if every matrix equals its transpose to :data:`SYMMETRY_RTOL` of its
    largest entry (1000 ulp of a float32 array); a one-line ValueError otherwise. The
    eigen-solvers read one triangle, so a non-symmetric input would be silently replaced by
    another matrix; the objectives −tr(W X Wᵀ) read only the symmetric part, so pass
    (X + Xᵀ)/2."""
    a = np.asarray(a)
    rtol = SYMMETRY_RTOL
    if a.dtype.kind == "f":  # a float32 product's own rounding is ~1e-7 of its entries
        rtol = max(rtol, 1000 * float(np.finfo(a.dtype).eps))
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    gap = float(np.max(np.abs(a - np.swapaxes(a, -1, -2)))) if a.size else 0.0
    if gap > rtol * scale:
        fail(
            field,
            f"symmetric (X = Xᵀ to {rtol:g} of its largest entry; the objective reads "
            "only the symmetric part: pass (X + Xᵀ)/2)",
            f"an asymmetry of {gap / scale:.2e} of the largest entry",
        )
    return a
