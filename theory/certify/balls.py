r"""Certified numbers in ball arithmetic (python-flint ``arb``): eigenvalues, the consensus rate
of a mixing matrix, its stationary distribution and the representability vector of an
Eckart–Young optimum, each an enclosure with a rigorous radius.

Input is exact: a sympy Matrix of Rationals, a list of lists of ``fractions.Fraction``/int, a
``flint.fmpq_mat``, or a float64 NumPy array, converted **exactly** (a binary float is a dyadic
rational; 0.1 is :math:`3602879701896397/2^{55}`, not 1/10). The numbers certified are those of
the matrix given: pass exact rationals where the matrix is rational (:func:`exact_mixing` builds
the mixing matrices of :mod:`theory.topology` exactly). A symmetric matrix with irrational
entries (:math:`\tau^2 = d^{2/5}`) is given as a ball matrix that contains it: a
``flint.arb_mat``, or better a function ``prec -> arb_mat`` (e.g. built with
``arb(d) ** (arb(2) / 5)``) so that a higher working precision also narrows the input; exact
ties and the inertia (below) then cannot be decided, and such a case stays ``NotCertified``.

Each function starts at ``prec`` bits (default :data:`DEFAULT_PREC`) and doubles the working
precision up to ``max_prec`` (:data:`MAX_PREC`) until the answer is certified: every ball has
radius at most ``radius`` (:data:`RADIUS`) times max(1, the largest magnitude), and, for
:func:`top_rv`, the optimum is proved unique. It returns a :class:`Certified` (``value``: arb
balls) or a :class:`NotCertified` with the reason (``"not certified at 2048 bits: ..."``, or
a proved tie), never an exception for an undecided case, so a caller can count them.

**Symmetric eigenvalues** (:func:`eigenvalues`). An approximate orthonormal eigenbasis Q of
the symmetric A (NumPy ``eigh``, refined to the working precision by the Ogita–Aishima
iteration, which needs only matrix products and handles multiple eigenvalues; T. Ogita and
K. Aishima, Japan J. Indust. Appl. Math. 35 (2018) 1007–1035) is then *verified* in ball
arithmetic, so its quality matters for the radius only:

1. :math:`\alpha \ge \lVert Q^\top Q - I\rVert_2` (a Frobenius bound of the ball matrix). If
   :math:`\alpha < 1`, Q is nonsingular.
2. :math:`B = Q^\top A Q` (balls) is symmetric; :math:`\Lambda` = the midpoints of its diagonal,
   :math:`e \ge \lVert B - \operatorname{diag}\Lambda\rVert_2`. Weyl:
   :math:`|\lambda_i(B) - \Lambda_{(i)}| \le e`, with :math:`\Lambda_{(i)}` the i-th largest of
   :math:`\Lambda`.
3. Ostrowski (Horn & Johnson, Thm 4.5.9): :math:`\lambda_i(Q^\top A Q) = \theta_i \lambda_i(A)`
   with
   :math:`\theta_i \in [\sigma_{\min}(Q)^2, \sigma_{\max}(Q)^2] \subset [1 - \alpha, 1 + \alpha]`.
   Hence :math:`\lambda_i(A) \in [\Lambda_{(i)} \pm e] \cdot [1/(1 + \alpha), 1/(1 - \alpha)]`.

The enclosures are sorted (the i-th ball holds the i-th largest eigenvalue) and valid for
every multiplicity: a repeated eigenvalue is not a special case.

**Reversible mixing matrices.** A row-stochastic W with stationary π (exact, fmpq) and
detailed balance :math:`\pi_i W_{ij} = \pi_j W_{ji}`, checked exactly (every rule of
:mod:`theory.topology` but ``exponential_mixing``; the paper's uniform
:math:`W = D^{-1}(\mathrm{Adj} + I)` has :math:`\pi_i \propto |A_i|`) is similar to the
symmetric :math:`S = D_\pi^{1/2} W D_\pi^{-1/2}`, :math:`S_{ij} = \pi_i W_{ij}/\sqrt{\pi_i \pi_j}`:
S is built in balls from the exact symmetric numerators :math:`\pi_i W_{ij}`, so its ball matrix
contains the exact S, and the method above encloses W's (real) eigenvalues. A W that is not
reversible gets ``NotCertified``: its
eigenvalues need not be real.

A ball is valid at any precision, but a ball built from a decimal or a rational at flint's
default 53 bits is 1e-16 wide: build the values you compare with a certified enclosure
inside ``flint.ctx.workprec(...)`` at the enclosure's precision or above.

Ball arithmetic is rigorous: every operation returns a ball containing the exact result, so
an enclosure computed from exact input contains the exact number. A ball says nothing
sharper than its radius: two equal numbers give overlapping balls, never a proof of equality
(that is the job of :mod:`theory.symbolic` and :mod:`theory.certify.smt`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx, fmpq, fmpq_mat, fmpz

from theory import _validate as v

#: first working precision (bits)
DEFAULT_PREC = 128
#: the largest working precision tried before giving up (bits)
MAX_PREC = 2048
#: the largest radius of a certified ball, relative to max(1, the largest magnitude)
RADIUS = 1e-30
#: Ogita–Aishima refinement steps at most per precision (each squares the error)
_MAX_STEPS = 12


@dataclasses.dataclass(frozen=True)
class Certified:
    """A certified answer: ``value`` (an arb ball or a tuple of them, the function says
    which), the working precision ``prec`` (bits) it took, ``radius`` (the largest radius, a
    float rounded up), ``method`` (one line) and ``exact`` (fmpq values where the answer is an
    exact rational, else None)."""

    value: Any
    prec: int
    radius: float
    method: str
    exact: Any = None
    certified: ClassVar[bool] = True


@dataclasses.dataclass(frozen=True)
class NotCertified:
    """An answer not certified: ``reason`` (one line) and the last precision tried."""

    reason: str
    prec: int
    certified: ClassVar[bool] = False


# --- exact input --------------------------------------------------------------------------


def _fmpq(x: Any, field: str) -> fmpq:
    if isinstance(x, (bool, np.bool_)):
        v.fail_type(field, "exact numbers (int, Fraction, sympy Rational or float64)", x)
    if isinstance(x, fmpq):
        return x
    if isinstance(x, (int, np.integer, fmpz)):
        return fmpq(int(x))
    if isinstance(x, Fraction):
        return fmpq(x.numerator, x.denominator)
    if isinstance(x, sp.Rational):
        return fmpq(int(x.p), int(x.q))
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            v.fail(field, "finite (no NaN or inf)", x)
        f = Fraction(float(x))  # exact: a binary float is a dyadic rational
        return fmpq(f.numerator, f.denominator)
    v.fail_type(field, "exact numbers (int, Fraction, sympy Rational or float64)", x)
    raise AssertionError  # unreachable


def exact_matrix(M: Any, field: str = "M") -> fmpq_mat:
    """``M`` as an exact square rational matrix (a float64 entry converted exactly).

    Args:
      M: a sympy Matrix of Rationals, a list of lists of Fraction/int/float, a NumPy array or
        an ``fmpq_mat``; square and non-empty.
      field: the argument's name in error messages.

    Returns:
      ``flint.fmpq_mat``.

    Example:
      >>> exact_matrix([[Fraction(1, 3), 0.5], [1, 2]])
      [1/3, 1/2]
      [  1,   2]
    """
    if isinstance(M, fmpq_mat):
        if M.nrows() != M.ncols() or M.nrows() == 0:
            v.fail(field, "a square non-empty matrix", f"shape ({M.nrows()}, {M.ncols()})")
        return M
    if isinstance(M, sp.MatrixBase):
        rows = M.tolist()
    elif isinstance(M, np.ndarray):
        if M.dtype.kind == "b":
            v.fail_type(field, "a numeric matrix, not booleans", M)
        rows = M.tolist()
    elif isinstance(M, (list, tuple)):
        rows = [list(r) if isinstance(r, (list, tuple, np.ndarray)) else r for r in M]
    else:
        v.fail_type(field, "a square matrix of exact numbers", M)
    n = len(rows)
    if n == 0 or any(not isinstance(r, list) or len(r) != n for r in rows):
        v.fail(
            field,
            "a square non-empty matrix",
            f"{n} rows of lengths {sorted({len(r) if isinstance(r, list) else -1 for r in rows})}",
        )
    return fmpq_mat(n, n, [_fmpq(x, field) for r in rows for x in r])


def _n(Mq: fmpq_mat) -> int:
    return Mq.nrows()


def _is_symmetric(Mq: fmpq_mat) -> bool:
    return Mq == Mq.transpose()


def _float(Mq: fmpq_mat) -> np.ndarray:
    n = _n(Mq)
    return np.array([[float(Mq[i, j]) for j in range(n)] for i in range(n)], dtype=np.float64)


def _precisions(prec: int, max_prec: int) -> Iterator[int]:
    prec = v.integer(prec, "prec", lo=53)
    max_prec = v.integer(max_prec, "max_prec", lo=prec, why="prec")
    while prec < max_prec:
        yield prec
        prec *= 2
    yield max_prec


# --- small ball helpers -------------------------------------------------------------------


def sign(x: arb) -> int | None:
    """+1 if the ball lies in (0, ∞), −1 if in (−∞, 0), None if it contains 0.

    >>> sign(arb(1, 0.5)), sign(arb(-1, 0.5)), sign(arb(0, 1e-40))
    (1, -1, None)
    """
    if x > 0:
        return 1
    if x < 0:
        return -1
    return None


def _abs(x: arb) -> arb:
    """|x| for every value of the ball (the tight hull [min|x|, max|x|])."""
    if x >= 0:
        return x
    if x <= 0:
        return -x
    return arb(0).union(x.abs_upper())


def spread(r: Iterable[arb]) -> arb:
    r"""max − min of the values of a list of balls, as a ball (Thm 4.4's
    :math:`s = \max_k r_k - \min_k r_k` of arXiv 2607.02447). The true spread is ≥ 0; the ball may
    reach below 0 when the values are equal (balls cannot prove equality).

    >>> s = spread([arb(1) / 3, arb(1) / 2, arb(1) / 4])
    >>> bool(s.contains(arb(1) / 4)), float(s.rad()) < 1e-15
    (True, True)
    """
    r = list(r)
    if not r:
        v.fail("r", "a non-empty list of balls", r)
    with ctx.workprec(MAX_PREC):
        hi = functools.reduce(lambda a, b: a.max(b), r)
        lo = functools.reduce(lambda a, b: a.min(b), r)
        return hi - lo


def _frob_upper(M: arb_mat) -> arb:
    """An exact upper bound of the Frobenius norm of every matrix in the ball matrix M."""
    total = arb(0)
    for x in M.entries():
        total += x.abs_upper() ** 2
    return total.upper().sqrt().upper()


def _diag(values: list) -> arb_mat:
    """The diagonal matrix with these entries."""
    n = len(values)
    return arb_mat(n, n, [values[i] if i == j else 0 for i in range(n) for j in range(n)])


def _radius(balls: Iterable[arb]) -> float:
    """The largest radius as a float rounded up (a float conversion may round to nearest;
    inf for a ball that is not finite)."""
    balls = list(balls)
    if not all(b.is_finite() for b in balls):
        return math.inf
    rad = max((float(b.rad().upper()) for b in balls), default=0.0)
    if rad == 0.0 and any(not b.is_exact() for b in balls):
        return 5e-324  # below float64's range, but not exact
    return math.nextafter(rad, math.inf) if rad > 0 else 0.0


def _scale(balls: Iterable[arb]) -> float:
    scale = max([1.0, *(float(b.abs_upper()) for b in balls)])
    return scale if math.isfinite(scale) else 1.0


def _by_value(values: list[arb]) -> list[int]:
    """Indices of exact values in descending order (exact comparisons of exact balls)."""

    def cmp(i: int, j: int) -> int:
        return -1 if values[i] > values[j] else (1 if values[i] < values[j] else 0)

    return sorted(range(len(values)), key=functools.cmp_to_key(cmp))


# --- the symmetric enclosure --------------------------------------------------------------


@dataclasses.dataclass
class _Enclosure:
    lams: list  # arb, descending: lams[i] holds the i-th largest eigenvalue
    order: list  # Q's columns in descending order of diag
    Q: arb_mat  # exact approximate eigenvectors
    AQ: arb_mat  # A Q (balls)
    B: arb_mat  # Qᵀ A Q (balls)
    diag: list  # exact midpoints of B's diagonal (Λ, in the order of Q's columns)
    alpha: arb  # ≥ ‖QᵀQ − I‖₂


def _refine(Am: arb_mat, V: np.ndarray, prec: int, norm_a: float) -> arb_mat:
    """Ogita–Aishima iterative refinement of an approximate eigenbasis V (columns) of the
    symmetric matrix with midpoints Am to about ``prec`` bits; midpoints only: the result is
    verified afterwards (:func:`_enclose`), never trusted."""
    n = Am.nrows()
    X = arb_mat(V.tolist())
    eye = _diag([1] * n)
    tol = 2.0 ** (-prec) * n * norm_a * 64
    prev = None
    for _ in range(_MAX_STEPS):
        R = eye - X.transpose() * X
        S = X.transpose() * (Am * X)
        s_d, r_d = [S[i, i] for i in range(n)], [R[i, i] for i in range(n)]
        err = float(_frob_upper(S - _diag(s_d))) + norm_a * float(_frob_upper(R))
        if err <= tol or (prev is not None and err > prev / 4):
            break
        prev = err
        lam = [s / (1 - r) for s, r in zip(s_d, r_d, strict=True)]
        delta = 2 * arb(err)
        s_e, r_e, e = S.entries(), R.entries(), []
        for i in range(n):
            for j in range(n):
                gap = lam[j] - lam[i]
                if i != j and (gap > delta or gap < -delta):
                    e.append((s_e[i * n + j] + lam[j] * r_e[i * n + j]) / gap)
                else:
                    e.append(r_e[i * n + j] / 2)
        X = (X + X * arb_mat(n, n, e)).mid()
    return X


def _enclose(A: arb_mat, A0: np.ndarray, prec: int) -> _Enclosure | None:
    """Sorted eigenvalue enclosures of the exact symmetric matrix contained in the ball matrix
    A (module docstring, steps 1–3), or None when the basis is not verified (α ≥ 1)."""
    n = A.nrows()
    w, V = np.linalg.eigh(0.5 * (A0 + A0.T))
    Q = _refine(A.mid(), V[:, ::-1], prec, max(1.0, float(np.max(np.abs(w)))))
    Qt = Q.transpose()
    G = Qt * Q
    alpha = _frob_upper(G - _diag([1] * n))
    if not alpha < 1:
        return None
    AQ = A * Q
    B = Qt * AQ
    diag = [B[i, i].mid() for i in range(n)]
    e = _frob_upper(B - _diag(diag))
    theta_inv = (1 / (1 + alpha)).union(1 / (1 - alpha))
    order = _by_value(diag)
    lams = [(diag[i] + arb(0, e)) * theta_inv for i in order]
    return _Enclosure(lams, order, Q, AQ, B, diag, alpha)


# --- stationary distribution and symmetrisation -------------------------------------------


def _row_stochastic(Wq: fmpq_mat, field: str) -> None:
    n = _n(Wq)
    for i in range(n):
        row = [Wq[i, j] for j in range(n)]
        if any(x < 0 for x in row):
            v.fail(field, "entrywise >= 0", f"a negative entry in row {i}")
        total = sum(row, fmpq(0))
        if total != 1:
            v.fail(
                field,
                "exactly row-stochastic (each row sums to 1 in exact arithmetic; "
                "float64 weights such as 1/3 do not: pass exact rationals, e.g. "
                "exact_mixing(...))",
                f"row {i} summing to 1 + {float(total - 1):.3g}",
            )


def _stationary_exact(Wq: fmpq_mat, field: str = "W") -> list:
    """The unique π with πW = π, Σπ = 1 of an exactly row-stochastic irreducible W (fmpq)."""
    _row_stochastic(Wq, field)
    n = _n(Wq)
    rows = [[Wq[j, i] - (1 if i == j else 0) for j in range(n)] for i in range(n - 1)]
    A = fmpq_mat(n, n, [x for r in rows for x in r] + [1] * n)
    b = fmpq_mat(n, 1, [0] * (n - 1) + [1])
    try:
        pi = A.solve(b)
    except ZeroDivisionError:
        v.fail(field, "irreducible (a unique stationary distribution)", "a reducible matrix")
    pi = [pi[i, 0] for i in range(n)]
    if any(x <= 0 for x in pi):
        v.fail(field, "irreducible (a stationary distribution > 0)", "a reducible matrix")
    return pi


def _symmetrised(Wq: fmpq_mat, pi: list) -> tuple[Any, np.ndarray] | None:
    """(builder of the ball matrix S = D_π^{1/2} W D_π^{−1/2}, its float approximation), or
    None when W is not reversible (πᵢWᵢⱼ ≠ πⱼWⱼᵢ exactly for some i, j)."""
    n = _n(Wq)
    m = [[pi[i] * Wq[i, j] for j in range(n)] for i in range(n)]
    if any(m[i][j] != m[j][i] for i in range(n) for j in range(i + 1, n)):
        return None

    def build() -> arb_mat:
        s = [1 / arb(x).sqrt() for x in pi]
        S = arb_mat(n, n)
        for i in range(n):
            for j in range(i, n):
                S[i, j] = S[j, i] = arb(m[i][j]) * s[i] * s[j]
        return S

    pf = np.array([float(x) for x in pi])
    mf = np.array([[float(x) for x in r] for r in m])
    return build, mf / np.sqrt(np.outer(pf, pf))


@dataclasses.dataclass(frozen=True)
class _Problem:
    """A symmetric eigenproblem: ``build()`` the ball matrix at the working precision (it
    contains the exact symmetric matrix), ``approx`` its float64 midpoints, ``method`` one
    line, ``exact`` the exact symmetric matrix where known (exact ties and inertia need it)."""

    build: Callable[[], arb_mat]
    approx: np.ndarray
    method: str
    exact: fmpq_mat | None


def _ball_problem(M: Any, field: str) -> _Problem | None:
    """A ball-matrix input (an ``arb_mat``, or a function of the working precision returning
    one) that contains the exact symmetric matrix, as a :class:`_Problem`; None otherwise."""
    if isinstance(M, arb_mat):
        fn = lambda prec: M
    elif callable(M) and not isinstance(M, (fmpq_mat, sp.MatrixBase, np.ndarray)):
        fn = M
    else:
        return None

    def build() -> arb_mat:
        A = fn(ctx.prec)
        if not isinstance(A, arb_mat) or A.nrows() != A.ncols() or A.nrows() == 0:
            v.fail_type(field, "a square non-empty flint arb_mat", A)
        n = A.nrows()
        if not all(A[i, j].overlaps(A[j, i]) for i in range(n) for j in range(i + 1, n)):
            v.fail(
                field, "a ball matrix containing a symmetric matrix", "A[i, j] apart from A[j, i]"
            )
        S = arb_mat(n, n)
        for i in range(n):  # (A + Aᵀ)/2 still contains the exact symmetric matrix
            for j in range(i, n):
                S[i, j] = S[j, i] = (A[i, j] + A[j, i]) / 2
        return S

    with ctx.workprec(DEFAULT_PREC):
        A = build()
    n = A.nrows()
    approx = np.array([[float(A[i, j].mid()) for j in range(n)] for i in range(n)])
    return _Problem(build, approx, "verified eigenbasis of a ball matrix (input radius kept)", None)


def _symmetric_problem(M: Any, symmetric: bool, field: str) -> _Problem | str:
    """The symmetric eigenproblem of ``M`` (module docstring), or why there is none."""
    ball = _ball_problem(M, field)
    if ball is not None:
        if not symmetric:
            v.fail(field, "exact (a ball matrix is accepted with symmetric=True only)", M)
        return ball
    Mq = exact_matrix(M, field)
    if symmetric:
        if not _is_symmetric(Mq):
            v.fail(
                field, "exactly symmetric (M = Mᵀ in exact arithmetic)", "a non-symmetric matrix"
            )
        method = "verified eigenbasis of the symmetric matrix"
        return _Problem(lambda: arb_mat(Mq), _float(Mq), method, Mq)
    pi = _stationary_exact(Mq, field)
    sym = _symmetrised(Mq, pi)
    if sym is None:
        return (
            f"{field} is not reversible (pi_i M_ij != pi_j M_ji): its eigenvalues need not be real"
        )
    method = "verified eigenbasis of D^(1/2) W D^(-1/2), D = diag(pi) (reversible W)"
    return _Problem(sym[0], sym[1], method, None)


# --- public functions -----------------------------------------------------------------------


def eigenvalues(
    M: Any,
    *,
    symmetric: bool,
    prec: int = DEFAULT_PREC,
    max_prec: int = MAX_PREC,
    radius: float = RADIUS,
) -> Certified | NotCertified:
    r"""Enclosures of all eigenvalues of ``M``, sorted descending (module docstring).

    Args:
      M: exact square matrix (:func:`exact_matrix`); with ``symmetric=True`` also a ball
        matrix containing it (``arb_mat`` or ``prec -> arb_mat``, module docstring).
      symmetric: True for an exactly symmetric M; False for a row-stochastic reversible M (a
        mixing matrix: real eigenvalues through the similar symmetric
        :math:`D_\pi^{1/2} M D_\pi^{-1/2}`).
      prec, max_prec: the first and the largest working precision (bits).
      radius: the largest radius certified, relative to :math:`\max(1, \max|\lambda|)`.

    Returns:
      :class:`Certified` with ``value`` a tuple of arb (``value[i]`` holds the i-th largest
      eigenvalue), or :class:`NotCertified` (e.g. a non-reversible M).

    Raises:
      ValueError: one line, for M not square, not exact, not exactly symmetric
        (``symmetric=True``), or not exactly row-stochastic and irreducible
        (``symmetric=False``).

    >>> res = eigenvalues([[2, 1], [1, 2]], symmetric=True)
    >>> [bool(x.contains(k)) for x, k in zip(res.value, (3, 1))], res.radius < 1e-30
    ([True, True], True)
    """
    v.boolean(symmetric, "symmetric")
    radius = v.real(radius, "radius", lo=0.0, lo_open=True)
    problem = _symmetric_problem(M, symmetric, "M")
    if isinstance(problem, str):
        return NotCertified(problem, v.integer(prec, "prec", lo=53))
    last = prec
    for last in _precisions(prec, max_prec):
        with ctx.workprec(last):
            enc = _enclose(problem.build(), problem.approx, last)
        if enc is None:
            continue
        rad = _radius(enc.lams)
        if rad <= radius * _scale(enc.lams):
            return Certified(tuple(enc.lams), last, rad, problem.method)
    return NotCertified(f"not certified at {last} bits: radius above {radius:g}", last)


def mixing_lambda(
    W: Any, *, prec: int = DEFAULT_PREC, max_prec: int = MAX_PREC, radius: float = RADIUS
) -> Certified | NotCertified:
    r"""The consensus rate :math:`\lambda = \max(|\lambda_2|, |\lambda_N|)` of a mixing matrix and
    :math:`\lambda_2` itself, as balls (Assumption A.3 of arXiv 2607.02447; :math:`\lambda_2` is
    the graph feature of :mod:`theory.atlas`).

    Args:
      W: exact :math:`N\times N` mixing matrix, :math:`N \ge 2`: symmetric, or row-stochastic and
        reversible
        (:func:`eigenvalues`); :func:`exact_mixing` builds the rules of
        :mod:`theory.topology` exactly.
      prec, max_prec, radius: as :func:`eigenvalues`.

    Returns:
      :class:`Certified` with ``value = (lam, lam2)`` (arb), or :class:`NotCertified`.

    >>> res = mixing_lambda(exact_mixing("uniform", [[0, 1, 1], [1, 0, 0], [1, 0, 0]]))
    >>> lam, lam2 = res.value  # the star on 3 nodes: eigenvalues 1, 1/2, -1/6
    >>> bool(lam.contains(arb(1) / 2)), bool(lam2.contains(arb(1) / 2))
    (True, True)
    """
    Wq = exact_matrix(W, "W")
    if _n(Wq) < 2:
        v.fail("W", "at least 2x2 (lambda_2 needs two eigenvalues)", "a 1x1 matrix")
    res = eigenvalues(Wq, symmetric=_is_symmetric(Wq), prec=prec, max_prec=max_prec, radius=radius)
    if not res.certified:
        return res
    with ctx.workprec(res.prec):
        lam2 = res.value[1]
        lam = _abs(lam2).max(_abs(res.value[-1]))
    return dataclasses.replace(res, value=(lam, lam2), radius=_radius((lam, lam2)))


def stationary(W: Any, *, prec: int = DEFAULT_PREC) -> Certified:
    r"""The stationary distribution π (:math:`\pi W = \pi`, :math:`\sum_i \pi_i = 1`) of an
    exactly row-stochastic irreducible W, solved exactly in rationals (fmpq): ``exact`` holds π,
    ``value`` its balls at ``prec`` bits (radius 0 where :math:`\pi_i` is dyadic, else
    :math:`\le 2^{-\mathrm{prec}} |\pi_i|`). The D-SGD fixed point's weights
    (docs/theory/consensus.md §3 D7).

    Raises a one-line ValueError for a W that is not exactly row-stochastic (a float64 matrix
    of 1/3's is not) or not irreducible.

    >>> res = stationary(exact_mixing("uniform", [[0, 1, 1], [1, 0, 0], [1, 0, 0]]))
    >>> [str(x) for x in res.exact], res.radius < 1e-38
    (['3/7', '2/7', '2/7'], True)
    """
    Wq = exact_matrix(W, "W")
    pi = _stationary_exact(Wq, "W")
    prec = v.integer(prec, "prec", lo=53)
    with ctx.workprec(prec):
        balls = tuple(arb(x) for x in pi)
    return Certified(
        balls, prec, _radius(balls), "exact rational solve (fmpq); balls round it", tuple(pi)
    )


def _inertia(Xq: fmpq_mat) -> tuple[int, int, int]:
    """(#positive, #zero, #negative) eigenvalues of an exact symmetric matrix: the
    characteristic polynomial has only real roots, so Descartes' rule of signs counts the
    positive ones exactly; zero's multiplicity is the index of the first nonzero coefficient."""
    coeffs = [c for c in Xq.charpoly().coeffs()]  # constant first
    zero = next(i for i, c in enumerate(coeffs) if c != 0)
    nz = [c for c in coeffs[zero:] if c != 0]
    pos = sum(1 for a, b in zip(nz, nz[1:], strict=False) if (a > 0) != (b > 0))
    return pos, zero, _n(Xq) - pos - zero


def _tied(Xq: fmpq_mat, c: int) -> bool:
    """Whether the c-th and (c+1)-th largest eigenvalues of an exact symmetric matrix are
    equal: the distinct roots of its characteristic polynomial, isolated with multiplicities
    (flint ``complex_roots``), sorted; a tie is a root whose run covers positions c and c+1."""
    roots = sorted(Xq.charpoly().numer().complex_roots(), key=lambda rm: -float(rm[0].real.mid()))
    end = 0
    for _, mult in roots:
        start, end = end, end + mult
        if start < c < end:
            return True
    return False


def top_rv(
    X: Any,
    c: int,
    coords: Iterable[int] | None = None,
    *,
    prec: int = DEFAULT_PREC,
    max_prec: int = MAX_PREC,
    radius: float = RADIUS,
) -> Certified | NotCertified:
    r"""Certified representability vector :math:`r_k = \lVert P e_k\rVert^2` of the Eckart–Young
    optimum of a symmetric X with c rows (Def. 4.1 of arXiv 2607.02447;
    :func:`theory.solve.eckart_young`).

    P projects onto the eigenvectors of the k largest eigenvalues,
    :math:`k = \#\{j \le c : \lambda_j > 0\}` (only positive eigenvalues are kept). Certified only
    when the optimum is unique: the enclosures of :math:`\lambda_k` and :math:`\lambda_{k+1}` are
    disjoint (a proved tie :math:`\lambda_c = \lambda_{c+1}` gives ``NotCertified``), and the
    sign of each :math:`\lambda_j`, :math:`j \le c`, is decided (by its ball, or exactly by the
    inertia of X).

    The bound. Let Z = the k columns of the verified eigenbasis Q for the k largest
    :math:`\Lambda_i` (module docstring), :math:`G = Z^\top Z` with
    :math:`\beta \ge \lVert G - I\rVert_2 < 1`, :math:`\hat Z = Z G^{-1/2}` (orthonormal, same
    span) and :math:`\rho \ge \lVert XZ - Z \Lambda_k\rVert_2` (balls). Then

    1. :math:`\hat R = X\hat Z - \hat Z(\hat Z^\top X\hat Z) = (I - P_Z)(XZ - Z\Lambda_k)G^{-1/2}`,
       so :math:`\lVert \hat R\rVert_2 \le \rho/\sqrt{1 - \beta}`;
    2. :math:`\hat Z^\top X\hat Z = G^{-1/2}(Z^\top X Z)G^{-1/2}` has its eigenvalues
       :math:`\ge a = m/(1 + \beta)` (Ostrowski), with
       :math:`m = \min \Lambda_k - \lVert Z^\top X Z - \Lambda_k\rVert_2 > 0`, and the other
       eigenvalues of X are :math:`\le \lambda_{k+1}` (its ball's upper end); with
       :math:`\delta = a - \lambda_{k+1} > 0` the Davis–Kahan :math:`\sin\theta` theorem (Davis &
       Kahan, SIAM J. Numer. Anal. 7 (1970); Bhatia, Matrix Analysis, Thm VII.3.1) gives
       :math:`\lVert P - P_Z\rVert_2 = \lVert \sin\Theta\rVert_2`
       :math:`\le \lVert \hat R\rVert_2/\delta =: s`;
    3. :math:`r_k = e_k^\top P e_k`, and :math:`e_k^\top P_Z e_k = z_k^\top G^{-1} z_k`
       (:math:`z_k` the k-th row of Z) differs from :math:`\lVert z_k\rVert^2` by at most
       :math:`\lVert z_k\rVert^2 \beta/(1 - \beta)`:
       :math:`r_k \in \lVert z_k\rVert^2 \pm (\lVert z_k\rVert^2 \beta/(1 - \beta) + s)`,
       :math:`\cap\, [0, 1]`.

    Args:
      X: exact symmetric :math:`d\times d` matrix (:func:`exact_matrix`), or a ball matrix
        containing it (``arb_mat`` or ``prec -> arb_mat``; then a tie or an undecided sign is not
        resolved exactly).
      c: number of rows of W, :math:`1 \le c \le d`.
      coords: indices of the :math:`r_k` returned (default all d).
      prec, max_prec, radius: as :func:`eigenvalues`.

    Returns:
      :class:`Certified` with ``value`` a tuple of arb (one per coordinate; exact 0/1 when no
      eigenvalue or every one is kept), or :class:`NotCertified` with the reason.

    >>> J_I = [[0 if i == j else 1 for j in range(4)] for i in range(4)]  # c0 (J - I), c0 = 1
    >>> res = top_rv(J_I, 2)  # eigenvalues 3, -1, -1, -1: one is kept
    >>> [bool(r.contains(arb(1) / 4)) for r in res.value], res.radius < 1e-30
    ([True, True, True, True], True)
    >>> top_rv([[3, 0, 0], [0, 2, 0], [0, 0, 2]], 2).reason
    'tie: eigenvalues 2 and 3 are equal (exact), the optimum is not unique'
    """
    problem = _symmetric_problem(X, True, "X")
    Xq = problem.exact
    n = problem.approx.shape[0]
    c = v.integer(c, "c", lo=1, hi=n)
    idx = (
        list(range(n))
        if coords is None
        else [v.integer(k, "coords", lo=0, hi=n - 1) for k in coords]
    )
    radius = v.real(radius, "radius", lo=0.0, lo_open=True)
    inertia, tied = None, None
    last, why = prec, "the basis was not verified"
    for last in _precisions(prec, max_prec):
        with ctx.workprec(last):
            enc = _enclose(problem.build(), problem.approx, last)
            if enc is None:
                continue
            lams = enc.lams
            signs = [sign(x) for x in lams[:c]]
            if None in signs and Xq is None:
                why = "the sign of an eigenvalue among the top c is undecided (ball input)"
                continue
            if None in signs:
                inertia = inertia or _inertia(Xq)
                k = min(c, inertia[0])
            else:
                k = sum(1 for s in signs if s > 0)
            if k in (0, n):
                val = tuple(arb(0 if k == 0 else 1) for _ in idx)
                what = "no positive eigenvalue: W = 0" if k == 0 else "every eigenvalue kept"
                return Certified(val, last, 0.0, f"exact: {what}", tuple(fmpq(k // n) for _ in idx))
            if not lams[k - 1] > lams[k]:
                if k == c and Xq is not None and tied is None:
                    tied = _tied(Xq, c)
                if k == c and tied:
                    return NotCertified(
                        f"tie: eigenvalues {c} and {c + 1} are equal (exact), the optimum is "
                        "not unique",
                        last,
                    )
                why = f"eigenvalues {k} and {k + 1} not separated"
                continue
            r = _rv_balls(enc, k, lams[k], idx)
            if r is None:
                why = "the Davis-Kahan gap is not positive"
                continue
            rad = _radius(r)
            if rad <= radius:
                method = f"Davis-Kahan bound on a verified eigenbasis, k = {k} eigenvalues kept"
                return Certified(tuple(r), last, rad, method)
            why = f"radius {rad:.3g} above {radius:g}"
    return NotCertified(f"not certified at {last} bits: {why}", last)


def _rv_balls(enc: _Enclosure, k: int, lam_next: arb, idx: list) -> list | None:
    """r_k for k in idx by the bound of :func:`top_rv` (steps 1–3), or None when δ ≤ 0."""
    n = enc.Q.nrows()
    cols = enc.order[:k]
    lam_k = [enc.diag[j] for j in cols]
    Z = arb_mat(n, k, [enc.Q[i, j] for i in range(n) for j in cols])
    XZ = arb_mat(n, k, [enc.AQ[i, j] for i in range(n) for j in cols])
    M = arb_mat(k, k, [enc.B[i, j] for i in cols for j in cols])  # ZᵀXZ
    G = Z.transpose() * Z
    beta = _frob_upper(G - _diag([1] * k))
    if not beta < 1:
        return None
    rho = _frob_upper(XZ - Z * _diag(lam_k))
    e_kk = _frob_upper(M - _diag(lam_k))
    m = functools.reduce(lambda a, b: a.min(b), lam_k) - e_kk
    if not m > 0:
        return None
    a = m / (1 + beta)
    delta = a - lam_next.upper()
    if not delta > 0:
        return None
    s = (rho / (1 - beta).sqrt() / delta).upper()
    out = []
    for i in idx:
        z2 = sum((Z[i, j] ** 2 for j in range(k)), arb(0))
        err = (z2.abs_upper() * beta / (1 - beta) + s).upper()
        r = z2 + arb(0, err)
        out.append(r.intersection(arb("0.5", "0.5")))
    return out


def exact_mixing(name: str, adjacency: Any, *, sizes: Any = None) -> fmpq_mat:
    r"""The mixing matrix ``name`` of :func:`theory.topology.mixing_matrix` in exact rationals.

    uniform: :math:`W_{ij} = 1/|A_i|` on :math:`A_i = \{i\} \cup N(i)` (the paper's rule,
    Section 3.1 of arXiv 2607.02447); metropolis: :math:`1/(1 + \max(\deg_i, \deg_j))` on edges;
    max_degree: :math:`1/(1 + \Delta)` on edges (both with the diagonal completing each row to 1);
    data_size: :math:`n_j / \sum_{k\in A_i} n_k` (exact ``sizes``); fedavg:
    :math:`J = \mathbf{1}\mathbf{1}^\top/N`.

    Args:
      name: one of :data:`theory.topology.MIXINGS`.
      adjacency: (N, N) 0/1 symmetric adjacency of a connected graph.
      sizes: client data sizes (data_size only), exact numbers > 0.

    Returns:
      ``flint.fmpq_mat``.

    Example:
      >>> exact_mixing("uniform", [[0, 1], [1, 0]])
      [1/2, 1/2]
      [1/2, 1/2]
    """
    from theory import topology  # the rule names and the adjacency check live there

    name = v.choice(name, "mixing", topology.MIXINGS)
    a = topology.validate_adjacency(adjacency)
    n = a.shape[0]
    nbr = [[j for j in range(n) if a[i, j]] for i in range(n)]
    deg = [len(x) for x in nbr]
    W = [[fmpq(0)] * n for _ in range(n)]
    if name == "fedavg":
        return fmpq_mat(n, n, [fmpq(1, n)] * (n * n))
    if name == "uniform":
        for i in range(n):
            for j in [i, *nbr[i]]:
                W[i][j] = fmpq(1, deg[i] + 1)
    elif name == "data_size":
        if sizes is None or len(sizes) != n:
            v.fail("sizes", f"given (n={n} client data sizes > 0)", sizes)
        s = [_fmpq(x, "sizes") for x in sizes]
        if any(x <= 0 for x in s):
            v.fail("sizes", "all > 0", sizes)
        for i in range(n):
            total = sum((s[j] for j in [i, *nbr[i]]), fmpq(0))
            for j in [i, *nbr[i]]:
                W[i][j] = s[j] / total
    else:
        top = max(deg)
        for i in range(n):
            for j in nbr[i]:
                W[i][j] = fmpq(1, 1 + (max(deg[i], deg[j]) if name == "metropolis" else top))
            W[i][i] = 1 - sum(W[i], fmpq(0))
    return fmpq_mat(n, n, [x for r in W for x in r])
