"""Verdicts proved for all N and d (theory.symbolic.proofs) against independent computations.

The closed forms are checked against the structured exact solver and the float64 bounds at
random N, p and d; the proved word against the computed one. No test asserts which word a claim
of the paper gets.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import bounds, structured
from theory import claims as cl
from theory.claims_model import VerifyConfig
from theory.datamodel import DataModel
from theory.symbolic import proofs
from theory.symbolic import terms as t

READING = {"objective": "eq4-complementary"}


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(3, 20),
    p=st.floats(0.05, 0.95),
    log_d=st.floats(2.0, 15.0),
)
def test_eq4_rv_closed_form_against_the_structured_solver(n, p, log_d):
    """r = 1/(N - 1) off the client's axis and 1/N for FL, for every c, at random N, p, d."""
    d = max(int(10**log_d), 2 * n + 2)
    model = DataModel(d=d, n_clients=n)
    local = structured.solve(model, "mim", client=0, p=p)
    fl = structured.solve(model, "mim", weights="fl", p=p)
    r_loc = float(proofs.eq4_rv("local").subs(t.N, n))
    r_fl = float(proofs.eq4_rv("fl").subs(t.N, n))
    for opt, want, J in ((local, r_loc, range(1, n)), (fl, r_fl, range(n))):
        lo, hi = opt.rv_range(list(J))
        np.testing.assert_allclose(lo, want, rtol=1e-10)
        np.testing.assert_allclose(hi, want, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 20), p=st.floats(0.05, 0.95), log_d=st.floats(1.0, 12.0))
def test_bound_in_u_is_the_float_bound(n, p, log_d):
    """The proof's LB = 1 - C_num/(g u + C_den) equals theory.bounds.lower_bound (float64)."""
    d = 10**log_d
    for fw in ("local", "fl"):
        pr = proofs.proof_for(f"thm4.2.{fw}", READING)
        u = sp.Symbol("u", positive=True)  # u = d^(4/5)
        names = {"N": t.N, "p": t.p, "C_num": t.C_num, "C_den": t.C_den, "u": u}
        lb_u = sp.sympify(pr.forms["lower_bound_in_u"], locals=names)
        exact = float(lb_u.subs({t.N: n, t.p: p, t.C_num: 1, t.C_den: 1, u: d**0.8}))
        got = float(bounds.lower_bound("mim", fw, d=d, p=p, n=n))
        assert abs(exact - got) <= 1e-12 * max(1.0, abs(exact))


@pytest.mark.parametrize("framework", ["local", "fl"])
@pytest.mark.parametrize(
    "n,p,d", [(3, 0.75, 10**6), (7, 0.15, 400), (12, 0.5, 10**12), (20, 0.9, 50)]
)
def test_proved_word_equals_the_computed_word(framework, n, p, d):
    """Where the proof covers a cell, its word is the computed word and the cell is marked."""
    cfg = VerifyConfig(d=d, n_clients=n, p=p)
    b = cl.evaluate_reading(cfg, f"thm4.2.{framework}", READING)["track_b"]
    pr = proofs.proof_for(f"thm4.2.{framework}", READING)
    assert pr.word(n, d, p, 1.0, 1.0) == b.verdict
    assert b.numbers["verdict_basis"] == proofs.PROVED


def test_words_change_across_the_proved_threshold():
    """The proof's thresholds are where the computed word changes (d small enough to cross)."""
    pr = proofs.proof_for("thm4.2.local", READING)
    words = {pr.word(3, d, 0.5, 1.0, 1.0) for d in range(1, 6)}
    assert words == {"holds", "violated"}
    for d in range(1, 6):
        cfg = VerifyConfig(d=max(d, 8), n_clients=3, p=0.5)
        if d < 8:
            continue
        b = cl.evaluate_reading(cfg, "thm4.2.local", READING)["track_b"]
        assert b.verdict == pr.word(3, max(d, 8), 0.5, 1.0, 1.0)


def test_uncovered_cells_are_computed():
    """A reading no proof covers, a graph whose weights no closed form covers, and the bound
    variants stay computed."""
    cfg = VerifyConfig(d=400, n_clients=6, graph="paper_code", avg_degree=2.0)
    for cid, reading in (("thm4.2.decl", READING),
                         ("thm4.2.fl", {"objective": "eq3-reconstruction"})):  # fmt: skip
        b = cl.evaluate_reading(cfg, cid, reading)["track_b"]
        assert b.numbers["verdict_basis"] == proofs.COMPUTED
    theta = dataclasses.replace(cfg, fl_term="theta")
    assert cl.evaluate_reading(theta, "thm4.2.fl", READING)["track_b"].numbers["verdict_basis"] == (
        proofs.COMPUTED
    )


def test_a_disagreeing_proof_is_reported_not_applied():
    out = proofs.basis("thm4.2.fl", READING, "holds", n=4, d=10**6, p=0.75)
    assert out == {"verdict_basis": proofs.COMPUTED, "proved_word": "violated"}


def test_verify_table_marks_the_basis():
    rows = cl.evaluate(
        VerifyConfig(d=400, n_clients=6, graph="paper_code", avg_degree=2.0),
        claims=("eq17", "thm4.2.decl"),
        all_readings=False,
    )
    assert [r["verdict_basis"] for r in rows] == [proofs.PROVED, proofs.COMPUTED]
    table = cl.format_table(rows)
    assert "basis" in table.splitlines()[0] and "proved" in table.splitlines()[2]


def test_every_proof_serialises():
    for pr in proofs.proofs():
        d = pr.to_dict()
        assert d["statement"] and d["valid_for"].startswith("N >= ")


@pytest.mark.parametrize("n,d,p,rare", [(3, 400, 0.75, "class-index"), (8, 10**6, 0.15, "extra"),
                                        (13, 10**9, 0.5, "class-index")])  # fmt: skip
def test_eq2930_proof_against_the_computation(n, d, p, rare):
    """Star (hub 0) and complete graphs: the proved word is the computed one; the star's
    objective weights are the closed form the proof uses; another graph stays computed."""
    from theory import spectral, topology

    pi = spectral.objective_weights(topology.mixing_matrix("uniform", topology.star(n)))
    np.testing.assert_allclose(pi[1:], (1 / n) * (1 / n + 0.5), rtol=1e-14)
    pr = proofs.proof_for("eq29-30", {})
    for graph in ("star", "complete"):
        cfg = VerifyConfig(d=d, n_clients=n, p=p, graph=graph, rare_axis=rare)
        b = cl.evaluate_reading(cfg, "eq29-30", {})["track_b"]
        assert pr.word(n, d, p, 1.0, 1.0, graph=graph) == b.verdict
        assert b.numbers["verdict_basis"] == proofs.PROVED
    if n >= 4:  # the ring on 3 nodes is the complete graph, which the proof covers
        ring = VerifyConfig(d=d, n_clients=n, p=p, graph="ring", rare_axis=rare)
        assert cl.evaluate_reading(ring, "eq29-30", {})["track_b"].numbers["verdict_basis"] == (
            proofs.COMPUTED
        )


# --------------------------------------------------------------------------------------------
# the lemmas, derived for a symbolic N, against the structured exact solver at random N, p, d
# --------------------------------------------------------------------------------------------
from theory import spectral, topology  # noqa: E402
from theory.symbolic import lemmas  # noqa: E402


@settings(max_examples=8, deadline=None)
@given(n=st.integers(3, 20), p=st.floats(0.05, 0.95), log_d=st.floats(2.5, 14.0))
def test_star_rv_closed_form_against_the_structured_solver(n, p, log_d):
    """The star's DecL Eq. 4 optimum (uniform mixing): rank one, r_hub and r_leaf as derived."""
    d = max(int(10**log_d), 4 * n)
    w = spectral.objective_weights(topology.mixing_matrix("uniform", topology.star(n)))
    opt = structured.solve(DataModel(d=d, n_clients=n), "mim", weights=np.asarray(w), p=p)
    s = lemmas.star_rv()
    hub, leaf = float(s["r_hub"].subs(t.N, n)), float(s["r_leaf"].subs(t.N, n))
    assert opt.rank == 1
    lo, hi = opt.rv_range(list(range(n)))
    np.testing.assert_allclose(lo, hi, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lo, [hub] + [leaf] * (n - 1), rtol=1e-9, atol=1e-12)


def test_star_weights_are_the_computed_objective_weights():
    for n in (3, 4, 9, 20):
        w = spectral.objective_weights(topology.mixing_matrix("uniform", topology.star(n)))
        sw = lemmas.star_weights()
        np.testing.assert_allclose(w[0], float(sw["hub"].subs(t.N, n)), rtol=1e-14)
        np.testing.assert_allclose(w[1:], float(sw["leaf"].subs(t.N, n)), rtol=1e-14)
        a = topology.star(n)
        assert float(sw["abar"].subs(t.N, n)) == pytest.approx(a.sum(1).mean() + 1, rel=1e-14)


@settings(max_examples=6, deadline=None)
@given(n=st.integers(3, 12), seed=st.integers(0, 10**6), p=st.floats(0.1, 0.9))
def test_pi_weighted_block_against_the_population_target(n, seed, p):
    """c0(1 - pi_k - pi_l) off the diagonal of the [N] block, 0 on it, for random weights."""
    from theory.objectives import population_targets

    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(n))
    model = DataModel(d=4 * n, n_clients=n)
    X = np.tensordot(pi, population_targets(model, "mim", p=p), axes=1)[:n, :n]
    c0 = float(
        lemmas.pi_weighted_offdiag()["c0"].subs(
            {t.p: p, t.tau: model.tau, lemmas.rho: model.rare_fraction}
        )
    )
    want = c0 * (1 - pi[:, None] - pi[None, :])
    np.fill_diagonal(want, 0.0)
    np.testing.assert_allclose(X, want, rtol=1e-10, atol=1e-12 * abs(c0))


@settings(max_examples=6, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10**6), log_d=st.floats(2.5, 12.0))
def test_cl_block_rv_is_one_for_any_weights(n, seed, log_d):
    """Similar CL: r = 1 on [N] for random Eq. (1) weights (a point of the simplex, zeros
    allowed), both rare-axis readings."""
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(n))
    pi[rng.integers(n)] = 0.0
    pi /= pi.sum()
    d = max(int(10**log_d), 4 * n)
    for rare in ("class-index", "extra"):
        opt = structured.solve(DataModel(d=d, n_clients=n, rare_axis=rare), "cl", weights=pi)
        lo, hi = opt.rv_range(list(range(n)))
        np.testing.assert_allclose(np.concatenate([lo, hi]), 1.0, atol=1e-9)


def test_second_moments_against_the_population_target():
    """The role moments are the entries of one client's exact CL target E[x xT]."""
    from theory.objectives import population_targets

    model = DataModel(d=40, n_clients=4, rare_axis="extra")
    X = population_targets(model, "cl")[0]  # client 0, frequent + rare mixture
    m = lemmas.second_moments()
    vals = {k: float(e.subs({t.tau: model.tau, lemmas.mu: model.mu})) for k, e in m.items()}
    rho = model.rare_fraction
    assert X[1, 2] == pytest.approx((1 - rho) * vals["off_off2"], rel=1e-12)
    assert X[0, 1] == pytest.approx(0.0, abs=1e-15)
    assert X[1, 1] == pytest.approx((1 - rho) * vals["off_off"] + rho * model.mu**2, rel=1e-12)
    assert X[0, 0] == pytest.approx((1 - rho) * vals["own_own"] + rho * model.mu**2, rel=1e-12)
    assert np.allclose(X[:4, 4:], 0.0)


def test_all_ones_spectrum_against_numpy():
    s = lemmas.all_ones_spectrum()
    a, b, nn = s["symbols"]
    for n, av, bv in ((5, -0.3, 0.7), (9, 1.5, -0.2)):
        M = av * np.eye(n) + bv * np.ones((n, n))
        ev = np.sort(np.linalg.eigvalsh(M))
        top = float(s["top"].subs({a: av, b: bv, nn: n}))
        want = np.sort([top] + [av] * (n - 1))
        np.testing.assert_allclose(ev, want, atol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 7, 20])
def test_every_headline_claim_is_proved_on_the_grid_configuration(n):
    """The map's configuration (star, N >= 3): the proofs' words equal the computed words in
    every cell under the paper's reading (none is reported as proved_word), so the claim's
    basis is proved. Which words they are is not asserted."""
    cfg = VerifyConfig(d=10**6, n_clients=n, p=0.75, graph="star")
    rows = cl.evaluate(cfg, all_readings=False)
    for r in rows:
        assert "proved_word" not in str(r["evidence"]["track_b"]["numbers"]), r["id"]
        assert r["verdict_basis"] == proofs.PROVED, r["id"]
