"""``python -m theory.symbolic --golden``: print Track A's golden constants as JSON."""

from __future__ import annotations

from theory.symbolic.golden_values import _main

if __name__ == "__main__":
    raise SystemExit(_main())
