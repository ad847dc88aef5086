"""Track D rule D3 and its minimum detectable effect, on constructed inputs.

The rule is checked against hand-made differences and results dicts (never against the
paper's claims); the MDE against a Monte Carlo of the paired rule (simulated experiments at
the computed δ) and its two computations (noncentral t, χ² integral) against each other."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sims.trackd import paper_numbers as td_paper
from sims.trackd import power as td_power
from sims.trackd import verdict_rows as td_rows
from sims.trackd import verdicts as vd

# ---------------------------------------------------------------------------------------------
# rule D3 on hand-made differences

GOOD = [0.80, 0.82, 0.81]  # trained arm
UNTRAINED = [0.50, 0.51, 0.49]  # its encoder before training


def test_d3_holds_and_violated_when_the_arms_learned():
    arms = {"mae mlp iid": GOOD, "simsiam mlp iid": [0.70, 0.71, 0.72]}
    d = vd.decide([0.05, 0.06, 0.04], arms=arms, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "holds" and d["rule"] == "D3"
    d = vd.decide([-0.05, -0.06, -0.04], arms=arms, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "violated"
    assert d["n_seeds"] == 3 and d["sd"] == pytest.approx(np.std([0.05, 0.06, 0.04], ddof=1))


def test_d3_void_names_every_arm_that_did_not_learn():
    arms = {
        "mae cnn iid": GOOD,
        "simsiam cnn label": [0.503, 0.516, 0.490],  # uplift +0.3, +0.6, +0.0 points
        "simsiam cnn iid": [0.50, 0.51, 0.49],  # uplift exactly 0
    }
    d = vd.decide([0.05, 0.06, 0.04], arms=arms, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "void"
    assert "mae cnn iid" not in d["reason"]
    u = np.array(arms["simsiam cnn label"]) - UNTRAINED
    want = f"uplift {100 * u.mean():+.1f} ± {100 * u.std(ddof=1) / math.sqrt(3):.1f} points"
    assert f"simsiam cnn label did not learn ({want})" in d["reason"]
    assert "simsiam cnn iid did not learn (uplift +0.0 ± 0.0 points)" in d["reason"]
    # a large Δ does not rescue a comparison of arms that did not learn
    d = vd.decide([0.5, 0.6, 0.4], arms=arms, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "void"


def test_d3_void_per_arm_baselines_and_chance():
    arms = {"a": GOOD, "b": [0.11, 0.10, 0.09]}  # b learned (uplift > 0) but sits at chance
    base = {"a": UNTRAINED, "b": [0.05, 0.05, 0.04]}
    d = vd.decide([0.05, 0.06, 0.04], arms=arms, untrained=base, chance=0.1)
    assert d["verdict"] == "void" and d["reason"].startswith("b not above chance")
    assert "did not learn" not in d["reason"]
    # an arm without a baseline of its own, and a run with none at all
    d = vd.decide([0.05, 0.06, 0.04], arms=arms, untrained={"b": base["b"]}, chance=0.1)
    assert "a: no untrained baseline recorded" in d["reason"] and d["verdict"] == "void"
    d = vd.decide([0.05, 0.06, 0.04], arms=arms, chance=0.1)
    assert (d["verdict"], d["reason"]) == ("void", "no untrained baseline recorded")
    with pytest.raises(ValueError, match="chance"):
        vd.decide([0.05, 0.06, 0.04], arms=arms, untrained=base)
    with pytest.raises(ValueError, match="per-seed"):
        vd.decide([0.05, 0.06], arms=arms, untrained=base, chance=0.1)


def test_d3_inconclusive_is_what_the_runs_cannot_tell():
    arms = {"a": GOOD}
    d = vd.decide([0.05, -0.05, 0.01], arms=arms, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "inconclusive" and "within" in d["reason"]
    one = 1 / 359  # a one-image tie with SE = 0: D1 read it as holds, D2 as degenerate
    d = vd.decide([one] * 3, resolution=one)
    assert d["verdict"] == "inconclusive" and d["tolerance"] == pytest.approx(one)
    assert vd.rule_d2([one] * 3, resolution=one)["verdict"] == "degenerate"
    assert vd.rule_d1([one] * 3)["verdict"] == "holds"
    d = vd.decide([0.05], arms={"a": [0.8]}, untrained=[0.5], chance=0.1)
    assert (d["verdict"], d["reason"]) == ("inconclusive", "fewer than 2 seeds")
    assert math.isnan(d["mde"]) and math.isnan(d["se"])
    assert vd.decide([0.05], arms={"a": [0.8]}, chance=0.1)["verdict"] == "void"


def test_d3_words_and_d2_word_on_a_grid():
    rng = np.random.default_rng(3)
    for _ in range(200):
        d = rng.normal(rng.normal(0, 0.02), 0.02, size=int(rng.integers(1, 6)))
        arms = {"x": rng.uniform(0.05, 0.9, d.size)}
        base = rng.uniform(0.05, 0.9, d.size)
        new = vd.decide(d, arms=arms, untrained=base, chance=0.1, resolution=1 / 359)
        old = vd.rule_d2(d, references=arms, chance=0.1, resolution=1 / 359)
        assert new["verdict"] in vd.WORDS[:-1] and old["verdict"] in vd.OLD_WORDS
        if new["verdict"] in ("holds", "violated"):  # D3 reads only where D2 read too
            assert old["verdict"] == new["verdict"]


# ---------------------------------------------------------------------------------------------
# the minimum detectable effect


def _holds_rate(delta, sd, s, r, *, n=20_000, seed=0, margin=2.0):
    """Monte Carlo of the paired rule: n experiments of S seeds, Δ_s ~ N(δ, sd²)."""
    x = np.random.default_rng(seed).normal(delta, sd, size=(n, s))
    mean = x.mean(axis=1)
    se = x.std(axis=1, ddof=1) / math.sqrt(s)
    return float(np.mean(mean > np.maximum(margin * se, r)))


@pytest.mark.parametrize(
    ("s", "sd", "r"),
    [(2, 1.0, 0.0), (3, 0.01, 0.0), (5, 0.02, 0.0), (10, 1.0, 0.0), (30, 0.5, 0.0),
     (3, 0.01, 1 / 359), (5, 0.004, 1 / 359), (3, 1.0, 0.5), (10, 1.0, 1.5)],
)  # fmt: skip
def test_mde_against_a_monte_carlo_of_the_rule(s, sd, r):
    delta = td_power.mde(sd, s, resolution=r)
    assert delta > 0
    assert _holds_rate(delta, sd, s, r) == pytest.approx(0.8, abs=0.01)
    assert td_power.holds_probability(delta, sd, s, resolution=r) == pytest.approx(0.8, abs=1e-8)
    # the rule itself (decide) on a few of the simulated experiments agrees with the oracle
    x = np.random.default_rng(1).normal(delta, sd, size=(40, s))
    for row in x:
        mean, se = row.mean(), row.std(ddof=1) / math.sqrt(s)
        if abs(abs(mean) - max(2 * se, r)) < 1e-12:
            continue
        want = "holds" if mean > max(2 * se, r) else None
        got = vd.decide(row, resolution=r)["verdict"]
        assert (got == "holds") == (want == "holds")


@pytest.mark.parametrize("power", [0.5, 0.8, 0.95])
def test_mde_power_and_margin(power):
    delta = td_power.mde(1.0, 6, power=power, margin=1.0)
    assert _holds_rate(delta, 1.0, 6, 0.0, margin=1.0) == pytest.approx(power, abs=0.01)


def test_mde_noncentral_t_and_chi2_integral_agree():
    # two independent computations: the noncentral-t root (r = 0) and the χ² integral (r > 0)
    for s in (2, 3, 5, 12):
        for sd in (0.01, 1.0):
            a = td_power.mde(sd, s)
            b = td_power.mde(sd, s, resolution=1e-9 * sd)
            assert b == pytest.approx(a, rel=1e-6)
            for delta in (0.0, 0.5 * a, a, 2 * a):
                p_nct = td_power.holds_probability(delta, sd, s)
                p_int = td_power.holds_probability(delta, sd, s, resolution=1e-12 * sd)
                assert p_int == pytest.approx(p_nct, abs=1e-7)


def test_mde_closed_cases_and_shape():
    assert td_power.mde(1.0, 1) == math.inf and td_power.holds_probability(5.0, 1.0, 1) == 0.0
    assert td_power.mde(0.0, 3) == 0.0 and td_power.mde(0.0, 3, resolution=0.01) == 0.01
    # margin 0, r = 0: P(mean > 0) = Φ(δ√S/sd), so δ = z_0.8·sd/√S
    assert td_power.mde(2.0, 4, margin=0.0) == pytest.approx(0.8416212335729143 * 2.0 / 2.0)
    ms = [td_power.mde(1.0, s) for s in range(2, 12)]
    assert all(a > b for a, b in zip(ms, ms[1:], strict=False))  # falls with S
    assert td_power.mde(3.0, 5) == pytest.approx(3 * td_power.mde(1.0, 5), rel=1e-9)  # linear in sd
    # with a resolution, at least each condition alone, above both where both bind
    alone = max(td_power.mde(1.0, 3), 0.5 + 0.8416212335729143 / math.sqrt(3))
    assert td_power.mde(1.0, 3, resolution=0.5) > alone
    for bad in ({"sd": -1.0}, {"n_seeds": 0}, {"power": 1.0}, {"resolution": -0.1}):
        args = {"sd": 1.0, "n_seeds": 3} | bad
        with pytest.raises(ValueError):
            td_power.mde(args.pop("sd"), args.pop("n_seeds"), **args)


def test_seeds_for_is_the_smallest_count():
    for sd, target, r in ((1.0, 1.0, 0.0), (0.01, 0.004, 0.0), (0.01, 0.005, 1 / 359)):
        s = td_power.seeds_for(sd, target, resolution=r)
        assert td_power.mde(sd, s, resolution=r) <= target < td_power.mde(sd, s - 1, resolution=r)
    assert td_power.seeds_for(0.0, 0.01) == 2
    with pytest.raises(ValueError, match="target"):
        td_power.seeds_for(0.01, 0.002, resolution=1 / 359)  # below one test image: never


# ---------------------------------------------------------------------------------------------
# decisions() on constructed results dicts (the experiments' contract)


def _meta(preset="default"):
    m = {"n_test": 400, "chance": 0.1, "seeds": 3}
    return m | ({"preset": preset} if preset else {})


def _table1(*, untrained=True, dead=None, preset="default"):
    """MAE drops 1 point, SimSiam 5 points (Δ = +4 points), both encoders learned."""
    jitter = np.array([0.0, 0.005, -0.005])
    acc = {
        "mae": {"cnn": {"iid": 0.80 + jitter, "label": 0.79 + jitter}},
        "simsiam": {"cnn": {"iid": 0.78 + jitter, "label": 0.73 + jitter + [0, 0.002, 0]}},
    }
    base = {m: {a: {s: [0.4, 0.41, 0.39] for s in per} for a, per in acc[m].items()} for m in acc}
    if dead is not None:  # this arm's trained accuracy equals its untrained one
        m, a, s = dead
        base[m][a][s] = list(acc[m][a][s])
    out = {"meta": _meta(preset), "acc": acc}
    return out | ({"untrained": base} if untrained else {})


def _fig2a(*, untrained=True):
    """DecL rises 1 point per unit |Ā| from 3 to 5; FL 3 points above DecL at |Ā| = 3."""
    j = np.array([0.0, 0.004, -0.003])
    acc = {"general": {"3": 0.70 + j, "5": 0.72 + j + [0, 0.001, 0]}}
    out = {"meta": _meta(), "abars": [3, 5], "acc": acc, "fl": 0.73 + j}
    return out | ({"untrained": [0.3, 0.31, 0.29]} if untrained else {})


def _fig2b(mar_gain=0.0):
    j = np.array([0.0, 0.004, -0.003])
    acc = {f: {"mae": {"1.0": 0.7 + j}, "mar": {"1.0": 0.7 + mar_gain + j}} for f in ("fl", "decl")}
    return {"meta": _meta("fast"), "alphas": [1.0], "acc": acc, "untrained": [0.3, 0.3, 0.3]}


def test_decisions_on_constructed_results():
    dec = vd.decisions({"table1": _table1(), "fig2a": _fig2a(), "fig2b": _fig2b()})
    assert set(dec) == set(vd.CLAIMS)
    assert dec["mim_vs_cl"]["verdict"] == "holds"
    assert dec["mim_vs_cl"]["mean"] == pytest.approx(0.04, abs=1e-3)
    assert dec["connectivity"]["verdict"] == "holds"
    assert dec["connectivity"]["mean"] == pytest.approx(0.01, abs=1e-3)
    assert dec["connectivity"]["resolution"] == pytest.approx(1 / 400 / 2)
    assert dec["fl_vs_decl"]["verdict"] == "holds"
    # MAR = MAE exactly: D3 cannot tell; D4 finds the paper's 3.46 points excluded
    assert dec["mar_vs_mim"]["d3_verdict"] == "inconclusive"
    assert dec["mar_vs_mim"]["verdict"] == "absent"
    for claim, d in dec.items():
        assert d["old_verdict"] in vd.OLD_WORDS and d["d1_verdict"] in vd.OLD_WORDS
        assert d["mde"] >= d["resolution"] and d["n_seeds"] == 3
        assert d["preset"] == ("fast" if claim == "mar_vs_mim" else "default")
    assert dec["mar_vs_mim"]["old_verdict"] == "degenerate"


def test_decisions_void_for_an_arm_that_did_not_learn_and_for_old_files():
    dec = vd.decisions({"table1": _table1(dead=("simsiam", "cnn", "label"))})
    d = dec["mim_vs_cl"]
    assert d["verdict"] == "void" and d["reason"].startswith("simsiam cnn label did not learn")
    assert "simsiam cnn iid" not in d["reason"]
    assert d["old_verdict"] == "holds"  # D2 never consulted the untrained encoder
    old = vd.decisions({"table1": _table1(untrained=False), "fig2a": _fig2a(untrained=False)})
    for d in old.values():
        assert (d["verdict"], d["reason"]) == ("void", "no untrained baseline recorded")
    # the preset: meta's, else the caller's
    dec = vd.decisions({"table1": _table1(preset=None)}, preset="decisive")
    assert dec["mim_vs_cl"]["preset"] == "decisive"
    assert vd.decisions({"table1": _table1(preset=None)})["mim_vs_cl"]["preset"] is None


def test_decisions_rows_carry_the_fields():
    dec = vd.decisions({"fig2a": _fig2a(), "table6": {"meta": _meta()}})  # table6: not read
    rows = td_rows.verdict_table(dec)
    by = {r["claim"]: r for r in rows}
    assert by["mim_vs_cl"]["track_d"] == "not-run" and by["mar_vs_mim"]["track_d"] == "not-run"
    r = by["fl_vs_decl"]
    for key in ("mde", "n_seeds", "preset", "old_verdict", "d1_verdict", "rule", "sd"):
        assert r[key] is not None
    assert r["rule"] == "D4" and r["agrees_with_paper"] is True and r["d3_verdict"] == "holds"
    one = td_rows.verdict_table({"mar_vs_mim": vd.decide([0.1])})[3]
    assert one["track_d"] == "inconclusive" and one["se"] is None and one["mde"] is None


def test_rule_changes_are_keyed_by_rule_id():
    ids = [c["rule"] for c in vd.RULE_CHANGES]
    assert ids == ["D1 -> D2", "D2 -> D3", "D3 -> D4"] and set(vd.RULE_WORD_KEYS) == set(ids)
    d3 = next(c for c in vd.RULE_CHANGES if c["rule"] == "D2 -> D3")
    assert "inconclusive" in d3["new_rule"] and "void" in d3["new_rule"]
    assert "degenerate" in d3["why"] and "did not learn" in d3["why"]


def test_stage_lists_the_claims_whose_word_each_change_changed():
    from sims.reproduce.stages import trackd_verdicts as stage

    rows = {"trackd_table1": {"result": _table1(dead=("simsiam", "cnn", "label"))},
            "trackd_fig2b": {"result": _fig2b()}}  # fmt: skip
    out = stage.compute(stage.Config.DEFAULT, **rows)
    by = {c["rule"]: c["changed_cells"] for c in out["rule_changes"]}
    assert set(by) == {"D1 -> D2", "D2 -> D3", "D3 -> D4"}
    assert {"reading": {"claim": "mim_vs_cl"}, "old": "holds", "new": "void", "cells": 1} in by[
        "D2 -> D3"
    ]
    assert {"reading": {"claim": "mar_vs_mim"}, "old": "degenerate", "new": "inconclusive",
            "cells": 1} in by["D2 -> D3"]  # fmt: skip
    assert by["D1 -> D2"] == []  # D1 and D2 agree on these inputs
    assert stage.STAGE.summarize(out)


# ---------------------------------------------------------------------------------------------
# the paper's effect sizes, from its tables


def test_table1_drops_are_the_printed_brackets():
    # the drops printed in brackets in Table 1 (spec/paper.md §6.2), typed by hand: L, F per set
    printed = {
        ("SimSiam", "CNN"): (1.70, 1.41, 1.11, 1.10, 0.64, 0.33),
        ("MAE", "CNN"): (0.31, 1.11, 0.09, 0.66, 0.01, 0.08),
        ("SimSiam", "ViT"): (2.82, 1.66, 5.11, 5.53, 2.11, 2.84),
        ("MAE", "ViT"): (1.70, 0.58, 1.09, 0.44, 0.44, 0.18),
    }
    for key, drops in printed.items():
        got = [row[0] - row[k] for row in td_paper.TABLE1[key].values() for k in (1, 2)]
        np.testing.assert_allclose(got, drops, atol=1e-9)


def test_paper_effect_sizes_against_hand_arithmetic():
    # drop_SimSiam − drop_MAE per cell, by hand from the brackets: CNN then ViT, C10/C100/IN, L/F
    cnn = [1.70 - 0.31, 1.41 - 1.11, 1.11 - 0.09, 1.10 - 0.66, 0.64 - 0.01, 0.33 - 0.08]
    vit = [2.82 - 1.70, 1.66 - 0.58, 5.11 - 1.09, 5.53 - 0.44, 2.11 - 0.44, 2.84 - 0.18]
    hand = cnn + vit  # 1.39 0.30 1.02 0.44 0.63 0.25 | 1.12 1.08 4.02 5.09 1.67 2.66
    d = td_paper.table1_drop_differences()
    np.testing.assert_allclose(list(d.values()), hand, atol=1e-9)
    e = td_paper.PAPER_EFFECTS
    assert e["mim_vs_cl"]["effect"] == pytest.approx(19.67 / 12 / 100)  # 1.639 points
    assert (e["mim_vs_cl"]["lo"], e["mim_vs_cl"]["hi"]) == pytest.approx((0.25, 5.09))
    assert (e["mim_vs_cl"]["smaller"], e["mim_vs_cl"]["cells"]) == (12, 12)
    # the two cells once called exceptions both satisfy the claim
    assert d[("CNN", "C10", "F")] == pytest.approx(1.41 - 1.11) and d[("CNN", "C10", "F")] > 0
    assert d[("ViT", "C10", "L")] == pytest.approx(2.82 - 1.70) and d[("ViT", "C10", "L")] > 0
    assert e["fl_vs_decl"]["effect"] == pytest.approx((52.72 - 45.34) / 100)  # 7.38 points
    assert e["connectivity"]["effect"] == pytest.approx((52.08 - 45.34) / 5 / 100)
    assert e["mar_vs_mim"]["effect"] == pytest.approx((54.91 - 51.45) / 100)  # 3.46 points
    assert e["connectivity"]["unit"] == "accuracy per unit |Ā|"
    assert "only pair of numbers" in e["connectivity"]["source"]
    for claim in vd.CLAIMS:
        assert e[claim]["source"].startswith("Table")


def test_the_count_is_computed_and_said_everywhere():
    text = td_paper.PAPER_DIRECTION["mim_vs_cl"][0]
    assert "12 of 12" in text and "11 of 12" not in text
    rows = td_rows.verdict_table({})
    assert all(r["paper_effect_source"] and r["unit"] for r in rows)
    assert rows[0]["paper_effect"] == pytest.approx(td_paper.PAPER_EFFECTS["mim_vs_cl"]["effect"])
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "track_d.md").read_text(encoding="utf-8")
    assert "11 of 12" not in doc
    for claim, digits in (("mim_vs_cl", 2), ("connectivity", 3), ("fl_vs_decl", 2),
                          ("mar_vs_mim", 2)):  # fmt: skip
        e = td_paper.PAPER_EFFECTS[claim]
        assert td_paper.points_text(e["effect"], e["unit"], digits) in doc.replace("\\|", "|")


# ---------------------------------------------------------------------------------------------
# trackd_verdicts.json: validation, the DECISIVE file, the stage


def _doc(**row_changes):
    dec = vd.decisions({"table1": _table1(), "fig2a": _fig2a(), "fig2b": _fig2b()})
    rows = td_rows.verdict_table(dec)
    rows[0] = {**rows[0], **row_changes}
    return {"rows": rows, "scale": {"table1": _meta()}, "margin": 2.0}


_LEGACY = {"claim": "connectivity", "track_d": "degenerate", "mean": 0.001, "se": 0.002,
           "n_seeds": 3, "paper": "p", "paper_scale": "s"}  # fmt: skip


@pytest.mark.parametrize(
    ("doc", "what"),
    [
        ([], "rows"),
        ({"rows": {}}, "rows"),
        ({"rows": [{"claim": "mim_vs_cl", "track_d": "holds"}]}, "paper"),
        ({"rows": [{**_LEGACY, "claim": "thm9"}]}, "claims among"),
        ({"rows": [_LEGACY, _LEGACY]}, "one row per claim"),
        (_doc(track_d="degenerate"), "verdicts holds/violated/absent/inconclusive/void"),
        (_doc(rule="D3", track_d="absent"), "verdicts holds/violated/inconclusive/void"),
        (_doc(d3_verdict="absent"), "d3_verdict among"),
        ({"rows": [{**_LEGACY, "track_d": "void"}]}, "verdicts holds/violated/degenerate"),
        (_doc(rule="D5"), "rule D4 or D3"),
        (_doc(old_verdict="void"), "old_verdict"),
        (_doc(d1_verdict=1), "d1_verdict"),
        (_doc(mean=True), "finite number mean"),
        (_doc(mean="0.1"), "finite number mean"),
        (_doc(mean=float("nan")), "finite number mean"),
        (_doc(mean=None), "finite number mean"),
        (_doc(mean=1e308), "mean in [-1, 1]"),  # an accuracy difference
        (_doc(n_seeds=0), "n_seeds"),
        (_doc(n_seeds=True), "n_seeds"),
        (_doc(n_seeds=2.5), "n_seeds"),
        (_doc(se=None), "finite number se"),
        (_doc(se=-0.1), "se in [0, 1]"),
        (_doc(mde=True), "finite number mde"),
        (_doc(mde=float("inf")), "finite number mde"),
        (_doc(mde=-1.0), "mde in [0, 1]"),
        (_doc(paper_effect="1.6"), "finite number paper_effect"),
        (_doc(tolerance=False), "finite number tolerance"),
        (_doc(preset=3), "text preset"),
        (_doc(reason=["x"]), "text reason"),
        ({**_doc(), "scale": []}, "dict 'scale'"),
        ({**_doc(), "margin": True}, "finite number margin"),
    ],
)
def test_malformed_verdicts_documents_are_one_line_errors(doc, what):
    with pytest.raises(ValueError) as err:
        td_rows.check_verdicts_doc(doc, field="trackd-results", path="x.json")
    msg = str(err.value)
    assert msg.startswith("trackd-results: must be") and what in msg and "\n" not in msg


def test_well_formed_verdicts_documents_pass():
    doc = _doc()
    got = td_rows.check_verdicts_doc(doc)
    assert list(got["rows"]) == list(vd.CLAIMS) and got["margin"] == 2.0
    # an older file (rule D2's words, no rule key, no new fields) and a one-seed row
    assert td_rows.check_verdicts_doc({"rows": [_LEGACY]})["rows"]["connectivity"]["se"] == 0.002
    one = td_rows.verdict_table({"mar_vs_mim": vd.decide([0.1])})
    assert td_rows.check_verdicts_doc({"rows": one})["rows"]["mar_vs_mim"]["se"] is None


def test_decisive_file_read_checked_or_not_run(tmp_path):
    import json

    e = td_rows.decisive_entry(str(tmp_path))
    assert e["verdict"] == "not-run" and e["command"] == vd.DECISIVE_COMMAND
    assert e["command"] == "dssl trackd --preset decisive --save figures/trackd_decisive"
    (tmp_path / vd.VERDICTS_FILE).write_text(json.dumps(_doc()))
    e = td_rows.decisive_entry(str(tmp_path))
    assert [r["claim"] for r in e["rows"]] == list(vd.CLAIMS)
    (tmp_path / vd.VERDICTS_FILE).write_text('{"rows": [], "margin": NaN}')
    with pytest.raises(ValueError, match="^decisive: must be a readable JSON"):
        td_rows.decisive_entry(str(tmp_path))
    (tmp_path / vd.VERDICTS_FILE).write_text(json.dumps(_doc(track_d="maybe")))
    with pytest.raises(ValueError, match="^decisive_dir: must be verdicts"):
        td_rows.decisive_entry(str(tmp_path), field="decisive_dir")


def test_stage_carries_the_decisive_rows_beside_default(tmp_path):
    import json

    from sims.reproduce.stages import trackd_verdicts as stage

    rows = {"trackd_table1": {"result": _table1(preset=None)}}
    cfg = stage.Config(decisive_dir=str(tmp_path))
    out = stage.compute(cfg, **rows)
    assert out["rows"][0]["preset"] == "default"  # the stage's preset: meta did not say
    assert out["decisive"]["verdict"] == "not-run"
    assert "dssl trackd --preset decisive" in stage.STAGE.summarize(out)["track D decisive"]
    fast = stage.compute(stage.Config.FAST, **rows)
    assert fast["rows"][0]["preset"] == "fast"
    dec = vd.decisions({"table1": _table1(preset="decisive")})
    (tmp_path / vd.VERDICTS_FILE).write_text(json.dumps({"rows": td_rows.verdict_table(dec)}))
    out = stage.compute(cfg, **rows)
    assert out["decisive"]["rows"][0]["preset"] == "decisive"
    text = stage.STAGE.summarize(out)
    assert text["track D decisive mim_vs_cl"].startswith("holds (D3 holds) (+0.039")
    assert "decisive" in text["track D decisive mim_vs_cl"] and "track D decisive" not in text
    assert stage.STAGE.cache is False


# ---------------------------------------------------------------------------------------------
# dssl verify's Track D column and the report's Track D table


def _write_doc(folder, doc):
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / vd.VERDICTS_FILE).write_text(json.dumps(doc))
    return folder


def _d3_doc(preset="default", **kw):
    dec = vd.decisions(
        {"table1": _table1(preset=preset, **kw), "fig2a": _fig2a(), "fig2b": _fig2b()}
    )
    for d in dec.values():
        d["preset"] = preset
    return {"rows": td_rows.verdict_table(dec), "scale": {"table1": _meta()}, "margin": 2.0}


def _verify(capsys, folder, *extra):
    import json

    from sims.cli import main

    argv = ["verify", "--d", "40", "--d-sweep", "20,40", "--trackd-results", str(folder)]
    rc = main([*argv, *extra])
    out = capsys.readouterr()
    return rc, (json.loads(out.out) if "--json" in extra and rc == 0 else out.out), out.err


def test_verify_track_d_entries_carry_d3_mde_effect_seeds_preset(capsys, tmp_path):
    folder = _write_doc(tmp_path / "figs", _d3_doc(dead=("simsiam", "cnn", "label")))
    rc, out, _ = _verify(capsys, folder, "--claims", "thm4.4,cor4.5", "--json")
    assert rc == 0
    e = out["claims"][0]["track_d"]
    assert e["verdict"] == "void" and e["reason"].startswith("simsiam cnn label did not learn")
    assert e["old_verdict"] == "holds" and e["rule"] == "D4" and e["preset"] == "default"
    assert e["d3_verdict"] == "void" and e["scale_tag"].endswith("default")
    assert e["n_seeds"] == 3 and e["mde"] > 0
    assert e["paper_effect"] == pytest.approx(td_paper.PAPER_EFFECTS["mim_vs_cl"]["effect"])
    assert e["decisive"] == {"verdict": "not-run", "command": vd.DECISIVE_COMMAND}
    mar = out["track_d_only"]["mar_vs_mim"]
    # MAR = MAE exactly: D3 cannot tell, D4 excludes the paper's effect
    assert mar["verdict"] == "absent" and mar["d3_verdict"] == "inconclusive"
    assert mar["old_verdict"] == "degenerate"
    # with the DECISIVE results beside them
    _write_doc(folder / "trackd_decisive", _d3_doc("decisive"))
    rc, out, _ = _verify(capsys, folder, "--claims", "thm4.4", "--json")
    d = out["claims"][0]["track_d"]["decisive"]
    assert d["verdict"] == "holds" and d["preset"] == "decisive" and d["n_seeds"] == 3
    assert d["source"].endswith("trackd_decisive/trackd_verdicts.json")
    # a folder of DECISIVE results read directly is not its own decisive entry
    rc, out, _ = _verify(capsys, folder / "trackd_decisive", "--claims", "thm4.4", "--json")
    assert out["claims"][0]["track_d"]["preset"] == "decisive"
    assert "decisive" not in out["claims"][0]["track_d"]


def test_verify_track_d_text_shows_the_words_mde_and_decisive(capsys, tmp_path):
    folder = _write_doc(tmp_path / "figs", _d3_doc())
    rc, text, _ = _verify(capsys, folder, "--claims", "thm4.4,thm4.6")
    assert rc == 0
    lines = text.splitlines()
    # the claims table's header (the answer table, printed first, spells "Track D")
    col = next(s for s in lines if "track D" in s).index("track D")
    mar = next(s for s in lines if s.startswith("mar(§5)"))
    assert mar[col:].split()[0] == "absent"  # a true column: a space after the word
    first = next(s for s in lines if s.lstrip().startswith("§5 MAR"))
    assert "absent (D3 inconclusive) at " in first
    assert "3 seeds" in lines[lines.index(first) + 1]
    assert "preset default, rule D4 (D2: degenerate): |mean| within" in text
    effect = td_paper.points_text(td_paper.PAPER_EFFECTS["fl_vs_decl"]["effect"])
    assert f"vs the paper's effect {effect} (Table 6" in text
    assert f"decisive: not run ({vd.DECISIVE_COMMAND})" in text
    _write_doc(folder / "trackd_decisive", _d3_doc("decisive"))
    rc, text, _ = _verify(capsys, folder, "--claims", "thm4.4")
    assert "decisive: holds (D3 holds) at " in text and "Δ = +3.93 ± " in text


@pytest.mark.parametrize(
    "doc",
    [
        _doc(track_d="degenerate"),  # a D3 row with D2's word
        _doc(mean=True),
        _doc(mde="big"),
        _doc(n_seeds=1.5),
    ],
)
def test_verify_rejects_a_malformed_d3_file(capsys, tmp_path, doc):
    folder = _write_doc(tmp_path / "figs", doc)
    rc, _, err = _verify(capsys, folder, "--claims", "thm4.4", "--json")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "trackd-results" in err
    # a malformed DECISIVE file beside a good one is refused too
    good = _write_doc(tmp_path / "good", _d3_doc())
    _write_doc(good / "trackd_decisive", doc)
    rc, _, err = _verify(capsys, good, "--claims", "thm4.4", "--json")
    assert rc == 2 and "trackd_decisive" in err and len(err.strip().splitlines()) == 1


def _report_md(td_result):
    from types import SimpleNamespace

    from sims.reproduce import report

    def row(name, result):
        empty = {"files": [], "figures": [], "summary": {}, "config": {}}
        return {"name": name, "config_hash": "0" * 12, "cached": False, "cache": True,
                "seconds": 0.1, **empty, "result": result}  # fmt: skip

    runs = [row("verify", {"config": {}, "claims": []}), row("trackd_verdicts", td_result)]
    stages = [SimpleNamespace(name="verify", figures={})]
    payload = report.build_report(runs, fast=False, stages=stages)
    return payload, report.render_markdown(payload, glossary=False)


def test_report_shows_d3_mde_beside_the_paper_and_decisive(tmp_path):
    import json

    from sims import glossary as g
    from sims.reproduce.stages import trackd_verdicts as stage

    rows = {"trackd_table1": {"result": _table1(dead=("simsiam", "cnn", "label"))},
            "trackd_fig2b": {"result": _fig2b()}}  # fmt: skip
    cfg = stage.Config(decisive_dir=str(tmp_path), paper_scale_dir=str(tmp_path / "none"))
    res = stage.compute(cfg, **rows)
    payload, md = _report_md(res)
    assert g.unknown_keys(json.loads(json.dumps(payload)), "report") == []
    assert "| `mim_vs_cl` | void | void | " in md and "·3 seeds·default |" in md
    assert "| `mar_vs_mim` | absent | inconclusive | " in md  # MAR = MAE exactly
    assert "·default): void: simsiam cnn label did not learn" in md
    effect = td_paper.points_text(td_paper.PAPER_EFFECTS["mim_vs_cl"]["effect"])
    mde = td_paper.points_text(res["rows"][0]["mde"])
    assert f"·default | 3 | +3.93 points | {mde} | " in md and f"| {effect} | Table 1" in md
    assert f"decisive: not run (`{vd.DECISIVE_COMMAND}`)" in md
    assert "| D | `void` |" in md and "| D | `inconclusive` |" in md and "| D | `absent` |" in md
    assert "**`track D (all four claims)` D2 -> D3.**" in md
    assert "| claim=mim_vs_cl | holds | void | 1 |" in md
    # the DECISIVE rows beside DEFAULT's, labelled
    _write_doc(tmp_path, _d3_doc("decisive"))
    res = stage.compute(cfg, **rows)
    _, md = _report_md(res)
    assert "| `mim_vs_cl` | holds | holds | " in md  # the DECISIVE row, at its file's scale
    assert "At scale not recorded, preset decisive: the MDE exceeds the paper's effect" in md
    assert "decisive: not run" not in md
