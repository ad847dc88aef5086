"""tests/affected.py (make test-fast): which tests a change selects."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _affected():
    spec = importlib.util.spec_from_file_location("affected", ROOT / "tests" / "affected.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_module_selects_exactly_the_tests_that_import_it():
    mod = _affected()
    tests, doc = mod.affected(["sims/trackd/models.py"])
    assert doc == ["sims/trackd/models.py"]
    # oracle: a regular expression over import lines (the ast walk is the code under test)
    pattern = re.compile(
        r"^\s*(from sims\.trackd\.models import|import sims\.trackd\.models"
        r"|from sims\.trackd import .*\bmodels\b)",
        re.M,
    )
    want = {
        str(f.relative_to(ROOT))
        for f in (ROOT / "tests").glob("test_*.py")
        if pattern.search(f.read_text())
    }
    assert set(tests) == want and tests


def test_changed_tests_and_non_python_files():
    mod = _affected()
    assert mod.affected(["tests/test_affected.py", "README.md"]) == (
        ["tests/test_affected.py"],
        [],
    )
    assert mod.affected(["docs/track_d.md"]) == ([], [])
