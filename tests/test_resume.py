"""Resume: ``dssl reproduce`` killed with SIGKILL mid-run and rerun loses no finished stage and
gives the same results as an uninterrupted run; cache files are written atomically and a
corrupt or partial one is recomputed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sims import reproduce as R

ROOT = Path(__file__).resolve().parents[1]
#: two cheap deterministic stages of the fast configuration (a few seconds each)
STAGES = "mask,verify"
COMPARED = ("mask.json", "verify.json")


def _command(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sims.cli",
        "reproduce",
        "--fast",
        "--out",
        str(out),
        "--json",
        "--stages",
        STAGES,
    ]


def _run(out: Path) -> dict:
    done = subprocess.run(
        _command(out), cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_run_then_rerun_matches_a_clean_run(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    cache = killed / R.CACHE_DIR
    proc = subprocess.Popen(
        _command(killed), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 240
        while not list(cache.glob("mask-*.json")):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the first stage never finished"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # mid-run: verify takes seconds
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not list(cache.glob("verify-*.json")), "verify finished before the kill"
    (mask_cache,) = cache.glob("mask-*.json")
    assert json.loads(mask_cache.read_text())["stage"] == "mask"  # complete, parseable

    resumed = _run(killed)
    assert [(s["name"], s["cached"]) for s in resumed["stages"]] == [
        ("mask", True),
        ("verify", False),
    ]
    reference = _run(clean)
    assert not any(s["cached"] for s in reference["stages"])
    assert resumed["config_hash"] == reference["config_hash"]
    assert resumed["files"] == reference["files"]
    for name in COMPARED:
        assert (killed / name).read_bytes() == (clean / name).read_bytes(), name
    # no temporary file of an atomic write survives a finished run
    assert not list(cache.glob(".*.tmp"))


def _counting(calls: list):
    def run(config, out):
        calls.append(1)
        (out / "n.txt").write_text("1")
        return {"files": ["n.txt"], "value": config["x"]}

    return R.Stage("count", run, {"x": 1}, {"x": 1})


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # partial write
        lambda text: "",  # empty file
        lambda text: "\x00\x01 not json",  # garbage
        lambda text: json.dumps([1, 2, 3]),  # valid JSON, wrong shape
        lambda text: text.replace('"stage": "count"', '"stage": "other"'),  # another stage's
        lambda text: text.replace('"result": {', '"result_": {'),  # no result
    ],
)
def test_corrupt_cache_is_detected_and_recomputed(tmp_path, damage):
    calls: list = []
    stages = [_counting(calls)]
    first = R.run_stages(out=tmp_path, stages=stages, progress=False)
    path = tmp_path / first["stages"][0]["cache_file"]
    text = path.read_text()
    damaged = damage(text)
    assert damaged != text
    path.write_text(damaged)
    again = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert len(calls) == 2 and again["stages"][0]["cached"] is False
    rewritten = json.loads(path.read_text())
    assert rewritten["stage"] == "count" and rewritten["result"]["value"] == 1
    third = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert len(calls) == 2 and third["stages"][0]["cached"] is True


def test_write_atomic_replaces_whole_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    R.write_atomic(path, "old")
    R.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(R.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        R.write_atomic(path, "partial")
    assert path.read_text() == "new"  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]  # no temporary left


def test_select_stages_validates_names():
    assert [s.name for s in R.select_stages("verify, mask")] == ["mask", "verify"]
    assert [s.name for s in R.select_stages(["verify", "report"])] == ["verify", "report"]
    for bad, word in (
        ("mask,nope", "nope"),
        ("", "stages"),
        ("mask,,verify", "stages"),
        ("mask,mask", "each once"),
        ("report", "needed by report"),
    ):
        with pytest.raises(ValueError, match="^stages") as err:
            R.select_stages(bad)
        assert "\n" not in str(err.value) and word in str(err.value)


def test_cli_stages_option(tmp_path, capsys, monkeypatch):
    from sims.cli import main

    calls: list = []
    R.load_plugins()
    monkeypatch.setattr(
        R, "STAGES", [_counting(calls), *[s for s in R.STAGES if s.name == "report"]]
    )
    assert main(["reproduce", "--out", str(tmp_path), "--json", "--stages", "count"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in summary["stages"]] == ["count"] and len(calls) == 1
    assert main(["reproduce", "--out", str(tmp_path), "--stages", "count,nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "stages" in err and "nope" in err
