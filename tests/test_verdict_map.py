"""The verdict map (sims.verdict_map): cells reproducible and equal to the per-cell evaluation,
counts consistent, headlines computed by rule R8 on constructed rows, README's paragraph from
the same data, figures and the stage build. Never asserts a claim of the paper."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from sims import verdict_map as vm
from sims.verdict_map import cells as vm_cells
from sims.verdict_map import compute as vm_compute
from sims.verdict_map import rows as vm_rows
from theory import claims as cl

TINY = vm.MapConfig(
    d=10**4,
    p_values=(0.5,),
    n_values=(2, 3),
    rare_axes=("extra",),
    claims=("thm4.2.fl", "cor4.5", "thm4.6"),
    rule_change_n=(3,),
    hidden_constants=False,
)


@pytest.fixture(scope="module")
def result():
    return vm.compute_map(TINY)


def test_cells_cover_claims_readings_configurations(result):
    want = sum(len(cl.readings_of(c)) for c in TINY.claims) * 2  # two N values
    assert len(result["cells"]) == want
    for c in result["cells"]:
        assert c["track_b"] in vm.WORD_ORDER
        assert c["track_a"] in ("informative", "vacuous", "invalid", "not-run")
    json.dumps(result, allow_nan=False)


def test_cells_are_reproducible_and_equal_the_direct_evaluation(result):
    again = vm.compute_map(TINY, rule_changes=False)
    strip = [
        {k: c[k] for k in ("claim", "reading", "config", "track_a", "track_b", "numbers")}
        for c in result["cells"]
    ]
    strip2 = [
        {k: c[k] for k in ("claim", "reading", "config", "track_a", "track_b", "numbers")}
        for c in again["cells"]
    ]
    assert strip == strip2
    for c in result["cells"][::7]:
        cfg = TINY.verify_config(c["config"]["N"], c["config"]["p"], c["config"]["rare_axis"])
        direct = cl.evaluate_reading(cfg, c["claim"], c["reading"])
        assert direct["track_b"].verdict == c["track_b"]
        assert direct["track_a"].verdict == c["track_a"]


def test_row_counts_and_columns_are_consistent(result):
    for cid, row in result["rows"].items():
        cells = [c for c in result["cells"] if c["claim"] == cid]
        assert sum(row["counts"].values()) == len(cells)
        for key, counts in row["columns"].items():
            dim, val = key.split("=", 1)
            n = sum(1 for c in cells if str(vm_rows._keys(c).get(dim)) == val)
            assert sum(counts.values()) == n


def test_finding_paragraph_is_built_from_the_rows(result):
    text = vm.finding_paragraph(result)
    assert text == result["finding"]
    for cid, row in result["rows"].items():
        assert f"{cid} ({row['reference']}): {row['headline']}." in text


def _cell(word, **keys):
    conf = {"p": keys.pop("p", 0.5), "N": keys.pop("N", 4), "rare_axis": keys.pop("rare", "x")}
    return {"track_b": word, "reading": keys, "config": conf}


def test_headline_rules_on_constructed_rows():
    same = [_cell("violated", objective=o) for o in ("a", "b", "c")]
    assert vm.headline(same) == "violated under every reading"
    only = [
        _cell("violated", objective="a"),
        _cell("violated", objective="b"),
        _cell("holds", objective="c"),
    ]
    assert vm.headline(only) == "violated only under objective=a/b; holds only under objective=c"
    part = [
        _cell("degenerate", sensitivity="c", N=3),
        _cell("holds", sensitivity="c", N=4),
        _cell("holds", sensitivity="n", N=3),
        _cell("holds", sensitivity="n", N=4),
    ]
    text = vm.headline(part)
    assert text.startswith("holds ")
    assert "degenerate in 1 of the 2 cells under" in text or "degenerate only under" in text
    assert vm.headline([_cell("not-run")]) == "not run under any reading"


def test_compact_map_counts_equal_the_full_cells(result):
    """verdict_map.json keeps per claim × reading the counts of the full per-cell table."""
    compact = vm.compact_map(result)
    assert "cells" not in compact and compact["n_cells"] == len(result["cells"])
    want: dict = {}
    for c in result["cells"]:
        key = (c["claim"], cl.reading_name(c["reading"]))
        want.setdefault(key, Counter())[c["track_b"]] += 1
    got = {
        (cid, name): Counter(r["counts"])
        for cid, row in compact["readings"].items()
        for name, r in row.items()
    }
    assert got == want
    for cid, row in compact["rows"].items():
        assert Counter(row["counts"]) == sum(
            (Counter(r["counts"]) for r in compact["readings"][cid].values()), Counter()
        )
    assert vm.finding_paragraph(compact) == result["finding"]
    json.dumps(compact, allow_nan=False)


def test_representative_cell_is_the_direct_evaluation(result):
    compact = vm.compact_map(result)
    for cid, row in compact["readings"].items():
        for r in row.values():
            rep = r["representative"]
            conf = rep["config"]
            cfg = TINY.verify_config(conf["N"], conf["p"], conf["rare_axis"])
            direct = cl.evaluate_reading(cfg, cid, r["reading"])
            assert direct["track_b"].verdict == rep["track_b"]
            assert rep["numbers"] == vm_cells._compact(direct["track_b"].numbers)


def test_cell_table_round_trips(result):
    table = json.loads(json.dumps(vm.encode_cells(result)))
    decoded = vm.decode_cells(table)
    keys = ("claim", "reading", "config", "track_a", "track_b", "verdict_basis")
    assert decoded == [{k: c[k] for k in keys} for c in result["cells"]]


def test_rule_changes_recorded(result):
    names = [r.get("rule", r["claim"]) for r in result["rule_changes"]]
    assert "T2" in names and "cor4.5" in names
    cor = [r for r in result["rule_changes"] if r["claim"] == "cor4.5"][0]
    for ch in cor["changed_cells"]:
        assert ch["old"] != ch["new"]
    grouped = [r for r in vm.compact_map(result)["rule_changes"] if r["claim"] == "cor4.5"][0]
    assert sum(g["cells"] for g in grouped["changed_cells"]) == len(cor["changed_cells"])
    for g in grouped["changed_cells"]:
        n = sum(
            1
            for ch in cor["changed_cells"]
            if (ch["reading"], ch["old"], ch["new"]) == (g["reading"], g["old"], g["new"])
        )
        assert n == g["cells"]


def test_figures_build(result):
    from sims.reproduce.figures import verdicts as fv

    fig = fv.make_verdict_map_figure(result)
    assert fig.axes
    fig = fv.make_verdict_map_figure(vm.compact_map(result))
    assert fig.axes
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "trained" not in labels  # no Track C column without the track_c stage
    with_c = {**vm.compact_map(result), "track_c": vm.track_c_cells(_tc_row())}
    labels_c = [t.get_text() for t in fv.make_verdict_map_figure(with_c).axes[0].get_xticklabels()]
    assert labels_c == labels + ["trained"]


def test_bad_map_config():
    with pytest.raises(ValueError, match="^p_values"):
        vm.MapConfig(p_values=(1.5,))
    with pytest.raises(ValueError, match="^claims"):
        vm.MapConfig(claims=("thm9",))


def test_stage_contract():
    from sims.reproduce.stages import verdict_map as stage

    s = stage.STAGE
    assert s.name == "verdict_map"
    assert set(s.files) >= {
        "verdict_map.json",
        "verdict_cells.json",
        "atlas.json",
        "verdict_map.png",
    }
    assert stage.Config.from_json(stage.Config.FAST.to_json()) == stage.Config.FAST


def _counts_from_cells(cells) -> dict:
    out: dict = {}
    for c in cells:
        key = (c["claim"], cl.reading_name(c["reading"]))
        out.setdefault(key, Counter())[c["track_b"]] += 1
    return out


def _counts_from_map(data) -> dict:
    return {
        (cid, name): Counter(r["counts"])
        for cid, row in data["readings"].items()
        for name, r in row.items()
    }


def test_stage_files_are_written_from_the_compact_map(result, tmp_path):
    """The stage's files: verdict_map.json without the per-cell list, verdict_cells.json whose
    counts equal the map's, the finding regenerated from the written map."""
    from sims.reproduce.pipeline.jsonio import write_outputs
    from sims.reproduce.stages import verdict_map as stage

    s = stage.STAGE
    results = {"map": result, "atlas": {}}
    write_outputs(
        tmp_path,
        results,
        json_files={
            "verdict_map.json": s.json_files["verdict_map.json"],
            "verdict_cells.json": s.json_files["verdict_cells.json"],
        },
        texts=s.texts,
    )
    data = json.loads((tmp_path / "verdict_map.json").read_text())
    cells = vm.decode_cells(json.loads((tmp_path / "verdict_cells.json").read_text()))
    assert "cells" not in data and data["n_cells"] == len(cells) == len(result["cells"])
    assert (
        _counts_from_cells(cells) == _counts_from_map(data) == _counts_from_cells(result["cells"])
    )
    text = (tmp_path / "verdict_finding.md").read_text().strip()
    assert text == vm.finding_paragraph(data) == result["finding"]
    assert stage.summarize(results) == {cid: r["headline"] for cid, r in data["rows"].items()}


def test_verify_refuses_map_with_the_command_that_computes_it(capsys):
    """dssl verify reads the verdict map; --map (which computed it) names the stage that does."""
    from sims.cli import main

    assert main(["verify", "--map", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dssl reproduce --stages verdict_map" in err[0]


def test_workers_give_the_same_cells():
    cfg = vm.MapConfig(
        d=10**4,
        p_values=(0.5,),
        n_values=(3,),
        rare_axes=("class-index", "extra"),
        claims=("thm4.6",),
        rule_change_n=(),
    )
    one = vm.compute_map(cfg, rule_changes=False, workers=1)
    two = vm.compute_map(cfg, rule_changes=False, workers=2)
    assert one["cells"] == two["cells"] and one["rows"] == two["rows"]


def test_hidden_constants_are_summarised_per_claim(monkeypatch):
    """The map's hidden-constant section is a function of theory.constants' verdicts."""
    constants = pytest.importorskip("theory.constants")
    fake = [
        {
            "method": "mim",
            "framework": "fl",
            "exact_method": "mim",
            "label": "violated (asymptotically)",
            "readings": {"c_num": {"exponent": 0.8, "status": "degenerates (C* -> inf)"}},
        },
        {
            "method": "mim",
            "framework": "fl",
            "exact_method": "mim-recon",
            "label": "not violated asymptotically",
            "readings": {"c_num": {"exponent": float("nan"), "status": "holds for every constant"}},
        },
        {
            "method": "cl_similar",
            "framework": "local",
            "exact_method": "cl",
            "label": "not violated asymptotically",
            "readings": {},
        },
    ]
    monkeypatch.setattr(constants, "all_verdicts", lambda **k: fake)
    out = vm_compute._hidden_constants(vm.MapConfig(n_values=(3,), p_values=(0.5,)))
    assert out["summary"]["thm4.2.fl"].startswith(
        "violated (asymptotically) under eq4-complementary (mim; c_num* ~ d^0.8 (fit))"
    )
    fake[0]["readings"]["c_num"] |= {"exponent_exact": "4/5", "exponent_source": "closed form"}
    out = vm_compute._hidden_constants(vm.MapConfig(n_values=(3,), p_values=(0.5,)))
    assert "c_num* ~ d^(4/5) (closed form)" in out["summary"]["thm4.2.fl"]
    assert out["cells"][0]["constants"]["c_num"]["exponent_source"] == "closed form"
    assert out["summary"]["thm4.3.local"] == "not violated asymptotically under any exact reading"
    assert vm_compute._hidden_constants(TINY)["status"] == "not-run"


def _tc_row(seeds: int = 2) -> dict:
    """A hand-built ``track_c`` stage row: the numbers decide every word (rule R10)."""
    training = {"seeds": seeds}
    bound = lambda m, lb, se: {"min_rv": m, "lower_bound": lb, "slack_2se": 2 * se}  # noqa: E731
    ev = {
        "eq17": {"verdict": "violated", "numbers": {"training": training}},
        # 0.5 vs LB 0.9: violated by far more than t = 2·0.01
        "thm4.2.fl": {"verdict": "violated", "numbers": {"mim": bound(0.5, 0.9, 0.01)}},
        # 0.89 vs 0.9 with SE 0.02: |diff| 0.01 <= t = 0.04 -> degenerate
        "thm4.3.fl": {"verdict": "degenerate", "numbers": {"cl": bound(0.89, 0.9, 0.02)}},
        "thm4.4": {
            "verdict": "violated",
            "numbers": {
                "local": {"mim": {"s_N_max": 0.3, "se": 0.01}, "cl": {"s_N_max": 0.02, "se": 0.0}},
                "fl": {"mim": {"s_N": 0.1, "se": 0.0}, "cl": {"s_N": 0.4, "se": 0.0}},
            },
        },
        "cor4.5": {
            "verdict": "holds",
            "numbers": {
                "sweep": [
                    {"abar": 2.0, "mim_s_N": 0.3, "mim_s_N_se": 0.01, "cl_s_N": 0.001},
                    {"abar": 3.0, "mim_s_N": 0.1, "mim_s_N_se": 0.01, "cl_s_N": 0.002},
                ]
            },
        },
        "thm4.6.eq89": {
            "verdict": "holds",
            "numbers": {
                "mim": {"s_dec_N": 0.1, "s_fed_N": 0.1, "tol": 0.02, "identical_runs": True}
            },
        },
    }
    return {"config": {"verify": {"d": 60, "n_clients": 3, "p": 0.75}}, "result": {"evidence": ev}}


def test_track_c_cells_follow_rule_r10():
    out = vm.track_c_cells(_tc_row())
    assert out["status"] == "run" and out["config"]["seeds"] == 2  # from the training record
    words = {(c["claim"], cl.reading_name(c["reading"])): c["track_c"] for c in out["cells"]}
    assert words[("eq17", "-")] == "violated"  # no SE: the stage's word
    assert words[("thm4.2.fl", "objective=eq4-complementary")] == "violated"
    assert words[("thm4.3.fl", "cl=similar")] == "degenerate"
    # local: s_cl 0.02 < s_mim 0.3 (violated); FL: 0.4 > 0.1 (holds); R5 -> violated
    key = ("thm4.4", "objective=eq4-complementary,cl=similar,sensitivity=spread-N")
    assert words[key] == "violated"
    # MIM series decreases by 0.2 > t = 2·√2·0.01; CL is flat within the floor 0.02
    assert words[("cor4.5", "method=eq4-complementary,sensitivity=spread-N")] == "holds"
    assert words[("cor4.5", "method=similar,sensitivity=spread-N")] == "degenerate"
    assert words[("thm4.6.eq89", "method=eq4-complementary,sensitivity=spread-N")] == "holds"
    tol = next(c for c in out["cells"] if c["claim"] == "thm4.3.fl")["numbers"]["tolerance"]
    assert tol == pytest.approx(0.04, abs=1e-12)
    cor = [c for c in out["cells"] if c["claim"] == "cor4.5"]
    assert {c["agrees"] for c in cor} == {True, False}  # the stage's word is kept beside
    assert out["rows"]["cor4.5"]["headline"].startswith(("holds only", "degenerate only"))
    # R10: every cell whose comparison R7 would guard says R7 was not applied; Eq. 89's equal
    # sensitivities are flagged as one computation
    by_claim = {c["claim"]: c["numbers"] for c in out["cells"]}
    for cid in ("cor4.5", "thm4.4"):
        assert by_claim[cid]["collapse_rule_R7"].startswith("not applied")
    assert by_claim["thm4.6.eq89"]["identical_runs"] is True
    # beside each Track C word: the exact model's word for the same reading and configuration
    cfg = cl.VerifyConfig(d=60, n_clients=3, p=0.75)
    for c in out["cells"]:
        if c["claim"] in ("cor4.5", "thm4.6.eq89", "thm4.2.fl"):
            want = cl.evaluate_reading(cfg, c["claim"], c["reading"])["track_b"].verdict
            assert c["track_b_same_configuration"] == want
        if c["claim"] == "eq17":
            assert "track_b_same_configuration" not in c  # no reading to evaluate
    json.dumps(out, allow_nan=False)


def test_track_c_cells_not_run_without_the_stage():
    out = vm.track_c_cells(None)
    assert out == {
        "status": "not-run",
        "reason": "the track_c stage did not run before verdict_map",
    }
    from sims.reproduce.stages import verdict_map as stage

    assert stage.STAGE.uses == ("track_c",)


def test_track_c_rows_in_the_summaries():
    from sims.reproduce.stages import verdict_map as stage

    tc = vm.track_c_cells(_tc_row())
    fake = {"rows": {}, "track_c": tc, "n_cells": 0, "seconds": 0.0}
    text = vm.summarize(fake)
    assert "Track C (d=60, N=3, p=0.75, seeds=2):" in text and "thm4.2.fl" in text
    results = {"map": {"rows": {}, "cells": [], "rule_changes": [], "track_c": tc}}
    summary = stage.summarize(results)
    assert summary["track C thm4.2.fl"] == tc["rows"]["thm4.2.fl"]["headline"]


def test_hidden_constants_cover_every_structured_transform(monkeypatch):
    """The break-even constants of the dissimilar-CL bound are computed under every
    structure-keeping transform, not the identity alone (a rotation of the signal block makes
    Thm 4.3's bound asymptotically violated where the identity does not)."""
    from theory import constants
    from theory.structured import STRUCTURED_TRANSFORMS

    seen = {}
    fake = [
        {
            "method": "cl_dissimilar",
            "framework": "local",
            "exact_method": "cl-dissimilar",
            "transform": t,
            "label": "violated (asymptotically)"
            if t != "identity"
            else "not violated asymptotically",
            "readings": {"c_num": {"exponent": 0.6, "status": "degenerates (C* -> inf)"}},
        }
        for t in STRUCTURED_TRANSFORMS
    ]

    def all_verdicts(**kwargs):
        seen.update(kwargs)
        return fake

    monkeypatch.setattr(constants, "all_verdicts", all_verdicts)
    out = vm_compute._hidden_constants(vm.MapConfig(n_values=(3,), p_values=(0.5,)))
    assert tuple(seen["transforms"]) == STRUCTURED_TRANSFORMS
    readings = {c["reading"] for c in out["cells"]}
    assert readings == {"dissimilar-identity"} | {
        f"dissimilar-{t}" for t in STRUCTURED_TRANSFORMS if t != "identity"
    }
    assert "dissimilar-block-rotation" in out["summary"]["thm4.3.local"]
