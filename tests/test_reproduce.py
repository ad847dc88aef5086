"""The ``reproduce`` job: typed stage configs, stage caching / resume, the stage list, the
topology audit stage, Track C wiring, the report and the CLI."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest

from sims.cli import main
from sims.reproduce.pipeline import (
    Interrupted,
    Stage,
    StageConfig,
    field,
    run_stages,
    select_stages,
)
from sims.reproduce.pipeline import execute as E
from sims.reproduce.stages import STAGES, topology_audit, track_a, track_c, verify
from tests._pipeline_helpers import CountConfig, counting_stage, with_presets
from theory import sweeps

TINY_AUDIT = topology_audit.Config.FAST.replace(
    n_clients=8,
    connectivities=(3, 8),
    seeds=2,
    zoo_n=8,
    zoo_graphs=("complete", "ring", "star", "exponential", "paper_code"),
    zoo_seeds=2,
    gammas=(0.5,),
    degree_sweep={"8": (2, 4)},
    degree_seeds=3,
)


# ---------------------------------------------------------------------------------------------
# configs


def test_configs_round_trip_through_json_and_are_frozen():
    for stage in STAGES:
        for cfg in (stage.Config.DEFAULT, stage.Config.FAST):
            text = json.dumps(cfg.to_json())
            back = stage.Config.from_json(json.loads(text))
            assert back == cfg and back.to_json() == cfg.to_json(), stage.name
            with pytest.raises(dataclasses.FrozenInstanceError):
                cfg.x = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kwargs, field_name",
    [
        ({"x": -1}, "x"),
        ({"x": 1.5}, "x"),
        ({"x": "1"}, "x"),
        ({"x": True}, "x"),
    ],
)
def test_config_validation_names_the_field(kwargs, field_name):
    with pytest.raises(ValueError, match=f"^{field_name}") as err:
        CountConfig(**kwargs)
    assert "\n" not in str(err.value)


def test_config_from_json_rejects_unknown_fields_and_checks_nested_limits():
    with pytest.raises(ValueError, match="^y"):
        CountConfig.from_json({"x": 1, "y": 2})
    with pytest.raises(ValueError, match="^sign"):
        track_a.Config.DEFAULT.replace(sign="*")
    with pytest.raises(ValueError, match="^generators"):
        topology_audit.Config.DEFAULT.replace(generators=("paper_code", "nope"))
    with pytest.raises(ValueError, match="^heatmap_client"):
        from sims.reproduce.stages import mask

        mask.Config.DEFAULT.replace(heatmap_client=5)


def test_config_hash_is_the_hash_of_the_json_form(monkeypatch):
    monkeypatch.setattr(E, "source_fingerprint", lambda: "0" * 16)
    calls: list = []
    stage = counting_stage(calls)
    h = E.config_hash(stage)
    assert len(h) == 12 and h == E.config_hash(counting_stage([]))
    assert E.config_hash(stage, fast=True) != h
    monkeypatch.setattr(E, "source_fingerprint", lambda: "1" * 16)
    assert E.config_hash(stage) != h  # a cached stage never outlives its code


def test_stage_rejects_configs_without_default_and_fast():
    @dataclasses.dataclass(frozen=True)
    class NoPresets(StageConfig):
        a: int = field(1)

    with pytest.raises(TypeError, match="DEFAULT"):
        Stage("x", NoPresets, lambda cfg: {})


# ---------------------------------------------------------------------------------------------
# the runner


def test_cache_resume_and_invalidation(tmp_path):
    calls: list = []
    stages = [counting_stage(calls)]
    s1 = run_stages(stages, out=tmp_path, progress=False)
    assert len(calls) == 1 and s1["stages"][0]["cached"] is False
    assert s1["files"] == ["count.json"]
    assert json.loads((tmp_path / "count.json").read_text()) == {"x": 1}
    cache = tmp_path / s1["stages"][0]["cache_file"]
    assert cache.exists() and cache.parent.name == ".cache"
    assert cache.name == f"count-{s1['stages'][0]['config_hash']}.json"
    s2 = run_stages(stages, out=tmp_path, progress=False)
    assert len(calls) == 1 and s2["stages"][0]["cached"] is True
    assert s2["config_hash"] == s1["config_hash"]
    assert s2["stages"][0]["summary"] == {"x": 1}
    (tmp_path / "count.json").unlink()  # a missing output forces a rerun
    run_stages(stages, out=tmp_path, progress=False)
    assert len(calls) == 2
    s3 = run_stages(stages, out=tmp_path, progress=False, fast=True)
    assert len(calls) == 3 and calls[-1].x == 101
    assert s3["config_hash"] != s1["config_hash"]
    run_stages(stages, out=tmp_path, progress=False, force=True)
    assert len(calls) == 4


def test_interrupted_run_keeps_finished_stages(tmp_path):
    calls: list = []

    def boom(cfg):
        raise KeyboardInterrupt

    stages = [counting_stage(calls, "first"), Stage("second", CountConfig, boom)]
    with pytest.raises(Interrupted) as err:
        run_stages(stages, out=tmp_path, progress=False)
    assert err.value.finished == 1
    stages[1] = counting_stage(calls, "second")
    summary = run_stages(stages, out=tmp_path, progress=False)
    assert [s["cached"] for s in summary["stages"]] == [True, False]
    assert len(calls) == 2


def test_stages_receive_the_rows_they_need(tmp_path):
    seen = {}

    def reader(cfg, first, runs, absent=None):
        seen.update(first=first["result"], runs=[r["name"] for r in runs], absent=absent)
        return {"y": first["result"]["x"] + 1}

    stages = [
        counting_stage([], "first"),
        Stage("reader", CountConfig, reader, needs=("first", "runs"), uses=("absent",)),
    ]
    run_stages(stages, out=tmp_path, progress=False)
    assert seen == {"first": {"x": 1}, "runs": ["first"], "absent": None}
    with pytest.raises(ValueError, match="needed by reader"):
        select_stages("reader", stages)


def test_the_stage_list_is_a_visible_tuple_in_run_order():
    assert isinstance(STAGES, tuple)
    assert [s.name for s in STAGES] == [
        "track_a",
        "mask",
        "topology_audit",
        "verify",
        "fig2a",
        "table6",
        "fig2b",
        "mim_vs_cl",
        "consensus",
        "track_c",
        "verdict_map",
        "trackd_table1",
        "trackd_fig2a",
        "trackd_fig2b",
        "trackd_verdicts",
        "report",
    ]
    files = [f for s in STAGES for f in s.files]
    assert len(files) == len(set(files))  # no two stages write the same file


def test_select_stages_validates_names():
    assert [s.name for s in select_stages("verify, mask", STAGES)] == ["mask", "verify"]
    assert [s.name for s in select_stages(["verify", "report"], STAGES)] == ["verify", "report"]
    for bad, word in (
        ("mask,nope", "nope"),
        ("", "stages"),
        ("mask,,verify", "stages"),
        ("mask,mask", "each once"),
        ("report", "needed by report"),
    ):
        with pytest.raises(ValueError, match="^stages") as err:
            select_stages(bad, STAGES)
        assert "\n" not in str(err.value) and word in str(err.value)


def test_cli_reproduce_json_and_stages_option(tmp_path, capsys, monkeypatch):
    import sims.reproduce.stages

    calls: list = []
    monkeypatch.setattr(sims.reproduce.stages, "STAGES", (counting_stage(calls),))
    assert main(["reproduce", "--fast", "--out", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert out.err == ""  # no progress bar with --json
    assert summary["fast"] is True and summary["files"] == ["count.json"]
    assert summary["compile_cache"] is None  # DSSL_COMPILE_CACHE=none (tests/conftest.py)
    assert main(["reproduce", "--fast", "--out", str(tmp_path)]) == 0
    assert "cached" in capsys.readouterr().out
    assert len(calls) == 1
    assert main(["reproduce", "--out", str(tmp_path), "--json", "--stages", "count"]) == 0
    assert len(calls) == 2
    capsys.readouterr()
    assert main(["reproduce", "--out", str(tmp_path), "--stages", "count,nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "stages" in err and "nope" in err
    cache = tmp_path / "xla"
    assert main(["reproduce", "--out", str(tmp_path), "--stages", "count",
                 "--compile-cache", str(cache), "--force"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert f"compiled programs kept in {cache}" in text and cache.is_dir()
    assert main(["reproduce", "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["stages"] == [{"name": "count", "cached": True, "files": ["count.json"]}]


# ---------------------------------------------------------------------------------------------
# stages


def test_topology_audit_stage(tmp_path):
    stage = dataclasses.replace(
        topology_audit.STAGE, Config=with_presets(topology_audit.Config, TINY_AUDIT)
    )
    summary = run_stages([stage], out=tmp_path, progress=False)
    assert summary["files"] == [
        "topology_audit.json",
        "topology_zoo.png",
        "paper_code_degree.png",
        "paper_settings.png",
    ]
    for f in summary["files"]:
        assert (tmp_path / f).stat().st_size > 0
    audit = json.loads((tmp_path / "topology_audit.json").read_text())
    assert audit["config"] == TINY_AUDIT.to_json()
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


_CLAIMS = [
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


def test_report_links_every_stage_and_follows_the_verdicts(tmp_path):
    from sims.reproduce.stages import report

    fake_verify = Stage("verify", CountConfig, lambda cfg: {"claims": _CLAIMS, "config": {}})
    experiment = counting_stage([], "fig2a", figure=True)
    summary = run_stages([fake_verify, experiment, report.STAGE], out=tmp_path, progress=False)
    assert [s["name"] for s in summary["stages"]] == ["verify", "fig2a", "report"]
    md = (tmp_path / "report.md").read_text()
    assert "[fig2a.png](fig2a.png)" in md and "x=1" in md
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["claims"][0]["track_b"] == "violated"
    assert any("contradicts thm4.4" in s for s in rep["summary"])
    assert rep["config_hash"] == summary["config_hash"]
    for section in ("## Summary", "## Claims", "## Figures", "## Configuration", "## Software"):
        assert section in md


#: the ``track_c`` stage's fast configuration with a tiny Track A part (the overlay figure)
TINY_TRACK_C = track_c.Config.FAST.replace(
    track_a=track_a.Config.FAST.replace(d_log10=(2.0, 6.0, 5), constants_points=2, exact_d=(40,))
)


def test_track_c_calls_the_evidence_and_draws_the_overlay(monkeypatch, tmp_path):
    from sims.trackc import evidence
    from theory.claims import Evidence, VerifyConfig

    seen = {}

    def good(cfg, fast=False):
        seen["cfg"], seen["fast"] = cfg, fast
        return {"thm4.4": Evidence("violated", {"s_cl": 0.1, "s_mim": 0.3}, "simulated")}

    monkeypatch.setattr(evidence, "track_c_evidence", good)
    stage = dataclasses.replace(track_c.STAGE, Config=with_presets(track_c.Config, TINY_TRACK_C))
    summary = run_stages([stage], out=tmp_path, progress=False)
    assert isinstance(seen["cfg"], VerifyConfig) and seen["cfg"].d == 200 and seen["fast"]
    assert summary["stages"][0]["summary"] == {"track C violated": 1}
    assert summary["files"] == ["tracks_overlay.json", "tracks_overlay.png"]
    overlay = json.loads((tmp_path / "tracks_overlay.json").read_text())
    assert overlay["track_c"] == {"mim": {}, "cl_similar": {}}  # no thm4.2/4.3 evidence
    assert overlay["exact"]["source"] == "recomputed"  # track_a did not run first

    def bad(cfg, fast=False):
        raise RuntimeError("simulation exploded")

    monkeypatch.setattr(evidence, "track_c_evidence", bad)
    with pytest.raises(RuntimeError, match="exploded"):
        run_stages([stage], out=tmp_path, progress=False, force=True)


def test_merge_track_c_and_summary_follow_the_verdicts():
    from sims.reproduce import report

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


def test_verify_stage_fast_config_is_the_small_model():
    assert verify.Config.FAST.claims.d == 200 and verify.Config.FAST.claims.d_sweep == (100, 200)
    assert verify.Config.DEFAULT.to_json()["claims"]["d"] == 400


# ---------------------------------------------------------------------------------------------
# the numbers of the theorem stage against independent oracles


def test_bound_table_matches_scalar_bounds():
    from theory import bounds

    cfg = track_a.Config.FAST.replace(constants_points=3)
    d = np.array([1e2, 1e6])
    table = sweeps.bound_table(cfg, d, np.full(2, 2.5))
    grid, centre = sweeps.constant_grid(cfg.constants_range, cfg.constants_points)
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
    from theory import objectives
    from theory.datamodel import DataModel, client_second_moment

    cfg = track_a.Config.FAST.replace(exact_d=(40,), exact_methods=("mim", "cl"))
    rec = sweeps.exact_vs_d(cfg)["records"][0]
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


def test_sweeps_graphs_and_seeds():
    assert sweeps.seed_grid(3, 2, repeat=2) == [3, 4, 3, 4]
    graphs = sweeps.degree_sweep(6, seeds=(0, 1))
    assert graphs[-1] == ("complete", {})
    assert [g[1]["avg_degree"] for g in graphs[:-1]] == [1, 1, 2, 2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="^seeds"):
        sweeps.seed_grid(0, 0)


def test_paper_lower_bound_matches_the_bound_function():
    from theory import bounds
    from theory.claims import VerifyConfig

    cfg = VerifyConfig(d=300)
    want = bounds.lower_bound("mim", "decl", d=300, p=0.75, abar=2.5, n=4)
    assert sweeps.paper_lower_bound(cfg, "mim", "decl", abar=2.5) == pytest.approx(
        float(want), rel=1e-14
    )
    with pytest.raises(ValueError, match="^method"):
        sweeps.paper_lower_bound(cfg, "nope", "fl")


# ---------------------------------------------------------------------------------------------
# the job itself (fast), without the simulation stages (they have their own tests)


#: the stages the fast-run fixture keeps (the others have their own tests)
KEEP = ("track_a", "mask", "topology_audit", "verify", "track_c", "report")


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    """``dssl reproduce --fast`` (in-process) twice on one folder with the maths stages and
    the report; Track C's simulations are replaced by an empty evidence table."""
    from sims.trackc import evidence

    out = tmp_path_factory.mktemp("reproduce")
    runs = []
    with pytest.MonkeyPatch.context() as mp:
        import sims.reproduce.stages

        mp.setattr(sims.reproduce.stages, "STAGES", tuple(s for s in STAGES if s.name in KEEP))
        mp.setattr(evidence, "track_c_evidence", lambda cfg, fast=False: {})
        for _ in range(2):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert (
                    main(["reproduce", "--fast", "--out", str(out), "--json", "--jobs", "1"]) == 0
                )
            runs.append(json.loads(buf.getvalue()))
    return out, runs[0], runs[1]


def test_fast_run_writes_every_file_and_reuses_the_cache(fast_run):
    from theory.claims import CLAIM_IDS, VERDICTS

    out, first, second = fast_run
    want = {f for s in STAGES if s.name in KEEP for f in s.files}
    assert set(first["files"]) == want
    for f in first["files"]:
        assert (out / f).stat().st_size > 0, f
    # the overlay reuses the exact Track B numbers of track_a in the same run
    overlay = json.loads((out / "tracks_overlay.json").read_text())
    assert overlay["exact"]["source"] == "track_a.json"
    rep = json.loads((out / "report.json").read_text())
    assert [c["id"] for c in rep["claims"]] == list(CLAIM_IDS)
    for c in rep["claims"]:
        for track in ("track_a", "track_b", "track_c"):
            assert c[track] in VERDICTS and c["evidence"][track]["verdict"] == c[track]
    verified = json.loads((out / "verify.json").read_text())["claims"]
    assert [(c["track_a"], c["track_b"]) for c in verified] == [
        (c["track_a"], c["track_b"]) for c in rep["claims"]
    ]
    assert rep["config_hash"] == first["config_hash"] and rep["fast"] is True
    assert not any(s["cached"] for s in first["stages"])
    for s in second["stages"]:
        assert s["cached"] is (s["name"] != "report"), s["name"]
    assert second["config_hash"] == first["config_hash"]
