"""Subcommands of ``dssl``. Each module here is one subcommand and defines:

* ``NAME`` (str) and ``HELP`` (one line),
* ``add_arguments(parser)`` — its options (``--json`` is added for every subcommand),
* ``run(args) -> dict`` — does the work and returns a JSON-serialisable dict,
* optionally ``format_text(result) -> str`` — the human-readable view (default: indented JSON),
* optionally ``check(args)`` — checks between options that need no JAX, run before JAX is
  imported (so that such an error answers at once; ``run`` may repeat them).

Library errors are ``ValueError`` with one line naming the field; the CLI prints that line
and exits with status 2.
"""
