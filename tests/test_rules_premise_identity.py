"""Rules R7 (both directions), R11 (premise A.5) and R12 (identity) of docs/verdict_rules.md, on
the exact model: each case below is a word the rules before them gave wrongly, with the old word
carried beside the new one. No test here asserts that a claim of the paper holds or fails: they
check which rule decides a word, and that the old word is kept."""

from __future__ import annotations

import numpy as np
import pytest

from theory import claims as cl
from theory import claims_model as cm
from theory import verdicts as vd

EQ4 = {"objective": "eq4-complementary"}


def _b(cfg, claim, reading):
    return cl.evaluate_reading(cfg, claim, reading)["track_b"]


@pytest.mark.parametrize("claim", ["thm4.2.local", "thm4.2.decl", "thm4.2.fl"])
def test_zero_optimum_is_void_naming_a5(claim):
    # N = 2: the Eq. 4 target is the zero matrix, the optimum W = 0 (rank 0)
    cfg = cl.VerifyConfig(n_clients=2, graph="complete", d=100)
    ev = _b(cfg, claim, EQ4)
    assert ev.verdict == "void"
    assert "Assumption A.5" in ev.numbers["void_because"]
    assert ev.numbers["verdict_without_a5"] != "void"  # the old word travels with it
    # the same claim at N = 3 has a non-zero optimum: R11 does not touch it
    ev3 = _b(cl.VerifyConfig(n_clients=3, graph="complete", d=100), claim, EQ4)
    assert ev3.verdict != "void" and "void_because" not in ev3.numbers


def test_void_ranks_below_violated_and_above_the_rest():
    assert vd.combine(["holds", "void"]) == "void"
    assert vd.combine(["degenerate", "not-unique", "void"]) == "void"
    assert vd.combine(["void", "violated"]) == "violated"
    assert vd.combine(["void", "not-run"]) == "void"


@pytest.mark.parametrize("n", range(3, 21))
def test_complete_graph_weights_are_fls_at_every_n(n):
    # the note was decided by np.array_equal on pi, true at some N only
    cfg = cl.VerifyConfig(n_clients=n, graph="complete", d=1000)
    pi = cm._graph_info(cfg, "complete", ())["weights"]
    assert vd.same_weights(pi, cm._fl_weights(n))
    ev = _b(cfg, "thm4.6.eq89", {"method": "similar", "sensitivity": "spread-c"})
    assert ev.numbers["weights_identical"] is True
    assert "by construction" in ev.note and "identity" in ev.numbers
    # one objective on both sides: the word is R12's for the relation, never not-unique
    assert ev.verdict == vd.IDENTITY_WORDS["=="]


def test_array_equal_fails_where_the_identity_holds():
    # the old decision: some N have column sums of 1/N that are not bit-equal to 1/N
    failing = []
    for n in range(3, 21):
        cfg = cl.VerifyConfig(n_clients=n, graph="complete", d=1000)
        pi = np.asarray(cm._graph_info(cfg, "complete", ())["weights"])
        if not np.array_equal(pi, np.asarray(cm._fl_weights(n))):
            failing.append(n)
    assert failing  # the defect existed; same_weights covers every N (test above)


def test_same_weights_tolerance():
    pi = np.full(7, 1 / 7)
    assert vd.same_weights(pi, pi + 4 * vd.EPS)
    assert not vd.same_weights(pi, pi + 5 * vd.EPS)
    assert not vd.same_weights(pi, pi[:-1])
    # the star's Eq. (1) weights are not FL's
    cfg = cl.VerifyConfig(n_clients=4, graph="star", d=100)
    assert not vd.same_weights(cm._graph_info(cfg)["weights"], cm._fl_weights(4))


def test_strict_claim_with_identical_sides_is_violated_naming_the_identity():
    # a ring with the uniform rule is doubly stochastic: DecL's objective is FL's
    cfg = cl.VerifyConfig(n_clients=6, graph="ring", d=1000)
    for method in ("similar", "eq4-complementary"):
        ev = _b(cfg, "thm4.6.eq87", {"method": method, "sensitivity": "spread-N"})
        assert ev.verdict == vd.IDENTITY_WORDS[">"]
        assert ev.numbers["weights_identical"] is True and "identity" in ev.numbers
        assert ev.numbers["verdict_without_identity"] in ("degenerate", "not-unique")
        ge = _b(cfg, "thm4.6", {"method": method, "sensitivity": "spread-N"})
        assert ge.verdict == vd.IDENTITY_WORDS[">="]  # >= with nothing to compare


def test_r7_guards_violated_resting_on_the_collapsed_side():
    # claim s_X > s_Y: violated means X came out more robust; X collapsed -> collapsed (R13)
    assert vd.collapse_guard("violated", 4, 4, True, other_rank=1) == "collapsed"
    assert vd.collapse_guard("violated", 4, 4, True, other_rank=4) == "violated"
    assert vd.collapse_guard("violated", 4, 4, False, other_rank=1) == "violated"
    assert vd.collapse_guard("violated", 1, 4, True) == "violated"  # the old rule


def test_trend_violation_between_collapsed_optima_is_collapsed():
    ab, s = [2, 3, 4], [0.010, 0.012, 0.011]  # bumps between rank-1 optima
    word, viol = vd.trend(ab, s, 1e-6)
    assert word == "violated" and viol
    assert vd.trend_collapse_guard(word, ab, s, [1, 1, 1], 4, True, 1e-6) == "collapsed"
    kept = vd.trend_collapse_guard(word, ab, s, [4, 1, 1], 4, True, 1e-6)
    assert kept == "violated"  # the violation starting at graph 0 (full rank) stands
    old = vd.trend_collapse_guard(word, ab, s, [1, 1, 1], 4, True, 1e-6, both_directions=False)
    assert old == "violated"


def test_cor45_violated_on_rank_one_optima_is_collapsed_with_the_old_word():
    cfg = cl.VerifyConfig(n_clients=9, p=0.15, d=1_000_000)
    ev = _b(cfg, "cor4.5", {"method": "eq4-complementary", "sensitivity": "spread-N"})
    ranks = [row["rank"] for row in ev.numbers["sweep"]]
    assert max(ranks) < 9
    # the guard made the difference (the word before it is carried beside)
    assert ev.numbers["verdict_r7_one_direction"] != ev.verdict == "collapsed"
    assert ev.numbers["verdict_before_r13"] == "degenerate"  # R13's old word, carried


def test_atlas_trend_guard_matches_the_scalar_rule():
    from theory.atlas import trend_arrays, trend_collapse_arrays

    rng = np.random.default_rng(3)
    for _ in range(200):
        k = int(rng.integers(2, 6))
        ab = rng.integers(2, 6, k).astype(float)
        s = rng.random(k) * 0.01
        ranks = rng.integers(0, 5, k)
        tol = np.full(k, 1e-4)
        w, _ = trend_arrays(ab, s, s, tol)
        ref = vd.trend_collapse_guard(vd.trend(ab, s, 2e-4)[0], ab, s, ranks, 4, True, 2e-4)
        assert trend_collapse_arrays(w, ab, s, s, tol, ranks, 4, True) == ref
