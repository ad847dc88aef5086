"""The ``dssl`` command line.

Every subcommand accepts ``--json`` and then prints exactly one JSON object on stdout.
Every error is one line on stderr (one boundary catches every error of every command): bad input
exits with status 2 naming the option and the allowed values, so do an unusable ``JAX_PLATFORMS`` /
``JAX_ENABLE_X64`` / ``XLA_FLAGS`` (checked before JAX reads them) and an ``--out`` folder
that cannot be written or is in use by another run; a failure of the run (a full disk, a file
name too long, memory) exits with status 1. Ctrl-C exits with status 130 after one stderr line
at any moment (``dssl simulate`` first prints the results of the rounds it finished, marked
``"interrupted": true``). ``dssl --debug ...`` shows the traceback of an error. Subcommands
are discovered from :mod:`sims.commands`.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_starting(signum, frame) -> None:  # noqa: ARG001 - a signal handler
    """Ctrl-C while this module is still being imported, as the program: one line, status 130
    (nothing has been written yet). :func:`main`'s boundary takes over from here."""
    os.write(2, b"dssl: interrupted\n")
    os._exit(130)


# as the program only (``python -m sims.cli`` or the ``dssl`` script), never in a caller's process
if __name__ == "__main__" or os.path.basename(sys.argv[0] if sys.argv else "") == "dssl":
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import argparse  # noqa: E402 - after the handler above
import contextlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from types import ModuleType  # noqa: E402

PROG = "dssl"


#: Subcommands with table-like output and what their ``--csv PATH`` writes
#: (``sims.reproduce.export``).
CSV_COMMANDS = {
    "topology": "also write the summary as CSV, one row per client (PATH)",
    "bounds": "also write the bounds as CSV, one row per method x framework (PATH)",
    "exact": "also write the optima as CSV, one row per optimum (PATH)",
    "verify": "also write the claims table as CSV",
    "simulate": "write the trace as CSV",
    "bench": "also write the timings as CSV, one row (PATH)",
}


def _defaults_note(name: str) -> str:
    """What a subcommand's defaults are and why they differ between commands (in --help)."""
    from sims.glossary import ANGLE_WARN_RAD, LOSS_GAP_WARN

    shared = "Defaults c = 2N, tau = d^(1/5), mu = d^(-1/5) (the theorems' scaling);"
    notes = {
        "topology": "Defaults: a ring of N = 20 clients with the paper's uniform mixing "
        "w_ij = 1/|A_i| (20 is the paper's DecL client count, Sec. 6.1).",
        "bounds": "No default d, p: the bounds are formulas, give the point. N defaults to "
        "C_N d^(1/20) (Thm 4.2's scaling); --abar is needed only for the DecL bound.",
        "exact": shared + " d = 400 on a ring graph (the structured path makes any d cheap, "
        "e.g. --d 1e12).",
        "verify": shared + " a star graph (on regular graphs Eq. (1) equals FL).",
        "simulate": "Defaults c = 2N, d = 64 (exact/verify: 400; a round costs about 8 N E B c "
        f"d flops). Warns when training has not converged: angle to the Track B optimum above "
        f"{ANGLE_WARN_RAD} rad, or loss gap above {LOSS_GAP_WARN} x |optimal_loss|.",
        "bench": "Defaults: the engine benchmark setting N = 100, d = 64, c = 16, B = 32, "
        "E = 5, T = 20, float32 (the paper's FL client count at simulate's d).",
    }
    return notes.get(name, "")


#: the last line of every subcommand's ``--help``: where its output keys are explained (the
#: help lists options only)
KEYS_NOTE = "Output keys: docs/glossary.md, dssl explain KEY; a claim: dssl explain CLAIM."


class _HelpFormatter(argparse.HelpFormatter):
    """Description and epilog (defaults and where the output keys are explained) as written;
    every option's help ends with its default unless it names one already or has none; the
    help column starts at 34 and the text fits the terminal (``COLUMNS``), at most 100 wide."""

    def __init__(self, prog, indent_increment=2, max_help_position=30, width=None):
        import shutil

        if width is None:
            width = max(min(shutil.get_terminal_size((100, 24)).columns, 100) - 2, 40)
        super().__init__(prog, indent_increment, max_help_position, width)

    def _fill_text(self, text, width, indent):
        """Each paragraph (blank-line separated) filled to the width on its own."""
        import textwrap

        paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
        filled = [textwrap.fill(p, width, initial_indent=indent, subsequent_indent=indent)
                  for p in paragraphs]  # fmt: skip
        return "\n\n".join(filled)

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "%(default)" in text
            or "default" in text.lower()
            or default is None
            or default is False
            or default == argparse.SUPPRESS
        ):
            return text
        return text + " (default: %(default)s)"


#: the global ``--debug`` option (also accepted after the subcommand)
DEBUG_HELP = "on an error, print the Python traceback before the one-line message"

#: every subcommand's ``--force-size`` (:func:`theory._validate.check_fits`)
FORCE_SIZE_HELP = (
    "run even when the estimated memory is above the budget (half this machine's memory); "
    "without it such a run is refused before it allocates"
)

#: the exit statuses of every subcommand (``dssl --help``; docs/gen_pages.py, CLI reference)
EXIT_STATUS = """exit status:
  0    the command ran (dssl compare: the folders agree)
  1    the run failed: a file could not be written or read (disk full, a name
       too long, no permission), memory ran out (MemoryError, XLA's
       RESOURCE_EXHAUSTED), an internal error; dssl compare: the folders differ
  2    bad input: an option, an environment variable (JAX_PLATFORMS,
       JAX_ENABLE_X64, XLA_FLAGS, JAX_DEFAULT_MATMUL_PRECISION), a file given,
       or an --out folder that is unusable or in use by another run
  130  interrupted (Ctrl-C)
Every error is one line on stderr naming the option (or file) and what is
allowed; --debug prints the traceback first."""

#: a command-line token read as a value, not an option: a negative number (with an exponent,
#: or -inf / -nan), alone or first in a comma-separated list
_NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(,.*)?$|^-(inf|nan)(,.*)?$", re.I)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2, and which reads a
    value that starts like a negative number (``--lr -1e-3``, ``--sizes -1,2``, ``--lr -inf``)
    as the option's value, so that the option's own check names what is wrong with it
    (argparse's own pattern knows only ``-1`` and ``-.5``, and said "expected one argument")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE
        self._words: list = []

    def parse_known_args(self, args=None, namespace=None):
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def _typed(self, name: str) -> str:
        """The option ``name`` as the user typed it (``--sim-s`` for ``--sim-seed``)."""
        from sims.commands import _boundary

        actions = [a for a in self._actions if a.option_strings]
        for action in actions:
            if name in action.option_strings:
                return _boundary.spelling(action, self._words, actions)
        return name

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        line = " ".join(message.split())
        if line.startswith("argument ") and ": must be " in line:
            line = line[len("argument ") :]  # "--lr: must be ..." like the run-time errors
            name, sep, rest = line.partition(": ")
            line = self._typed(name.split("/")[-1]) + sep + rest
        sys.stderr.write(f"{self.prog}: error: {line}\n")
        raise SystemExit(2)


def _discover() -> dict[str, ModuleType]:
    import importlib
    import pkgutil

    import sims.commands as _commands_pkg

    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(_commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_commands_pkg.__name__}.{info.name}")
        found[module.NAME] = module
    return found


def _version() -> str:
    """The installed distribution's version (``dssl-verify``), or "unknown" from a bare tree."""
    from importlib import metadata

    try:
        return metadata.version("dssl-verify")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser(commands: dict[str, ModuleType] | None = None) -> argparse.ArgumentParser:

    commands = _discover() if commands is None else commands
    parser = _Parser(
        prog=PROG,
        description="Verify the theory of arXiv 2607.02447 (distributed SSL under non-IID data).",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--force-size", action="store_true", default=False, help=FORCE_SIZE_HELP)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module in commands.items():
        parts = [_defaults_note(name), KEYS_NOTE if name != "explain" else ""]
        p = sub.add_parser(
            name,
            usage=f"{PROG} {name} [options]",
            help=module.HELP,
            description=module.HELP,
            epilog="\n\n".join(t for t in parts if t) or None,
            formatter_class=_HelpFormatter,
        )
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )  # fmt: skip - listed once, in dssl --help
        p.add_argument(
            "--force-size", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )  # fmt: skip - listed once, in dssl --help
        if name in CSV_COMMANDS:
            p.add_argument(
                "--csv",
                default=None,
                metavar="PATH",
                help=CSV_COMMANDS[name] + "; - for standard output",
            )
        module.add_arguments(p)
        if "--n-clients" in p._option_string_actions and "--n" not in p._option_string_actions:
            from sims.commands._common import add_renamed

            # the old spelling, refused with a hint in every command that counts clients (a
            # prefix of --n-clients would otherwise be read as it where no other option starts so)
            add_renamed(p, "--n", "--n-clients")
        for action in p._actions:  # options without a help text still show their default
            shown = action.default is not None and action.default is not False
            if action.option_strings and action.help is None and shown:
                action.help = "default: %(default)s"
            _short_metavar(action)
        p.set_defaults(_module=module)
    return parser


#: the widest option name with its value that ``--help`` prints beside its help text
#: (``_HelpFormatter``'s help column, 30, less the indent and the gap)
_INVOCATION_WIDTH = 26


def _short_metavar(action) -> None:
    """Keep ``--help`` short: a value is shown as N (an integer) or X, and a list of choices
    too long to sit beside the help text (``--aggregation {uniform,data-size}``) moves from
    the option's name into its help text."""
    if not action.option_strings or action.nargs == 0 or action.metavar is not None:
        return
    if action.choices is not None:
        listed = ",".join(map(str, action.choices))
        if len(f"{action.option_strings[-1]} {{{listed}}}") <= _INVOCATION_WIDTH:
            return
        action.metavar = action.dest.upper().replace("_", "-")
        action.help = f"{action.help or ''}; one of {', '.join(map(str, action.choices))}"
        action.help = action.help.lstrip("; ")
        return
    kind = getattr(action.type, "__qualname__", "") or ""
    action.metavar = "N" if action.type is int or kind.startswith("integer") else "X"


#: JAX platform names that ``JAX_PLATFORMS`` may list (comma-separated, no spaces: JAX splits
#: the value at commas and takes each piece as it is).
KNOWN_PLATFORMS = ("cpu", "cuda", "gpu", "rocm", "tpu", "metal", "oneapi")

#: JAX's boolean settings read from the environment when ``jax`` is imported, and the
#: spellings JAX accepts there (``jax._src.config.bool_env``, any case); anything else makes
#: ``import jax`` raise.
BOOL_ENV = (
    "JAX_ENABLE_X64",
    "JAX_DISABLE_JIT",
    "JAX_DEBUG_NANS",
    "JAX_DEBUG_INFS",
    "JAX_LOG_COMPILES",
    "JAX_ENABLE_CHECKS",
)
BOOL_SPELLINGS = ("1", "0", "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off")

#: JAX's matmul-precision setting (environment variable) and the values ``dssl`` accepts in it.
PRECISION_ENV = "JAX_DEFAULT_MATMUL_PRECISION"
PRECISIONS = ("highest", "float32", "high", "tensorfloat32", "default", "bfloat16")


@contextlib.contextmanager
def matmul_precision():
    """Run a command with float32 products computed in float32: JAX's matmul precision
    ``highest`` unless ``JAX_DEFAULT_MATMUL_PRECISION`` names another.

    On a GPU, JAX's default precision lets XLA run float32 products on the TF32 tensor cores
    (10-bit mantissa), so a float32 run would round differently from the same run on a CPU
    (benchmarks/results/gpu.md: the engine is 1.6x faster that way on an H200). On a CPU the
    setting changes no number. The variable is also set for the command's worker processes
    and restored afterwards."""
    import os

    import jax

    from sims.core.environ import set_environ

    value = os.environ.get(PRECISION_ENV) or "highest"
    with set_environ({PRECISION_ENV: value}), jax.default_matmul_precision(value):
        yield value


#: XLA flags every ``dssl`` command that computes results adds on a CPU (see :func:`cpu_xla_flags`).
CPU_XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "--xla_backend_optimization_level=1")
#: ... and these where the installed XLA has them (:func:`sims.core.environ.xla_has_flag`):
#: XLA's older fusion code generator, which compiles faster (see :func:`cpu_xla_flags`)
CPU_XLA_FLAGS_WHERE_KNOWN = ("--xla_cpu_use_fusion_emitters=false",)


def cpu_flags() -> tuple[str, ...]:
    """:data:`CPU_XLA_FLAGS`, then each flag of :data:`CPU_XLA_FLAGS_WHERE_KNOWN` that this
    jaxlib's XLA defines (XLA aborts the process on a flag it does not know)."""
    from sims.core.environ import xla_has_flag

    known = tuple(
        f for f in CPU_XLA_FLAGS_WHERE_KNOWN if xla_has_flag(f.split("=", 1)[0].lstrip("-"))
    )
    return CPU_XLA_FLAGS + known


@contextlib.contextmanager
def cpu_xla_flags(enabled: bool = True, host_devices: bool = False):
    """Run a command on a CPU with XLA's matmuls on one thread, LLVM at optimisation level 1
    and XLA's older fusion code generator (:func:`cpu_flags`, added to ``XLA_FLAGS`` unless
    it sets those flags already; restored afterwards). Takes effect where the command starts
    JAX's backend (the ``dssl`` program always does) and in the worker processes of ``dssl
    reproduce --jobs``.

    * One thread: XLA's thread pool sums a matmul's products in another order than one
      thread, so a float32 result depended on whether a stage ran in the main process (the
      pool) or in a ``--jobs`` worker (one thread: two pools on the same cores ran several
      times slower). With one thread everywhere, ``dssl reproduce`` with any ``--jobs`` and
      the single commands compute the same numbers (tests/test_parallel_stages.py).
    * Level 1 instead of XLA's default (2): compilation is most of a reproduce run with an
      empty compile cache, and it is shorter (measured on 2 cores: the six engine programs
      of the fast ``mim_vs_cl`` stage 7.9 s instead of 12.2 s; the stages of a default run
      428 s instead of 504 s) while the programs ran no slower (the engine's quick setting
      0.119 s against 0.125 s). Float32 results change in rounding only (a default run: 166
      of 82,877 values, in Track D and one float32 γ; Tracks A and B equal).
    * XLA's older fusion code generator (``--xla_cpu_use_fusion_emitters=false``, where this
      jaxlib has the flag: :data:`CPU_XLA_FLAGS_WHERE_KNOWN`): it compiles faster, and with
      an empty compile cache most of a reproduce run is compiling (2 cores, 2026-11-23: the
      fast run 1:48 → 1:19 wall in adjacent runs, 1:20-1:42 later; the engine programs of
      the fast ``mim_vs_cl`` stage 12.4 s → 10.0 s, ``benchmarks/bench_cpu_flags.py``).
      Some programs run slower with it: the default ``track_c`` runs 72 s → 99 s, their CL
      runs' Gaussian views most of it (README, Performance; since 2026-11-24 those views
      come from :func:`sims.losses.gaussian`, about twice as fast under these flags, and
      the Track C programs are compiled with the newer generator alone:
      :func:`sims.core.environ.long_run_options`).
      Float32 results change in rounding only (a default run: 102 of 82,886 values, all in
      Track D; Tracks A, B and C equal; no verdict word changed).

    One thread cost no speed where measured, also on 16 cores (2026-11-23, against XLA's
    thread pool and level 2): the Track D Table 1 and Fig 2a stages 65 s against 72 s; the
    engine at N = 100, d = 512, c = 64, B = 128 0.348 s per round against 0.353 s. Its products
    are too small for the pool to split.

    The flags added here (with their values) go to ``DSSL_XLA_FLAGS_ADDED``
    (:data:`sims.core.environ.ADDED_XLA_FLAGS_ENV`), so that code run by the command can
    tell them from flags the user set (:func:`sims.core.environ.user_sets_xla_flag`).

    Nothing changes where the backend is not the CPU
    (:func:`sims.reproduce.pipeline.parallel.runs_on_cpu`) or ``enabled`` is false (``dssl bench``,
    which times the engine as Python API users run it).

    ``host_devices`` (``dssl bench``): on a CPU, also one XLA device per core
    (:func:`sims.reproduce.pipeline.parallel.host_devices_flag`), for the engine with its clients
    sharded over the cores; everything else runs on the first."""
    import os

    from sims.core.environ import ADDED_XLA_FLAGS_ENV, add_xla_flags, set_environ
    from sims.reproduce.pipeline import parallel

    flags = os.environ.get("XLA_FLAGS")
    users = set((flags or "").split())
    on_cpu = (enabled or host_devices) and parallel.runs_on_cpu()
    if enabled and on_cpu:
        flags = add_xla_flags(flags, cpu_flags())
    if host_devices and on_cpu:
        flags = add_xla_flags(flags, (parallel.host_devices_flag(),))
    values = {} if flags is None else {"XLA_FLAGS": flags}
    if flags is not None:  # the flags added here, told from the user's (long_run_options)
        added = set(os.environ.get(ADDED_XLA_FLAGS_ENV, "").split())
        values[ADDED_XLA_FLAGS_ENV] = " ".join(sorted(added | (set(flags.split()) - users)))
    with set_environ(values):
        yield flags


def _host_devices(module, args) -> bool:
    """A command's ``HOST_DEVICES``: True, or a function of its arguments (``dssl simulate
    --devices``); absent: False (see :func:`cpu_xla_flags`)."""
    want = getattr(module, "HOST_DEVICES", False)
    return bool(want(args) if callable(want) else want)


_ENV_CHECKED: dict = {}


def _env_error(var: str, allowed: str, value: str) -> str:
    value = " ".join(str(value).split()) or str(value)  # a blank value shown as it is
    value = value if len(value) <= 80 else value[:77] + "..."
    return f"{PROG}: error: {var}: must be {allowed}, got {value!r}"


def check_environment(start_backend: bool = True, probe_flags: bool = True) -> str | None:
    """The one-line error for an unusable ``JAX_PLATFORMS``, ``XLA_FLAGS``,
    ``JAX_DEFAULT_MATMUL_PRECISION`` or boolean JAX setting (:data:`BOOL_ENV`, e.g.
    ``JAX_ENABLE_X64``), else None.

    Runs before JAX is imported or initialises a backend (``import jax`` raises on a boolean
    setting it cannot read; a bad XLA flag aborts the process inside XLA, no Python
    exception), so ``XLA_FLAGS`` is tried once in a child process (and the answer cached for
    this process). ``JAX_PLATFORMS`` must be empty (JAX chooses) or list known platform names
    separated by commas, without blanks, and (with ``start_backend``) its backend must start:
    that starts it in this process, after which changes to ``XLA_FLAGS`` have no effect here
    (``dssl`` checks that part last, see :func:`cpu_xla_flags`). Without ``probe_flags`` the
    child process is not started (``dssl`` checks the cheap settings before parsing, so that
    ``--help`` and argument errors answer at once, and probes ``XLA_FLAGS`` after).

    >>> from sims.core.environ import set_environ
    >>> with set_environ({"JAX_ENABLE_X64": "nonsense"}):
    ...     check_environment(start_backend=False).split(": must be")[0]
    'dssl: error: JAX_ENABLE_X64'
    """
    import os

    platforms = os.environ.get("JAX_PLATFORMS")
    flags = os.environ.get("XLA_FLAGS")
    precision = os.environ.get(PRECISION_ENV)
    if precision is not None and precision not in PRECISIONS:
        return _env_error(PRECISION_ENV, "one of " + ", ".join(PRECISIONS), precision)
    for var in BOOL_ENV:
        value = os.environ.get(var)
        if value is not None and value.lower() not in BOOL_SPELLINGS:
            return _env_error(var, "one of " + ", ".join(BOOL_SPELLINGS) + " (any case)", value)
    key = (platforms, flags, start_backend, probe_flags)
    if key in _ENV_CHECKED:
        return _ENV_CHECKED[key]
    err = None
    if platforms is not None and platforms != "":
        if any(t not in KNOWN_PLATFORMS for t in platforms.split(",")):
            err = _env_error(
                "JAX_PLATFORMS",
                "empty or comma-separated names from " + ", ".join(KNOWN_PLATFORMS)
                + " (no blanks)",
                platforms,
            )  # fmt: skip
    if (
        err is None
        and probe_flags
        and flags is not None
        and flags.strip()
        and not _backend_started()
    ):
        tokens = flags.split()
        if any(not t.startswith("--") for t in tokens):
            err = _env_error("XLA_FLAGS", "space-separated --flag[=value] options", flags)
        else:
            err = _probe_backend(flags)
    if err is None and start_backend:
        err = platform_error()
    _ENV_CHECKED[key] = err
    return err


def platform_error() -> str | None:
    """The one-line error when the backend ``JAX_PLATFORMS`` names does not start (starting
    it), else None; None without starting anything when the variable is unset."""
    import os

    platforms = os.environ.get("JAX_PLATFORMS")
    if not platforms:
        return None
    import jax

    try:
        jax.devices()
    except Exception as exc:  # noqa: BLE001 - RuntimeError, or a plugin's AssertionError
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:80]
        return _env_error("JAX_PLATFORMS", f"a platform that starts here ({first})", platforms)
    return None


def _backend_started() -> bool:
    """Whether this process already started a JAX backend (then XLA accepted its flags)."""
    if "jax" not in sys.modules:  # nothing imported JAX: no backend (and none is imported here)
        return False
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", None))
    except ImportError:  # pragma: no cover - private module moved
        return False


def _probe_backend(flags: str) -> str | None:
    """Start a JAX backend with ``XLA_FLAGS`` in a child process; the error line if it fails."""
    import subprocess

    code = "import jax; jax.devices()"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if "flag" in ln.lower()] or [""]
    detail = " ".join(lines[-1].split())[-80:]
    return _env_error("XLA_FLAGS", f"flags XLA accepts ({detail})", flags)


def main(argv: list[str] | None = None) -> int:
    """Run ``dssl`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    The one boundary: any exception becomes one stderr line and
    status 2 (bad input), 1 (the run failed) or 130 (Ctrl-C, at any moment: while the
    subcommands are imported too); ``--debug`` prints the traceback first. When called as the
    program (``argv`` None), an interrupted run leaves through ``os._exit(130)`` after
    flushing its output, so that no XLA thread still running can crash the interpreter's
    teardown."""
    words = sys.argv[1:] if argv is None else list(argv)
    seen: dict = {"words": words}
    try:
        from sims.commands import _boundary
    except KeyboardInterrupt:  # a Ctrl-C before the boundary is in place: the same one line
        sys.stderr.write(f"{PROG}: interrupted\n")
        return _leave(130, argv)
    try:
        with _boundary.interrupts():
            try:
                code = _main(argv, seen)
            except BaseException as err:  # noqa: BLE001 - the one boundary
                code = _report(err, seen)
    except KeyboardInterrupt:  # a Ctrl-C while the boundary itself ran
        code = _report(KeyboardInterrupt(), seen)
    return _leave(code, argv)


def _leave(code: int, argv: list[str] | None) -> int:
    """``code``; as the program (``argv`` None) an interrupted run exits at once with 130
    after flushing its output (:func:`main`)."""
    if code == 130 and argv is None:
        import os

        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(130)
    return code


def _report(err: BaseException, seen: dict) -> int:
    """The exit status of ``err``, after its one stderr line (and traceback, with --debug)."""
    from sims.commands import _boundary

    command = seen.get("command")
    name = PROG if command is None else f"{PROG} {command}"
    if isinstance(err, SystemExit):
        return err.code if isinstance(err.code, int) else (0 if err.code is None else 2)
    if isinstance(err, KeyboardInterrupt):
        _boundary.acknowledge()
        sys.stderr.write(f"{name}: interrupted\n")
        return 130
    if isinstance(err, BrokenPipeError) or getattr(err, "dssl_stream", False):
        import os  # stdout cannot take the output: later flushes (at exit) go nowhere

        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(err, BrokenPipeError):  # closed by the reader (dssl ... | head)
            return 1
    if _boundary.debug_requested(seen["words"]):
        import traceback

        traceback.print_exception(err)
    code, message = _boundary.classify(
        err,
        argv=seen["words"],
        parser=seen.get("parser"),
        command=command,
        args=seen.get("args"),
    )
    sys.stderr.write(_boundary.one_line(name, message) + "\n")
    return code


def _main(argv: list[str] | None, seen: dict | None = None) -> int:
    """:func:`main` without the boundary: errors propagate (``seen`` collects the parser, the
    arguments and the command for the boundary's message)."""
    seen = {"words": sys.argv[1:] if argv is None else list(argv)} if seen is None else seen
    # before anything imports jax; XLA_FLAGS (a child process) only once the arguments parse
    env_error = check_environment(start_backend=False, probe_flags=False)
    if env_error is not None:
        sys.stderr.write(env_error + "\n")
        return 2
    parser = build_parser()
    seen["parser"] = parser
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a one-line usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    seen["args"], seen["command"] = args, args.command
    module = args._module
    check = getattr(module, "check", None)  # checks between options that need no JAX, first
    if check is not None:
        check(args)
    env_error = check_environment(start_backend=False)
    if env_error is not None:
        sys.stderr.write(env_error + "\n")
        return 2
    csv_path = getattr(args, "csv", None)
    from sims.commands import _boundary

    if vars(args).get("out") is not None:
        from sims.commands._common import check_out_dir

        check_out_dir(args.out, "out")
    if csv_path == "-" and args.json:
        from sims.commands._common import not_applicable

        not_applicable("--csv -", "with --json (both would write standard output)", "-")
    if csv_path is not None and csv_path != "-":
        from sims.reproduce.export import check_csv_path

        check_csv_path(csv_path, _option_spelling(parser, args.command, "csv", seen["words"]))
    with (
        matmul_precision(),
        cpu_xla_flags(not getattr(module, "XLA_DEFAULTS", False), _host_devices(module, args)),
    ):
        env_error = platform_error()  # starts the backend, with the flags set
        if env_error is not None:
            sys.stderr.write(env_error + "\n")
            return 2
        from theory._validate import sizes_forced

        with sizes_forced(getattr(args, "force_size", False)), _boundary.matplotlib_home():
            result = module.run(args)
    from sims.reproduce.pipeline.jsonio import to_jsonable

    result = to_jsonable(result)
    if csv_path is not None:
        from sims.commands._boundary import blame
        from sims.reproduce.export import to_dataframe, write_csv

        table = to_dataframe(result)
        if csv_path == "-":  # the table on standard output, instead of the text
            with _boundary.standard_output():
                table.to_csv(sys.stdout, index=False)
                sys.stdout.flush()
            return int(getattr(args, "exit_code", 0))
        option = _option_spelling(parser, args.command, "csv", seen["words"])
        with blame(option, csv_path):
            write_csv(table, csv_path, field=option)
        if not args.json:
            sys.stderr.write(f"{PROG} {args.command}: wrote {csv_path} ({len(table)} rows)\n")
    with _boundary.standard_output():
        if args.json:
            sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
        else:
            formatter = getattr(module, "format_text", None)
            text = formatter(result) if formatter else json.dumps(result, indent=2)
            sys.stdout.write(text.rstrip("\n") + "\n")
        sys.stdout.flush()
    if isinstance(result, dict) and result.get("interrupted") is True:
        return 130
    return int(getattr(args, "exit_code", 0))  # e.g. 1 from ``dssl compare``: they differ


def _option_spelling(parser, command: str, dest: str, words) -> str:
    """The option of ``dest`` as the user typed it (``--cs`` for ``--csv``)."""
    from sims.commands import _boundary

    actions = _boundary.options_of(parser, command)
    for action in actions:
        if action.dest == dest:
            return _boundary.spelling(action, words, actions)
    return "--" + dest.replace("_", "-")


if __name__ == "__main__":
    raise SystemExit(main())
