"""The regression check a fresh clone runs: ``dssl reproduce --fast`` from scratch, then
``dssl compare`` against the committed fast reference (``tests/golden/fast_reference``, the
JSON files of a fast run). Every number and word must agree within ``dssl compare``'s
tolerances (float64 results to rtol 1e-9; float32 training to rtol 2e-3, atol 1e-6). Track D's
numbers are compared as numbers on the machine the reference was made on (``report.json``'s
``machine.tag``); on another CPU its float32 training lands a test image away here and there,
and Track D is compared by its words (``dssl compare --track-d``, module docstring there).

When an output changes on purpose, refresh the reference in the same commit:
``dssl reproduce --fast --out /tmp/fast && cp /tmp/fast/*.json tests/golden/fast_reference/``,
and say in the commit message which values moved and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sims.commands.compare import compare_folders
from tests._helpers import fresh_python

REFERENCE = Path(__file__).parent / "golden" / "fast_reference"


def test_the_reference_holds_every_json_file_of_a_fast_run():
    names = sorted(p.name for p in REFERENCE.glob("*.json"))
    assert "verdict_map.json" in names and "report.json" in names
    assert "trackd_verdicts.json" in names
    for name in names:  # each file is JSON that a fast run writes, read as data
        assert isinstance(json.loads((REFERENCE / name).read_text()), (dict, list))


@pytest.mark.slow
def test_a_fresh_fast_run_equals_the_committed_reference(tmp_path):
    out = tmp_path / "fast"
    # at dssl's own XLA settings (no XLA_FLAGS): the suite's faster-compiling flags
    # (tests/_xla_flags.py) round float32 training differently, by a test image here and there
    cmd = ["-m", "sims.cli", "reproduce", "--fast", "--jobs", "1", "--out", str(out)]
    run = fresh_python([*cmd, "--compile-cache", "none"], xla_flags=(), timeout=1500)
    assert run.returncode == 0, run.stderr[-2000:]
    _check_progress(run.stderr)
    result = compare_folders(REFERENCE, out)
    shown = "\n".join(
        f"{d['file']}:{d['path']}: {d['old']!r} -> {d['new']!r} ({d['why']})"
        for d in result["differences"][:20]
    )
    how = f"Track D by its {result['track_d']} ({result['track_d_why']})"
    assert result["same"], f"{result['n_differences']} differences, {how}:\n{shown}"


def _check_progress(stderr: str) -> None:
    """The run's progress on stderr: one line per stage, and status lines (stamped with the
    elapsed time) never more than 10 s apart while stages ran (sims.reproduce.pipeline.progress),
    each with the time left."""
    import re

    from sims.reproduce.stages import STAGES

    stage_lines = [
        x for x in stderr.splitlines() if re.match(r"^\[reproduce \S+\] \d+/\d+ done: ", x)
    ]
    assert len(stage_lines) == len(STAGES), stderr[-2000:]
    stamps = [
        60 * int(m.group(1)) + int(m.group(2))
        for m in re.finditer(r"^\[reproduce (\d+):(\d\d)\] .* left$", stderr, re.M)
    ]
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert stamps and max(gaps, default=0) <= 11, gaps  # 10 s, stamps rounded to the second
