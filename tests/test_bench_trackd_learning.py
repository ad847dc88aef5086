"""benchmarks/trackd_learning.py: the uplift it reports is acc − untrained of the same runs,
its table renders those numbers, and bad arguments stop it with one line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "trackd_learning.py"


def _module():
    spec = importlib.util.spec_from_file_location("trackd_learning", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_uplift_is_the_paired_difference_and_the_files_say_so(tmp_path):
    mod = _module()
    assert mod.main(["--preset", "fast", "--archs", "mlp", "--methods", "mae", "--seeds", "2",
                     "--out", str(tmp_path)]) == 0  # fmt: skip
    doc = json.loads((tmp_path / "trackd_learning.json").read_text())
    (row,) = doc["rows"]
    up = np.asarray(row["acc"]) - np.asarray(row["untrained"])
    assert row["uplift_mean"] == pytest.approx(float(up.mean()), abs=1e-15)
    se = float(np.std(up, ddof=1) / np.sqrt(2))
    assert row["uplift_se"] == pytest.approx(se, abs=1e-15)
    assert row["learned"] == bool(up.mean() > 2 * se)
    assert len(row["curves"]) == 2 and row["curves"][0]["rounds"][0] == 0
    md = (tmp_path / "trackd_learning.md").read_text()
    assert f"{100 * up.mean():+.1f} ± {100 * se:.1f}" in md


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--archs", "mlp,resnet"], "--archs"),
        (["--methods", ""], "--methods"),
        (["--seeds", "1"], "--seeds"),
        (["--set", "no_such_field=1"], "--set"),
        (["--set", "cnn_p"], "--set"),
    ],  # fmt: skip
)
def test_bad_arguments_stop_with_one_line(argv, field):
    with pytest.raises(SystemExit, match=field):
        _module().main(argv)
