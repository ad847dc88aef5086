"""A second, independent check of a sympy inequality: z3's ``unsat`` on its negation.

An :class:`Obligation` states "assumptions ⇒ claim" over real symbols. :func:`prove` hands
``assumptions ∧ ¬claim`` to z3's solver for quantifier-free nonlinear real arithmetic (nlsat,
complete for this fragment up to the time limit): ``unsat`` proves the statement for every real
value of the symbols, ``sat`` refutes it with a counterexample in exact rationals (or exact
algebraic numbers), anything else is ``unknown``. The sympy side and this check share nothing
but the expression: a disagreement between them is a bug in one of the two.

Conventions (each a deliberate choice):

* **Symbols are real.** A symbol's own sympy assumptions are part of the statement:
  ``positive``, ``nonnegative``, ``negative``, ``nonpositive`` and ``nonzero`` are added to the
  assumptions (the project's symbols are declared ``positive=True``,
  :mod:`theory.symbolic.terms`). An ``integer=True`` symbol is first treated as real: a proof
  over the reals is stronger and nlsat decides it. Only when the real check refutes the
  statement with a non-integer value for such a symbol is the check repeated with that symbol
  an integer (z3 ``Int``; nonlinear integer arithmetic is undecidable, so this may end
  ``unknown``), so a ``refuted`` always comes with a counterexample of the right type.
* **Division.** z3 reads :math:`x/0` as an unspecified value, so a statement with a denominator that
  can vanish would be checked against values sympy never gives it. :func:`prove` therefore
  refuses (one-line ``ValueError``) an obligation with a denominator that its assumptions do
  not prove nonzero (a separate z3 call: ``assumptions ∧ denominator = 0`` must be ``unsat``).
  State such an obligation with its denominators assumed positive, or multiplied out.
* **Input.** +, −, ×, /, integer powers, sympy Integers and Rationals, And, Or, Not, Implies,
  <, ≤, >, ≥, Eq, Ne, and Abs, Max and Min (exact in real arithmetic: z3 ``If``). Anything
  else (a Float, a non-integer power, sqrt, log, π) is a ``TypeError`` naming it.
* **Determinism.** A fresh solver per call with a fixed random seed (:data:`SEED`).
"""

from __future__ import annotations

import dataclasses
import time
from fractions import Fraction
from functools import reduce

import sympy as sp
import z3

from theory import _validate as v

#: the random seed of every solver (z3 is deterministic given the input and this seed)
SEED = 0

_RELATIONS = {
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.Equality: lambda a, b: a == b,
    sp.Unequality: lambda a, b: a != b,
}


def _unsupported(e) -> TypeError:
    return TypeError(
        f"to_z3: unsupported {type(e).__name__} in {e}: only +, -, *, /, integer powers, "
        "Integer/Rational, And/Or/Not/Implies, comparisons, Abs/Max/Min"
    )


def to_z3(expr, symbols: dict):
    """A sympy expression, relational or boolean as a z3 term of real arithmetic.

    Args:
      expr: built from +, −, ×, /, integer powers, Integer/Rational, And/Or/Not/Implies,
        <, ≤, >, ≥, Eq, Ne, Abs, Max, Min (module docstring).
      symbols: sympy Symbol → z3 variable; a symbol not in it is added as ``z3.Real(name)``,
        so the caller can read a model through it.

    Returns:
      The z3 term (``ArithRef`` or ``BoolRef``).

    Raises:
      TypeError: naming the first unsupported sub-expression.

    >>> x = sp.Symbol("x")
    >>> symbols = {}
    >>> term = to_z3(x**2 / 3 + 1 >= x, symbols)
    >>> z3.simplify(z3.substitute(term, (symbols[x], z3.RealVal(3))))
    True
    """
    return _conv(sp.sympify(expr), symbols)


def _conv(e, symbols: dict):
    if isinstance(e, sp.Symbol):
        if e not in symbols:
            symbols[e] = z3.Real(e.name)
        return symbols[e]
    if e is sp.true:
        return z3.BoolVal(True)
    if e is sp.false:
        return z3.BoolVal(False)
    if isinstance(e, sp.Rational):  # Integer included
        return z3.Q(int(e.p), int(e.q)) if e.q != 1 else z3.RealVal(int(e.p))
    if isinstance(e, sp.Add):
        return reduce(lambda a, b: a + b, (_conv(a, symbols) for a in e.args))
    if isinstance(e, sp.Mul):
        return reduce(lambda a, b: a * b, (_conv(a, symbols) for a in e.args))
    if isinstance(e, sp.Pow):
        base, exp = e.args
        if not isinstance(exp, sp.Integer):
            raise _unsupported(e)
        n = int(exp)
        b = _conv(base, symbols)
        if n == 0:
            return z3.RealVal(1)
        power = reduce(lambda a, c: a * c, [b] * abs(n))
        return power if n > 0 else 1 / power
    if type(e) in _RELATIONS:
        return _RELATIONS[type(e)](_conv(e.lhs, symbols), _conv(e.rhs, symbols))
    if isinstance(e, sp.And):
        return z3.And(*(_conv(a, symbols) for a in e.args))
    if isinstance(e, sp.Or):
        return z3.Or(*(_conv(a, symbols) for a in e.args))
    if isinstance(e, sp.Not):
        return z3.Not(_conv(e.args[0], symbols))
    if isinstance(e, sp.Implies):
        return z3.Implies(_conv(e.args[0], symbols), _conv(e.args[1], symbols))
    if isinstance(e, sp.Abs):
        a = _conv(e.args[0], symbols)
        return z3.If(a >= 0, a, -a)
    if isinstance(e, (sp.Max, sp.Min)):
        pick = (
            (lambda a, b: z3.If(a >= b, a, b))
            if isinstance(e, sp.Max)
            else (lambda a, b: z3.If(a <= b, a, b))
        )
        return reduce(pick, (_conv(a, symbols) for a in e.args))
    raise _unsupported(e)


def denominators(expr) -> list:
    r"""Every denominator of a sympy expression: the bases of its negative integer powers
    (sympy writes :math:`a/b` as :math:`a \cdot b^{-1}`), in order of appearance, without repeats.

    >>> x, y = sp.symbols("x y")
    >>> denominators(1 / x + y / (x - y) ** 2 > 1)
    [x, x - y]
    """
    out: list = []
    for e in sp.preorder_traversal(sp.sympify(expr)):
        if isinstance(e, sp.Pow) and isinstance(e.exp, sp.Integer) and e.exp < 0:
            if e.base not in out:
                out.append(e.base)
    return out


def symbol_assumptions(exprs) -> tuple:
    """The sign assumptions sympy attaches to the free symbols of ``exprs`` (positive,
    nonnegative, negative, nonpositive, nonzero), as relations, sorted by symbol name.

    >>> symbol_assumptions([sp.Symbol("p", positive=True) + sp.Symbol("q")])
    (p > 0,)
    """
    syms = set().union(*(sp.sympify(e).free_symbols for e in exprs)) if exprs else set()
    out = []
    for s in sorted(syms, key=lambda s: s.name):
        if s.is_positive:
            out.append(sp.StrictGreaterThan(s, 0, evaluate=False))
        elif s.is_negative:
            out.append(sp.StrictLessThan(s, 0, evaluate=False))
        elif s.is_nonnegative:
            out.append(sp.GreaterThan(s, 0, evaluate=False))
        elif s.is_nonpositive:
            out.append(sp.LessThan(s, 0, evaluate=False))
        elif s.is_nonzero:
            out.append(sp.Unequality(s, 0, evaluate=False))
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Obligation:
    """The statement "assumptions ⇒ claim" over real symbols (module docstring).

    Args:
      name: an id, e.g. ``"thm4.2.local.threshold"``.
      claim: a sympy boolean (a relation or a combination of relations).
      assumptions: sympy booleans; the symbols' own sign assumptions are added by
        :func:`prove`.
      note: one line: where the statement comes from (paper equation, proof step).
    """

    name: str
    claim: sp.Basic
    assumptions: tuple = ()
    note: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            v.fail_type("name", "a non-empty string", self.name)
        object.__setattr__(self, "claim", sp.sympify(self.claim))
        if isinstance(self.assumptions, (str, sp.Basic)) or not hasattr(
            self.assumptions, "__iter__"
        ):
            v.fail_type("assumptions", "a tuple of sympy booleans", self.assumptions)
        object.__setattr__(self, "assumptions", tuple(sp.sympify(a) for a in self.assumptions))


@dataclasses.dataclass(frozen=True)
class SmtResult:
    r"""The outcome of :func:`prove`.

    ``status``: ``"proved"`` (z3: ``unsat`` on
    :math:`\text{assumptions} \land \lnot\, \text{claim}`), ``"refuted"`` (``sat``;
    ``counterexample`` maps each symbol to a ``Fraction``, or to z3's exact ``root-obj`` text
    for an irrational algebraic value) or ``"unknown"`` (time limit or incompleteness; ``detail``
    says z3's reason); ``seconds``: wall time of the whole check, denominators included.
    """

    name: str
    status: str
    seconds: float
    counterexample: dict | None = None
    detail: str = ""


def _solver(timeout_ms: int, nonlinear_real: bool):
    s = z3.SolverFor("QF_NRA") if nonlinear_real else z3.Solver()
    s.set(random_seed=SEED, timeout=int(timeout_ms))
    return s


def _value(val):
    if z3.is_int_value(val):
        return Fraction(val.as_long())
    if z3.is_rational_value(val):
        return Fraction(val.numerator_as_long(), val.denominator_as_long())
    return val.sexpr()  # an irrational algebraic number, exactly


def prove(ob: Obligation, *, timeout_ms: int = 20000) -> SmtResult:
    """Decide ``ob`` with z3: proved iff ``assumptions ∧ ¬claim`` is ``unsat``.

    Args:
      ob: the obligation (or any object with its fields ``name``, ``claim``,
        ``assumptions``, e.g. the obligations listed by :mod:`theory.symbolic.proofs`).
      timeout_ms: z3's time limit per call, in milliseconds.

    Returns:
      :class:`SmtResult`.

    Raises:
      ValueError: one line, when a denominator of the claim or of an assumption is not proved
        nonzero by the assumptions (module docstring).
      TypeError: an unsupported sub-expression (:func:`to_z3`).

    >>> p = sp.Symbol("p", positive=True)
    >>> prove(Obligation("kappa<=1/2", 2 * p * (1 - p) <= sp.Rational(1, 2), (p < 1,))).status
    'proved'
    """
    if not all(hasattr(ob, a) for a in ("name", "claim", "assumptions")):
        v.fail_type("ob", "an Obligation (name, claim, assumptions)", ob)
    if not isinstance(ob, Obligation):  # another class with the same fields: read it as one
        ob = Obligation(ob.name, ob.claim, tuple(ob.assumptions), getattr(ob, "note", ""))
    timeout_ms = v.integer(timeout_ms, "timeout_ms", lo=1)
    t0 = time.perf_counter()
    hyps = (*ob.assumptions, *symbol_assumptions([ob.claim, *ob.assumptions]))
    ints = sorted(
        (s for s in ob.claim.free_symbols.union(*(h.free_symbols for h in hyps)) if s.is_integer),
        key=lambda s: s.name,
    )
    symbols: dict = {}
    h = [_conv(a, symbols) for a in hyps]
    goal = _conv(ob.claim, symbols)
    for den in denominators(sp.And(ob.claim, *hyps, evaluate=False)):
        s = _solver(timeout_ms, True)
        s.add(*h, _conv(den, symbols) == 0)
        r = s.check()
        if r != z3.unsat:
            raise ValueError(
                f"{ob.name}: denominator {den} must be proved nonzero by the assumptions "
                f"(z3 on assumptions and {den} = 0: {r}); assume it positive or multiply out"
            )
    status, cex, detail = _decide(h, goal, symbols, timeout_ms, True)
    if status == "refuted" and any(not _is_int(cex[s]) for s in ints):
        # the real counterexample is not of the integer type: ask again over the integers
        isyms = {s: (z3.ToReal(z3.Int(s.name)) if s in ints else z3.Real(s.name)) for s in symbols}
        h = [_conv(a, isyms) for a in hyps]
        status, cex, detail = _decide(h, _conv(ob.claim, isyms), isyms, timeout_ms, False)
    return SmtResult(ob.name, status, time.perf_counter() - t0, cex, detail)


def _is_int(x) -> bool:
    return isinstance(x, Fraction) and x.denominator == 1


def _decide(hyps, goal, symbols, timeout_ms, nonlinear_real):
    s = _solver(timeout_ms, nonlinear_real)
    s.add(*hyps, z3.Not(goal))
    r = s.check()
    if r == z3.unsat:
        return "proved", None, ""
    if r == z3.sat:
        m = s.model()
        cex = {k: _value(m.eval(var, model_completion=True)) for k, var in symbols.items()}
        return "refuted", cex, ""
    return "unknown", None, s.reason_unknown()
