"""Lemmas of the exact linear model, derived in sympy for a symbolic number of clients N.

The proofs of :mod:`theory.symbolic.proofs` rest on these lemmas; none of them is returned as a
constant. Each one is built from the samples of Section 3.2 of arXiv 2607.02447 and derived
for every N at once:

* :func:`second_moments`: the second moments of one client's sample by the *role* of the two
  coordinates (own axis e_i, offset axis e_k with k ∈ [N] \\ {i}, an axis outside [N]), from
  sympy.stats expectations of x = ±e_i − Σ_{k≠i} q_k τ e_k + μξ (frequent classes) and
  x = e_h + μξ (rare class). A moment depends on N only through the roles, so a table of
  roles is the target for every N.
* :func:`mask_weights`: E over the Bernoulli masks of Eq. (4) (visible with probability
  1 − p) of the complementary product: p(1 − p) off the diagonal, 0 on it (hollow).
* :func:`pi_weighted_offdiag`: the [N] block of Σ_i π_i X_i^M with X_i^M the Eq. (4) client
  target: c₀(1 − π_k − π_l) off the diagonal (k ≠ l), 0 on it, c₀ = p(1 − p)(1 − ρ)τ²/4,
  a sympy ``Sum`` over a symbolic N with Kronecker deltas and Σ π = 1.
* :func:`all_ones_spectrum`: the spectrum of aI + bJ of symbolic order n: J² = nJ (a ``Sum``),
  so (M − aI)(M − (a + nb)I) = 0; J1 = n1; the multiplicities from the trace. The positive
  part of the hollow block c₀(J − I) (c₀ > 0, n ≥ 2) is then rank one along 1/√n and the RV is
  1/n on each of the n axes (:func:`hollow_rv`).
* :func:`star_weights` and :func:`star_rv`: the Eq. (1) weights of the star with the paper's
  uniform mixing (column sums of W by row class, for symbolic N) and the RV of the star's
  DecL Eq. (4) optimum: the leaf vectors of zero sum are an invariant subspace of eigenvalue
  −(1 − 2π_leaf) < 0, the rest is the 2 × 2 quotient on {e_hub, 1_leaf/√(N − 1)}, whose
  determinant is negative, so the optimum has rank one and r_hub, r_leaf have closed forms.
* :func:`cl_block_bound`: the [N] block of the similar-augmentation CL target Σ_j π_j E_j[xxᵀ]
  is invariant (no moment couples [N] to another axis) and dominates
  diag((1 − ρ)[π_k + (τ²/4)(1 − π_k)]) + μ²I, so each of its N eigenvalues exceeds μ²; outside
  [N] the target is diagonal with at most N entries above μ² (the rare axes). With c ≥ 2N
  every optimum keeps the whole block: r_k = 1 on [N] exactly, for every π ≥ 0 with Σ π = 1.

Every lemma returns its closed forms and the obligations (sympy statements "assumptions ⇒
claim") that :mod:`theory.certify.smt` checks a second way.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy import stats

from theory.symbolic import terms as t

#: the data-model symbols (τ = d^{1/5}, μ = d^{-1/5} in the paper; free here, positive)
mu = sp.Symbol("mu", positive=True)
rho = sp.Symbol("rho", nonnegative=True)  # rare fraction of a client's samples, 0 <= rho < 1
#: integer symbols for sums over clients (t.N is the real-valued N of the bounds)
_n_int = sp.Symbol("N", integer=True, positive=True)
_i, _k, _l, _m = sp.symbols("i k l m", integer=True, positive=True)
_pi = sp.IndexedBase("pi")


def _to_real_n(expr: sp.Expr) -> sp.Expr:
    return expr.subs(_n_int, t.N)


@functools.lru_cache(maxsize=1)
def second_moments() -> dict:
    """Second moments of one client's samples by coordinate role, from sympy.stats.

    A frequent sample of client i (class 2i − 1 or 2i, sign s = ±1 equally likely) has
    x_own = s + μξ_own, x_k = −q_k τ + μξ_k on an offset axis k ∈ [N] \\ {i}, x_h = μξ_h on an
    axis h outside [N]; a rare sample has x_h = 1 + μξ_h on its rare axis and μξ elsewhere
    (Section 3.2, q_k ~ Bernoulli(1/2), ξ ~ N(0, I), all independent).

    Returns:
      dict of sympy expressions in τ, μ: ``own_own``, ``off_off`` (k = l), ``off_off2``
      (k ≠ l), ``own_off``, ``in_out`` (k ∈ [N], h ∉ [N], frequent and rare samples),
      ``out_out`` (h ≠ h' outside [N]), ``out_rare`` (the rare axis, rare sample) and
      ``out_bulk`` (an axis outside [N], frequent sample).

    Example:
      >>> m = second_moments()
      >>> m["off_off2"], m["own_off"], m["in_out"], m["off_off"]
      (tau**2/4, 0, 0, mu**2 + tau**2/2)
    """
    b = stats.Bernoulli("b", sp.Rational(1, 2))  # class sign s = 2b - 1
    q1 = stats.Bernoulli("q1", sp.Rational(1, 2))
    q2 = stats.Bernoulli("q2", sp.Rational(1, 2))
    xi = [stats.Normal(f"xi{j}", 0, 1) for j in range(5)]
    tau = t.tau
    own = (2 * b - 1) + mu * xi[0]
    off1 = -q1 * tau + mu * xi[1]
    off2 = -q2 * tau + mu * xi[2]
    out1, out2 = mu * xi[3], mu * xi[4]
    rare = 1 + mu * xi[3]  # the rare axis of a rare sample
    rare_in = mu * xi[1]  # an axis of [N] in a rare sample

    def E(expr):
        return sp.simplify(stats.E(sp.expand(expr)))

    moments = {
        "own_own": E(own * own),
        "off_off": E(off1 * off1),
        "off_off2": E(off1 * off2),
        "own_off": E(own * off1),
        "in_out": sp.simplify(E(off1 * out1) + E(own * out1) + E(rare_in * rare)),
        "out_out": E(out1 * out2),
        "out_rare": E(rare * rare),
        "out_bulk": E(out1 * out1),
    }
    return moments


@functools.lru_cache(maxsize=1)
def mask_weights() -> dict:
    """E_m of the complementary products of Eq. (4): entry (k, l) of ½E[b aᵀ + a bᵀ] with
    a = x∘m, b = x∘(1 − m), m_k ~ Bernoulli(1 − p) independent (visible w.p. 1 − p).

    Returns:
      ``{"diag": 0, "offdiag": p(1 − p)}`` as sympy expressions.

    Example:
      >>> mask_weights()
      {'diag': 0, 'offdiag': p*(1 - p)}
    """
    p = t.p
    mk = stats.Bernoulli("mk", 1 - p)
    ml = stats.Bernoulli("ml", 1 - p)
    diag = sp.simplify(stats.E((1 - mk) * mk))
    off = stats.E(sp.Rational(1, 2) * ((1 - mk) * ml + mk * (1 - ml)))
    readable = p * (1 - p)
    if sp.simplify(off - readable) != 0:
        raise AssertionError(f"the complementary mask weight is not p(1 - p): {off}")
    return {"diag": diag, "offdiag": readable}


def mim_client_offdiag() -> sp.Expr:
    """c₀ = p(1 − p)(1 − ρ)τ²/4: the Eq. (4) client target between two offset axes, derived
    from :func:`mask_weights` and :func:`second_moments` (a rare sample has no product of two
    axes of [N] with nonzero mean; a fraction 1 − ρ of the samples is frequent).

    >>> mim_client_offdiag()
    p*tau**2*(1 - p)*(1 - rho)/4
    """
    m = second_moments()
    w = mask_weights()["offdiag"]
    rare_pair = sp.Integer(0)  # E[x_k x_l] of a rare sample on [N]: μ²E[ξ_k ξ_l] = 0, k ≠ l
    c0 = w * ((1 - rho) * m["off_off2"] + rho * rare_pair)
    own_pair = w * (1 - rho) * m["own_off"]
    if own_pair != 0:
        raise AssertionError(f"the own-offset entry is not zero: {own_pair}")
    readable = t.p * (1 - t.p) * (1 - rho) * t.tau**2 / 4
    if sp.simplify(c0 - readable) != 0:
        raise AssertionError(f"c0 is not p(1-p)(1-rho)tau^2/4: {c0}")
    return readable


@functools.lru_cache(maxsize=1)
def pi_weighted_offdiag() -> dict:
    """Entry (k, l), k ≠ l, of the [N] block of Σ_i π_i X_i^M for a symbolic N (Eq. (1)).

    Client i's block has c₀ on the pairs of its offset axes and 0 on pairs that touch its own
    axis i: c₀·𝟙(i ≠ k)·𝟙(i ≠ l). The weighted sum Σ_{i=1}^N π_i c₀(1 − δ_ik)(1 − δ_il) is done by
    sympy over a symbolic N; with Σ π = 1 and k ≠ l it is c₀(1 − π_k − π_l).

    Returns:
      ``{"entry": c₀(1 − π_k − π_l), "c0": c₀, "sum": the raw Sum's value}``.
    """
    c0 = mim_client_offdiag()
    s = sp.Sum(
        _pi[_i] * (1 - sp.KroneckerDelta(_i, _k)) * (1 - sp.KroneckerDelta(_i, _l)),
        (_i, 1, _n_int),
    ).doit()
    # k, l in [N], k != l, and Σ π = 1
    s = s.subs({sp.KroneckerDelta(_k, _l): 0}) if isinstance(s, sp.Expr) else s
    s = sp.piecewise_fold(s)
    if isinstance(s, sp.Piecewise):
        s = s.args[0][0]  # the branch k <= N and l <= N
    s = s.subs(sp.KroneckerDelta(_k, _l), 0)
    total = sp.Sum(_pi[_i], (_i, 1, _n_int))
    entry = sp.expand(s.subs(total, 1))
    want = 1 - _pi[_k] - _pi[_l]
    if sp.simplify(entry - want) != 0:
        raise AssertionError(f"the weighted offset sum is not 1 - pi_k - pi_l: {entry}")
    return {"entry": c0 * entry, "c0": c0, "sum": entry}


@functools.lru_cache(maxsize=4)
def all_ones_spectrum(n: sp.Expr | None = None) -> dict:
    """Spectrum of M = aI + bJ of symbolic order n (J the all-ones matrix), b ≠ 0.

    Derived, not assumed: (J²)_kl = Σ_{m=1}^n 1 = n (a sympy ``Sum``), so J² = nJ and
    (M − aI)(M − (a + nb)I) = b²(J² − nJ) = 0: every eigenvalue is a or a + nb. J1 = n1 (a row
    sum), so 1 is an eigenvector of a + nb; the trace tr M = n(a + b) = m(a + nb) + (n − m)a
    gives its multiplicity m = 1, and a has multiplicity n − 1 (the complement of 1).

    Returns:
      ``{"top": a + nb, "top_multiplicity": 1, "rest": a, "rest_multiplicity": n − 1,
      "top_vector_rv": 1/n}`` (the squared entries of the unit vector 1/√n).

    Example:
      >>> s = all_ones_spectrum()
      >>> s["top"], s["top_multiplicity"], s["rest_multiplicity"], s["top_vector_rv"]
      (a + b*n, 1, n - 1, 1/n)
    """
    a, b = sp.symbols("a b", real=True)
    n = sp.Symbol("n", integer=True, positive=True) if n is None else n
    j2 = sp.Sum(1, (_m, 1, n)).doit()  # (J²)_kl

    # in the algebra span{I, J}: x = (x_I, x_J), product (a1, b1)(a2, b2) =
    # (a1 a2, a1 b2 + a2 b1 + j2 b1 b2) since J² = j2 J
    def mul(x, y):
        return (x[0] * y[0], x[0] * y[1] + y[0] * x[1] + j2 * x[1] * y[1])

    lam = a + j2 * b
    prod = mul((0, b), (a - lam, b))  # (M − aI)(M − λI)
    if any(sp.simplify(c) != 0 for c in prod):
        raise AssertionError(f"(M - aI)(M - (a+nb)I) is not zero: {prod}")
    row_sum = sp.Sum(1, (_m, 1, n)).doit()  # J1 = n 1
    if sp.simplify(a + b * row_sum - lam) != 0:
        raise AssertionError("1 is not an eigenvector of a + nb")
    m = sp.Symbol("m")
    sol = sp.solve(sp.Eq(n * (a + b), m * lam + (n - m) * a), m)
    if sol != [1]:
        raise AssertionError(f"the multiplicity of a + nb is not 1: {sol}")
    norm2 = sp.Sum(1, (_m, 1, n)).doit()  # ‖1‖²
    return {
        "top": sp.expand(lam),
        "top_multiplicity": sol[0],
        "rest": a,
        "rest_multiplicity": n - sol[0],
        "top_vector_rv": 1 / norm2,
        "symbols": (a, b, n),
    }


def hollow_rv(n: sp.Expr) -> dict:
    """The optimum of c₀(J − I) (order n, c₀ > 0, n ≥ 2): eigenvalues c₀(n − 1) once and −c₀
    (n − 1 times), from :func:`all_ones_spectrum` with a = −c₀, b = c₀; the positive part has
    rank one along 1/√n, so every optimum (any c ≥ 1) has RV 1/n on the n axes.

    >>> hollow_rv(sp.Symbol("N") - 1)["rv"]
    1/(N - 1)
    """
    s = all_ones_spectrum()
    a, b, nn = s["symbols"]
    c0 = sp.Symbol("c0", positive=True)
    top = s["top"].subs({a: -c0, b: c0, nn: n})
    rest = s["rest"].subs({a: -c0, b: c0})
    return {
        "top": sp.factor(top),
        "rest": rest,
        "rv": s["top_vector_rv"].subs(nn, n),
        "positive_part_rank_one_iff": sp.factor(top) > 0,
    }


def local_mim_rv() -> sp.Expr:
    """RV r_{i,k}, k ≠ i, of client i's exact Eq. (4) optimum: its [N] block is c₀(J − I) on
    the N − 1 offset axes and 0 on the own axis (the own-offset moment is 0,
    :func:`mim_client_offdiag`), and the target is 0 outside [N] (hollow, no moment couples
    [N] to another axis): 1/(N − 1) for N ≥ 3 (:func:`hollow_rv` with n = N − 1).

    >>> local_mim_rv()
    1/(N - 1)
    """
    return hollow_rv(t.N - 1)["rv"]


def fl_mim_rv() -> sp.Expr:
    """RV of the exact FL Eq. (4) optimum on [N]: with π_i = 1/N, :func:`pi_weighted_offdiag`
    gives c₀(1 − 2/N) = c₀(N − 2)/N on every pair, a hollow block of order N, positive for
    N ≥ 3: 1/N (:func:`hollow_rv`). The same for any DecL graph whose Eq. (1) weights are
    uniform (a regular graph with uniform mixing, any doubly stochastic W).

    >>> fl_mim_rv()
    1/N
    """
    entry = pi_weighted_offdiag()["sum"].subs({_pi[_k]: 1 / t.N, _pi[_l]: 1 / t.N})
    if sp.simplify(entry - (t.N - 2) / t.N) != 0:
        raise AssertionError(f"the FL offset weight is not (N-2)/N: {entry}")
    return hollow_rv(t.N)["rv"]


@functools.lru_cache(maxsize=1)
def star_weights() -> dict:
    """Eq. (1) weights π_k = (1/N) Σ_i W_ik of the star (hub 0, N − 1 leaves) with the paper's
    uniform mixing W_ik = 1/|A_i|, for a symbolic N: the hub row puts 1/N on every node, a leaf
    row 1/2 on the hub and on itself. Column sums by row class: the hub column gets 1/N from
    the hub row and 1/2 from each of the N − 1 leaf rows; a leaf column gets 1/N from the hub
    row and 1/2 from its own row. Also |Ā| = (1/N)(N + 2(N − 1)).

    >>> w = star_weights()
    >>> sp.factor(w["hub"]), sp.factor(w["leaf"]), sp.factor(w["abar"])
    ((N**2 - N + 2)/(2*N**2), (N + 2)/(2*N**2), (3*N - 2)/N)
    """
    N = t.N
    hub_row, leaf_row = 1 / N, sp.Rational(1, 2)
    leaves = sp.Sum(leaf_row, (_m, 1, _n_int - 1)).doit().subs(_n_int, N)
    hub = (hub_row + leaves) / N
    leaf = (hub_row + leaf_row) / N
    total = sp.simplify(hub + (N - 1) * leaf)
    if total != 1:
        raise AssertionError(f"the star's weights do not sum to 1: {total}")
    abar = (N + 2 * (N - 1)) / N
    return {"hub": sp.simplify(hub), "leaf": sp.simplify(leaf), "abar": sp.simplify(abar)}


@functools.lru_cache(maxsize=1)
def star_rv() -> dict:
    """RV of the exact DecL Eq. (4) optimum on the star with uniform mixing, symbolic N ≥ 3.

    The block is c₀M(π), M_kl = 1 − π_k − π_l (k ≠ l), M_kk = 0 (:func:`pi_weighted_offdiag`).
    With β₀ = 1 − π_hub − π_leaf (hub–leaf) and γ₀ = 1 − 2π_leaf (leaf–leaf): a leaf vector v
    of zero sum has Mv = −γ₀v (the leaf block is γ₀(J − I), :func:`all_ones_spectrum`, and the
    hub row sums v to 0); on {e_hub, u = 1_leaf/√(N − 1)} M acts as
    B = [[0, β₀√(N − 1)], [β₀√(N − 1), γ₀(N − 2)]]. det B = −(N − 1)β₀² < 0 and γ₀ > 0, so B
    has one positive eigenvalue λ₊ = (γ + L)/2, L = √(γ² + 4β²), γ = γ₀(N − 2),
    β² = (N − 1)β₀², and every other eigenvalue of M is negative: the optimum has rank one for
    every c ≥ 1 and its RV is the square of λ₊'s unit eigenvector (β, λ₊)/‖·‖:
    r_hub = β²/(β² + λ₊²), r_leaf = (1 − r_hub)/(N − 1).

    Returns:
      dict of sympy expressions in N: ``r_hub``, ``r_leaf``, ``beta2``, ``gamma``, ``L``,
      ``lam``, ``beta0``, ``gamma0`` and ``spread`` (r_leaf − r_hub, the spread over [N] when
      r_hub < r_leaf, an obligation checked by :mod:`theory.certify.smt`).
    """
    N = t.N
    w = star_weights()
    beta0 = sp.simplify(1 - w["hub"] - w["leaf"])
    gamma0 = sp.simplify(1 - 2 * w["leaf"])
    # the quotient on {e_hub, u}: derive the action of M on e_hub and on u
    beta = beta0 * sp.sqrt(N - 1)
    gamma = sp.simplify(gamma0 * (N - 2))  # γ₀(J − I) on N − 1 leaves applied to 1: γ₀(N − 2)
    leaf_top = all_ones_spectrum()
    a, b, nn = leaf_top["symbols"]
    if sp.simplify(leaf_top["top"].subs({a: -gamma0, b: gamma0, nn: N - 1}) - gamma) != 0:
        raise AssertionError("the leaf block does not map 1_leaf to gamma0 (N - 2) 1_leaf")
    B = sp.Matrix([[0, beta], [beta, gamma]])
    det = sp.factor(B.det())
    beta2 = sp.simplify(beta**2)
    # λ₊ = (γ + L)/2 with L the positive root of L² = γ² + 4β²: reduce modulo that relation
    Ls, lam_s = sp.Symbol("L", positive=True), sp.Symbol("lam")
    relation = Ls**2 - (gamma**2 + 4 * beta2)
    charpoly = sp.expand((B - lam_s * sp.eye(2)).det().subs(lam_s, (gamma + Ls) / 2))
    if sp.simplify(sp.rem(sp.expand(charpoly), relation, Ls)) != 0:
        raise AssertionError("(gamma + L)/2 is not a root of B's characteristic polynomial")
    resid = (B - (gamma + Ls) / 2 * sp.eye(2)) * sp.Matrix([beta, (gamma + Ls) / 2])
    if any(sp.simplify(sp.rem(sp.expand(x * sp.sqrt(N - 1)), relation, Ls)) != 0 for x in resid):
        raise AssertionError("(beta, lambda) is not an eigenvector of B")
    if sp.simplify(det + (N - 1) * beta0**2) != 0:
        raise AssertionError(f"det B is not -(N - 1) beta0^2: {det}")
    L = sp.sqrt(gamma**2 + 4 * beta2)
    lam = (gamma + L) / 2
    r_hub = beta2 / (beta2 + lam**2)
    r_leaf = (1 - r_hub) / (N - 1)
    return {
        "r_hub": r_hub,
        "r_leaf": r_leaf,
        "beta0": beta0,
        "gamma0": gamma0,
        "beta2": beta2,
        "gamma": gamma,
        "L": L,
        "lam": lam,
        "det": det,
        "spread": r_leaf - r_hub,
        "abar": w["abar"],
    }


def cl_block_bound() -> dict:
    """The [N] block of the similar-augmentation CL target Σ_j π_j E_j[xxᵀ] and its bound.

    From :func:`second_moments`: client j's block is (1 − ρ)[e_j e_jᵀ + (τ²/4)(I_{−j} +
    1_{−j}1_{−j}ᵀ)] + ρR_j + μ²I, with I_{−j} = I − e_j e_jᵀ, 1_{−j} the ones off j and R_j ⪰ 0
    the rare axis when it lies in [N]; the moments ``in_out`` = 0 make [N] an invariant block,
    and outside [N] the target is diagonal (``out_out`` = 0) with entries μ² (``out_bulk``)
    plus ρπ_j on client j's rare axis. Dropping the PSD terms 1_{−j}1_{−j}ᵀ and R_j, the π-sum
    dominates diag(coef_k) + μ²I with coef_k = (1 − ρ)[π_k + (τ²/4)(1 − π_k)] > 0 for
    π_k ∈ [0, 1]: each of the N eigenvalues of the block exceeds μ², at most N axes outside
    [N] exceed μ², and an optimum of width c ≥ 2N keeps the whole block: r_k = 1 on [N].

    Returns:
      ``{"coef": coef_k (in π_k), "moments": the moments used}``.
    """
    m = second_moments()
    for key in ("in_out", "out_out", "own_off"):
        if m[key] != 0:
            raise AssertionError(f"the CL block is not invariant: {key} = {m[key]}")
    if (
        sp.simplify(m["off_off2"] - t.tau**2 / 4) != 0
        or sp.simplify(m["off_off"] - (t.tau**2 / 2 + mu**2)) != 0
        or sp.simplify(m["own_own"] - (1 + mu**2)) != 0
    ):
        raise AssertionError(f"unexpected moments: {m}")
    pk = sp.Symbol("pi_k", nonnegative=True)
    # diagonal of client j's block minus mu^2 and minus the PSD offset rank-one term tau^2/4:
    # own axis (1 - rho)·1, an offset axis (1 - rho)(tau^2/2 - tau^2/4) = (1 - rho) tau^2/4
    own = (1 - rho) * (m["own_own"] - mu**2)
    off = (1 - rho) * (m["off_off"] - mu**2 - m["off_off2"])
    coef = sp.expand(pk * own + (1 - pk) * off)
    return {"coef": coef, "pi_k": pk, "moments": m}
