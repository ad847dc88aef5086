"""README's generated parts (the answer table, the figure gallery) and ``python -m sims.report``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sims.report.answer import answer_from_folder, render_answer
from sims.report.content import _cell, stage_figures

#: README markers of the generated parts (the finding markers hold the answer table)
FINDING_MARKERS = ("<!-- finding:start -->", "<!-- finding:end -->")
GALLERY_MARKERS = ("<!-- gallery:start -->", "<!-- gallery:end -->")


# ----------------------------------------------------------------------------------------------
# README
# ----------------------------------------------------------------------------------------------
def _replace_between(text: str, markers: tuple[str, str], new: str) -> str:
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"readme_text: needs the markers {start} and {end} in this order")
    return text[: i + len(start)] + "\n" + new.strip() + "\n" + text[j:]


def marked(text: str, markers: tuple[str, str]) -> str:
    """The text between two README markers (stripped)."""
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"text: needs the markers {start} and {end} in this order")
    return text[i + len(start) : j].strip()


def gallery_markdown(figures: list[dict] | None = None) -> str:
    """README's gallery: every figure every stage writes, with its caption, two per row."""
    figures = stage_figures() if figures is None else figures
    lines = ["| | |", "|---|---|"]
    cells = [
        f"![{Path(f['file']).stem}](figures/{f['file']}) {_cell(f['caption'])} "
        f"(stage `{f['stage']}`)"
        for f in figures
    ]
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2] + ([""] if len(cells[i : i + 2]) == 1 else [])
        lines.append(f"| {pair[0]} | {pair[1]} |")
    return "\n".join(lines)


def update_readme(readme_text: str, answer: Mapping, *, gallery: bool = False) -> str:
    """README with its answer table and finding (and, with ``gallery``, its gallery)
    regenerated.

    Args:
      readme_text: README.md's text with the markers :data:`FINDING_MARKERS`.
      answer: the answer table (:func:`sims.report.build_answer`, e.g. of the committed
        ``figures/``: :func:`sims.report.answer_from_folder`), written between the markers by
        :func:`sims.report.render_answer` as Markdown.
      gallery: also regenerate the part between :data:`GALLERY_MARKERS`.
    """
    if not isinstance(readme_text, str):
        raise TypeError("readme_text: must be a str")
    if not isinstance(answer, Mapping) or not isinstance(answer.get("rows"), list):
        raise TypeError("answer: must be the answer table of sims.report.build_answer (a dict)")
    out = _replace_between(readme_text, FINDING_MARKERS, render_answer(answer, "markdown"))
    if gallery:
        out = _replace_between(out, GALLERY_MARKERS, gallery_markdown())
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m sims.report [VERDICT_MAP_JSON [README]]``: regenerate README's answer table
    and gallery from a verdict map (default ``figures/verdict_map.json``) with the cells and
    Track D verdicts beside it (:func:`sims.report.answer_from_folder`)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    vm_path = Path(args[0] if args else "figures/verdict_map.json")
    readme = Path(args[1] if len(args) > 1 else "README.md")
    if not vm_path.is_file():
        print(f"verdict_map: file not found: {vm_path}", file=sys.stderr)
        return 2
    try:
        answer = answer_from_folder(vm_path.parent, map_file=vm_path.name)
    except (OSError, ValueError) as err:
        print(str(err).splitlines()[0], file=sys.stderr)
        return 2
    readme.write_text(update_readme(readme.read_text(), answer, gallery=True))
    return 0
