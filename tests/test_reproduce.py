"""The ``reproduce`` job: stage caching / resume, the topology audit stage, the CLI."""

from __future__ import annotations

import json

import pytest

from sims import reproduce as R
from sims.cli import main

TINY_AUDIT = {
    **R.TOPOLOGY_AUDIT_FAST,
    "n_clients": 8,
    "connectivities": [3, 8],
    "seeds": 2,
    "zoo_n": 8,
    "zoo_graphs": ["complete", "ring", "star", "exponential", "paper_code"],
    "zoo_seeds": 2,
    "gammas": [0.5],
    "degree_sweep": {"8": [2, 4]},
    "degree_seeds": 3,
}


def _counting_stage(calls, name="count", config=None):
    def run(config, out):
        calls.append(dict(config))
        with pytest.raises(TypeError):
            config["x"] = 2  # configs are frozen
        (out / f"{name}.txt").write_text(str(config["x"]))
        return {"files": [f"{name}.txt"], "x": config["x"]}

    config = config or {"x": 1}
    return R.Stage(name, run, config, {**config, "x": config["x"] + 100})


def test_cache_resume_and_invalidation(tmp_path):
    calls = []
    stages = [_counting_stage(calls)]
    s1 = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert len(calls) == 1 and s1["stages"][0]["cached"] is False
    assert s1["files"] == ["count.txt"]
    cache = tmp_path / s1["stages"][0]["cache_file"]
    assert cache.exists() and cache.parent.name == ".cache"
    assert cache.name == f"count-{s1['stages'][0]['config_hash']}.json"
    s2 = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert len(calls) == 1 and s2["stages"][0]["cached"] is True
    assert s2["config_hash"] == s1["config_hash"]
    (tmp_path / "count.txt").unlink()  # a missing output forces a rerun
    R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert len(calls) == 2
    s3 = R.run_stages(out=tmp_path, stages=stages, progress=False, fast=True)
    assert len(calls) == 3 and calls[-1]["x"] == 101
    assert s3["config_hash"] != s1["config_hash"]
    R.run_stages(out=tmp_path, stages=stages, progress=False, force=True)
    assert len(calls) == 4


def test_interrupted_run_resumes(tmp_path):
    calls = []
    ok = _counting_stage(calls, "first")

    def boom(config, out):
        raise KeyboardInterrupt

    stages = [ok, R.Stage("second", boom, {"y": 1}, {"y": 1})]
    with pytest.raises(KeyboardInterrupt):
        R.run_stages(out=tmp_path, stages=stages, progress=False)
    stages[1] = _counting_stage(calls, "second", {"x": 5})
    summary = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert [s["cached"] for s in summary["stages"]] == [True, False]
    assert len(calls) == 2


def test_config_hash_is_canonical():
    a = R.config_hash("s", R.freeze({"a": [1, 2], "b": {"c": 1}}))
    b = R.config_hash("s", {"b": {"c": 1}, "a": (1, 2)})
    assert a == b and len(a) == 12
    assert R.config_hash("t", {"a": [1, 2], "b": {"c": 1}}) != a


def test_register_rejects_duplicates():
    with pytest.raises(ValueError, match="^stage"):
        R.register(R.STAGES[0])


def test_topology_audit_stage(tmp_path):
    result = R.topology_audit(R.freeze(TINY_AUDIT), tmp_path)
    assert set(result["files"]) == {
        "topology_audit.json",
        "topology_zoo.png",
        "paper_code_degree.png",
        "paper_settings.png",
    }
    for f in result["files"]:
        assert (tmp_path / f).stat().st_size > 0
    audit = json.loads((tmp_path / "topology_audit.json").read_text())
    paper = audit["paper_settings"]["records"]
    assert len(paper) == 2 * 2 * 5
    for rec in paper:
        assert 0 <= rec["lambda"] <= 1 and rec["avg_connectivity"] >= rec["nominal_connectivity"]
        if rec["nominal_connectivity"] == 8:  # complete graph: J for every rule
            assert rec["lambda"] == pytest.approx(0.0, abs=1e-12)
    for rec in audit["paper_code_degree"]["records"]:
        assert rec["min"] >= rec["nominal"] and rec["excess"] >= 0
    zoo = {(r["graph"], r["mixing"]): r for r in audit["zoo"]["records"]}
    assert zoo[("exponential", "ying")]["lambda2"] is None
    assert zoo[("exponential", "ying")]["reversible"] is False
    assert zoo[("ring", "uniform")]["avg_connectivity"] == 3.0


def test_cli_reproduce_json(tmp_path, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(R, "STAGES", [_counting_stage(calls)])
    assert main(["reproduce", "--fast", "--out", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert out.err == ""  # no progress bar with --json
    assert summary["fast"] is True and summary["files"] == ["count.txt"]
    assert main(["reproduce", "--fast", "--out", str(tmp_path)]) == 0
    assert "cached" in capsys.readouterr().out
    assert len(calls) == 1
