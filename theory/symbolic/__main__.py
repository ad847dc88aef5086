"""``python -m theory.symbolic --golden``: print the golden values of Track A as JSON."""

from __future__ import annotations

import argparse
import json
import sys

from theory import symbolic  # the package's docstring is the command's description
from theory.symbolic.golden_values import golden


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m theory.symbolic", description=symbolic.__doc__)
    parser.add_argument("--golden", action="store_true", help="print the golden JSON on stdout")
    args = parser.parse_args(argv)
    if args.golden:
        sys.stdout.write(json.dumps(golden(), indent=2, sort_keys=True) + "\n")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
