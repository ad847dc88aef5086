"""The second, independent check of every proof: each obligation a proof of
theory.symbolic.proofs lists (a step of its sympy derivation, "assumptions => claim") is handed,
negated, to z3 (theory.certify.smt); ``unsat`` proves it. A disagreement with sympy fails here.
The obligations state steps of our derivations (positivity of derived constants, the threshold
algebra, the star's weights); none states that a claim of the paper holds.
"""

from __future__ import annotations

import pytest
import sympy as sp

from theory.certify import smt
from theory.symbolic import proofs


def _distinct():
    seen = {}
    for pr in proofs.proofs():
        for ob in pr.obligations:
            key = (ob.name, sp.srepr(ob.claim), tuple(sp.srepr(a) for a in ob.assumptions))
            seen.setdefault(key, (pr.claim, ob))
    return list(seen.values())


OBLIGATIONS = _distinct()


def test_every_proof_lists_obligations():
    assert all(pr.obligations for pr in proofs.proofs())


@pytest.mark.parametrize("claim,ob", OBLIGATIONS, ids=[f"{c}:{o.name}" for c, o in OBLIGATIONS])
def test_obligation_is_proved_by_z3(claim, ob):
    res = smt.prove(ob, timeout_ms=20000)
    assert res.status == "proved", (claim, ob.name, res)


def test_a_wrong_obligation_is_refuted():
    """The check can fail: the star's r_hub < 1/N turned around is refuted."""
    ob = next(o for _, o in OBLIGATIONS if o.name == "star: r_hub < 1/N")
    wrong = smt.Obligation("reversed", sp.Not(ob.claim), ob.assumptions)
    assert smt.prove(wrong, timeout_ms=20000).status == "refuted"
