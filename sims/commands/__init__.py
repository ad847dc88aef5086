"""Subcommands of ``dssl``. Each module here is one subcommand and defines:

* ``NAME`` (str) and ``HELP`` (one line),
* ``add_arguments(parser)`` — its options (``--json`` is added for every subcommand),
* ``run(args) -> dict`` — does the work and returns a JSON-serialisable dict,
* optionally ``format_text(result) -> str`` — the human-readable view (default: indented JSON).

Library errors are ``ValueError`` with one line naming the field; the CLI prints that line
and exits with status 2.
"""
