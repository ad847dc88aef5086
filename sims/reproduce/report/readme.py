"""README's generated parts: the answer table and the figure gallery (``python -m
sims.reproduce.report`` writes them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sims.reproduce.report.answer import _cell, render_block

#: README markers of the generated parts (the finding markers hold the answer table)
FINDING_MARKERS = ("<!-- finding:start -->", "<!-- finding:end -->")
GALLERY_MARKERS = ("<!-- gallery:start -->", "<!-- gallery:end -->")


# ----------------------------------------------------------------------------------------------
# README
# ----------------------------------------------------------------------------------------------
def _between(text: str, markers: tuple[str, str], field: str) -> tuple[int, int]:
    """Where the text between ``markers`` starts and ends; a ValueError naming ``field`` when
    they are missing or out of order."""
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{field}: needs the markers {start} and {end} in this order")
    return i + len(start), j


def _replace_between(text: str, markers: tuple[str, str], new: str) -> str:
    i, j = _between(text, markers, "readme_text")
    return text[:i] + "\n" + new.strip() + "\n" + text[j:]


def marked(text: str, markers: tuple[str, str]) -> str:
    """The text between two README markers (stripped)."""
    i, j = _between(text, markers, "text")
    return text[i:j].strip()


def gallery_markdown(figures: list[dict]) -> str:
    """README's gallery: every figure every stage writes, with its caption, two per row.

    Args:
      figures: :func:`sims.reproduce.report.stage_figures` of the stages (in run order).
    """
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


def update_readme(readme_text: str, answer: Mapping, *, gallery: list[dict] | None = None) -> str:
    """README with its answer table and finding (and, with ``gallery``, its gallery)
    regenerated.

    Args:
      readme_text: README.md's text with the markers :data:`FINDING_MARKERS`.
      answer: the answer table (:func:`sims.reproduce.report.build_answer`, e.g. of the committed
        ``figures/``: :func:`sims.reproduce.report.answer_from_folder`), written between the markers
        by :func:`sims.reproduce.report.render_block` as Markdown.
      gallery: also regenerate the part between :data:`GALLERY_MARKERS` from these figures
        (:func:`sims.reproduce.report.stage_figures` of the stages).
    """
    if not isinstance(readme_text, str):
        raise TypeError("readme_text: must be a str")
    if not isinstance(answer, Mapping) or not isinstance(answer.get("rows"), list):
        raise TypeError(
            "answer: must be the answer table of sims.reproduce.report.build_answer (a dict)"
        )
    out = _replace_between(readme_text, FINDING_MARKERS, render_block(answer, "markdown"))
    if gallery is not None:
        out = _replace_between(out, GALLERY_MARKERS, gallery_markdown(gallery))
    return out
