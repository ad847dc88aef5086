"""The verdict rules (docs/verdict_rules.md) on constructed inputs: ties, 0 vs 0, near-ties,
tied optima, trivial bounds. These test the rules, never a claim of the paper."""

from __future__ import annotations

import numpy as np
import pytest

from theory import solutions
from theory import verdicts as vd


def test_strict_comparison_of_rounding_noise_is_degenerate():
    # Thm 4.4 FL at the old default: 3.3e-16 > 0 must not be decided by rounding
    tol = vd.eig_tolerance(1.0, 400)
    assert vd.compare(3.3e-16, 0.0, ">", tol) == "degenerate"
    assert vd.compare(0.0, 0.0, ">=", 0.0) == "degenerate"  # 0 vs 0, even with zero tolerance
    assert vd.compare(0.0, 0.0, "==", 0.0) == "holds"


@pytest.mark.parametrize(
    "a, b, rel, tol, want",
    [
        (0.5, 0.1, ">", 1e-9, "holds"),
        (0.1, 0.5, ">", 1e-9, "violated"),
        (0.1 + 5e-10, 0.1, ">", 1e-9, "degenerate"),  # near-tie inside the tolerance
        (0.1 + 2e-9, 0.1, ">", 1e-9, "holds"),  # just outside
        (0.1 - 2e-9, 0.1, ">=", 1e-9, "violated"),
        (0.1, 0.2, "<", 1e-9, "holds"),
        (0.2, 0.1, "<=", 1e-9, "violated"),
        (0.1, 0.1 + 2e-9, "==", 1e-9, "violated"),
    ],
)
def test_r1_table(a, b, rel, tol, want):
    assert vd.compare(a, b, rel, tol) == want


def test_tolerance_is_sum_of_sides_by_default():
    a, b = vd.Value.exact(1.0, 0.01), vd.Value.exact(1.015, 0.01)
    assert vd.compare(a, b, "<") == "degenerate"
    assert vd.compare(a, vd.Value.exact(1.03, 0.01), "<") == "holds"


def test_track_a_words():
    assert vd.track_a(0.97, 1.0) == "informative"
    assert vd.track_a(1.023, -0.1) == "invalid"  # negative denominator (FL with theta)
    assert vd.track_a(1.023, 0.5) == "invalid"  # LB > 1
    assert vd.track_a(-0.5) == "invalid"
    assert vd.track_a(float("nan")) == "invalid"
    assert vd.track_a(0.0) == "vacuous"
    assert vd.track_a(1e-17) == "vacuous"


def test_bound_check_uses_track_a_and_tolerance():
    assert vd.bound_check(0.5, 0.9, "informative") == "violated"
    assert vd.bound_check(0.95, 0.9, "informative") == "holds"
    assert vd.bound_check(0.9 + 1e-16, 0.9, "informative") == "degenerate"
    assert vd.bound_check(0.0, 0.9, "vacuous") == "degenerate"
    with pytest.raises(ValueError, match="^track_a_word"):
        vd.bound_check(0.5, 0.9, "holds")


def test_combine_order():
    assert vd.combine(["holds", "holds"]) == "holds"
    assert vd.combine(["holds", "degenerate"]) == "degenerate"
    assert vd.combine(["degenerate", "not-unique"]) == "not-unique"
    assert vd.combine(["not-unique", "violated"]) == "violated"
    assert vd.combine([]) == "not-run"


def test_trend_flat_zero_is_degenerate_and_old_rule_differs():
    abar = [2.0, 2.5, 3.0, 4.0]
    assert vd.trend(abar, [0.0] * 4, 1e-12)[0] == "degenerate"
    # the old rule: flat CL + decreasing MIM -> "holds"
    assert vd.old_trend_rule({"cl": [0, 0, 0, 0], "mim": [0.3, 0.2, 0.1, 0.0]}) == "holds"
    word_cl = vd.trend(abar, [0, 0, 0, 0], 1e-12)[0]
    word_mim = vd.trend(abar, [0.3, 0.2, 0.1, 0.0], 1e-12)[0]
    assert vd.combine([word_cl, word_mim]) == "degenerate"


def test_trend_reports_violating_pairs_worst_first_and_ignores_equal_abar():
    word, viol = vd.trend([3.0, 3.5, 3.0, 4.0], [0.0, 0.04, 0.02, 0.01], 1e-9)
    assert word == "violated"
    # pairs by input index: (0 -> 1) +0.04 is worst; (2 -> 1) +0.02; (0 -> 3) +0.01
    assert viol[0][:2] == (0, 1) and viol[0][2] == pytest.approx(0.04)
    assert {(i, j) for i, j, _ in viol} == {(0, 1), (2, 1), (0, 3)}
    # graphs 0 and 2 have the same |Ā| and are not compared
    assert (0, 2) not in {(i, j) for i, j, _ in viol}


def test_trend_holds_needs_a_decrease_along_abar():
    # two graphs of equal |Ā| that differ, and one graph of another |Ā| between them
    abar, s = [3, 3, 4], [0.5, 0.1, 0.3]
    assert vd.trend(abar, s, 1e-9) == ("violated", [(1, 2, pytest.approx(0.2))])
    abar, s = [3, 3], [0.5, 0.1]  # no ordered pair at all: not flat, nothing decreases along |Ā|
    assert vd.trend(abar, s, 1e-9)[0] == "degenerate"
    assert vd.trend(abar, s, 1e-9, ordered_decrease=False)[0] == "holds"  # first implementation
    assert vd.trend([2, 3], [0.5, 0.1], 1e-9)[0] == "holds"


def test_trend_collapse_guard():
    ab, n = [2, 3, 4], 4
    # every decrease ends at a collapsed optimum -> collapsed (spread readings only; R13)
    assert vd.trend_collapse_guard("holds", ab, [0.3, 0.3, 0.0], [4, 4, 1], n, True) == (
        "collapsed"
    )
    assert vd.trend_collapse_guard("holds", ab, [0.3, 0.3, 0.0], [4, 4, 1], n, False) == "holds"
    # one decrease into a full-rank optimum keeps holds
    assert vd.trend_collapse_guard("holds", ab, [0.3, 0.1, 0.0], [4, 4, 1], n, True) == ("holds")
    # a decrease within the tolerance does not count
    tol = 0.25
    assert vd.trend_collapse_guard("holds", ab, [0.3, 0.1, 0.0], [4, 4, 1], n, True, tol) == (
        "collapsed"
    )
    for word in ("degenerate", "not-unique", "void"):
        assert vd.trend_collapse_guard(word, ab, [0.3, 0.3, 0.0], [1, 1, 1], n, True) == word
    # violated: guarded since R7 applies in both directions (RULE_CHANGES), not before
    up = [0.0, 0.3, 0.3]
    assert vd.trend_collapse_guard("violated", ab, up, [1, 4, 4], n, True) == "collapsed"
    assert vd.trend_collapse_guard("violated", ab, up, [4, 1, 1], n, True) == "violated"
    old = vd.trend_collapse_guard("violated", ab, up, [1, 4, 4], n, True, both_directions=False)
    assert old == "violated"
    with pytest.raises(ValueError, match="^ranks"):
        vd.trend_collapse_guard("holds", ab, [0.3, 0.3, 0.0], [4, 4], n, True)


def test_collapse_guard():
    assert vd.collapse_guard("holds", 1, 4, True) == "collapsed"
    # the spreads are guarded, the gap is not (theory.claims_model.SENSITIVITY)
    from theory.claims_model import SENSITIVITY

    assert {k: x.spread for k, x in SENSITIVITY.items()} == {
        "spread-N": True, "spread-c": True, "gap": False
    }  # fmt: skip
    with pytest.raises(ValueError, match="spread"):  # a name is truthy: refused
        vd.collapse_guard("holds", 1, 4, "gap")
    assert vd.collapse_guard("holds", 1, 4, False) == "holds"
    assert vd.collapse_guard("holds", 4, 4, True) == "holds"
    assert vd.collapse_guard("violated", 1, 4, True) == "violated"


def test_solve_target_matches_numpy_eigh_untied():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 30))
    X = A @ A.T
    sol = solutions.solve_target(X, 5)
    lam, vec = np.linalg.eigh(X)
    top = vec[:, np.argsort(lam)[::-1][:5]]
    np.testing.assert_allclose(sol.rv, np.sum(top**2, axis=1), atol=1e-12)
    assert not sol.tied and sol.rank == 5
    gap_ = np.sort(lam)[::-1][4] - np.sort(lam)[::-1][5]
    assert sol.delta_r == pytest.approx(min(1.0, 30 * vd.EPS * lam.max() / gap_) + 16 * 5 * vd.EPS)


def test_solve_target_rank_deficient_is_not_a_tie():
    X = np.diag([2.0, 1.0, 0.0, 0.0, -1.0])
    sol = solutions.solve_target(X, 3)
    assert sol.rank == 2 and not sol.tied
    np.testing.assert_allclose(sol.rv, [1, 1, 0, 0, 0], atol=1e-15)


def test_tied_optimum_per_coordinate_range_is_exact():
    # eigenvalue 1 with multiplicity 3 on e_2..e_4, c = 2: one direction from a 3-dim cluster
    X = np.diag([3.0, 1.0, 1.0, 1.0, 0.1])
    sol = solutions.solve_target(X, 2, coords=5)
    assert sol.tied
    np.testing.assert_allclose(sol.lo, [1, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(sol.hi, [1, 1, 1, 1, 0], atol=1e-12)
    # the attained samples reach both ends of each cluster coordinate
    for j in (1, 2, 3):
        assert sol.samples[:, j].max() == pytest.approx(1.0)
        assert sol.samples[:, j].min() == pytest.approx(0.0, abs=1e-12)
    # every sample is an optimum: RVs sum to c
    np.testing.assert_allclose(sol.samples.sum(1), 2.0, atol=1e-12)


def test_tie_that_decides_the_outcome_is_not_unique():
    X = np.diag([3.0, 1.0, 1.0, 1.0, 0.1])
    sol = solutions.solve_target(X, 2, coords=5)
    s_c = solutions.spread(sol, range(2))  # coords {e_1, e_2}: spread 0 (e_2 in K) .. 1 (e_2 ⊥ K)
    assert min(s_c.samples) == pytest.approx(0.0, abs=1e-12)
    assert max(s_c.samples) == pytest.approx(1.0)
    assert vd.compare(s_c, 0.5, ">") == "not-unique"
    # a comparison the tie cannot change keeps its verdict
    assert vd.compare(s_c, -0.5, ">") == "holds"
    r1 = solutions.min_rv(sol, [0])
    assert r1.unique is False or r1.point == pytest.approx(1.0)
    assert vd.compare(r1, 0.5, ">=") == "holds"


def test_spread_and_gap_values_untied():
    X = np.diag([4.0, 3.0, 2.0, 1.0])
    sol = solutions.solve_target(X, 2, coords=4)
    assert solutions.spread(sol, range(4)).point == pytest.approx(1.0)
    assert solutions.spread(sol, range(2)).point == pytest.approx(0.0, abs=1e-15)
    assert solutions.gap(sol, range(3)).point == pytest.approx(1.0)
    assert solutions.spread(sol, range(2)).unique


def test_solve_recon_matches_theory_solve():
    from theory import objectives, solve
    from theory.datamodel import DataModel

    model = DataModel(d=16, n_clients=3)
    uu, vu = objectives.recon_moments(model, p=0.75)
    W_e, _, _ = solve.recon_optimum(uu[0], vu[0], model.c)
    want = solve.representability_vector(W_e)
    got = solutions.solve_recon(uu[0], vu[0], model.c)
    np.testing.assert_allclose(got.rv, want, atol=1e-8)


@pytest.mark.parametrize("bad", [np.ones((2, 3)), np.ones(3)])
def test_solve_target_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="^X"):
        solutions.solve_target(bad, 1)
