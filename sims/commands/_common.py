"""Options and checks shared by the subcommands: number parsing, the data model, the graph, a
mixing matrix from a file, flags that do not apply, output folders and memory estimates.

Every number on the command line is parsed here (``integer`` / ``real`` / ``reals`` /
``integers``): NaN, ±inf, out-of-range and non-integral values are argparse errors, i.e. exit
status 2 and ONE stderr line that names the flag and the allowed range.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import warnings

import numpy as np

from theory import _validate as v
from theory.datamodel import RARE_AXIS_MODES, DataModel

# ---------------------------------------------------------------------------------------------
# number parsing (argparse ``type=`` callables)


def _range(kind: str, lo, hi, lo_open: bool = False, hi_open: bool = False) -> str:
    if lo is not None and hi is not None:
        left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
        return f"{kind} in {left}{lo}, {hi}{right}"
    if lo is not None:
        return f"{kind} {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"{kind} {'<' if hi_open else '<='} {hi}"
    return kind


def _parse_int(text: str, lo, hi) -> int:
    allowed = _range("an integer", lo, hi)
    s = str(text).strip()
    try:
        value = int(s)
    except ValueError:
        try:
            x = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if not math.isfinite(x) or not x.is_integer():
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        value = int(x)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
    return value


def _parse_real(text: str, lo, hi, lo_open: bool, hi_open: bool) -> float:
    allowed = _range("a finite number", lo, hi, lo_open, hi_open)
    try:
        x = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
    bad = not math.isfinite(x)
    bad = bad or (lo is not None and (x < lo or (lo_open and x == lo)))
    bad = bad or (hi is not None and (x > hi or (hi_open and x == hi)))
    if bad:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
    return x


def integer(lo: int | None = None, hi: int | None = None):
    """argparse type: an integer in [lo, hi] ("8", "1e3"; not "1.5", "nan", "inf").

    >>> integer(lo=2)("1e1")
    10
    """

    def parse(text: str) -> int:
        return _parse_int(text, lo, hi)

    parse.__name__ = "integer"
    return parse


def real(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
):
    """argparse type: a finite float in the given interval (never NaN or ±inf).

    >>> real(lo=0.0, lo_open=True)("0.5")
    0.5
    """

    def parse(text: str) -> float:
        return _parse_real(text, lo, hi, lo_open, hi_open)

    parse.__name__ = "real"
    return parse


def integers(lo: int | None = None, hi: int | None = None):
    """argparse type: a non-empty comma-separated list of integers in [lo, hi]."""

    def parse(text: str) -> tuple:
        items = [t for t in str(text).split(",")]
        if not items or any(not t.strip() for t in items):
            raise argparse.ArgumentTypeError(
                f"must be comma-separated {_range('integers', lo, hi)}, got {text!r}"
            )
        return tuple(_parse_int(t, lo, hi) for t in items)

    parse.__name__ = "integers"
    return parse


def reals(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    max_sum: float | None = None,
):
    """argparse type: a non-empty comma-separated list of finite floats in the interval (and,
    with ``max_sum``, a finite total at most ``max_sum``)."""

    def parse(text: str) -> tuple:
        items = [t for t in str(text).split(",")]
        if not items or any(not t.strip() for t in items):
            raise argparse.ArgumentTypeError(
                f"must be comma-separated {_range('numbers', lo, hi, lo_open, hi_open)}, "
                f"got {text!r}"
            )
        vals = tuple(_parse_real(t, lo, hi, lo_open, hi_open) for t in items)
        try:
            total = math.fsum(vals)
        except OverflowError:
            total = math.inf
        if max_sum is not None and not total <= max_sum:
            raise argparse.ArgumentTypeError(f"must sum to at most {max_sum:g}, got {text!r}")
        return vals

    parse.__name__ = "reals"
    return parse


# ---------------------------------------------------------------------------------------------
# flags that do not apply


def not_applicable(flag: str, reason: str, value) -> None:
    """Raise the one-line error for a flag given where it has no effect."""
    v.fail(flag, f"omitted {reason}", value)


class _Moved(argparse.Action):
    """An option whose work another command does now, refused with a one-line hint to it."""

    def __init__(self, option_strings, dest, hint: str = "", **kwargs):
        self.hint = hint
        super().__init__(option_strings, dest, nargs="?", help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string}: {self.hint}")


def add_moved(parser: argparse.ArgumentParser, old: str, hint: str) -> None:
    """Refuse ``old`` (hidden from ``--help``) with ``hint``: where its work is done now."""
    dest = "_moved_" + old.lstrip("-").replace("-", "_")
    parser.add_argument(old, action=_Moved, hint=hint, dest=dest, default=argparse.SUPPRESS)


def add_renamed(parser: argparse.ArgumentParser, old: str, new: str) -> None:
    """Refuse ``old`` (hidden from ``--help``) with a one-line hint to ``new``: one spelling of
    each option across the subcommands (an old spelling is never a silent abbreviation)."""
    add_moved(parser, old, f"renamed {new} (one spelling in every dssl command); write {new}")


#: Graph parameters and the graphs that use them.
GRAPH_PARAMETERS = {
    "rows": ("torus",),
    "cols": ("torus",),
    "degree": ("random_regular",),
    "avg_degree": ("erdos_renyi", "paper_code"),
    "prob": ("erdos_renyi",),
}


def check_graph_flags(args, graph: str | None) -> None:
    """Every graph parameter that was given must apply to ``graph`` (``None``: no graph is
    used, e.g. FL or a mixing file, so none may be given)."""
    for dest, graphs in GRAPH_PARAMETERS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        flag = "--" + dest.replace("_", "-")
        if graph is None:
            not_applicable(flag, "when no graph is built", value)
        if graph not in graphs:
            not_applicable(flag, f"with --graph {graph} (it applies to {', '.join(graphs)})", value)


def check_graph_sizes(args, graph: str | None, n: int, *, n_field: str = "n_clients") -> None:
    """The graph's parameters at N = ``n`` clients, before JAX (the rules of
    ``theory.topology.make_graph``, :func:`theory.graph_params.check_graph`): a torus whose
    sides do not divide N, a hypercube off a power of 2, a degree or average degree out of
    range. An error about N names ``n_field`` (the option that gave N). Graphs that are their
    own mixing rule (one_peer_exp, ...) and ``None`` (no graph) pass."""
    from sims.commands._names import GRAPHS
    from theory.graph_params import check_graph

    if graph not in GRAPHS:
        return
    with v.renamed("n", n_field):
        check_graph(
            graph,
            n,
            rows=args.rows,
            cols=args.cols,
            degree=args.degree,
            avg_degree=args.avg_degree,
            prob=args.prob,
        )


# ---------------------------------------------------------------------------------------------
# the data model


def n_within_d(n: int, dims: dict) -> None:
    """--n-clients against the dimensions the paper's data model needs at least 2N of
    (``dims``: option -> (value, its default)): a dimension left at its default names
    --n-clients, the option the user changed (``--n-clients 1e9`` is not refused as
    ``--d: ... got 64``); a dimension set to another value is checked where it is.
    It goes by value: a dimension given at its default value counts as left there (the line
    says to raise it either way)."""
    for name, (d, default) in dims.items():
        if d < 2 * n and d == default:
            v.fail("n-clients", f"at most {name} / 2 = {d // 2} (the paper's data model "
                   f"needs d >= 2·n_clients; raise {name} with it)", n)  # fmt: skip


#: --d of the commands that take the data model's options (add_model_arguments)
MODEL_D_DEFAULT = 400


def add_model_arguments(
    parser: argparse.ArgumentParser, *, d: int = MODEL_D_DEFAULT, n_clients: int = 4
) -> None:
    """--d, --n-clients, --p, --c, --tau, --mu, --rare-fraction, --rare-axis."""
    parser.add_argument(
        "--d", type=integer(lo=2), default=d, help=f"input dimension >= 2N (default {d})"
    )
    parser.add_argument(
        "--n-clients",
        type=integer(lo=2),
        default=n_clients,
        help="number of clients N >= 2",
    )
    parser.add_argument(
        "--p", type=real(0.0, 1.0, lo_open=True, hi_open=True), default=0.75, help="mask ratio"
    )
    parser.add_argument("--c", type=integer(lo=1), default=None, help="embedding width (2N)")
    parser.add_argument(
        "--tau", type=real(0.0, 1e50, lo_open=True), default=None, help="offset (d^{1/5})"
    )
    parser.add_argument(
        "--mu", type=real(0.0, 1e50, lo_open=True), default=None, help="noise (d^{-1/5})"
    )
    parser.add_argument(
        "--rare-fraction",
        type=real(0.0, 1.0, lo_open=True, hi_open=True),
        default=0.05,
        help="rare-class weight in (0, 1)",
    )
    parser.add_argument(
        "--rare-axis",
        default="class-index",
        help=", ".join(RARE_AXIS_MODES) + ", or N comma-separated 1-based axes",
    )


def rare_axis(text: str):
    """Parse --rare-axis: a mode name or comma-separated 1-based coordinates."""
    if text in RARE_AXIS_MODES:
        return text
    try:
        return integers(lo=1)(text)
    except argparse.ArgumentTypeError:
        v.fail(
            "rare-axis",
            "one of " + ", ".join(RARE_AXIS_MODES) + " or comma-separated integers >= 1",
            text,
        )


def model_from_args(args) -> DataModel:
    """The DataModel of the parsed model options."""
    return DataModel(
        d=args.d,
        n_clients=args.n_clients,
        tau=args.tau,
        mu=args.mu,
        rare_fraction=args.rare_fraction,
        rare_axis=rare_axis(args.rare_axis),
        c=args.c,
    )


# ---------------------------------------------------------------------------------------------
# the graph and the mixing matrix


def add_graph_arguments(parser: argparse.ArgumentParser, *, graph: str = "ring") -> None:
    """--graph, --rows/--cols, --degree, --avg-degree, --prob, --seed."""
    from sims.commands._names import GRAPHS

    parser.add_argument("--graph", default=graph, choices=GRAPHS, help="graph")
    parser.add_argument("--rows", type=integer(lo=3), default=None, help="torus rows")
    parser.add_argument("--cols", type=integer(lo=3), default=None, help="torus columns")
    parser.add_argument("--degree", type=integer(lo=2), default=None, help="random_regular degree")
    parser.add_argument(
        "--avg-degree",
        type=real(0.0, lo_open=True),
        default=None,
        help="erdos_renyi / paper_code average degree",
    )
    parser.add_argument(
        "--prob",
        type=real(0.0, 1.0, lo_open=True),
        default=None,
        help="erdos_renyi edge probability",
    )
    parser.add_argument(
        "--seed", type=integer(0, 2**32 - 1), default=0, help="seed (random graph, samples)"
    )


def graph_kwargs(args) -> dict:
    """Keyword arguments of ``theory.topology.make_graph`` from the parsed graph options (also
    checks that every given graph parameter applies to ``args.graph``)."""
    check_graph_flags(args, args.graph)
    return dict(
        rows=args.rows,
        cols=args.cols,
        degree=args.degree,
        avg_degree=args.avg_degree,
        prob=args.prob,
        seed=args.seed,
    )


def add_devices_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--devices K`` (default 1): split ``what`` over K devices. With K above 1, dssl makes
    the CPU one device per core before the backend starts (:func:`wants_host_devices`, a
    command's ``HOST_DEVICES``), so on a CPU K is at most the cores."""
    parser.add_argument(
        "--devices",
        type=integer(lo=1),
        default=1,
        help=f"split {what} over K devices (default 1; a CPU: K <= its cores)",
    )


def add_compile_cache_argument(parser: argparse.ArgumentParser) -> None:
    """``--compile-cache DIR``: JAX's persistent compilation cache of the command's programs
    (:mod:`sims.reproduce.pipeline.compile_cache`), one spelling for every command that has it."""
    parser.add_argument(
        "--compile-cache",
        default=None,
        metavar="DIR",
        help="reuse XLA programs compiled by earlier runs, kept in DIR (default "
        "$DSSL_COMPILE_CACHE or ~/.cache/dssl-verify/xla; 'none': off)",
    )


def host_device_count() -> int | None:
    """The devices JAX will see where ``--devices`` above 1 makes the CPU one device per core,
    decided without starting JAX: the count ``XLA_FLAGS`` sets, else the cores this process may
    run on (:func:`sims.core.environ.host_devices_flag`); None where the backend
    is an accelerator (its devices are known once JAX starts)."""
    from sims.core import environ

    if not environ.runs_on_cpu():
        return None
    flags = os.environ.get("XLA_FLAGS", "").split() + [environ.host_devices_flag()]
    for token in flags:  # a count already set wins (sims.core.environ.cpu_xla_flags)
        name, _, value = token.partition("=")
        if name == "--xla_force_host_platform_device_count":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def wants_host_devices(args) -> bool:
    """A command's ``HOST_DEVICES`` for :func:`add_devices_argument`: one CPU device per core
    when ``--devices`` is above 1 (read by :func:`sims.cli.main` before the backend starts)."""
    return getattr(args, "devices", 1) > 1


def add_mixing_file_argument(parser: argparse.ArgumentParser) -> None:
    """--mixing-file W.npy|W.csv: a given (N, N) mixing matrix instead of --graph (and of
    --mixing, where the command has one: add this after it)."""
    takes = "--graph, --mixing" if "--mixing" in parser._option_string_actions else "--graph"
    parser.add_argument(
        "--mixing-file",
        default=None,
        metavar="W.npy|W.csv",
        help=f"W from a .npy or .csv file (row-stochastic, irreducible); replaces {takes}",
    )


#: dense (N, N) float64 copies of a mixing matrix while it is read, validated and used (its
#: spectrum, powers, the DecL rounds): the memory check is this × 8·N² bytes
MIXING_COPIES = 12
#: entries of a CSV mixing file read per second (the time estimate of a large file)
CSV_ENTRIES_PER_S = 5e5
#: most bytes one entry of a CSV mixing file takes (digits, sign, exponent, separator)
CSV_ENTRY_BYTES = 32


def _mixing_file_fits(path: str, ext: str, n: int | None, field: str) -> None:
    """Size checks before a mixing file is read: a ``.npy`` header's shape (read without
    loading the data) must be N × N for the run's N and fit in memory; a ``.csv`` file may not
    be larger than an N × N matrix can be written in (:data:`CSV_ENTRY_BYTES` per entry)."""
    size = os.path.getsize(path)
    if ext == ".npy":
        try:  # the header alone: its shape may promise more data than the file holds
            with open(path, "rb") as fh:
                fmt = np.lib.format
                major, _ = fmt.read_magic(fh)
                read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
                shape = read(fh)[0]
        except (OSError, ValueError, EOFError):
            return  # not a plain .npy (an .npz archive, a damaged file): the full read says so
        if len(shape) == 2:
            if n is not None and shape[0] != n:
                v.fail(field, f"an (N, N) matrix with N = --n-clients = {n}", f"shape {shape}")
            v.check_fits(field, f"shape {shape}", MIXING_COPIES * 8 * shape[0] * shape[0],
                         what="the mixing matrix and its working copies")  # fmt: skip
        return
    if n is not None and size > CSV_ENTRY_BYTES * n * n + 1024:
        v.fail(field, f"a CSV of an ({n}, {n}) matrix (at most {CSV_ENTRY_BYTES * n * n + 1024} "
               "bytes)", f"{size} bytes")  # fmt: skip
    entries = max(size // 2, 1)  # at least one digit and one separator per entry
    v.check_fits(field, f"{size} bytes", MIXING_COPIES * 8 * entries + 8 * size,
                 what="the mixing matrix and its working copies")  # fmt: skip


def check_mixing_path(path, field: str = "mixing-file") -> tuple[str, str]:
    """``(path, extension)`` of a mixing file that exists and is named ``.npy`` or ``.csv``
    (checked before JAX is imported; :func:`load_mixing_file` reads and checks the matrix)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        v.fail(field, "a path to a .npy or .csv file", path)
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npy", ".csv"):
        v.fail(field, "a .npy or .csv file", path)
    if not os.path.isfile(path):
        v.fail(field, "an existing readable file", path)
    return path, ext


def load_mixing_file(path, n: int | None = None, *, field: str = "mixing-file") -> np.ndarray:
    """Read and validate a mixing matrix W from ``.npy`` or ``.csv``: (n, n), finite,
    non-negative, rows summing to 1 (to 1e-10·n), irreducible (strongly connected support).

    Args:
      path: file path (``.npy`` or ``.csv``).
      n: required size N, or None.
      field: the name used in error messages.

    Returns:
      (n, n) float64 W.
    """
    from theory.topology import validate_mixing

    path, ext = check_mixing_path(path, field)
    _mixing_file_fits(path, ext, n, field)
    if ext == ".csv":  # np.loadtxt reads about CSV_ENTRIES_PER_S entries a second
        seconds = os.path.getsize(path) / 10 / CSV_ENTRIES_PER_S
        progress(field, seconds, f"reading {path}")("parsing the CSV")
    try:
        if ext == ".npy":
            W = np.load(path, allow_pickle=False)
        else:
            with warnings.catch_warnings():  # an empty file: the shape check below says so
                warnings.simplefilter("ignore", UserWarning)
                W = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError) as err:
        msg = " ".join(str(err).split())[:60]
        v.fail(field, "a readable numeric matrix", f"{path} ({type(err).__name__}: {msg})")
    if not isinstance(W, np.ndarray):  # np.load opens an .npz archive whatever its name
        with contextlib.suppress(AttributeError):
            W.close()
        v.fail(field, "a .npy file holding one array (it is an .npz archive)", path)
    if W.dtype.kind not in "fiu":
        v.fail(field, "a numeric matrix", f"dtype {W.dtype}")
    given = W.dtype if W.dtype.kind == "f" else np.dtype(np.float64)
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 2:
        v.fail(field, "a square (N, N) matrix with N >= 2", f"shape {W.shape}")
    if n is not None and W.shape[0] != n:
        v.fail(field, f"an (N, N) matrix with N = --n-clients = {n}", f"shape {W.shape}")
    if not np.all(np.isfinite(W)):
        v.fail(field, "finite (no NaN or inf)", "a matrix with NaN/inf entries")
    return validate_mixing(W.astype(given), field=field)  # checked at its own dtype's rounding


def mixing_from_args(args, n: int | None = None) -> np.ndarray | None:
    """The validated matrix of ``--mixing-file`` (None if not given). One call for any
    subcommand that added :func:`add_mixing_file_argument`."""
    path = getattr(args, "mixing_file", None)
    if path is None:
        return None
    return load_mixing_file(path, n)


# ---------------------------------------------------------------------------------------------
# output folders


def check_out_dir(path, field: str = "out") -> str:
    """An output folder that can be created or written, whose ``.cache`` (if any) is a folder
    inside it.

    Rejects: an empty path, /dev/null (or any non-folder), a symbolic link to nothing, a path
    below a file, a folder without write permission, one that cannot be created (its missing
    folders are made and removed again to find out: a read-only file system, /proc), and a
    ``.cache`` entry that is not a folder, is a symbolic link or resolves outside the folder
    (the run would write there; :func:`sims.reproduce.pipeline.outfolder.check_cache_dir`).
    """
    if path is None or not str(path).strip():
        v.fail(field, "a non-empty folder path", path)
    p = os.path.abspath(os.fspath(path))
    if os.path.exists(p):
        from sims.reproduce.pipeline.outfolder import check_cache_dir

        if not os.path.isdir(p):
            v.fail(field, "a folder (it is a file or a device)", path)
        if not os.access(p, os.W_OK | os.X_OK):
            v.fail(field, "a writable folder", path)
        check_cache_dir(p, field)
        return p
    if os.path.islink(p):
        v.fail(field, "a folder or a free path (it is a symbolic link to nothing)", path)
    parent = p
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        v.fail(field, "a path whose existing parent is a folder (it is a file)", path)
    if not os.access(parent, os.W_OK | os.X_OK):
        v.fail(field, f"creatable (no write permission in {parent})", path)
    _probe_creatable(p, parent, field, path)
    return p


def _probe_creatable(p: str, parent: str, field: str, given) -> None:
    """Make the folders from ``parent`` down to ``p`` and remove again those it made: a path
    that cannot be made (a read-only file system, /proc, a full disk) is refused now, not
    after the run; one that another process makes meanwhile is taken as it is."""
    made, at = [], parent
    try:
        for part in os.path.relpath(p, parent).split(os.sep):
            at = os.path.join(at, part)
            try:
                os.mkdir(at)
            except FileExistsError:
                if os.path.isdir(at) and not os.path.islink(at):
                    continue  # made meanwhile: not ours to remove
                raise
            made.append(at)
    except OSError as err:
        v.fail(field, f"a folder that exists or can be created (making it: "
               f"{err.strerror or err})", given)  # fmt: skip
    finally:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(folder)


# ---------------------------------------------------------------------------------------------
# time: an estimate before a long run, then progress lines


def progress(command: str, seconds: float, what: str, *, after: float = v.PROGRESS_AFTER_S):
    """A function ``say(text)`` printing ``[elapsed] text`` on stderr, after one line with the
    estimate, where the run is estimated longer than ``after`` seconds (by default
    ``theory._validate.PROGRESS_AFTER_S``); else a function that prints nothing. Standard output
    keeps only the result.

    >>> say = progress("bench", 0.1, "the benchmark")
    >>> say("engine")
    """
    import sys
    import time

    if not seconds > after:
        return lambda text: None
    start = time.perf_counter()
    sys.stderr.write(f"dssl {command}: {what}: about {seconds:.0f} s (estimated)\n")
    sys.stderr.flush()

    def say(text: str) -> None:
        sys.stderr.write(f"[{time.perf_counter() - start:7.1f} s] {text}\n")
        sys.stderr.flush()

    return say


def terminal_width(width: int | None = None) -> int:
    """The width a command's text is fitted to: ``width``, else the terminal's (``COLUMNS``;
    120 where there is none, e.g. a pipe), at least 40.

    >>> terminal_width(20), terminal_width(100)
    (40, 100)
    """
    import shutil

    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns
    return max(int(width), 40)


def fill(text: str, width: int | None = None, indent: str = "", subsequent: str = "  ") -> str:
    """``text`` wrapped at word boundaries to :func:`terminal_width` (``width``), its first line
    indented by ``indent`` and the rest by ``subsequent``; long words (paths) are not broken.

    >>> print(fill("compare a -> b (rtol 1e-09, atol 1e-12)", 40))
    compare a -> b (rtol 1e-09, atol 1e-12)
    >>> print(fill("one two three four five six seven eight nine ten eleven", 40, indent="  "))
      one two three four five six seven
      eight nine ten eleven
    """
    import textwrap

    return textwrap.fill(text, terminal_width(width), initial_indent=indent,
                         subsequent_indent=subsequent, break_long_words=False,
                         break_on_hyphens=False)  # fmt: skip


def fit(text: str, width: int | None = None) -> str:
    """``text`` with every line longer than :func:`terminal_width` (``width``) wrapped under its
    own indentation, its continuation indented two further.

    >>> print(fit("  why: one two three four five six seven eight nine", 40))
      why: one two three four five six seven
        eight nine
    """
    import textwrap

    width, out = terminal_width(width), []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * min(len(line) - len(line.lstrip()), width // 2)
        out += textwrap.wrap(line.strip(), width, initial_indent=indent,
                             subsequent_indent=indent + "  ")  # fmt: skip
    return "\n".join(out)


def pack(parts: list[str], hang: int, width: int | None = None) -> str:
    """A table row too wide for the terminal, as lines: ``parts`` (a row's labelled fields) are
    joined by two spaces while they fit :func:`terminal_width` and continue on lines indented
    by ``hang``; a part wider than a whole line flows on from where the line is, word by word,
    its own continuation indented two further. The first part (a padded label) is kept as
    given, the others stripped.

    >>> print(pack(["local 1   rank 1", "rv 0.1 0.2 0.3", "gap [1, 1]"], 10, 40))
    local 1   rank 1  rv 0.1 0.2 0.3
              gap [1, 1]
    >>> print(pack(["fl", "rv " + " ".join(["0.25"] * 12), "s_N=0"], 4, 40))
    fl  rv 0.25 0.25 0.25 0.25 0.25 0.25
          0.25 0.25 0.25 0.25 0.25 0.25
        s_N=0
    """
    if not parts:
        return ""
    parts = [str(parts[0]), *(str(x).strip() for x in parts[1:] if str(x).strip())]
    width, pad = terminal_width(width), " " * hang
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "  " + part
        elif hang + len(part) <= width:
            lines.append(pad + part)
        else:
            sep = "  "
            for word in part.split(" "):
                if len(lines[-1]) + len(sep) + len(word) <= width:
                    lines[-1] += sep + word
                else:
                    lines.append(pad + ("  " if sep == " " else "") + word)
                sep = " "
    return "\n".join(lines)


def logged(name: str, line=None):
    """Context manager: while the block runs, the INFO lines of the logger ``name`` itself (a
    library stage's own progress, e.g. Track C's methods, Track D's arms; not its children's)
    go to stderr as ``[elapsed] text``, ``text`` being ``line(record, elapsed)`` (default: the
    record's message).

    >>> with logged("sims.trackc.runs"):
    ...     pass
    """
    import contextlib
    import logging
    import sys
    import time

    text = line if line is not None else (lambda record, elapsed: record.getMessage())

    @contextlib.contextmanager
    def block():
        logger, start = logging.getLogger(name), time.perf_counter()

        class _Elapsed(logging.Formatter):
            def format(self, record):
                elapsed = time.perf_counter() - start
                return f"[{elapsed:7.1f} s] {text(record, elapsed)}"

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Elapsed())
        handler.addFilter(lambda record: record.name == name)
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    return block()


# ---------------------------------------------------------------------------------------------
# memory (the checks live in theory._validate, shared with the API entry points)

memory_limit_bytes = v.memory_limit_bytes
format_bytes = v.format_bytes
check_fits = v.check_fits
