r"""Lemmas of the exact linear model, derived in sympy for a symbolic number of clients N.

The proofs of :mod:`theory.symbolic.proofs` rest on these lemmas; none of them is returned as a
constant. Each one is built from the samples of Section 3.2 of arXiv 2607.02447 and derived
for every N at once:

* :func:`second_moments`: the second moments of one client's sample by the *role* of the two
  coordinates (own axis :math:`e_i`, offset axis :math:`e_k` with :math:`k \in [N] \setminus \{i\}`,
  an axis outside [N]), from sympy.stats expectations of
  :math:`x = \pm e_i - \sum_{k\ne i} q_k \tau e_k + \mu\xi` (frequent classes) and
  :math:`x = e_h + \mu\xi` (rare class). A moment depends on N only through the roles, so a
  table of roles is the target for every N.
* :func:`mask_weights`: :math:`\mathbb{E}` over the Bernoulli masks of Eq. (4) (visible with
  probability :math:`1 - p`) of the complementary product: :math:`p(1 - p)` off the diagonal, 0
  on it (hollow).
* :func:`pi_weighted_offdiag`: the [N] block of :math:`\sum_i \pi_i X_i^M` with :math:`X_i^M`
  the Eq. (4) client target: :math:`c_0(1 - \pi_k - \pi_l)` off the diagonal (:math:`k \ne l`),
  0 on it, :math:`c_0 = p(1 - p)(1 - \rho)\tau^2/4`, a sympy ``Sum`` over a symbolic N with
  Kronecker deltas and :math:`\sum \pi = 1`.
* :func:`all_ones_spectrum`: the spectrum of :math:`aI + bJ` of symbolic order n:
  :math:`J^2 = nJ` (a ``Sum``), so :math:`(M - aI)(M - (a + nb)I) = 0`;
  :math:`J\mathbf{1} = n\mathbf{1}`; the multiplicities from the trace. The positive part of the
  hollow block :math:`c_0(J - I)` (:math:`c_0 > 0`, :math:`n \ge 2`) is then rank one along
  :math:`\mathbf{1}/\sqrt n` and the RV is :math:`1/n` on each of the n axes
  (:func:`hollow_rv`).
* :func:`star_weights` and :func:`star_rv`: the Eq. (1) weights of the star with the paper's
  uniform mixing (column sums of W by row class, for symbolic N) and the RV of the star's
  DecL Eq. (4) optimum: the leaf vectors of zero sum are an invariant subspace of eigenvalue
  :math:`-(1 - 2\pi_{\mathrm{leaf}}) < 0`, the rest is the :math:`2 \times 2` quotient on
  :math:`\{e_{\mathrm{hub}}, \mathbf{1}_{\mathrm{leaf}}/\sqrt{N - 1}\}`, whose determinant is
  negative, so the optimum has rank one and :math:`r_{\mathrm{hub}}`, :math:`r_{\mathrm{leaf}}`
  have closed forms.
* :func:`cl_block_bound`: the [N] block of the similar-augmentation CL target
  :math:`\sum_j \pi_j \mathbb{E}_j[x x^\top]` is invariant (no moment couples [N] to another
  axis) and dominates
  :math:`\operatorname{diag}\big((1 - \rho)[\pi_k + (\tau^2/4)(1 - \pi_k)]\big) + \mu^2 I`, so
  each of its N eigenvalues exceeds :math:`\mu^2`; outside [N] the target is diagonal with at
  most N entries above :math:`\mu^2` (the rare axes). With :math:`c \ge 2N` every optimum keeps
  the whole block: :math:`r_k = 1` on [N] exactly, for every :math:`\pi \ge 0` with
  :math:`\sum \pi = 1`.

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


@functools.lru_cache(maxsize=1)
def second_moments() -> dict:
    r"""Second moments of one client's samples by coordinate role, from sympy.stats.

    A frequent sample of client i (class :math:`2i - 1` or :math:`2i`, sign :math:`s = \pm 1`
    equally likely) has :math:`x_{\mathrm{own}} = s + \mu\xi_{\mathrm{own}}`,
    :math:`x_k = -q_k \tau + \mu\xi_k` on an offset axis :math:`k \in [N] \setminus \{i\}`,
    :math:`x_h = \mu\xi_h` on an axis h outside [N]; a rare sample has :math:`x_h = 1 + \mu\xi_h`
    on its rare axis and :math:`\mu\xi` elsewhere (Section 3.2,
    :math:`q_k \sim \mathrm{Bernoulli}(1/2)`, :math:`\xi \sim \mathcal{N}(0, I)`, all independent).

    Returns:
      dict of sympy expressions in τ, μ: ``own_own``, ``off_off`` (k = l), ``off_off2``
      (:math:`k \ne l`), ``own_off``, ``in_out`` (:math:`k \in [N]`, :math:`h \notin [N]`,
      frequent and rare samples), ``out_out`` (:math:`h \ne h'` outside [N]), ``out_rare`` (the
      rare axis, rare sample) and
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
    r""":math:`\mathbb{E}_m` of the complementary products of Eq. (4): entry (k, l) of
    :math:`\tfrac12\mathbb{E}[b a^\top + a b^\top]` with :math:`a = x \circ m`,
    :math:`b = x \circ (1 - m)`, :math:`m_k \sim \mathrm{Bernoulli}(1 - p)` independent (visible
    w.p. :math:`1 - p`).

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
    r""":math:`c_0 = p(1 - p)(1 - \rho)\tau^2/4`: the Eq. (4) client target between two offset
    axes, derived from :func:`mask_weights` and :func:`second_moments` (a rare sample has no
    product of two axes of [N] with nonzero mean; a fraction :math:`1 - \rho` of the samples is
    frequent).

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
    r"""Entry (k, l), :math:`k \ne l`, of the [N] block of :math:`\sum_i \pi_i X_i^M` for a
    symbolic N (Eq. (1)).

    Client i's block has :math:`c_0` on the pairs of its offset axes and 0 on pairs that touch its
    own axis i: :math:`c_0 \cdot \mathbf{1}(i \ne k) \cdot \mathbf{1}(i \ne l)`. The weighted sum
    :math:`\sum_{i=1}^N \pi_i c_0 (1 - \delta_{ik})(1 - \delta_{il})` is done by sympy over a
    symbolic N; with :math:`\sum \pi = 1` and :math:`k \ne l` it is :math:`c_0(1 - \pi_k - \pi_l)`.

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
    r"""Spectrum of :math:`M = aI + bJ` of symbolic order n (J the all-ones matrix),
    :math:`b \ne 0`.

    Derived, not assumed: :math:`(J^2)_{kl} = \sum_{m=1}^n 1 = n` (a sympy ``Sum``), so
    :math:`J^2 = nJ` and :math:`(M - aI)(M - (a + nb)I) = b^2(J^2 - nJ) = 0`: every eigenvalue is
    a or :math:`a + nb`. :math:`J\mathbf{1} = n\mathbf{1}` (a row sum), so :math:`\mathbf{1}` is
    an eigenvector of :math:`a + nb`; the trace
    :math:`\operatorname{tr} M = n(a + b) = m(a + nb) + (n - m)a` gives its multiplicity
    :math:`m = 1`, and a has multiplicity :math:`n - 1` (the complement of :math:`\mathbf{1}`).

    Returns:
      ``{"top": a + nb, "top_multiplicity": 1, "rest": a, "rest_multiplicity": n − 1,
      "top_vector_rv": 1/n}`` (the squared entries of the unit vector :math:`\mathbf{1}/\sqrt n`).

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
    r"""The optimum of :math:`c_0(J - I)` (order n, :math:`c_0 > 0`, :math:`n \ge 2`):
    eigenvalues :math:`c_0(n - 1)` once and :math:`-c_0` (:math:`n - 1` times), from
    :func:`all_ones_spectrum` with :math:`a = -c_0`, :math:`b = c_0`; the positive part has rank
    one along :math:`\mathbf{1}/\sqrt n`, so every optimum (any :math:`c \ge 1`) has RV
    :math:`1/n` on the n axes.

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
    r"""RV :math:`r_{i,k}`, :math:`k \ne i`, of client i's exact Eq. (4) optimum: its [N] block is
    :math:`c_0(J - I)` on the :math:`N - 1` offset axes and 0 on the own axis (the own-offset
    moment is 0, :func:`mim_client_offdiag`), and the target is 0 outside [N] (hollow, no moment
    couples [N] to another axis): :math:`1/(N - 1)` for :math:`N \ge 3` (:func:`hollow_rv` with
    :math:`n = N - 1`).

    >>> local_mim_rv()
    1/(N - 1)
    """
    return hollow_rv(t.N - 1)["rv"]


def fl_mim_rv() -> sp.Expr:
    r"""RV of the exact FL Eq. (4) optimum on [N]: with :math:`\pi_i = 1/N`,
    :func:`pi_weighted_offdiag` gives :math:`c_0(1 - 2/N) = c_0(N - 2)/N` on every pair, a hollow
    block of order N, positive for :math:`N \ge 3`: :math:`1/N` (:func:`hollow_rv`). The same for
    any DecL graph whose Eq. (1) weights are
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
    r"""Eq. (1) weights :math:`\pi_k = \frac1N \sum_i W_{ik}` of the star (hub 0, :math:`N - 1`
    leaves) with the paper's uniform mixing :math:`W_{ik} = 1/|A_i|`, for a symbolic N: the hub
    row puts :math:`1/N` on every node, a leaf row :math:`1/2` on the hub and on itself. Column
    sums by row class: the hub column gets :math:`1/N` from the hub row and :math:`1/2` from each
    of the :math:`N - 1` leaf rows; a leaf column gets :math:`1/N` from the hub row and
    :math:`1/2` from its own row. Also :math:`|\bar A| = \frac1N (N + 2(N - 1))`.

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
    r"""RV of the exact DecL Eq. (4) optimum on the star with uniform mixing, symbolic
    :math:`N \ge 3`.

    The block is :math:`c_0 M(\pi)`, :math:`M_{kl} = 1 - \pi_k - \pi_l` (:math:`k \ne l`),
    :math:`M_{kk} = 0` (:func:`pi_weighted_offdiag`). With
    :math:`\beta_0 = 1 - \pi_{\mathrm{hub}} - \pi_{\mathrm{leaf}}` (hub–leaf) and
    :math:`\gamma_0 = 1 - 2\pi_{\mathrm{leaf}}` (leaf–leaf): a leaf vector v of zero sum has
    :math:`Mv = -\gamma_0 v` (the leaf block is :math:`\gamma_0(J - I)`,
    :func:`all_ones_spectrum`, and the hub row sums v to 0); on
    :math:`\{e_{\mathrm{hub}}, u = \mathbf{1}_{\mathrm{leaf}}/\sqrt{N - 1}\}` M acts as

    $$
    B = \begin{pmatrix} 0 & \beta_0\sqrt{N - 1} \\ \beta_0\sqrt{N - 1} & \gamma_0(N - 2)
    \end{pmatrix}.
    $$

    :math:`\det B = -(N - 1)\beta_0^2 < 0` and :math:`\gamma_0 > 0`, so B has one positive
    eigenvalue :math:`\lambda_+ = (\gamma + L)/2`, :math:`L = \sqrt{\gamma^2 + 4\beta^2}`,
    :math:`\gamma = \gamma_0(N - 2)`, :math:`\beta^2 = (N - 1)\beta_0^2`, and every other
    eigenvalue of M is negative: the optimum has rank one for every :math:`c \ge 1` and its RV is
    the square of :math:`\lambda_+`'s unit eigenvector :math:`(\beta, \lambda_+)/\lVert\cdot\rVert`:
    :math:`r_{\mathrm{hub}} = \beta^2/(\beta^2 + \lambda_+^2)`,
    :math:`r_{\mathrm{leaf}} = (1 - r_{\mathrm{hub}})/(N - 1)`.

    Returns:
      dict of sympy expressions in N: ``r_hub``, ``r_leaf``, ``beta2``, ``gamma``, ``L``,
      ``lam``, ``beta0``, ``gamma0`` and ``spread``
      (:math:`r_{\mathrm{leaf}} - r_{\mathrm{hub}}`, the spread over [N] when
      :math:`r_{\mathrm{hub}} < r_{\mathrm{leaf}}`, an obligation checked by
      :mod:`theory.certify.smt`).
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
    r"""The [N] block of the similar-augmentation CL target
    :math:`\sum_j \pi_j \mathbb{E}_j[x x^\top]` and its bound.

    From :func:`second_moments`: client j's block is
    :math:`(1 - \rho)[e_j e_j^\top + (\tau^2/4)(I_{-j} + \mathbf{1}_{-j}\mathbf{1}_{-j}^\top)]`
    :math:`+ \rho R_j + \mu^2 I`, with :math:`I_{-j} = I - e_j e_j^\top`,
    :math:`\mathbf{1}_{-j}` the ones off j and :math:`R_j \succeq 0` the rare axis when it lies
    in [N]; the moments
    ``in_out`` = 0 make [N] an invariant block, and outside [N] the target is diagonal
    (``out_out`` = 0) with entries :math:`\mu^2` (``out_bulk``) plus :math:`\rho\pi_j` on client
    j's rare axis. Dropping the PSD terms :math:`\mathbf{1}_{-j}\mathbf{1}_{-j}^\top` and
    :math:`R_j`, the π-sum dominates :math:`\operatorname{diag}(\mathrm{coef}_k) + \mu^2 I` with
    :math:`\mathrm{coef}_k = (1 - \rho)[\pi_k + (\tau^2/4)(1 - \pi_k)] > 0` for
    :math:`\pi_k \in [0, 1]`: each of the N eigenvalues of the block exceeds :math:`\mu^2`, at
    most N axes outside [N] exceed :math:`\mu^2`, and an optimum of width :math:`c \ge 2N` keeps
    the whole block: :math:`r_k = 1` on [N].

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
