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
        u = sp.Symbol("u", positive=True)
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
    cfg = VerifyConfig(d=400, n_clients=4)
    for cid, reading in (("thm4.2.decl", READING), ("thm4.3.fl", {"cl": "similar"}),
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
        VerifyConfig(d=400, n_clients=4), claims=("eq17", "thm4.2.decl"), all_readings=False
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
    ring = VerifyConfig(d=d, n_clients=n, p=p, graph="ring", rare_axis=rare)
    assert cl.evaluate_reading(ring, "eq29-30", {})["track_b"].numbers["verdict_basis"] == (
        proofs.COMPUTED
    )
