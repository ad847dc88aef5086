"""Exact counterexamples (theory.symbolic.witnesses) against the proofs and the float model.

Each witness is found and checked by exact substitution at an integer N; here it is checked a
second and a third way: the symbolic-N proof's word at the same configuration, and the float64
exact model's Track B cell there. No test asserts which claims have witnesses beyond what the
computation returns.
"""

from __future__ import annotations

import flint
import mpmath
import pytest
import sympy as sp

from theory import claims as cl
from theory.symbolic import proofs
from theory.symbolic import witnesses as wt


@pytest.fixture(scope="module")
def all_witnesses():
    return {w["claim"]: w for w in wt.witnesses()}


def _cfg(w: dict) -> cl.VerifyConfig:
    graph = "star" if w["N"] >= 3 else "complete"
    return cl.VerifyConfig(
        d=w["d"], n_clients=w["N"], p=float(sp.Rational(w["p"])), graph=graph,
        rare_axis="extra",
    )  # fmt: skip


def test_each_witness_agrees_with_the_proof_and_the_float_model(all_witnesses):
    for claim, w in all_witnesses.items():
        cfg = _cfg(w)
        graph = "star" if w["N"] >= 3 else "complete"
        proved = proofs.claim_word(claim, n=w["N"], d=w["d"], p=float(sp.Rational(w["p"])),
                                   graph=graph)  # fmt: skip
        if claim in ("cor4.5", "thm4.6.eq87"):  # several readings: the CL reading decides
            pr = proofs.proof_for(claim, {"method": "similar", "sensitivity": "spread-N"})
            proved = pr.word(w["N"], w["d"], 0.5, 1.0, 1.0, graph=graph)
        assert proved == "violated", claim
        rows = cl.evaluate(cfg, claims=(claim,), all_readings=False)
        assert rows[0]["track_b"] == "violated", claim


def test_witness_command_prints_one_line_per_claim(capsys):
    assert wt.main(["thm4.2.local", "thm4.4"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert [x.split(":")[0] for x in out] == ["thm4.2.local", "thm4.4"]
    assert wt.main(["thm9.9"]) == 2
    assert "claim: must be one of" in capsys.readouterr().err


def test_to_arb_encloses_mpmath():
    flint.ctx.prec = 300
    try:
        exprs = (
            sp.Rational(1, 2) - sp.sqrt(66) / 33,
            sp.sqrt(2) * sp.sqrt(3) - sp.Rational(5, 2),
            (1 + sp.sqrt(5)) ** 3 / 7,
        )
        for expr in exprs:
            ball = wt._to_arb(sp.expand(expr))
            with mpmath.workdps(120):
                ref = mpmath.mpf(sp.N(expr, 110))
                mid = mpmath.mpf(ball.mid().str(100, radius=False))
                rad = mpmath.mpf(ball.rad().str(5, radius=False))
                assert abs(ref - mid) <= rad + mpmath.mpf(10) ** -95
            assert float(ball.rad().str(5, radius=False)) < 1e-80
    finally:
        flint.ctx.prec = 53
    with pytest.raises(TypeError, match="^expr"):
        wt._to_arb(sp.sin(sp.Integer(1)))


def test_bound_witnesses_are_exactly_above_the_rv(all_witnesses):
    """LB − r at each bound witness, recomputed from its exact numbers (sympy decides the sign
    of a rational or of a + b·sqrt(c) exactly)."""
    for claim in ("thm4.2.local", "thm4.2.decl", "thm4.2.fl"):
        w = all_witnesses[claim]
        diff = sp.nsimplify(sp.sympify(w["lower_bound"]) - sp.sympify(w["rv"]))
        assert diff.is_positive, claim
