"""benchmarks/bench_gpu.py: refuses to run without a GPU (one line), and its smoke mode writes
the table (tiny sizes, CPU) with the fields the committed GPU table is read from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_gpu.py"


def _run(*args, timeout=300):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
        timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def test_refuses_without_a_gpu(tmp_path):
    proc = _run("--out", str(tmp_path))
    assert proc.returncode == 2
    assert "no GPU" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "gpu.json").exists()


def test_bad_part_is_one_line(tmp_path):
    proc = _run("--smoke", "--parts", "peak,warp", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--parts" in proc.stderr.strip().splitlines()[-1]


def test_smoke_writes_the_table(tmp_path):
    proc = _run("--smoke", "--parts", "peak,engine", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((tmp_path / "gpu.json").read_text())
    assert set(res["peak"]) == {"default", "highest"} and min(res["peak"].values()) > 0
    cells = res["engine"]
    assert len(cells) == 4 and {c["precision"] for c in cells} == {"default", "highest"}
    for c in cells:
        assert c["seconds_per_round"] > 0 and c["flop_per_s"] > 0
    table = (tmp_path / "gpu.md").read_text()
    assert table.count("\n| ") >= 4 and "of the peak at that precision" in table


def test_smoke_rounds_and_drjax(tmp_path):
    """The rounds-per-second part (one scan of rounds) and the DrJAX head to head: records
    with their fields, the same final model on both sides, and their tables."""
    proc = _run("--smoke", "--parts", "rounds,drjax", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((tmp_path / "gpu.json").read_text())
    assert [r["metrics"] for r in res["rounds"]] == ["all", "loss"]
    for r in res["rounds"]:
        assert r["rounds_per_second"] == r["rounds_per_scan"] / r["seconds_per_scan"] > 0
    assert [r["setting"] for r in res["drjax"]] == ["quick", "efficiency"]
    for r in res["drjax"]:
        assert max(r["max_abs_diff_vs_engine"].values()) < 1e-5
    table = (tmp_path / "gpu.md").read_text()
    assert "rounds / s" in table and "DrJAX / engine" in table
