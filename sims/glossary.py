"""Output keys explained: one glossary of every key that a ``dssl`` subcommand prints with
``--json`` (and writes as ``--csv`` columns), and of the keys of ``report.json`` and
``verdict_map.json``.

The entries live in the data file ``sims/glossary.json`` (read as JSON, never evaluated);
this module reads it. Each entry says what the number is, its unit or range, and where it
comes from: an equation of arXiv 2607.02447, or "extension, not in the paper". Keys whose
meaning depends on the command are qualified, e.g. ``topology:p`` (1 − λ² of a mixing matrix)
vs ``p`` (the mask ratio). Families of keys (``*_se``, ``d=400``, reading labels) are matched
by :data:`PATTERNS`, and containers whose children are names rather than keys (claim ids,
reading labels) are listed in :data:`NAME_CONTAINERS`.

* :func:`describe` looks one key up; :func:`unknown_keys` lists the keys of an output that the
  glossary does not explain (the test suite runs every command at small sizes through it);
* :func:`epilog` is the text of one command's output keys (``dssl <command> --help`` points
  to docs/glossary.md and ``dssl explain KEY``);
* :func:`markdown` is the whole glossary as a Markdown table (``docs/glossary.md`` and the
  verification report); ``python -m sims.glossary`` prints it.

Example:
  >>> describe("probe_accuracy").unit
  'fraction in [0, 1]; chance level 1/(2N)'
  >>> describe("p", "topology").unit
  'in [0, 1]'
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from theory import _validate as v

PAPER = "arXiv 2607.02447"
EXT = "extension, not in the paper"

#: the output groups: every subcommand, plus the verdict map (the ``verdict_map`` stage's
#: ``verdict_map.json``), the report (``report.json``) of ``dssl reproduce`` and the numbers
#: of a claim's evidence (in verify, the verdict map and the report)
COMMANDS = (
    "topology",
    "bounds",
    "exact",
    "verify",
    "map",
    "simulate",
    "bench",
    "reproduce",
    "trackd",
    "report",
    "evidence",
    "compare",
)

#: the groups whose keys each subcommand's ``--help`` explains
HELP_GROUPS = {
    "topology": ("topology",),
    "bounds": ("bounds",),
    "exact": ("exact",),
    "verify": ("verify", "map", "evidence"),
    "simulate": ("simulate",),
    "bench": ("bench",),
    "reproduce": ("reproduce", "report"),
    "trackd": ("trackd",),
    "compare": ("compare",),
}

#: Thresholds of the non-convergence warning of ``dssl simulate`` (stated in its help and here).
ANGLE_WARN_RAD = 0.25
LOSS_GAP_WARN = 0.05


class Term(NamedTuple):
    """One glossary entry: ``meaning``, ``unit`` (unit or range), ``source`` (an equation of
    the paper or :data:`EXT`) and the output groups (:data:`COMMANDS`) that emit the key."""

    meaning: str
    unit: str
    source: str
    commands: tuple


#: the data file of the glossary (JSON, shipped with the package; its ``about`` says the format)
DATA_FILE = Path(__file__).with_name("glossary.json")


def _load(path: Path = DATA_FILE) -> dict:
    """The glossary's data file, read as JSON (never evaluated)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


_DATA = _load()


def _term(entry: dict) -> Term:
    return Term(entry["meaning"], entry["unit"], entry["source"], tuple(entry["outputs"].split()))


#: Keys "command:key" hold the meaning of ``key`` in that command's output where it differs
#: from the general entry ``key``.
GLOSSARY: dict[str, Term] = {key: _term(entry) for key, entry in _DATA["terms"].items()}

#: the verdict words (theory.verdicts.WORDS), the reading values and the claim ids of
#: theory.claims; each is a glossary entry too
VERDICT_WORDS: dict[str, str] = dict(_DATA["verdict_words"])
READING_VALUES: dict[str, str] = dict(_DATA["reading_values"])
CLAIMS: dict[str, str] = dict(_DATA["claims"])
for _words, _unit, _source, _groups in (
    (
        VERDICT_WORDS,
        "verdict word (also a key of verdict counts)",
        "docs/verdict_rules.md",
        ("verify", "map", "report", "trackd"),
    ),
    (
        READING_VALUES,
        "reading value",
        "theory.claims readings (an extension: the paper is ambiguous here)",
        ("verify", "map"),
    ),
    (CLAIMS, "claim id", "§4", ("verify", "map", "report", "trackd")),
):
    for _w, _m in _words.items():
        GLOSSARY[_w] = Term(_m, _unit, _source, _groups)
del _words, _unit, _source, _groups, _w, _m

#: Key families: (regular expression, meaning with {0} for the first group, unit, source,
#: groups). Tried in order when a key has no entry of its own.
PATTERNS: tuple[tuple[str, str, str, str, tuple], ...] = tuple(
    (p["pattern"], p["meaning"], p["unit"], p["source"], tuple(p["outputs"].split()))
    for p in _DATA["patterns"]
)

#: the families whose first group must itself be an explained key
_NEEDS_BASE = {p["pattern"] for p in _DATA["patterns"] if p["needs_base"]}

#: Keys whose children are names (claim ids, labels, values), not output keys; the number is
#: how many levels below are names (None: every level down to the records that carry a
#: ``mean``). Their children's names are not looked up.
NAME_CONTAINERS: dict[str, int | None] = {
    k: None if n == "all" else int(n) for k, n in _DATA["name_containers"].items()
}


def _check_command(command) -> str | None:
    if command is None:
        return None
    return v.choice(command, "command", COMMANDS)


def describe(key: str, command: str | None = None) -> Term | None:
    """The glossary entry of an output ``key`` (in ``command``'s output, if given), or None.

    Looks up ``command:key``, then ``key``, then the families of :data:`PATTERNS`.

    >>> describe("p", "topology").meaning.startswith("p = 1 − λ²")
    True
    >>> describe("alignment_se").meaning
    'standard error over seeds (or Monte Carlo samples) of alignment'
    """
    command = _check_command(command)
    if not isinstance(key, str):
        v.fail("key", "a string", key)
    if command is not None and f"{command}:{key}" in GLOSSARY:
        return GLOSSARY[f"{command}:{key}"]
    if key in GLOSSARY:
        return GLOSSARY[key]
    for pattern, meaning, unit, source, groups in PATTERNS:
        m = re.fullmatch(pattern, key)
        if m is None:
            continue
        if pattern in _NEEDS_BASE and describe(m.group(1), command) is None:
            continue  # "x_se" is explained only where x is
        return Term(meaning.format(*m.groups()), unit.format(*m.groups()), source, groups)
    return None


def iter_keys(obj, command: str | None = None) -> Iterator[str]:
    """Every key of a JSON-like output ``obj`` (nested dicts and lists), skipping the names
    under :data:`NAME_CONTAINERS` (their values are still visited)."""
    _check_command(command)

    def walk(o, skip):
        if isinstance(o, dict):
            for k, val in o.items():
                if skip <= 0:
                    yield str(k)
                depth = NAME_CONTAINERS.get(str(k), 0) if skip <= 0 else skip - 1
                if depth is None:  # names down to the records that carry a "mean"
                    yield from walk_records(val)
                else:
                    yield from walk(val, depth)
        elif isinstance(o, (list, tuple)):
            for x in o:
                yield from walk(x, skip)

    def walk_records(o):
        if isinstance(o, dict):
            if "mean" in o:
                yield from walk(o, 0)
            else:
                for val in o.values():
                    yield from walk_records(val)

    yield from walk(obj, 0)


def unknown_keys(obj, command: str | None = None) -> list[str]:
    """The keys of ``obj`` that the glossary does not explain (sorted, each once).

    >>> unknown_keys({"lambda2": 0.5, "no_such_key": 1}, "topology")
    ['no_such_key']
    """
    return sorted({k for k in iter_keys(obj, command) if describe(k, command) is None})


def near_keys(name: str, most: int = 6) -> list[str]:
    """Up to ``most`` glossary keys a mistyped or shortened ``name`` may mean: those that begin
    with it (ignoring case), else the closest spellings (difflib), for a refusal to suggest.

    >>> near_keys("mar")
    ['mar(§5)', 'mar_vs_mim', 'margin']
    >>> near_keys("rho_perod")
    ['rho_period', 'rho_per_round', 'period']
    """
    import difflib

    keys = sorted({k.rpartition(":")[2] for k in GLOSSARY})
    low = str(name).lower()
    begin = [k for k in keys if k.lower().startswith(low)] if low else []
    return begin[:most] if begin else difflib.get_close_matches(str(name), keys, n=most)


def refuse(name, claim_ids) -> None:
    """Fail in one line: ``name`` is neither an output key nor one of ``claim_ids`` (``dssl
    explain``); the keys it may have meant (:func:`near_keys`) are named.

    >>> try:
    ...     refuse("mar", ("thm4.4",))
    ... except ValueError as e:
    ...     print(str(e).split("docs/glossary.md ")[1])
    (near 'mar': mar(§5), mar_vs_mim, margin) or a claim id (thm4.4), got 'mar'
    """
    near = near_keys(name)
    close = f" (near {name!r}: {', '.join(near)})" if near else ""
    v.fail("KEY|CLAIM", f"an output key of docs/glossary.md{close} or a claim id "
           f"({', '.join(claim_ids)})", name)  # fmt: skip


def _entries(groups) -> list[tuple[str, Term]]:
    out = []
    for key, term in GLOSSARY.items():
        cmd, _, bare = key.rpartition(":")
        if cmd and cmd not in groups:
            continue
        if not set(term.commands) & set(groups):
            continue
        if not cmd and any(f"{g}:{key}" in GLOSSARY for g in groups):
            continue  # the command's own meaning replaces the general one
        out.append((bare, term))
    return sorted(out, key=lambda kv: kv[0].lower())


def epilog(command: str) -> str:
    """Text for ``dssl <command> --help`` (argparse epilog, RawDescriptionHelpFormatter): the
    command's output keys, each with its meaning, unit or range, and source.

    >>> "probe_accuracy" in epilog("simulate")
    True
    """
    command = v.choice(command, "command", tuple(HELP_GROUPS))
    groups = HELP_GROUPS[command]
    lines = [
        "output keys (--json; --csv columns use the same names; full glossary: docs/glossary.md):"
    ]
    wrap = textwrap.TextWrapper(width=100, initial_indent="  ", subsequent_indent="      ")
    evidence = []
    for key, term in _entries(groups):
        if "evidence" in groups and term.commands[0] == "evidence":
            evidence.append(key)
            continue
        text = f"{key}: {term.meaning} [{term.unit}] ({term.source})"
        lines.extend(wrap.wrap(text))
    if evidence:
        lines.append("numbers of the claims' evidence (each explained in docs/glossary.md):")
        lines.extend(wrap.wrap(", ".join(evidence)))
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The whole glossary as Markdown: one table of keys (with the outputs that emit them),
    then the key families and the containers whose children are names.

    >>> markdown().splitlines()[0]
    '# Output keys explained'
    """
    lines = [
        "# Output keys explained",
        "",
        "Every key that a `dssl` subcommand prints with `--json` (and writes as a `--csv` "
        "column), and the keys of `report.json` and `verdict_map.json`. *Source* is the "
        f"equation of {PAPER} the quantity comes from, or *{EXT}*. Generated from "
        "`sims/glossary.py` (`python -m sims.glossary`); `dssl <command> --help` lists the "
        "same entries for one command.",
        "",
        "Two quantities share the letter p: the **mask ratio** p of MIM (`p` everywhere) and "
        "**p = 1 − λ²** of a mixing matrix (`p` in `dssl topology`). |Ā| (`abar`, "
        "`avg_connectivity`) counts the node itself: it is the average degree + 1. π of "
        "Eq. (1) (`objective_weights`, `decl`) is not the stationary distribution of W "
        "(`stationary_weights`, `decl_stationary`). `gap` is 1 − min r over the client axes, "
        "not the spectral gap (`spectral_gap` = 1 − λ). In the *output* column, *evidence* "
        "marks the numbers behind a claim's verdict (`evidence.track_*.numbers`).",
        "",
        "| key | output | meaning | unit / range | source |",
        "|---|---|---|---|---|",
    ]
    for key in sorted(GLOSSARY, key=lambda k: (k.rpartition(":")[2].lower(), k)):
        t = GLOSSARY[key]
        cmd, _, bare = key.rpartition(":")
        where = cmd if cmd else ", ".join(t.commands)
        lines.append(
            f"| `{_md(bare)}` | {_md(where)} | {_md(t.meaning)} | {_md(t.unit)} | {_md(t.source)} |"
        )
    lines += [
        "",
        "## Key families",
        "",
        "| pattern | meaning | unit / range | source |",
        "|---|---|---|---|",
    ]
    for pattern, meaning, unit, source, _ in PATTERNS:
        lines.append(
            f"| `{_md(pattern)}` | {_md(meaning.replace('{0}', '…').replace('{1}', '…'))} "
            f"| {_md(unit.replace('{0}', '…'))} | {_md(source)} |"
        )
    lines += [
        "",
        "## Containers whose children are names",
        "",
        "The children of these keys are names (claim ids, reading labels, verdict words, "
        "configuration labels), not further keys: "
        + ", ".join(f"`{k}`" for k in NAME_CONTAINERS)
        + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
