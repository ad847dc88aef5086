"""The parity ledger: every setting that decides a Track D number, as the paper states it, as
the official code runs it and as this toolkit sets it, side by side, with where each value
comes from and a flag where they differ and why.

The paper's and the code's columns are data (``ledger_sources.json`` beside this module: the
paper's section; the official code's behaviour as the spec digest §5.2 and §6 describe it,
cited, never copied: the release has no licence). The toolkit's column is read from the
presets (:data:`sims.trackd.presets.PRESETS`) wherever a preset field sets the value, so a
changed preset changes its row; the few choices no preset holds name the module that fixes
them. Imports no JAX: ``dssl trackd --ledger`` prints it without training anything.

Example:
  >>> rows = ledger_rows()
  >>> len(rows) >= 30, rows[0]["setting"]
  (True, 'pre-training data set')
"""

from __future__ import annotations

import json
import math
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

from theory import _validate as v

__all__ = [
    "SOURCES_FILE",
    "ledger_rows",
    "ledger_markdown",
    "ledger_text",
    "load_sources",
    "write_docs",
]

#: the data file of the paper's and the official code's settings
SOURCES_FILE = Path(__file__).with_name("ledger_sources.json")
#: the presets whose values the toolkit column shows, in order (DEFAULT's is the compared one)
SHOWN_PRESETS = ("default", "decisive", "paper-scale")
_KEYS = ("group", "setting", "paper", "paper_source", "code", "code_source")


@lru_cache(maxsize=1)
def load_sources(path: str | None = None) -> tuple:
    """The rows of ``ledger_sources.json`` (checked: every row has the keys of
    :data:`_KEYS`, and either ``toolkit`` (``experiment:field.path``, shown through
    ``toolkit_format``) or ``toolkit_fixed`` with ``toolkit_source``; ``toolkit_value`` is
    the toolkit's value as compared, where its text is not)."""
    p = SOURCES_FILE if path is None else Path(path)
    rows = json.loads(p.read_text(encoding="utf-8"))["rows"]
    for i, r in enumerate(rows):
        missing = [k for k in _KEYS if not isinstance(r.get(k), str)]
        if missing:
            v.fail(f"ledger_sources.rows[{i}]", f"text {', '.join(missing)}", r.get("setting"))
        if ("toolkit" in r) == ("toolkit_fixed" in r):
            v.fail(f"ledger_sources.rows[{i}]", "one of toolkit, toolkit_fixed", r["setting"])
        if "toolkit_fixed" in r and not isinstance(r.get("toolkit_source"), str):
            v.fail(f"ledger_sources.rows[{i}]", "a toolkit_source with toolkit_fixed", r["setting"])
    return tuple(rows)


def _field(presets: dict, name: str, spec: str) -> tuple[bool, Any]:
    """``(present, value)`` of ``experiment:dotted.path`` in preset ``name``."""
    experiment, path = spec.split(":")
    cfg = presets.get(name, {}).get(experiment)
    if cfg is None:
        return False, None
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return True, cfg


def _text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(_text(x) for x in value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Equal as values: numbers to a relative 1e-9, sequences elementwise, text ignoring case
    and the spelling of a list (tuple or list)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool | str):
        if isinstance(b, bool) != isinstance(a, bool):
            return False
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return _text(a).strip().lower() == _text(b).strip().lower()


def _known(value: Any) -> bool:
    """A value the source states (not ``not stated``)."""
    return not (isinstance(value, str) and value.strip().lower().startswith("not stated"))


def ledger_rows(presets: dict | None = None, sources: tuple | None = None) -> list[dict]:
    """The ledger's rows: ``group``, ``setting``, ``paper`` and ``paper_source``, ``code`` and
    ``code_source``, ``toolkit`` (the value per preset, collapsed where equal) and
    ``toolkit_source`` (the preset field, or the module that fixes the value), ``flag``
    (``same``, or which columns differ: ``toolkit ≠ paper``, ``toolkit ≠ code``, ``paper ≠
    code``; ``; the paper does not say`` where it is silent, which is never a difference)
    and ``why`` (the reason for a difference; empty where the stated values agree).

    The flag compares the toolkit's DEFAULT value with the paper's and the code's, as values
    (``paper_value``/``code_value`` in the data file where the text is not itself a value).

    Args:
      presets: ``{preset: {experiment: config}}`` (default :data:`sims.trackd.presets.PRESETS`).
      sources: rows of :func:`load_sources` (default: the data file).
    """
    if presets is None:
        from sims.trackd.presets import PRESETS as presets
    rows = []
    for r in load_sources() if sources is None else sources:
        if "toolkit" in r:
            spec = r["toolkit"]
            values = [(n, *_field(presets, n, spec)) for n in SHOWN_PRESETS]
            values = [(n, x) for n, ok, x in values if ok]
            if not values:
                v.fail("ledger_sources.toolkit", "a field of a shown preset", spec)
            fmt = r.get("toolkit_format", "{}")
            distinct = {_text(x) for _, x in values}
            shown = [(n, fmt.format(_text(x))) for n, x in values]
            toolkit = shown[0][1] if len(distinct) == 1 else "; ".join(f"{n} {t}" for n, t in shown)
            ours = r.get("toolkit_value", values[0][1])
            source = f"preset field {spec}"
        else:
            toolkit, source = r["toolkit_fixed"], r["toolkit_source"]
            ours = r.get("toolkit_value", r["toolkit_fixed"])
        paper = r.get("paper_value", r["paper"])
        code = r.get("code_value", r["code"])
        pairs = (("toolkit ≠ paper", ours, paper), ("toolkit ≠ code", ours, code),
                 ("paper ≠ code", paper, code))  # fmt: skip
        differ = [n for n, a, b in pairs if _known(a) and _known(b) and not _same(a, b)]
        if differ and not r.get("why"):
            v.fail("ledger_sources.why", f"a reason where {', '.join(differ)}", r["setting"])
        silent = [] if _known(paper) else ["the paper does not say"]
        rows.append({
            "group": r["group"], "setting": r["setting"],
            "paper": r["paper"], "paper_source": r["paper_source"],
            "code": r["code"], "code_source": r["code_source"],
            "toolkit": toolkit, "toolkit_source": source,
            "flag": ", ".join(differ or ["same"]) + "".join(f"; {x}" for x in silent),
            "why": r.get("why", "") if differ else "",
        })  # fmt: skip
    return rows


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def ledger_markdown(rows: list[dict] | None = None) -> str:
    """The ledger as one Markdown table (docs/track_d.md, the report).

    Example:
      >>> ledger_markdown().splitlines()[0].startswith("| setting | paper |")
      True
    """
    rows = ledger_rows() if rows is None else rows
    out = [
        "| setting | paper | official code | this toolkit | flag: why |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        flag = f"**{r['flag']}**: {r['why']}" if r["why"] else r["flag"]
        out.append(
            f"| {_md(r['setting'])} | {_md(r['paper'])} ({_md(r['paper_source'])}) "
            f"| {_md(r['code'])} ({_md(r['code_source'])}) "
            f"| {_md(r['toolkit'])} ({_md(r['toolkit_source'])}) | {_md(flag)} |"
        )
    return "\n".join(out)


def ledger_text(rows: list[dict] | None = None, width: int = 100) -> str:
    """The ledger as plain text, one block per setting (``dssl trackd --ledger``)."""
    rows = ledger_rows() if rows is None else rows
    differ = sum(bool(r["why"]) for r in rows)
    out = textwrap.wrap(f"Parity ledger: {len(rows)} settings, {differ} differ somewhere "
                        "(paper arXiv 2607.02447 / official code / this toolkit)", width,
                        subsequent_indent="  ")  # fmt: skip
    group = None
    for r in rows:
        if r["group"] != group:
            group = r["group"]
            out += ["", f"[{group}]"]
        out.append(f"{r['setting']}  ({r['flag']})")
        for label, key in (("paper", "paper"), ("code", "code"), ("toolkit", "toolkit")):
            src = r[f"{key}_source"]
            out += textwrap.wrap(f"{label:<8}{r[key]} [{src}]", width, initial_indent="  ",
                                 subsequent_indent=" " * 10, break_on_hyphens=False)  # fmt: skip
        if r["why"]:
            out += textwrap.wrap(f"why     {r['why']}", width, initial_indent="  ",
                                 subsequent_indent=" " * 10, break_on_hyphens=False)  # fmt: skip
    return "\n".join(out)


#: the markers of the generated ledger in docs/track_d.md
DOCS_MARKERS = ("<!-- ledger:start -->", "<!-- ledger:end -->")


def write_docs(path: str = "docs/track_d.md") -> bool:
    """Replace the ledger block of ``path`` (between :data:`DOCS_MARKERS`) with
    :func:`ledger_markdown`; returns whether the file changed."""
    start, end = DOCS_MARKERS
    page = Path(path).read_text(encoding="utf-8")
    if start not in page or end not in page:
        v.fail("path", f"a page with the markers {start} and {end}", path)
    head, rest = page.split(start, 1)
    _, tail = rest.split(end, 1)
    new = f"{head}{start}\n{ledger_markdown()}\n{end}{tail}"
    if new != page:
        from sims.files import write_text  # the one writer

        write_text(path, new, field="path")
    return new != page


def main(argv: list[str] | None = None) -> int:
    """``python -m sims.trackd.ledger [--markdown | --write-docs]``: print the ledger (text or
    Markdown), or rewrite its block in docs/track_d.md."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args == ["--write-docs"]:
        print("docs/track_d.md " + ("rewritten" if write_docs() else "already current"))
    elif args == ["--markdown"]:
        print(ledger_markdown())
    elif not args:
        print(ledger_text())
    else:
        print("usage: python -m sims.trackd.ledger [--markdown | --write-docs]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
