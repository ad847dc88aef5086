"""``dssl explain NAME``: what an output key means (the glossary, docs/glossary.md), or a claim
of the paper in full (its statement with the whole formula, reference and the paper's own
reading), the text the short claim names of the answer table stand for."""

from __future__ import annotations

from sims.commands import _common

NAME = "explain"
HELP = "explain an output key (docs/glossary.md) or print a claim's full statement"


def add_arguments(parser) -> None:
    parser.add_argument(
        "name", metavar="KEY|CLAIM", help="an output key (e.g. s_N) or a claim id (e.g. thm4.4)"
    )
    parser.add_argument(
        "--output-of",
        dest="output_of",
        default=None,
        metavar="COMMAND",
        help="the command whose output has the key (keys such as p differ between commands)",
    )


def check(args) -> None:
    """A claim id or a glossary key (of ``--output-of``'s output), before JAX is imported
    (sims.cli): the names need neither JAX nor the claims' formulas."""
    from sims import glossary
    from sims.commands._names import CLAIM_IDS
    from theory import _validate as v

    if args.name in CLAIM_IDS:
        return
    with v.renamed("command", "output_of"):
        known = glossary.describe(args.name, args.output_of) is not None
    if not known:
        glossary.refuse(args.name, CLAIM_IDS)


def run(args) -> dict:
    from sims.reproduce.report.answer import explain
    from theory import _validate as v

    with v.renamed("command", "output_of"):
        return explain(args.name, args.output_of)


def format_text(result: dict) -> str:
    if result["kind"] == "claim":
        lines = [
            f"{result['claim']} ({result['short']}): {result['reference']}",
            f"  {result['statement']}",
            f"  paper's reading: {result['paper_reading']}",
        ]
        if result.get("paper_reading_why"):
            lines.append(f"  why: {result['paper_reading_why']}")
    else:
        lines = [
            f"{result['key']}: {result['meaning']}",
            f"  unit: {result['unit']}",
            f"  source: {result['source']}",
            f"  in: {', '.join(result['outputs'])}",
        ]
    return _common.fit("\n".join(lines))
