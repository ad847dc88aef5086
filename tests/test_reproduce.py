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
    R.load_plugins()  # plug-ins register into the real list, not the patched one
    monkeypatch.setattr(R, "STAGES", [_counting_stage(calls)])
    assert main(["reproduce", "--fast", "--out", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert out.err == ""  # no progress bar with --json
    assert summary["fast"] is True and summary["files"] == ["count.txt"]
    assert main(["reproduce", "--fast", "--out", str(tmp_path)]) == 0
    assert "cached" in capsys.readouterr().out
    assert len(calls) == 1


# ---------------------------------------------------------------------------------------------
# the full job (fast), stage ordering, plug-ins, Track C and the report
# ---------------------------------------------------------------------------------------------

EXPECTED_FILES = {
    "track_a.json",
    "thm42_43_sensitivity.png",
    "thm44_ratio.png",
    "cor45_connectivity.png",
    "thm46_decl_vs_fl.png",
    "mask.json",
    "mask_expectation.png",
    "mask_rv.png",
    "topology_audit.json",
    "topology_zoo.png",
    "paper_code_degree.png",
    "paper_settings.png",
    "verify.json",
    "tracks_overlay.json",
    "tracks_overlay.png",
    "report.md",
    "report.json",
}


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    """``dssl reproduce --fast`` (in-process) twice on one folder, with the stages of this
    module; plug-in experiment stages and the simulations of Track C have their own tests and
    are left out here to keep the suite fast (``make reproduce-fast`` runs everything)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("reproduce")
    R.load_plugins()
    own = [s for s in R.STAGES if s.run.__module__ == R.__name__]
    runs = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(R, "STAGES", own)
        mp.setattr(R, "TRACK_C_MODULE", "sims._absent_track_c_module")
        for _ in range(2):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert main(["reproduce", "--fast", "--out", str(out), "--json"]) == 0
            runs.append(json.loads(buf.getvalue()))
    return out, runs[0], runs[1]


def test_default_stage_order():
    names = [s.name for s in R.default_stages()]
    assert names[:4] == ["track_a", "mask", "topology_audit", "verify"]
    assert names[-2:] == ["track_c", "report"]  # plug-ins (order 0..99) run in between


def test_fast_run_writes_every_file(fast_run):
    out, first, _ = fast_run
    assert EXPECTED_FILES <= set(first["files"])
    for f in first["files"]:
        assert (out / f).stat().st_size > 0, f
    names = [s["name"] for s in first["stages"]]
    assert names[:4] == ["track_a", "mask", "topology_audit", "verify"]
    assert names[-2:] == ["track_c", "report"]
    # the overlay reuses the exact Track B numbers track_a wrote in the same folder
    overlay = json.loads((out / "tracks_overlay.json").read_text())
    assert overlay["exact"]["source"] == "track_a.json"
    assert "tracks_overlay.png" in json.loads((out / "report.json").read_text())["figures"]


def test_report_json_has_every_claim_and_verdict(fast_run):
    from theory.claims import CLAIM_IDS, VERDICTS

    out, first, _ = fast_run
    rep = json.loads((out / "report.json").read_text())
    assert [c["id"] for c in rep["claims"]] == list(CLAIM_IDS)
    for c in rep["claims"]:
        for track in ("track_a", "track_b", "track_c"):
            assert c[track] in VERDICTS
            assert c["evidence"][track]["verdict"] == c[track]
    assert rep["config_hash"] == first["config_hash"]
    assert rep["fast"] is True
    for key in ("python", "jax", "jaxlib", "numpy", "scipy", "sympy"):
        assert rep["software"][key]
    assert {s["name"] for s in rep["stages"]} >= {"track_a", "mask", "verify"}
    assert all(s["seconds"] >= 0 for s in rep["stages"])
    md = (out / "report.md").read_text()
    for section in ("## Summary", "## Claims", "## Figures", "## Configuration", "## Software"):
        assert section in md
    for f in rep["figures"]:
        assert f"]({f})" in md and (out / f).exists()
    # the summary is computed from the verdicts: its first lines count them per track
    for track_line, track in zip(
        rep["summary"][:3], ("track_a", "track_b", "track_c"), strict=True
    ):
        counts = {}
        for c in rep["claims"]:
            counts[c[track]] = counts.get(c[track], 0) + 1
        for verdict, k in counts.items():
            assert f"{verdict} {k}" in track_line


def test_second_run_reuses_the_cache(fast_run):
    _, first, second = fast_run
    assert not any(s["cached"] for s in first["stages"])
    for s in second["stages"]:
        assert s["cached"] is (s["name"] != "report"), s["name"]
    assert second["config_hash"] == first["config_hash"]


def test_plugin_stage_runs_before_report_and_is_linked(tmp_path):
    claims = [
        {
            "id": "thm4.4",
            "reference": "Thm 4.4",
            "statement": "s^C > s^M",
            "track_a": "holds",
            "track_b": "violated",
            "track_c": "not-run",
            "evidence": {
                "track_a": {"verdict": "holds", "note": "", "numbers": {"x": 1.0}},
                "track_b": {"verdict": "violated", "note": "", "numbers": {"y": 2}},
                "track_c": {"verdict": "not-run", "note": "", "numbers": {}},
            },
        }
    ]

    def fake_verify(config, out):
        return {"files": [], "claims": claims, "config": {"d": 1}}

    def experiment(config, out):
        (out / "exp.png").write_bytes(b"png")
        return {"files": ["exp.png"], "figures": ["exp.png"], "summary": {"acc": 0.5}}

    report = next(s for s in R.STAGES if s.name == "report")
    stages = [
        report,
        R.Stage("verify", fake_verify, {}, {}),
        R.Stage("fig2a", experiment, {"a": 1}, {"a": 1}),
    ]
    summary = R.run_stages(out=tmp_path, stages=stages, progress=False)
    assert [s["name"] for s in summary["stages"]] == ["verify", "fig2a", "report"]
    md = (tmp_path / "report.md").read_text()
    assert "[exp.png](exp.png)" in md and "acc=0.5" in md
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["claims"][0]["track_b"] == "violated"
    assert any("contradicts thm4.4" in s for s in rep["summary"])


#: the ``track_c`` stage's fast configuration with a tiny Track A part (the overlay figure)
TINY_TRACK_C = {
    "verify": R.VERIFY_FAST,
    "fast": True,
    "track_a": {
        **R.TRACK_A_FAST,
        "d_log10": [2.0, 6.0, 5],
        "constants_points": 2,
        "exact_d": [40],
    },
}


def _fake_evidence_module(monkeypatch, fn):
    import importlib.machinery
    import sys
    import types

    mod = types.ModuleType("sims._fake_evidence")
    mod.__spec__ = importlib.machinery.ModuleSpec("sims._fake_evidence", None)
    mod.track_c_evidence = fn
    monkeypatch.setitem(sys.modules, "sims._fake_evidence", mod)
    monkeypatch.setattr(R, "TRACK_C_MODULE", "sims._fake_evidence")


def test_track_c_absent_is_not_run(monkeypatch, tmp_path):
    monkeypatch.setattr(R, "TRACK_C_MODULE", "sims._no_such_module_here")
    res = R.track_c(R.freeze(TINY_TRACK_C), tmp_path)
    assert res["available"] is False and res["evidence"] == {}
    assert res["figures"] == ["tracks_overlay.png"]  # Tracks A and B are drawn anyway
    for f in res["files"]:
        assert (tmp_path / f).stat().st_size > 0
    overlay = json.loads((tmp_path / "tracks_overlay.json").read_text())
    assert overlay["track_c"] == {"mim": {}, "cl_similar": {}}


def test_track_c_module_is_called_and_errors_are_loud(monkeypatch, tmp_path):
    from theory.claims import Evidence, VerifyConfig

    seen = {}

    def good(cfg, fast=False):
        seen["cfg"], seen["fast"] = cfg, fast
        return {"thm4.4": Evidence("violated", {"s_cl": 0.1, "s_mim": 0.3}, "simulated")}

    _fake_evidence_module(monkeypatch, good)
    res = R.track_c(R.freeze(TINY_TRACK_C), tmp_path)
    assert isinstance(seen["cfg"], VerifyConfig) and seen["cfg"].d == R.VERIFY_FAST["d"]
    assert seen["fast"] is True
    assert res["available"] and res["evidence"]["thm4.4"]["verdict"] == "violated"

    def bad(cfg):
        raise RuntimeError("simulation exploded")

    _fake_evidence_module(monkeypatch, bad)
    with pytest.raises(RuntimeError, match="exploded"):
        R.track_c(R.freeze(TINY_TRACK_C), tmp_path)


def test_merge_track_c_and_summary_follow_the_verdicts():
    from sims import report

    rows = [
        {
            "id": i,
            "track_a": "holds",
            "track_b": b,
            "track_c": "not-run",
            "evidence": {t: {"verdict": "x"} for t in ("track_a", "track_b", "track_c")},
        }
        for i, b in (("a", "holds"), ("b", "violated"))
    ]
    merged = report.merge_track_c(rows, {"b": {"verdict": "holds", "numbers": {}, "note": ""}})
    assert [r["track_c"] for r in merged] == ["not-run", "holds"]
    assert rows[1]["track_c"] == "not-run"  # inputs untouched
    lines = report.plain_summary(merged, track_c_available=True)
    assert any(line.startswith("The exact linear model contradicts b") for line in lines)
    assert any(line == "The simulations agree with b." for line in lines)
    lines = report.plain_summary(rows, track_c_available=False)
    assert any("not run" in line for line in lines)


# ---------------------------------------------------------------------------------------------
# the numbers of the theorem stage against independent oracles
# ---------------------------------------------------------------------------------------------


def test_bound_table_matches_scalar_bounds():
    import numpy as np

    from theory import bounds

    cfg = R.freeze({**R.TRACK_A_FAST, "constants_points": 3})
    d = np.array([1e2, 1e6])
    table = R._bound_table(cfg, d, np.full(2, 2.5))
    grid, centre = R._constant_grid(cfg)
    assert np.allclose(grid[centre], 1.0)
    for k in (0, centre, len(grid) - 1):
        c_num, c_den, trh = grid[k]
        for m in ("mim", "cl_similar", "cl_dissimilar"):
            for f in ("local", "decl", "fl"):
                want = bounds.sensitivity(
                    m, f, d=d, p=0.75, abar=2.5, n=4.0, trH=trh, c_num=c_num, c_den=c_den
                )
                got = table[m][f]["s"][k]
                want = np.where(np.asarray(want) >= 1.0, 1.0, np.asarray(want))
                assert np.allclose(got, want, rtol=1e-12), (m, f, k)


def test_exact_rows_match_a_numpy_oracle():
    import numpy as np

    from theory import objectives
    from theory.datamodel import DataModel, client_second_moment

    cfg = {**R.TRACK_A_FAST, "exact_d": [40], "exact_methods": ["mim", "cl"]}
    res = R.exact_vs_d(cfg)
    rec = res["records"][0]
    model = DataModel(d=40, n_clients=4)
    S = client_second_moment(model).mean(0)
    for method, X in (
        ("cl", S),
        ("mim", 0.75 * 0.25 * (S - np.diag(np.diag(S)))),
    ):
        lam, vec = np.linalg.eigh(X)
        top = vec[:, ::-1][:, : model.c]
        keep = lam[::-1][: model.c] > 1e-9 * np.abs(lam).max()
        r = (top[:, keep] ** 2).sum(1)  # RV of the FL optimum: row space = kept eigenvectors
        assert rec["methods"][method]["fl"]["gap_N"] == pytest.approx(1 - r[:4].min(), abs=1e-8)
        assert rec["methods"][method]["fl"]["spread_N"] == pytest.approx(np.ptp(r[:4]), abs=1e-8)
    assert objectives.population_targets(model, "mim").shape == (4, 40, 40)


def test_cache_key_changes_with_the_source(monkeypatch):
    """A cached stage never outlives the code that computed it: the source fingerprint is part
    of every stage's hash."""
    from sims import reproduce as rp

    config = {"a": 1}
    monkeypatch.setattr(rp, "source_fingerprint", lambda: "0" * 16)
    before = rp.config_hash("x", config)
    monkeypatch.setattr(rp, "source_fingerprint", lambda: "1" * 16)
    assert rp.config_hash("x", config) != before
