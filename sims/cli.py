"""The ``dssl`` command line.

Every subcommand accepts ``--json`` and then prints exactly one JSON object on stdout. Every error
is one line on stderr (one boundary catches every error of every command): bad input exits with
status 2 naming the option and the allowed values, so do an unusable ``JAX_PLATFORMS`` /
``JAX_ENABLE_X64`` / ``XLA_FLAGS`` (checked before JAX reads them, by :mod:`sims.core.environ`) and
an ``--out`` folder that cannot be written or is in use by another run; a failure of the run (a
full disk, a file name too long, memory) exits with status 1. Ctrl-C exits with status 130 after
one stderr line at any moment (``dssl simulate`` first prints the results of the rounds it
finished, marked ``"interrupted": true``). ``dssl --debug ...`` shows the traceback of an error.
Subcommands are discovered from :mod:`sims.commands`.
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
    "run even when the estimated memory or time is above its budget (half this machine's "
    "memory; 30 minutes); without it such a run is refused before it starts"
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


def _host_devices(module, args) -> bool:
    """A command's ``HOST_DEVICES``: True, or a function of its arguments (``dssl simulate
    --devices``); absent: False (see :func:`sims.core.environ.cpu_xla_flags`)."""
    want = getattr(module, "HOST_DEVICES", False)
    return bool(want(args) if callable(want) else want)


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


def _interrupted(err: BaseException) -> bool:
    """Whether ``err`` is a Ctrl-C: a KeyboardInterrupt, or an error raised from one (Python
    wraps what a class body's ``__set_name__`` raises in a RuntimeError: a Ctrl-C while a
    library defines its classes said "internal error" instead of "interrupted")."""
    seen: set = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def _report(err: BaseException, seen: dict) -> int:
    """The exit status of ``err``, after its one stderr line (and traceback, with --debug)."""
    from sims.commands import _boundary

    command = seen.get("command")
    name = PROG if command is None else f"{PROG} {command}"
    if isinstance(err, SystemExit):
        return err.code if isinstance(err.code, int) else (0 if err.code is None else 2)
    if _interrupted(err):
        _boundary.acknowledge()
        kept = getattr(err, "dssl_kept", None)  # what the run had finished, where it is
        sys.stderr.write(f"{name}: interrupted" + (f"; {kept}" if kept else "") + "\n")
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


def _said(env_error: str | None) -> bool:
    """Whether the environment check found an error (then written as ``dssl``'s one line)."""
    if env_error is not None:
        sys.stderr.write(f"{PROG}: error: {env_error}\n")
    return env_error is not None


def _main(argv: list[str] | None, seen: dict | None = None) -> int:
    """:func:`main` without the boundary: errors propagate (``seen`` collects the parser, the
    arguments and the command for the boundary's message)."""
    seen = {"words": sys.argv[1:] if argv is None else list(argv)} if seen is None else seen
    # before anything imports jax; XLA_FLAGS (a child process) only once the arguments parse
    from sims.core import environ

    if _said(environ.check_environment(start_backend=False, probe_flags=False)):
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
    if _said(environ.check_environment(start_backend=False)):
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

        csv_option = _option_spelling(parser, args.command, "csv", seen["words"])
        check_csv_path(csv_path, csv_option)
    with (
        environ.matmul_precision(),
        environ.cpu_xla_flags(
            not getattr(module, "XLA_DEFAULTS", False), _host_devices(module, args)
        ),
    ):
        if _said(environ.platform_error()):  # starts the backend, with the flags set
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
        with blame(csv_option, csv_path):
            write_csv(table, csv_path, field=csv_option)
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
