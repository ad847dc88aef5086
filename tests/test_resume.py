"""Resume: ``dssl reproduce`` killed with SIGKILL mid-run and rerun loses no finished stage and
gives the same results as an uninterrupted run; writes are atomic and a corrupt or partial
cache entry is recomputed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sims import files
from sims.reproduce.pipeline import jsonio, run_stages
from sims.reproduce.pipeline import runner as R
from tests._pipeline_helpers import counting_stage

ROOT = Path(__file__).resolve().parents[1]
#: two cheap deterministic stages of the fast configuration (a few seconds each)
STAGES = "mask,verify"
COMPARED = ("mask.json", "verify.json")


def _env() -> dict:
    """The subprocess environment: CPU, and the source fingerprint pinned so that an edit of an
    unrelated file between two runs cannot change the cache keys under test."""
    return {**os.environ, "JAX_PLATFORMS": "cpu", "DSSL_SOURCE_FINGERPRINT": "test-resume"}


def _command(out: Path, stages: str = STAGES, jobs: int = 1) -> list[str]:
    return [sys.executable, "-m", "sims.cli", "reproduce", "--fast", "--out", str(out),
            "--json", "--stages", stages, "--jobs", str(jobs)]  # fmt: skip


def _run(out: Path) -> dict:
    done = subprocess.run(
        _command(out), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _wait_for(cache: Path, pattern: str, proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not list(cache.glob(pattern)):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, f"{pattern} never appeared"
        time.sleep(0.02)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_run_then_rerun_matches_a_clean_run(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    cache = killed / R.CACHE_DIR
    proc = subprocess.Popen(
        _command(killed), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for(cache, "mask-*.json", proc)
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
    assert not list(killed.rglob(".*.tmp"))


@contextlib.contextmanager
def _ctrl_c_enabled():
    """Start children with SIGINT handled, as from a terminal. An ignored SIGINT is inherited
    through exec: a shell without job control starts a background command (``make test &``)
    with SIGINT ignored, and the child then ran to the end as if Ctrl-C were off."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
@pytest.mark.parametrize("jobs", [1, 2])
def test_sigint_stops_fast_with_one_line_and_keeps_finished_stages(tmp_path, jobs):
    out = tmp_path / "out"
    with _ctrl_c_enabled():
        proc = subprocess.Popen(
            _command(out, "mask,verify,topology_audit", jobs),
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    try:
        _wait_for(out / R.CACHE_DIR, "mask-*.json", proc)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = stderr.decode().strip().splitlines()
    assert proc.returncode == 130, (proc.returncode, stdout[-300:], stderr.decode()[-2000:])
    assert waited < 10, waited
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), lines
    assert "rerun to resume" in lines[0] and str(out) in lines[0]
    assert stdout == b""
    resumed = _run(out)
    assert resumed["stages"][0] == {**resumed["stages"][0], "name": "mask", "cached": True}


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # partial write
        lambda text: "",  # empty file
        lambda text: "\x00\x01 not json",  # garbage
        lambda text: json.dumps([1, 2, 3]),  # valid JSON, wrong shape
        lambda text: text.replace('"stage": "count"', '"stage": "other"'),  # another stage's
        lambda text: text.replace('"result": {', '"result_": {'),  # no result
        lambda text: text.replace('"x": 1', '"x": 7'),  # edited result, still valid JSON
    ],
)
def test_corrupt_cache_is_detected_and_recomputed(tmp_path, damage):
    calls: list = []
    stages = [counting_stage(calls)]
    first = run_stages(stages, out=tmp_path, progress=False)
    path = tmp_path / first["stages"][0]["cache_file"]
    text = path.read_text()
    damaged = damage(text)
    assert damaged != text
    path.write_text(damaged)
    again = run_stages(stages, out=tmp_path, progress=False)
    assert len(calls) == 2 and again["stages"][0]["cached"] is False
    rewritten = json.loads(path.read_text())
    assert rewritten["stage"] == "count" and rewritten["result"]["x"] == 1
    third = run_stages(stages, out=tmp_path, progress=False)
    assert len(calls) == 2 and third["stages"][0]["cached"] is True


def test_atomic_write_replaces_whole_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    files.write_text(path, "old")
    files.write_text(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        files.write_text(path, "partial")
    assert path.read_text() == "new"  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]  # no temporary left


def test_atomic_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0)
    os.umask(mask)
    path = jsonio.write_json(tmp_path / "x.json", {"a": 1})
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
