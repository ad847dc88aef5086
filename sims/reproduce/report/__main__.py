"""``python -m sims.reproduce.report``: regenerate README's answer table and gallery."""

from __future__ import annotations

from pathlib import Path

from sims.files import write_text
from sims.reproduce.report.answer import answer_from_folder
from sims.reproduce.report.content import stage_figures
from sims.reproduce.report.readme import update_readme
from sims.reproduce.stages import STAGES


def main(argv: list[str] | None = None) -> int:
    """``python -m sims.reproduce.report [VERDICT_MAP_JSON [README]]``: regenerate README's answer
    table and gallery from a verdict map (default ``figures/verdict_map.json``) with the cells and
    Track D verdicts beside it (:func:`sims.reproduce.report.answer_from_folder`)."""
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
    figures = stage_figures(STAGES)
    try:
        write_text(
            readme, update_readme(readme.read_text(), answer, gallery=figures), field="readme"
        )
    except (OSError, ValueError) as err:
        print(f"{readme}: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
