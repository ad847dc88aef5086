"""theory.certify.smt against known truths: true statements proved, false ones refuted with a
counterexample checked by exact sympy substitution, bad input refused."""

from __future__ import annotations

import pytest
import sympy as sp

from theory.certify.smt import Obligation, denominators, prove, to_z3

p = sp.Symbol("p", positive=True)
N = sp.Symbol("N", positive=True)
Ni = sp.Symbol("N", positive=True, integer=True)
x, y = sp.symbols("x y", real=True)
u, C_num, C_den = sp.symbols("u C_num C_den", positive=True)
kappa = 2 * p * (1 - p)

#: each test's z3 check must take well under a second on the project's 2-core test machine
FAST_S = 1.0


def _thm42_local_threshold() -> Obligation:
    """The Thm 4.2 (local) threshold step of theory.symbolic.proofs: above the threshold the
    bound 1 − C_num/(κu + C_den) exceeds the RV 1/(N − 1); every denominator positive."""
    threshold = ((N - 1) / (N - 2) * C_num - C_den) / kappa
    return Obligation(
        "thm4.2.local.above-threshold",
        1 - C_num / (kappa * u + C_den) > 1 / (N - 1),
        (p < 1, N >= 3, u > threshold),
        "u above the threshold implies LB > r = 1/(N-1)",
    )


#: known truths: (obligation) -> proved
TRUE = (
    Obligation("kappa<=1/2", kappa <= sp.Rational(1, 2), (p < 1,), "2p(1-p) <= 1/2"),
    Obligation("ratio>1", (N - 1) / (N - 2) > 1, (N >= 3,), "(N-1)/(N-2) > 1"),
    Obligation("am-gm", x**2 + y**2 >= 2 * x * y, (), "(x - y)^2 >= 0"),
    _thm42_local_threshold(),
)
#: known falsehoods
FALSE = (
    Obligation("kappa<=1/3", kappa <= sp.Rational(1, 3), (p < 1,), "false at p = 1/2"),
    Obligation("am-gm-3", x**2 + y**2 >= 3 * x * y, (), "false at x = y = 1"),
    Obligation("ratio>2", (N - 1) / (N - 2) > 2, (N >= 3,), "false at N = 4"),
    Obligation(
        "thm4.2.local.below",
        1 - C_num / (kappa * u + C_den) > 1 / (N - 1),
        (p < 1, N >= 3),
        "false without the threshold",
    ),
)


@pytest.mark.parametrize("ob", TRUE, ids=lambda ob: ob.name)
def test_known_truths_are_proved_fast(ob):
    res = prove(ob)
    assert res.status == "proved", res
    assert res.counterexample is None
    assert res.seconds < FAST_S, res.seconds


@pytest.mark.parametrize("ob", FALSE, ids=lambda ob: ob.name)
def test_falsehoods_are_refuted_with_an_exact_counterexample(ob):
    res = prove(ob)
    assert res.status == "refuted", res
    assert res.seconds < FAST_S, res.seconds
    subs = {s: sp.Rational(f.numerator, f.denominator) for s, f in res.counterexample.items()}
    # the counterexample satisfies every assumption, the symbols' signs, and breaks the claim
    for a in ob.assumptions:
        assert a.subs(subs) == sp.true, (a, subs)
    for s, val in subs.items():
        assert not s.is_positive or val > 0
    assert ob.claim.subs(subs) == sp.false, subs


def test_integer_symbol_gets_an_integer_counterexample_or_a_proof():
    # over the reals N = 3/2 breaks (N - 1)(N - 2) >= 0; over the integers it holds
    assert prove(Obligation("int-holds", (Ni - 1) * (Ni - 2) >= 0, (Ni >= 1,))).status == "proved"
    res = prove(Obligation("int-fails", (Ni - 1) * (Ni - 3) >= 0, (Ni >= 1,)))
    assert res.status == "refuted" and res.counterexample[Ni] == 2


def test_unsupported_input_names_the_subexpression():
    for bad in (sp.sqrt(x) > 1, x ** sp.Rational(1, 3) > 1, sp.log(p) < p, sp.Float(0.5) * x > 0):
        with pytest.raises(TypeError, match="unsupported"):
            to_z3(bad, {})
    with pytest.raises(TypeError, match="sqrt"):
        prove(Obligation("sqrt", sp.sqrt(p) <= p + 1))


def test_zero_denominator_is_refused_in_one_line():
    with pytest.raises(ValueError, match="denominator x - y") as err:
        prove(Obligation("div", 1 / (x - y) ** 2 > 0, (x >= y,)))
    assert "\n" not in str(err.value)
    # with the denominator proved nonzero by an assumption, it is accepted and proved
    assert prove(Obligation("div-ok", 1 / (x - y) ** 2 > 0, (x > y,))).status == "proved"


def test_denominators_and_symbol_map():
    assert denominators(1 / (N - 2) + p / (kappa * u + C_den)) == [N - 2, kappa * u + C_den]
    symbols: dict = {}
    to_z3(x + y > 0, symbols)
    assert set(symbols) == {x, y}
    with pytest.raises(ValueError, match="ob"):
        prove("not an obligation")


def test_an_obligation_of_another_class_with_the_same_fields_is_read():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Other:  # e.g. the obligations listed by theory.symbolic.proofs
        name: str
        claim: object
        assumptions: tuple
        note: str = ""

    assert prove(Other("am-gm", x**2 + y**2 >= 2 * x * y, ())).status == "proved"
