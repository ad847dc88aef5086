"""Track D rule D4 (D3's words and ``absent``) on constructed inputs, its two one-sided
t-tests against ``scipy.stats`` and a small seeded Monte Carlo of its error rates.

Nothing here reads a paper claim: every input is made by hand or drawn from a seeded normal."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sims.trackd import power as td_power
from sims.trackd import verdicts as vd

GOOD = [0.80, 0.82, 0.81]  # a trained arm's per-seed probe accuracy
UNTRAINED = [0.50, 0.51, 0.49]  # its encoder before training
ARMS = {"mae mlp iid": GOOD, "simsiam mlp iid": [0.70, 0.71, 0.72]}


def _d4(deltas, effect=0.0164, **kw):
    return vd.decide_d4(deltas, paper_effect=effect, **kw)


# ---------------------------------------------------------------------------------------------
# the five words on constructed results


def test_absent_when_the_runs_exclude_the_paper_effect():
    d = _d4([0.001, -0.002, 0.0005], arms=ARMS, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == "absent" and d["d3_verdict"] == "inconclusive" and d["rule"] == "D4"
    assert d["tost_p"] < 0.05 and -0.0164 < d["tost_ci"][0] < d["tost_ci"][1] < 0.0164
    assert "excluded" in d["reason"] and d["excluded_beyond"] < 0.0164


def test_inconclusive_when_the_runs_cannot_tell():
    d = _d4([0.03, -0.04, 0.01])  # SE 2 points: neither direction nor absence
    assert d["verdict"] == "inconclusive" and d["d3_verdict"] == "inconclusive"
    assert d["tost_p"] >= 0.05 and d["excluded_beyond"] > 0.0164
    assert "cannot tell" in d["reason"] and "MDE" in d["reason"]


def test_holds_and_violated_are_d3s():
    up = _d4([0.05, 0.06, 0.04], arms=ARMS, untrained=UNTRAINED, chance=0.1)
    assert up["verdict"] == up["d3_verdict"] == "holds"
    down = _d4([-0.05, -0.06, -0.04], arms=ARMS, untrained=UNTRAINED, chance=0.1)
    assert down["verdict"] == down["d3_verdict"] == "violated"
    # a resolved effect in the paper's direction, smaller than the paper's, still holds
    small = _d4([0.004, 0.005, 0.0045])
    assert small["verdict"] == "holds" and small["tost_p"] < 0.05


def test_void_is_d3s_even_where_the_effect_is_excluded():
    dead = {"simsiam cnn label": [0.50, 0.51, 0.49]}  # no uplift over its untrained encoder
    d = _d4([0.001, -0.002, 0.0005], arms=dead, untrained=UNTRAINED, chance=0.1)
    assert d["verdict"] == d["d3_verdict"] == "void" and "did not learn" in d["reason"]


def test_no_absence_test_without_two_seeds_or_a_paper_effect():
    assert _d4([0.001])["verdict"] == "inconclusive" and "tost_p" not in _d4([0.001])
    for effect in (None, 0.0, -0.01, float("nan")):
        d = _d4([0.001, -0.002, 0.0005], effect=effect)
        assert d["verdict"] == "inconclusive" and "tost_p" not in d


def test_identical_differences_are_decided_without_a_t_statistic():
    d = _d4([0.0005, 0.0005, 0.0005], resolution=0.001)  # SE 0, inside one test image
    assert d["d3_verdict"] == "inconclusive" and d["verdict"] == "absent"
    assert td_power.tost([0.02, 0.02], 0.01)["p"] == 1.0


def test_bad_level_fails_with_one_line_naming_it():
    with pytest.raises(ValueError, match=r"^level: must be in \(0\.0, 0\.5\), got 0\.7$") as err:
        _d4([0.001, 0.002], level=0.7)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# the TOST against scipy


@pytest.mark.parametrize("seed", range(5))
def test_tost_matches_scipys_one_sample_t_tests(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.002 * seed, 0.004, size=3 + seed)
    b = 0.006
    got = td_power.tost(x, b)
    lo = stats.ttest_1samp(x, popmean=-b, alternative="greater").pvalue
    up = stats.ttest_1samp(x, popmean=b, alternative="less").pvalue
    assert got["p_lower"] == pytest.approx(lo, rel=1e-10)
    assert got["p_upper"] == pytest.approx(up, rel=1e-10)
    assert got["p"] == pytest.approx(max(lo, up), rel=1e-10)
    ci = stats.t.interval(0.9, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    np.testing.assert_allclose(got["ci"], ci, rtol=1e-10)
    # the smallest margin excluded: at it the larger p is the level
    edge = td_power.tost(x, got["excluded_beyond"] * (1 + 1e-9))
    assert edge["p"] == pytest.approx(0.05, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# a Monte Carlo of D4's error rates (seeded, small)


def _rates(delta, sd, s, effect, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    words = [vd.decide_d4(rng.normal(delta, sd, s), paper_effect=effect)["verdict"]
             for _ in range(n)]  # fmt: skip
    return {w: words.count(w) / n for w in set(words)}


def test_absent_is_said_at_most_at_its_level_when_the_paper_effect_is_true():
    # δ = E: an absence call is the error; TOST's size at the margin is at most 5 %
    for s in (3, 8):
        r = _rates(0.0164, 0.01, s, 0.0164, n=600, seed=s)
        assert r.get("absent", 0.0) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 600)


def test_direction_errors_at_zero_effect_are_d3s_t_rate():
    # δ = 0, no resolution: D3 (and so D4) says holds or violated iff |mean/SE| > 2, whose rate
    # is the two-sided t tail 2·P(T_{S−1} > 2)
    r = _rates(0.0, 0.01, 5, 0.0164, n=1500, seed=11)
    want = 2 * stats.t.sf(2.0, 4)
    got = r.get("holds", 0.0) + r.get("violated", 0.0)
    assert abs(got - want) <= 4 * np.sqrt(want * (1 - want) / 1500)


def test_absent_has_power_where_the_runs_are_precise():
    r = _rates(0.0, 0.003, 8, 0.0164, n=300, seed=3)  # SE ≈ 0.1 points against 1.64
    assert r.get("absent", 0.0) > 0.9
