r"""Exact spectra of named gossip matrices in sympy (extension: the paper's theory uses only
:math:`|\bar A|`).

Eigenvalues with multiplicity, the contraction factor λ and the effective number of neighbours
:math:`n_W(\gamma)` of the complete graph, ring, torus, star, hypercube and Ying et al.'s
exponential graph (docs/theory/consensus.md §4 table, §3 D7 for the uniform star, §6 for
:math:`n_W`), the closed forms that the numeric routines of :mod:`theory.spectral` are tested
against.
"""

from __future__ import annotations

import math

import sympy as sp

from theory import _validate as v
from theory.graph_params import exponential_offsets

CLOSED_FORM_GRAPHS = ("complete", "ring", "torus", "star", "hypercube", "exponential")
N_SYM = sp.Symbol("n", integer=True, positive=True)
#: s(n), a leaf's self-weight w_ii on the star under each mixing rule: uniform 1/|A_i| = 1/2;
#: Metropolis and max-degree 1 − 1/n (every edge meets the centre, of degree n − 1). The centre
#: keeps 1/n under all three, so the spectrum is 1, s^(n−2) (differences of leaves) and
#: 1/n + s − 1 (the trace), and λ = s (docs/theory/consensus.md §3 D7).
_STAR_LEAF_WEIGHT = {
    "metropolis": lambda n: 1 - 1 / sp.sympify(n),
    "max_degree": lambda n: 1 - 1 / sp.sympify(n),
    "uniform": lambda n: sp.Rational(1, 2),
}


def _default_mixing(graph: str, mixing: str | None) -> str:
    if mixing is None:
        return "ying" if graph == "exponential" else "metropolis"
    return mixing


def closed_form_eigenvalues(
    graph: str,
    *,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    mixing: str | None = None,
) -> list[sp.Expr]:
    r"""Exact eigenvalues (with multiplicity, as sympy expressions) of a named gossip matrix.

    * ``complete`` (any of uniform / metropolis / max_degree / fedavg: all give J):
      :math:`1, 0^{(n-1)}`.
    * ``ring`` (weights 1/3): :math:`(1 + 2\cos(2\pi k/n))/3`, :math:`k = 0, \dots, n-1`.
    * ``torus`` rows×cols (weights 1/5):
      :math:`(1 + 2\cos(2\pi k/\mathrm{rows}) + 2\cos(2\pi l/\mathrm{cols}))/5`.
    * ``star``, mixing ``metropolis``/``max_degree``: :math:`1, (1 - 1/n)^{(n-2)}, 0`; mixing
      ``uniform``: :math:`1, (1/2)^{(n-2)}, 1/n - 1/2` (docs/theory/consensus.md §3 D7).
    * ``hypercube`` :math:`n = 2^d` (weights :math:`1/(d+1)`): :math:`1 - 2k/(d+1)` with
      multiplicity :math:`\binom{d}{k}`.
    * ``exponential``: Ying et al.'s directed W (mixing ``ying``, :func:`exponential_mixing`),
      circulant, so
      :math:`\mathrm{eig}_k = (1 + \sum_{\ell<\tau} e^{2\pi i k 2^\ell/n})/(\tau+1)`,
      :math:`\tau = \lceil \log_2 n \rceil` (complex).

    For the regular graphs (complete, ring, torus, hypercube) the uniform, Metropolis and
    max-degree rules coincide. ``mixing=None`` picks the default (``ying`` for exponential,
    ``metropolis`` otherwise). Returns a list of n expressions (unsorted).
    """
    graph = v.choice(graph, "graph", CLOSED_FORM_GRAPHS)
    mixing = _default_mixing(graph, mixing)
    if graph == "torus":
        rows, cols = v.integer(rows, "rows", lo=3), v.integer(cols, "cols", lo=3)
        return [
            (1 + 2 * sp.cos(2 * sp.pi * k / rows) + 2 * sp.cos(2 * sp.pi * l / cols)) / 5
            for k in range(rows)
            for l in range(cols)
        ]
    if graph == "exponential":
        v.choice(mixing, "mixing", ("ying",))
        n = v.integer(n, "n", lo=3)
        offsets = exponential_offsets(n)
        return [
            (1 + sum(sp.exp(2 * sp.pi * sp.I * k * s / n) for s in offsets)) / (len(offsets) + 1)
            for k in range(n)
        ]
    if graph == "star":
        leaf_weight = _STAR_LEAF_WEIGHT[v.choice(mixing, "mixing", tuple(_STAR_LEAF_WEIGHT))]
        n = v.integer(n, "n", lo=3)
        s = leaf_weight(n)
        return [sp.Integer(1)] + [s] * (n - 2) + [sp.Rational(1, n) + s - 1]
    v.choice(mixing, "mixing", ("uniform", "metropolis", "max_degree", "fedavg"))
    if graph == "complete":
        n = v.integer(n, "n", lo=2)
        return [sp.Integer(1)] + [sp.Integer(0)] * (n - 1)
    if graph == "ring":
        n = v.integer(n, "n", lo=3)
        return [(1 + 2 * sp.cos(2 * sp.pi * k / n)) / 3 for k in range(n)]
    n = v.integer(n, "n", lo=2)
    if n & (n - 1):
        v.fail("n", "a power of 2 for the hypercube", n)
    d = n.bit_length() - 1
    out: list[sp.Expr] = []
    for k in range(d + 1):
        out += [1 - sp.Rational(2 * k, d + 1)] * math.comb(d, k)
    return out


def closed_form_lambda(
    graph: str,
    *,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    mixing: str | None = None,
) -> sp.Expr:
    r"""Exact contraction factor λ of a named gossip matrix (docs/theory/consensus.md §4 table).

    With ``n=None`` (ring, star, complete) the result is symbolic in ``N_SYM``:
    ring :math:`(1 + 2\cos(2\pi/n))/3` (:math:`n \ge 3`); torus :math:`(3 + 2\cos(2\pi/m))/5`,
    :math:`m = \max(\mathrm{rows}, \mathrm{cols})`; star Metropolis :math:`1 - 1/n`, star
    uniform 1/2; hypercube :math:`(d-1)/(d+1)`; complete 0; exponential (Ying,
    :math:`n \ge 3`): :math:`\max_{k\ne0} |\mathrm{eig}_k|`, which is :math:`(\tau-1)/(\tau+1)`
    for even n.
    """
    graph = v.choice(graph, "graph", CLOSED_FORM_GRAPHS)
    mixing = _default_mixing(graph, mixing)
    n_ = N_SYM if n is None else n
    if graph == "complete":
        return sp.Integer(0)
    if graph == "ring":
        return (1 + 2 * sp.cos(2 * sp.pi / n_)) / 3
    if graph == "star":
        return _STAR_LEAF_WEIGHT[v.choice(mixing, "mixing", tuple(_STAR_LEAF_WEIGHT))](n_)
    if graph == "torus":
        m = max(v.integer(rows, "rows", lo=3), v.integer(cols, "cols", lo=3))
        return (3 + 2 * sp.cos(2 * sp.pi / m)) / 5
    if graph == "hypercube":
        n = v.integer(n, "n", lo=2)
        if n & (n - 1):
            v.fail("n", "a power of 2 for the hypercube", n)
        d = n.bit_length() - 1
        return sp.Rational(d - 1, d + 1)
    v.choice(mixing, "mixing", ("ying",))
    n = v.integer(n, "n", lo=3)
    offsets = exponential_offsets(n)
    moduli = []
    for k in range(1, n):
        angles = [2 * sp.pi * k * s / n for s in offsets]
        re = 1 + sum(sp.cos(a) for a in angles)
        im = sum(sp.sin(a) for a in angles)
        moduli.append(sp.sqrt(re**2 + im**2) / (len(offsets) + 1))
    # the exact modulus that is largest (chosen by 30-digit evaluation)
    return max(moduli, key=lambda e: sp.N(e, 30))


def closed_form_extremes(
    graph: str, *, n: int | None = None, rows: int | None = None, cols: int | None = None
) -> tuple[sp.Expr, sp.Expr]:
    r"""Exact :math:`(\lambda_2, \lambda_N)`, the second largest and the smallest eigenvalue, of
    the ring's (weights 1/3) or the torus' (weights 1/5) gossip matrix, from the spectra of
    :func:`closed_form_eigenvalues` without listing their N terms (any N):

    * ring: :math:`\lambda_2 = (1 + 2\cos(2\pi/n))/3`,
      :math:`\lambda_N = (1 + 2\cos(2\pi\lfloor n/2\rfloor/n))/3`;
    * torus r × c: :math:`\lambda_2 = (3 + 2\cos(2\pi/m))/5` with
      :math:`m = \max(r, c)`, and
      :math:`\lambda_N = (1 + 2\cos\theta_r + 2\cos\theta_c)/5` with
      :math:`\theta_r = 2\pi\lfloor r/2\rfloor/r` and :math:`\theta_c` alike (each cosine at
      its smallest).

    The uniform, Metropolis and max-degree rules give these matrices on both (regular) graphs.

    Example:
      >>> closed_form_extremes("ring", n=6)
      (2/3, -1/3)
    """
    graph = v.choice(graph, "graph", ("ring", "torus"))
    if graph == "ring":
        n = v.integer(n, "n", lo=3)
        # closed_form_lambda's λ of the ring and torus is their λ₂
        return closed_form_lambda("ring", n=n), (1 + 2 * sp.cos(2 * sp.pi * (n // 2) / n)) / 3
    r, c = v.integer(rows, "rows", lo=3), v.integer(cols, "cols", lo=3)
    if n is not None and v.integer(n, "n", lo=9) != r * c:
        v.fail("n", f"rows * cols = {r * c} for the torus (or None)", n)
    low = (1 + 2 * sp.cos(2 * sp.pi * (r // 2) / r) + 2 * sp.cos(2 * sp.pi * (c // 2) / c)) / 5
    return closed_form_lambda("torus", rows=r, cols=c), low


def closed_form_effective_neighbours(eigs, gamma) -> sp.Expr:
    r""":math:`n_W(\gamma) = \frac{1/(1-\gamma)}{\frac1n \sum_k \lambda_k^2/(1-\gamma\lambda_k^2)}`
    for a symmetric W with eigenvalues ``eigs`` (docs/theory/consensus.md §6). ``gamma`` may
    be a number or a sympy symbol."""
    eigs = [sp.sympify(e) for e in eigs]
    g = sp.sympify(gamma)
    n = len(eigs)
    mean_var = sum(e**2 / (1 - g * e**2) for e in eigs) / n
    return 1 / ((1 - g) * mean_var)
