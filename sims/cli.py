"""The ``dssl`` command line.

Every subcommand accepts ``--json`` and then prints exactly one JSON object on stdout.
Bad arguments exit with status 2 and one line on stderr naming the field and the allowed
values. Subcommands are discovered from :mod:`sims.commands`.
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    module = args._module
    try:
        result = module.run(args)
    except ValueError as err:
        line = " ".join(str(err).split())
        sys.stderr.write(f"{PROG} {args.command}: error: {line}\n")
        return 2
    result = to_jsonable(result)
    if args.json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        formatter = getattr(module, "format_text", None)
        text = formatter(result) if formatter else json.dumps(result, indent=2)
        sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
