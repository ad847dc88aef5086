"""The claims registry computes verdicts from evidence; these tests check the computation.

No test here asserts that a claim of the paper holds or fails: they check that every claim is
present, that the numbers behind a verdict agree with independent computations (numpy on the
dense d × d model, sympy), and that the verdict is the right function of those numbers (by
injecting bounds that must flip it).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from theory import claims as cl
from theory import claims_model, claims_track_a, objectives, solutions, solve, symbolic, topology
from theory import verdicts as vd

SMALL = cl.VerifyConfig(d=40, n_clients=4, d_sweep=(20, 40))


@pytest.fixture(scope="module")
def rows():
    return {r["id"]: r for r in cl.evaluate(SMALL)}


def test_every_claim_has_a_verdict_word_per_track(rows):
    assert tuple(rows) == cl.CLAIM_IDS
    for r in rows.values():
        assert r["track_a"] in vd.TRACK_A + ("not-run",)
        assert r["track_b"] in vd.TRACK_BC + ("not-run",)
        assert r["track_c"] == "not-run"
        for track in ("track_a", "track_b", "track_c"):
            assert r["evidence"][track]["verdict"] == r[track]
        assert set(r["readings"]) == {cl.reading_name(x) for x in cl.readings_of(r["id"])}
    json.dumps(list(rows.values()), allow_nan=False)


def test_readings_cover_every_named_value():
    from theory.claims_model import READINGS

    sizes = {dim: len(values) for dim, values in READINGS.items()}
    assert len(cl.readings_of("thm4.4")) == sizes["objective"] * sizes["cl"] * sizes["sensitivity"]
    assert len(cl.readings_of("cor4.5")) == sizes["method"] * sizes["sensitivity"]
    assert len({cl.reading_name(r) for r in cl.readings_of("thm4.4")}) == 4 * 6 * 3
    assert cl.readings_of("eq17") == [{}]
    assert cl.reading_name({"objective": "eq3-reconstruction"}) == "objective=eq3-reconstruction"


def test_bound_numbers_match_sympy_evalf(rows):
    """The Track A lower bound in the evidence is the sympy formula evaluated at the config."""
    expr = symbolic.lower_bound("mim", "local")
    want = float(
        expr.subs(
            {
                symbolic.d: SMALL.d,
                symbolic.p: sp.Rational(3, 4),
                symbolic.C_num: 1,
                symbolic.C_den: 1,
            }
        ).evalf()
    )
    got = rows["thm4.2.local"]["evidence"]["track_a"]["numbers"]["lower_bound"]
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("method", ["cl", "mim", "mim-independent", "mim-paper"])
@pytest.mark.parametrize("d", [40, 200])
def test_block_reduction_equals_the_dense_model(method, d):
    """The exact model at any d (leading block + stand-ins) equals the dense d × d computation:
    same RV on every coordinate of the leading block, same rank, same tie flag."""
    cfg = cl.VerifyConfig(d=d, n_clients=4)
    ex = claims_model._Exact(cfg)
    model = cfg.model()
    dense = objectives.population_targets(model, method, p=objectives.p_for(method, cfg.p)).mean(0)
    lam, vec = np.linalg.eigh(dense)
    order = np.argsort(lam)[::-1]
    lam, vec = lam[order], vec[:, order]
    sol = ex.solution(method, "identity", claims_model._fl_weights(4))
    thr = solve.EY_REL_TOL * np.abs(lam).max()
    keep = (np.arange(d) < model.c) & (lam > thr)
    assert sol.rank == int(keep.sum())
    tol = 2 * vd.eig_tolerance(np.abs(lam).max(), d)
    tied = bool(lam[model.c - 1] > thr and lam[model.c - 1] - lam[model.c] <= tol)
    assert sol.tied == tied
    if not tied:
        np.testing.assert_allclose(sol.rv[: 2 * 4], np.sum(vec[:, keep] ** 2, 1)[:8], atol=1e-10)
    else:  # the untied part of the block: coordinates outside the tied cluster agree
        assert np.all(sol.lo[:4] <= np.sum(vec[:, keep] ** 2, 1)[:4] + 1e-10)


def test_recon_reduction_equals_the_dense_model():
    cfg = cl.VerifyConfig(d=60, n_clients=3)
    ex = claims_model._Exact(cfg)
    uu, vu = objectives.recon_moments(cfg.model(), p=cfg.p)
    W_e, _, _ = solve.recon_optimum(uu.mean(0), vu.mean(0), cfg.model().c)
    want = solve.representability_vector(W_e)
    got = ex.solution("mim-recon", "identity", claims_model._fl_weights(3)).rv
    np.testing.assert_allclose(got[:6], want[:6], atol=1e-8)


def test_decl_uses_eq1_weights_of_the_graph(rows):
    star = topology.make_graph("star", 4)
    pi = topology.mixing_matrix("uniform", star).sum(axis=0) / 4
    got = rows["eq29-30"]["evidence"]["track_b"]["numbers"]["pi_objective"]
    np.testing.assert_allclose(got, pi, atol=1e-9)
    np.testing.assert_allclose(pi, [0.4375, 0.1875, 0.1875, 0.1875])


@pytest.mark.parametrize(
    "lb, den, expected",
    [(0.0, 1.0, "degenerate"), (1e-3, 1.0, "holds"), (0.5, -1.0, "degenerate")],
)
def test_bound_verdict_is_a_function_of_rv_and_bound(monkeypatch, lb, den, expected):
    """Inject a bound: LB = 0 is vacuous and a negative denominator invalid (both: the check is
    degenerate, R2); LB = 1e-3 holds unless an RV is that small."""
    monkeypatch.setattr(claims_track_a, "_paper_bound", lambda *a, **k: (lb, den))
    ev = cl.REGISTRY["thm4.3.fl"].track_b(SMALL, {"cl": "similar"})
    assert ev.verdict == expected
    assert ev.numbers["lower_bound"] == lb


def test_bound_verdict_flips_just_above_and_below_the_rv(monkeypatch):
    """LB just above min r (by more than the tolerance) violates, inside the tolerance is
    degenerate, just below holds."""
    monkeypatch.setattr(claims_track_a, "_paper_bound", lambda *a, **k: (0.5, 1.0))
    ev = cl.REGISTRY["thm4.2.fl"].track_b(SMALL, {"objective": "eq4-complementary"})
    r, tol = ev.numbers["min_rv"]["value"], ev.numbers["min_rv"]["tol"]
    for shift, want in ((1e3 * tol + 1e-9, "violated"), (0.0, "degenerate"), (-1e-3, "holds")):
        monkeypatch.setattr(claims_track_a, "_paper_bound", lambda *a, s=shift, **k: (r + s, 1.0))
        assert (
            cl.REGISTRY["thm4.2.fl"].track_b(SMALL, {"objective": "eq4-complementary"}).verdict
            == want
        )


def test_track_a_words_follow_r3(monkeypatch):
    monkeypatch.setattr(claims_track_a, "_paper_bound", lambda *a, **k: (1.023, -0.5))
    assert cl.REGISTRY["thm4.2.fl"].track_a(SMALL, {"objective": "eq4-complementary"}).verdict == (
        "invalid"
    )
    monkeypatch.setattr(claims_track_a, "_paper_bound", lambda *a, **k: (float("nan"), 1.0))
    assert cl.REGISTRY["thm4.2.local"].track_a(
        SMALL, {"objective": "eq4-complementary"}
    ).verdict == ("invalid")


def test_thm44_uses_tolerance_not_strict_rounding(rows):
    """Every Thm 4.4 comparison carries its tolerance (T3) next to the values, or is proved
    (T7: the CL spread over [N] is 0 by an invariant block, within a proved s = 0)."""
    numbers = rows["thm4.4"]["evidence"]["track_b"]["numbers"]  # one primary reading
    for cell in [numbers["fl"], numbers["decl"], *numbers["local"]]:
        for side in ("s_mim", "s_cl"):
            assert cell[side]["tol"] > 0 or cell[side].get("certified") is True


def test_cor45_reports_the_old_rule_beside_the_new(rows):
    cell = cl.evaluate_reading(SMALL, "cor4.5", {"method": "similar", "sensitivity": "spread-N"})
    numbers = cell["track_b"].numbers
    assert numbers["old_rule_verdict"] in ("holds", "violated")
    assert len(numbers["sweep"]) == SMALL.n_clients - 1  # paper_code degrees 1..N-2 + complete


@pytest.mark.parametrize("method", ["eq4-complementary", "similar", "dissimilar-rotation"])
@pytest.mark.parametrize("sens", ["spread-N", "spread-c", "gap"])
def test_cor45_word_is_r6_then_r7_of_its_own_sweep(method, sens):
    """The Cor 4.5 word is recomputed from the sweep it carries: R6 on (|Ā|, s), then R7 with
    the ranks by hand (a holds needs a decrease by more than the tolerance into a graph whose
    optimum has rank >= N, under the spread readings)."""
    cell = cl.evaluate_reading(SMALL, "cor4.5", {"method": method, "sensitivity": sens})
    nums = cell["track_b"].numbers
    rows = nums["sweep"]
    abar = [r["abar"] for r in rows]
    pts = [r["s"]["value"] for r in rows]
    tols = [r["s"]["tol"] for r in rows]
    ranks = [r["rank"] for r in rows]
    r6 = nums["verdict_without_r7"]
    if all("outer" not in r["s"] for r in rows):  # unique optima: R6 from the points
        assert (
            vd.trend(abar, [vd.Value.exact(x, e) for x, e in zip(pts, tols, strict=True)])[0] == r6
        )
    if r6 != "holds" or sens == "gap":
        # R13: a series constant by proof (named in "identity") is violated, else R6's word
        assert cell["track_b"].verdict == ("violated" if "identity" in nums else r6)
        assert ("identity" in nums) == vd.proved_flat(
            [vd.Value(x, (x,), x, x, e, certified=r["s"].get("certified", False))
             for x, e, r in zip(pts, tols, rows, strict=True)]
        )  # fmt: skip
        return
    n = SMALL.n_clients
    full_decrease = any(
        abar[j] > abar[i] + 1e-12 and pts[i] - pts[j] > tols[i] + tols[j] and ranks[j] >= n
        for i in range(len(rows))
        for j in range(len(rows))
    )
    assert cell["track_b"].verdict == ("holds" if full_decrease else "collapsed")


def test_not_applicable_is_not_run_but_bad_input_raises():
    cfg2 = cl.VerifyConfig(d=40, n_clients=2, graph="complete")
    cell = cl.evaluate_reading(cfg2, "cor4.5", {"method": "similar", "sensitivity": "gap"})
    assert cell["track_b"].verdict == "not-run"
    with pytest.raises(ValueError, match="^sensitivity"):
        cl.evaluate_reading(SMALL, "thm4.6", {"method": "similar", "sensitivity": "max"})
    with pytest.raises(ValueError, match="^reading"):
        cl.evaluate_reading(SMALL, "thm4.6", {"method": "similar"})


def test_track_c_evidence_is_passed_through():
    ev = cl.Evidence("violated", {"ratio": 1.3}, "injected")
    out = cl.evaluate(SMALL, claims=("thm4.6",), track_c={"thm4.6": ev}, all_readings=False)
    assert out[0]["track_c"] == "violated"
    assert out[0]["evidence"]["track_c"]["numbers"] == {"ratio": 1.3}


def test_evidence_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="verdict"):
        cl.Evidence("maybe", {})
    with pytest.raises(ValueError, match="verdict"):
        cl.Evidence("mismatch", {})


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"p": 1.5}, "p"),
        ({"d": 5, "n_clients": 4}, "d"),
        ({"n_clients": 1}, "n_clients"),
        ({"graph": "mesh"}, "graph"),
        ({"c_num": 0.0}, "c_num"),
        ({"sign": "±"}, "sign"),
        ({"graph": "random_regular"}, "degree"),
    ],
)
def test_config_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        cl.VerifyConfig(**kwargs)


def test_large_d_runs_on_the_block():
    cfg = cl.VerifyConfig(d=10**12, n_clients=4)
    out = cl.evaluate(cfg, claims=("thm4.2.fl",), all_readings=False)
    assert out[0]["track_b"] in vd.TRACK_BC
    assert claims_model._exact(cfg).m == 16


@pytest.mark.parametrize("method", ["cl", "mim", "mim-independent", "mim-paper", "mim-recon"])
def test_block_reduction_agrees_with_theory_structured_at_large_d(method):
    """Two independent exact paths at d = 1e12: this module's block reduction and
    theory.structured (eigenvalues with multiplicities). Same rank; every attained RV of the
    signal coordinates lies in structured's (min, max) over the optimal set."""
    structured = pytest.importorskip("theory.structured")
    cfg = cl.VerifyConfig(d=10**12, n_clients=4)
    sol = claims_model._exact(cfg).solution(method, "identity", claims_model._fl_weights(4))
    ref = structured.solve(cfg.model(), method, weights="fl", p=objectives.p_for(method, cfg.p))
    assert sol.rank == ref.rank
    lo, hi = ref.rv_range(range(4))
    assert np.all(sol.samples[:, :4] >= np.asarray(lo) - 1e-9)
    assert np.all(sol.samples[:, :4] <= np.asarray(hi) + 1e-9)


def test_assumption_checks_match_independent_computations():
    """theory.assumptions: A.5 ranks against numpy matrix_rank of the dense optimum, A.9
    against the trace of the transform, N-scaling against the formula, A.1 against the graph."""
    from theory import assumptions

    cfg = cl.VerifyConfig(d=40, n_clients=4)
    rows = assumptions.check(cfg, methods=("eq4-complementary", "similar", "dissimilar-sign-flip"))
    model = cfg.model()
    by = {(r["assumption"], str(r["detail"])): r for r in rows}
    for reading, method in (("eq4-complementary", "mim"), ("similar", "cl")):
        X = objectives.population_targets(model, method, p=objectives.p_for(method, cfg.p)).mean(0)
        W = solve.eckart_young_np(X, model.c)
        r = by[("A.5", f"rank W = c = {model.c} ({reading})")]
        assert r["value"]["fl"] == np.linalg.matrix_rank(W, tol=1e-6)
    H = objectives.transform("sign-flip", claims_model._exact(cfg).m, seed=0)
    a9 = [r for r in rows if r["assumption"] == "A.9"][0]
    assert a9["value"] == pytest.approx(np.trace(H[:8, :8]))
    assert a9["met"] == (np.trace(H[:8, :8]) > 0)
    ns = [r for r in rows if r["assumption"] == "N-scaling"][0]
    assert ns["value"] == pytest.approx(4 / 40**0.05)
    a1 = [r for r in rows if r["assumption"] == "A.1"][0]
    assert a1["value"]["abar"] == pytest.approx(2.5) and a1["met"]  # star(4): |A| = 4,2,2,2
    assert assumptions.summary(rows)["A.1"] == "met"


def test_bounds_are_float64_even_when_jax_defaults_to_float32():
    """The Track A numbers must not depend on the global x64 switch (T4 assumes float64)."""
    import jax

    claims_track_a._bound_values.cache_clear()
    with jax.enable_x64(False):
        lb, den = claims_track_a._paper_bound(cl.VerifyConfig(fl_term="theta"), "mim", "fl", None)
    claims_track_a._bound_values.cache_clear()
    expr = symbolic.lower_bound("mim", "fl", "+", "theta", "given")
    want = float(
        expr.subs(
            {
                symbolic.d: 400,
                symbolic.p: sp.Rational(3, 4),
                symbolic.N: 4,
                symbolic.C_num: 1,
                symbolic.C_den: 1,
                symbolic.C_F: 1,
            }
        ).evalf(30)
    )
    assert lb == pytest.approx(want, rel=1e-13)
    assert den < 0


def test_split_modules_keep_the_public_names():
    """theory.claims re-exports the names of its split modules (the same objects)."""
    from theory import claims_bounds, claims_graphs

    for name in ("VerifyConfig", "Evidence", "NotApplicable", "CLAIM_IDS", "READINGS"):
        assert getattr(cl, name) is getattr(claims_model, name)
    assert cl.REGISTRY["thm4.4"].track_b is claims_bounds._thm44_b
    assert cl.REGISTRY["cor4.5"].track_b is claims_graphs._cor45_b
    assert set(cl.REGISTRY) == set(cl.CLAIM_IDS)


@pytest.mark.parametrize("transform", ["rotation", "permutation", "sign-flip", "identity"])
@pytest.mark.parametrize("weights", ["fl", 0, "star"])
def test_dissimilar_block_model_equals_the_dense_target(transform, weights):
    """H = H_m ⊕ I_{d−m}: the block model (X_m padded with the μ² bulk) has the optimum of the
    dense d × d target: rank, tie, the solver's RV on the signal coordinates and every
    sensitivity's point and outer interval (a rotation or permutation mixes the block's
    stand-in coordinates, so the block alone would lose the bulk eigenvalue μ²)."""
    cfg = cl.VerifyConfig(d=60, n_clients=4, graph="star")
    ex = claims_model._exact(cfg)
    n, d, m = ex.n, cfg.d, ex.m
    H = np.eye(d)
    H[:m, :m] = ex.transform(transform)
    X = objectives.population_targets(cfg.model(), "cl-dissimilar", H=H)
    if weights == "fl":
        w = tuple(np.full(n, 1.0 / n).tolist())
    elif weights == "star":
        w = claims_model._graph_info(cfg)["weights"]
    else:
        w = weights
    wv = np.eye(n)[w] if isinstance(w, int) else np.asarray(w)
    dense = solutions.solve_target(np.einsum("n,nde->de", wv, X), ex.c, coords=ex.coords)
    block = ex.solution("cl-dissimilar", transform, w)
    assert (dense.rank, dense.tied) == (block.rank, block.tied)
    for sens in ("spread-N", "spread-c", "gap"):
        a, b = claims_model._sens(dense, sens, n, ex.c), claims_model._sens(block, sens, n, ex.c)
        assert a.point == pytest.approx(b.point, abs=1e-9)
        assert (a.lo, a.hi) == pytest.approx((b.lo, b.hi), abs=1e-9)


def test_the_old_positivity_rule_is_a_field_of_the_configuration_not_a_global():
    """Rule T2's threshold travels with the configuration (``positivity``; it was a module
    global switched by a context manager): at d = 1e12, N = 4 the first rule ("relative")
    drops the genuine noise eigenvalue of CL's FL target (rank 6) where the rule in force
    keeps it (rank 8), the two configurations coexist, and the JSON form leaves the rule out."""
    import dataclasses

    from theory import claims_model as cm

    new = cm.VerifyConfig(d=10**12)
    old = dataclasses.replace(new, positivity="relative")
    w = cm._fl_weights(4)
    assert cm._exact(old).solution("cl", "identity", w).rank == 6
    assert cm._exact(new).solution("cl", "identity", w).rank == 8
    assert "positivity" not in cl.config_dict(old)
    with pytest.raises(ValueError, match="positivity"):
        cm.VerifyConfig(positivity="loose")
