r"""Closed forms of the exact structured model (:mod:`theory.structured`) in sympy.

The exact Eq. (4) MIM target on :math:`e_1, \dots, e_N`, derived from the samples of Section
3.2 of arXiv 2607.02447, and the representability vector (Def. 4.1) of its optimum, local and
FL.
"""

from __future__ import annotations

import sympy as sp


def mim_hollow_block(n_clients: int, client: int | None = None) -> tuple[sp.Matrix, sp.Expr]:
    r"""Exact Eq. (4) target on :math:`e_1, \dots, e_N` in sympy:
    :math:`\kappa\, \mathbb{E}[x_k x_l]` (:math:`k \ne l`), 0 on the diagonal.

    Derived from the samples of Section 3.2
    (:math:`x = \pm e_i - \sum_{k \ne i} q_k \tau e_k + \mu\xi`,
    :math:`q_k \sim \mathrm{Bern}(1/2)` independent, the rare class on its own axis) by expanding
    :math:`x_k x_l` and taking :math:`\mathbb{E}[q_k^a] = 1/2`;
    :math:`\kappa = p(1 - p) = \mathbb{E}_m[(1 - m_k) m_l]` (:math:`k \ne l`). ``client=None``
    averages the N clients (FL).

    Returns:
      ``(X, c0)``: the N×N sympy matrix in the symbols p, τ, ρ and its entry X[1, 2] (local,
      client 0) or X[0, 1] (FL).
    """
    n = int(n_clients)
    if n < 2:
        raise ValueError(f"n_clients: must be an integer >= 2, got {n_clients!r}")
    p, tau, rho = sp.symbols("p tau rho", positive=True)
    q = sp.symbols(f"q0:{n}")

    def expect(expr):
        poly = sp.Poly(sp.expand(expr), *q)
        return sum(
            (coeff * sp.Rational(1, 2) ** sum(1 for a in monom if a > 0))
            for monom, coeff in poly.terms()
        )

    def client_block(i: int) -> sp.Matrix:
        out = sp.zeros(n, n)
        for sign in (1, -1):
            x = [-q[k] * tau if k != i else sp.Integer(sign) for k in range(n)]
            for k in range(n):
                for l in range(n):
                    if k != l:
                        out[k, l] += (1 - rho) / 2 * expect(x[k] * x[l])
        return out * p * (1 - p)

    if client is None:
        X = sum((client_block(i) for i in range(n)), sp.zeros(n, n)) / n
        c0 = X[0, 1]
    else:
        X = client_block(int(client))
        c0 = X[1, 2] if n > 2 else X[0, 1]
    return X.applyfunc(sp.simplify), sp.simplify(c0)


def mim_hollow_rv(n_clients: int) -> tuple[list, list]:
    r"""Closed-form RV on :math:`e_1, \dots, e_N` of the exact Eq. (4) optimum: local (client 1)
    and FL.

    :math:`X = c_0 M` with :math:`c_0 = \kappa(1 - \rho)\tau^2/4 > 0` (local) or
    :math:`c_0 = \kappa(1 - \rho)(N - 2)\tau^2/(4N)` (FL) and M a rational matrix
    (:math:`J - I` on the :math:`N - 1` offset axes, resp. on all N axes). Its positive part has
    rank 1 (eigenvalue :math:`N - 2`, resp. :math:`N - 1`, the others −1 or 0), so for every
    :math:`c \ge 1` the RV is the square of the normalised top eigenvector: :math:`1/(N - 1)` on
    :math:`k \ne i` and 0 on :math:`e_i` (local), :math:`1/N` (FL). Needs :math:`N \ge 3` (at
    :math:`N = 2` the target is 0).

    Returns:
      ``(local, fl)``: lists of N sympy Rationals.

    Example:
      >>> mim_hollow_rv(3)
      ([0, 1/2, 1/2], [1/3, 1/3, 1/3])
    """
    n = int(n_clients)
    if n < 3:
        raise ValueError(f"n_clients: must be an integer >= 3, got {n_clients!r}")
    out = []
    for client in (0, None):
        X, c0 = mim_hollow_block(n, client)
        M = (X / c0).applyfunc(sp.simplify)
        if M.free_symbols:
            raise AssertionError("the hollow block is not a scalar times a rational matrix")
        pairs = sorted(M.eigenvects(), key=lambda t: -t[0])
        top, mult, vecs = pairs[0]
        if mult != 1 or top <= 0 or (len(pairs) > 1 and pairs[1][0] > 0):
            raise AssertionError("positive part is not rank one")
        vec = vecs[0]
        norm2 = sum(x**2 for x in vec)
        out.append([sp.nsimplify(x**2 / norm2) for x in vec])
    return out[0], out[1]
