"""The ``dssl`` command line.

Every subcommand accepts ``--json`` and then prints exactly one JSON object on stdout.
Bad arguments exit with status 2 and one line on stderr naming the field and the allowed
values; so do an unusable ``JAX_PLATFORMS`` / ``XLA_FLAGS`` and an ``--out`` folder that cannot
be written. Ctrl-C exits with status 130 after one stderr line (``dssl simulate`` first prints
the results of the rounds it finished, marked ``"interrupted": true``). Subcommands are
discovered from :mod:`sims.commands`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import pkgutil
import sys
from types import ModuleType

import sims.commands as _commands_pkg

PROG = "dssl"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        line = " ".join(message.split())
        if line.startswith("argument ") and ": must be " in line:
            line = line[len("argument ") :]  # "--lr: must be ..." like the run-time errors
        sys.stderr.write(f"{self.prog}: error: {line}\n")
        raise SystemExit(2)


def _discover() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(_commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_commands_pkg.__name__}.{info.name}")
        found[module.NAME] = module
    return found


def build_parser(commands: dict[str, ModuleType] | None = None) -> argparse.ArgumentParser:
    commands = _discover() if commands is None else commands
    parser = _Parser(
        prog=PROG,
        description="Verify the theory of arXiv 2607.02447 (distributed SSL under non-IID data).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module in commands.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def to_jsonable(obj):
    """Convert NumPy/JAX scalars and arrays (recursively) into plain JSON types.

    Non-finite floats become ``null`` so that the output is strict JSON.
    """
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return [to_jsonable(v) for v in arr.tolist()]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (np.floating,)):
        return to_jsonable(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


#: JAX platform names that ``JAX_PLATFORMS`` may list (comma-separated).
KNOWN_PLATFORMS = ("cpu", "cuda", "gpu", "rocm", "tpu", "metal")

_ENV_CHECKED: dict = {}


def _env_error(var: str, allowed: str, value: str) -> str:
    value = " ".join(str(value).split())
    value = value if len(value) <= 80 else value[:77] + "..."
    return f"{PROG}: error: {var}: must be {allowed}, got {value!r}"


def check_environment() -> str | None:
    """The one-line error for an unusable ``JAX_PLATFORMS`` or ``XLA_FLAGS``, else None.

    Runs before JAX initialises a backend: a bad XLA flag aborts the process inside XLA (no
    Python exception), so ``XLA_FLAGS`` is tried once in a child process (and the answer
    cached for this process). ``JAX_PLATFORMS`` must list known platform names, and its
    backend must start.
    """
    import os

    platforms = os.environ.get("JAX_PLATFORMS")
    flags = os.environ.get("XLA_FLAGS")
    key = (platforms, flags)
    if key in _ENV_CHECKED:
        return _ENV_CHECKED[key]
    err = None
    if platforms is not None and platforms.strip():
        names = [t.strip().lower() for t in platforms.split(",")]
        if any(t not in KNOWN_PLATFORMS for t in names):
            err = _env_error(
                "JAX_PLATFORMS",
                "comma-separated names from " + ", ".join(KNOWN_PLATFORMS),
                platforms,
            )
    if err is None and flags is not None and flags.strip() and not _backend_started():
        tokens = flags.split()
        if any(not t.startswith("--") for t in tokens):
            err = _env_error("XLA_FLAGS", "space-separated --flag[=value] options", flags)
        else:
            err = _probe_backend(flags)
    if err is None and platforms is not None and platforms.strip():
        import jax

        try:
            jax.devices()
        except RuntimeError as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:80]
            err = _env_error("JAX_PLATFORMS", f"a platform that starts here ({first})", platforms)
    _ENV_CHECKED[key] = err
    return err


def _backend_started() -> bool:
    """Whether this process already started a JAX backend (then XLA accepted its flags)."""
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


def _interrupted(command: str | None) -> int:
    name = PROG if command is None else f"{PROG} {command}"
    sys.stderr.write(f"{name}: interrupted\n")
    return 130


def main(argv: list[str] | None = None) -> int:
    """Run ``dssl`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    When called as the program (``argv`` None), an interrupted run leaves through
    ``os._exit(130)`` after flushing its output, so that no XLA thread still running can
    crash the interpreter's teardown."""
    try:
        code = _main(argv)
    except KeyboardInterrupt:
        code = _interrupted(None)
    if code == 130 and argv is None:
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return code


def _main(argv: list[str] | None) -> int:
    env_error = check_environment()
    if env_error is not None:
        sys.stderr.write(env_error + "\n")
        return 2
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a one-line usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    module = args._module
    try:
        if "out" in vars(args):
            from sims.commands._common import check_out_dir

            check_out_dir(args.out, "out")
        result = module.run(args)
    except ValueError as err:
        line = " ".join(str(err).split())
        sys.stderr.write(f"{PROG} {args.command}: error: {line}\n")
        return 2
    except KeyboardInterrupt:
        return _interrupted(args.command)
    result = to_jsonable(result)
    if args.json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        formatter = getattr(module, "format_text", None)
        text = formatter(result) if formatter else json.dumps(result, indent=2)
        sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()
    if isinstance(result, dict) and result.get("interrupted") is True:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
