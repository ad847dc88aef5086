"""The verification report of ``dssl reproduce``: ``report.md``, ``report.html``, ``report.json``.

Everything in the report is computed from the stage results: the verdict map's headline of
each claim (:func:`sims.verdict_map.headline`, rule R8 of docs/verdict_rules.md), the counts
behind it, the break-even hidden constants, the assumptions, the Track D column, the rule
changes with the old rule's answer, the claims table at one configuration, every figure of
every stage with the caption of its figure function, the run time and software versions.
The derivations of the errata are stated in plain mathematics and cite the docs pages
(docs/theory/). The report opens with the answer in one screen (:mod:`sims.reproduce.report.answer`:
one row per claim, its verdict under the paper's own reading first, and a finding of at most
200 words), the same table README shows between its finding markers (:func:`update_readme`),
``dssl verify`` prints first and ``dssl reproduce`` prints last, so none of them can disagree.

The package: :mod:`sims.reproduce.report.answer` builds the answer table (:func:`build_answer`) and
renders it (:func:`render_answer`), :mod:`sims.reproduce.report.content` gathers the payload
(``report.json``), :mod:`sims.reproduce.report.render` writes it as Markdown and HTML,
:mod:`sims.reproduce.report.readme` regenerates README's answer table and gallery
(``python -m sims.reproduce.report``).
"""

from __future__ import annotations

from sims.reproduce.report.answer import (
    answer_from_folder,
    build_answer,
    render_answer,
    render_block,
    render_headline,
)
from sims.reproduce.report.content import (
    SOFTWARE,
    TRACK_NAMES,
    TRACKS,
    VOCABULARY,
    assumption_table,
    build_report,
    caption_of,
    claim_readings,
    compact_numbers,
    finding_text,
    merge_track_c,
    plain_summary,
    rule_change_rows,
    software_versions,
    stage_figures,
)
from sims.reproduce.report.readme import (
    FINDING_MARKERS,
    GALLERY_MARKERS,
    gallery_markdown,
    marked,
    update_readme,
)
from sims.reproduce.report.render import CSS, ERRATA, render_html, render_markdown

__all__ = [
    "answer_from_folder",
    "build_answer",
    "render_answer",
    "render_block",
    "render_headline",
    "CSS",
    "ERRATA",
    "FINDING_MARKERS",
    "GALLERY_MARKERS",
    "SOFTWARE",
    "TRACKS",
    "TRACK_NAMES",
    "VOCABULARY",
    "assumption_table",
    "build_report",
    "caption_of",
    "claim_readings",
    "compact_numbers",
    "finding_text",
    "gallery_markdown",
    "marked",
    "merge_track_c",
    "plain_summary",
    "render_html",
    "render_markdown",
    "rule_change_rows",
    "software_versions",
    "stage_figures",
    "update_readme",
]
