"""The notebooks run top to bottom in fast mode (errors fatal) and convert to .ipynb."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.py"))
EXPECTED = {
    "01_mask_expectation_thm42",
    "02_cl_thm43",
    "03_mim_vs_cl_thm44",
    "04_connectivity_cor45_thm46",
    "05_mar",
    "06_ssd_uniformity",
}


def test_every_question_has_a_notebook():
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_fast_mode(path, tmp_path):
    env = {**os.environ, "DSSL_FAST": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.strip(), "a notebook prints its results"


def test_notebook_converts_to_ipynb(tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(NOTEBOOKS[0])
    assert nb.cells[0].cell_type == "markdown"
    assert sum(c.cell_type == "code" for c in nb.cells) >= 3
    out = tmp_path / (NOTEBOOKS[0].stem + ".ipynb")
    jupytext.write(nb, out, fmt="ipynb")
    back = jupytext.read(out)
    assert [c.source for c in back.cells] == [c.source for c in nb.cells]
