r"""Graphs, mixing matrices and their spectra at a scale where a dense N × N matrix does not fit
(an extension of arXiv 2607.02447, whose theory uses only :math:`|\bar A|`;
docs/theory/consensus.md §0).

Graphs are ``scipy.sparse`` CSR 0/1 adjacency matrices (symmetric, zero diagonal), built from
their neighbour rule without an N × N array; mixing matrices follow the convention of
:mod:`theory.topology` (:math:`x_i \leftarrow \sum_j W_{ij} x_j`, rows sum to 1) and equal its
dense ones entry for entry (``uniform`` :math:`W = D^{-1}(\mathrm{Adj} + I)`, ``metropolis``,
``max_degree``). A mixing matrix is handed
to the simulator as padded neighbour lists (:func:`neighbour_lists`): ``index`` (N, k) int32 and
``weights`` (N, k) with k the largest number of nonzeros in a row; a shorter row is padded with
its own index and weight 0.

Spectra come from ARPACK (``scipy.sparse.linalg.eigsh`` / ``eigs`` / ``svds``), each value with
the bound that its residual gives:

* symmetric S, Ritz pair :math:`(\theta, x)`, :math:`\lVert x\rVert = 1`,
  :math:`r = \lVert Sx - \theta x\rVert_2`: some eigenvalue of S lies in
  :math:`[\theta - r, \theta + r]` (the residual bound for Hermitian matrices; Parlett, *The
  Symmetric Eigenvalue Problem*, Thm 4.5.1);
* singular triplet :math:`(\sigma, u, v)` of A: some singular value lies within
  :math:`\max(\lVert Av - \sigma u\rVert, \lVert A^\top u - \sigma v\rVert)` of σ (the same
  bound on the symmetric :math:`\begin{pmatrix} 0 & A \\ A^\top & 0 \end{pmatrix}`).

A reversible W is similar to :math:`S = D_\pi^{1/2} W D_\pi^{-1/2}`, symmetric: its eigenvalues
are those of S (:mod:`theory.spectral`). π is exact where the rule fixes it (:math:`1/N` for the
symmetric rules, :math:`\propto |A_i|` for ``uniform``) and otherwise the Perron vector that
``eigs`` returns, with its residual :math:`\lVert W^\top \pi - \pi\rVert_2` reported.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import ArpackError, LinearOperator, eigs, eigsh, svds

from theory import _validate as v
from theory.graph_params import exponential_offsets
from theory.topology import numpy_rng

__all__ = [
    "SPARSE_GRAPHS",
    "SPARSE_MIXINGS",
    "sparse_graph",
    "sparse_mixing",
    "neighbour_lists",
    "from_neighbour_lists",
    "Estimate",
    "stationary_weights",
    "spectrum",
    "product_contraction",
]

#: the graphs :func:`sparse_graph` builds (names and parameters as in
#: :func:`theory.topology.make_graph`)
SPARSE_GRAPHS = ("ring", "torus", "hypercube", "exponential", "random_regular")
#: the rules :func:`sparse_mixing` builds (as in :func:`theory.topology.mixing_matrix`)
SPARSE_MIXINGS = ("uniform", "metropolis", "max_degree")

#: ARPACK's relative tolerance; the error reported is the residual bound, not this
ARPACK_TOL = 1e-12


def _offsets_graph(n: int, offsets) -> sp.csr_matrix:
    """Undirected circulant graph i ~ i ± s mod n for every offset s (no loops, no doubles)."""
    rows, cols = [], []
    i = np.arange(n)
    for s in offsets:
        j = (i + s) % n
        rows += [i, j]
        cols += [j, i]
    r, c = np.concatenate(rows), np.concatenate(cols)
    keep = r != c
    a = sp.coo_matrix((np.ones(int(keep.sum())), (r[keep], c[keep])), shape=(n, n)).tocsr()
    a.data[:] = 1.0  # duplicate edges (i + s = i − s' mod n) summed: back to 0/1
    return a


def sparse_graph(
    name: str,
    n: int,
    *,
    rows: int | None = None,
    cols: int | None = None,
    degree: int | None = None,
    seed: Any = None,
) -> sp.csr_matrix:
    r"""Graph ``name`` (one of :data:`SPARSE_GRAPHS`) on ``n`` nodes as a CSR 0/1 adjacency.

    The same edges as :func:`theory.topology.make_graph` for the deterministic graphs (ring,
    torus with node (r, c) at :math:`r \cdot \mathrm{cols} + c`, hypercube on :math:`n = 2^d`,
    exponential :math:`i \sim i \pm 2^\ell`, :math:`\ell < \lceil \log_2 n \rceil`) and for
    ``random_regular`` (networkx's pairing model with the same seed stream, resampled until
    connected); memory :math:`O(n \cdot \mathrm{degree})`.

    Example:
      >>> sparse_graph("ring", 5).sum(axis=1).A1.tolist()
      [2.0, 2.0, 2.0, 2.0, 2.0]
    """
    name = v.choice(name, "graph", SPARSE_GRAPHS)
    n = v.integer(n, "n", lo=2 if name == "hypercube" else 3)
    _check_entries(name, n, degree)
    if name == "ring":
        return _offsets_graph(n, [1])
    if name == "exponential":
        return _offsets_graph(n, exponential_offsets(n))
    if name == "hypercube":
        if n & (n - 1):
            v.fail("n", "a power of 2 for the hypercube", n)
        i = np.arange(n)
        r = np.concatenate([i] * (n.bit_length() - 1))
        c = np.concatenate([i ^ (1 << b) for b in range(n.bit_length() - 1)])
        return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    if name == "torus":
        from theory.graph_params import torus_shape

        nr, nc = torus_shape(n, rows, cols)
        i = np.arange(n)
        r_, c_ = i // nc, i % nc
        right, down = r_ * nc + (c_ + 1) % nc, ((r_ + 1) % nr) * nc + c_
        r = np.concatenate([i, right, i, down])
        c = np.concatenate([right, i, down, i])
        a = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
        a.data[:] = 1.0
        return a
    if degree is None:
        v.fail("degree", "given for random_regular", degree)
    degree = v.integer(degree, "degree", lo=2, hi=n - 1)
    if (n * degree) % 2:
        v.fail("degree", f"such that n*degree is even (n={n})", degree)
    rng = numpy_rng(seed)
    for _ in range(10_000):
        g = nx.random_regular_graph(degree, n, seed=int(rng.integers(2**31 - 1)))
        a = nx.to_scipy_sparse_array(g, nodelist=range(n), dtype=np.float64, format="csr")
        a = sp.csr_matrix(a)
        if connected_components(a, directed=False)[0] == 1:
            return a
    v.fail("degree", "large enough to draw a connected graph in 10000 tries", degree)
    raise AssertionError  # unreachable


#: bytes a stored entry of :func:`sparse_graph` takes while it is built (its COO arrays, the CSR
#: conversion, and the mixing rule and neighbour lists ``sims.core.mixing.graph_rule`` makes of
#: it: 44-57 measured by tracemalloc at N = 10⁶, 86 through ``graph_rule``), and through
#: networkx's random regular graph (332 measured at N = 10⁵, degree 4)
ENTRY_BYTES = {"random_regular": 400}
ENTRY_BYTES_DEFAULT = 100


def row_entries(name: str, n: int, degree: Any = None) -> int:
    """The most neighbours a node of :func:`sparse_graph` ``name`` has on ``n`` nodes (the
    nonzeros of its adjacency row; 2⌈log₂ n⌉ bounds the exponential graph's); the degree
    of ``random_regular`` (1 where it is not a valid degree yet: it is checked with the graph).

    >>> row_entries("ring", 10), row_entries("exponential", 1000), row_entries("torus", 9)
    (2, 20, 4)
    """
    tau = len(exponential_offsets(n))  # ceil(log2 n)
    per_row = {"ring": 2, "torus": 4, "hypercube": tau, "exponential": 2 * tau}.get(name)
    if per_row is not None:
        return per_row
    try:
        degree = operator.index(degree)
    except TypeError:
        return 1
    return degree if 0 < degree < n else 1


def _check_entries(name: str, n: int, degree: Any) -> None:
    """Refuse, before building, a graph whose entries would exceed the memory budget."""
    per_row = row_entries(name, n, degree)
    v.check_fits("n", n, ENTRY_BYTES.get(name, ENTRY_BYTES_DEFAULT) * per_row * n,
                 what=f"the sparse {name} graph")  # fmt: skip


def _adjacency(adjacency: Any) -> sp.csr_matrix:
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    if a.shape[0] != a.shape[1] or a.shape[0] < 1:
        v.fail("adjacency", "a square non-empty matrix", f"shape {a.shape}")
    if a.nnz and not np.all(a.data == 1.0):
        v.fail("adjacency", "a 0/1 matrix", "other entries")
    if a.diagonal().any():
        v.fail("adjacency", "zero on the diagonal (no self loops)", "a nonzero diagonal")
    if (a != a.T).nnz:
        v.fail("adjacency", "symmetric (an undirected graph)", "a non-symmetric matrix")
    if a.shape[0] > 1 and connected_components(a, directed=False)[0] != 1:
        v.fail("adjacency", "a connected graph", "a disconnected graph")
    return a


def sparse_mixing(name: str, adjacency: Any) -> sp.csr_matrix:
    r"""Mixing matrix ``name`` (one of :data:`SPARSE_MIXINGS`) of a connected undirected graph,
    CSR: the entries of :func:`theory.topology.mixing_matrix` (``uniform``
    :math:`w_{ij} = 1/|A_i|` on :math:`A_i = \{i\} \cup N(i)`, Section 3.1 of arXiv 2607.02447;
    Metropolis–Hastings; max-degree).

    Example:
      >>> sparse_mixing("uniform", sparse_graph("ring", 4)).toarray()[0].tolist()
      [0.3333333333333333, 0.3333333333333333, 0.0, 0.3333333333333333]
    """
    name = v.choice(name, "mixing", SPARSE_MIXINGS)
    a = _adjacency(adjacency)
    n = a.shape[0]
    deg = np.asarray(a.sum(axis=1)).ravel()
    if name == "uniform":
        m = (a + sp.identity(n, format="csr")).tocsr()
        return sp.csr_matrix(sp.diags(1.0 / m.sum(axis=1).A1) @ m)
    coo = a.tocoo()
    if name == "metropolis":
        w = 1.0 / (1.0 + np.maximum(deg[coo.row], deg[coo.col]))
    else:
        w = np.full(coo.nnz, 1.0 / (1.0 + deg.max()))
    off = sp.csr_matrix((w, (coo.row, coo.col)), shape=(n, n))
    return sp.csr_matrix(off + sp.diags(1.0 - np.asarray(off.sum(axis=1)).ravel()))


def neighbour_lists(W: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Padded neighbour lists of a (dense or sparse) N × N matrix: ``(index (N, k) int32,
    weights (N, k) float64)`` with row i holding the columns j of its nonzeros :math:`W_{ij}` in
    increasing order, k the largest count of a row, a shorter row padded with index i and
    weight 0;
    :math:`\sum_m \mathrm{weights}[i, m]\, \theta_{\mathrm{index}[i, m]} = \sum_j W_{ij} \theta_j`.

    Example:
      >>> idx, w = neighbour_lists(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]))
      >>> idx.tolist(), w.tolist()
      ([[0, 1], [1, 1], [0, 2]], [[0.5, 0.5], [1.0, 0.0], [0.5, 0.5]])
    """
    m = sp.csr_matrix(W, dtype=np.float64)
    m.eliminate_zeros()
    m.sort_indices()
    n = m.shape[0]
    if m.shape != (n, n) or n < 1:
        v.fail("W", "a square non-empty matrix", f"shape {m.shape}")
    counts = np.diff(m.indptr)
    k = max(int(counts.max()), 1)
    index = np.repeat(np.arange(n, dtype=np.int32)[:, None], k, axis=1)
    weights = np.zeros((n, k))
    pos = np.arange(m.nnz) - np.repeat(m.indptr[:-1], counts)
    rows = np.repeat(np.arange(n), counts)
    index[rows, pos] = m.indices
    weights[rows, pos] = m.data
    return index, weights


def from_neighbour_lists(index: Any, weights: Any) -> sp.csr_matrix:
    """The CSR matrix of padded neighbour lists (duplicate entries of a row summed), in the
    weights' own float dtype."""
    index = np.asarray(index)
    w = v.array(weights, "weights", ndim=2, dtype=v.float_dtype(weights))
    if index.shape != w.shape or index.ndim != 2:
        v.fail("index", f"an (N, k) integer array like weights {w.shape}", f"shape {index.shape}")
    n = index.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        v.fail("index", f"entries in [0, {n})", f"[{index.min()}, {index.max()}]")
    rows = np.repeat(np.arange(n), index.shape[1])
    return sp.csr_matrix((w.ravel(), (rows, index.ravel())), shape=(n, n))


class Estimate(NamedTuple):
    """A value computed by an iterative solver and the bound on its error (``error``: some
    exact value lies within it; see the module docstring for which bound)."""

    value: float
    error: float


def _stochastic(W: Any, field: str = "W", *, irreducible: bool = True) -> sp.csr_matrix:
    given = v.float_dtype(W)
    m = sp.csr_matrix(W, dtype=np.float64)
    if m.shape[0] != m.shape[1] or m.shape[0] < 2:
        v.fail(field, "a square matrix with N >= 2", f"shape {m.shape}")
    if m.nnz and (not np.all(np.isfinite(m.data)) or m.data.min() < 0):
        v.fail(field, "finite and entrywise >= 0", "other entries")
    rows = np.asarray(m.sum(axis=1)).ravel()
    v.sums_to_one(rows, field, dtype=given, n=int(np.diff(m.indptr).max(initial=1)))
    if irreducible and connected_components(m, directed=True, connection="strong")[0] != 1:
        v.fail(field, "irreducible (a strongly connected graph)", "reducible")
    return m


def stationary_weights(W: Any) -> tuple[np.ndarray, float]:
    r""":math:`\pi` with :math:`\pi^\top W = \pi^\top`, :math:`\sum_i \pi_i = 1`, of a sparse
    row-stochastic irreducible W, and the residual :math:`\lVert W^\top \pi - \pi\rVert_2`
    (``eigs`` on :math:`W^\top`; exactly 1/N when the columns sum to 1 too).

    Example:
      >>> pi, res = stationary_weights(sparse_mixing("uniform", sparse_graph("ring", 6)))
      >>> np.round(pi, 6).tolist()[:2], res < 1e-12
      ([0.166667, 0.166667], True)
    """
    m = _stochastic(W)
    n = m.shape[0]
    cols = np.asarray(m.sum(axis=0)).ravel()
    if np.max(np.abs(cols - 1.0)) <= v.stochastic_tolerance(v.float_dtype(W), n):
        pi = np.full(n, 1.0 / n)
    else:
        _, vec = eigs(m.T, k=1, which="LR", v0=np.full(n, 1.0), tol=ARPACK_TOL)
        pi = np.abs(np.real(vec[:, 0]))
        pi = pi / pi.sum()
    return pi, float(np.linalg.norm(m.T @ pi - pi))


def _symmetrised(m: sp.csr_matrix, pi: np.ndarray) -> tuple[sp.csr_matrix, float]:
    """S = D_π^{1/2} W D_π^{-1/2} made symmetric, and ‖S − Sᵀ‖_F (0 for a reversible W)."""
    r = np.sqrt(pi)
    s = sp.csr_matrix(sp.diags(r) @ m @ sp.diags(1.0 / r))
    return sp.csr_matrix(0.5 * (s + s.T)), float(sp.linalg.norm(s - s.T))


def spectrum(W: Any, *, pi: Any = None, maxiter: int | None = None) -> dict:
    r""":math:`\lambda_2`, :math:`\lambda_N` and :math:`\lambda = \max(|\lambda_2|, |\lambda_N|)`
    of a reversible sparse W (:mod:`theory.spectral`'s definitions; Lanczos through ``eigsh``
    on the π-symmetrised :math:`S = D_\pi^{1/2} W D_\pi^{-1/2}`), each an :class:`Estimate`
    whose error is the residual bound of its Ritz pair.

    Args:
      W: (N, N) row-stochastic, irreducible, reversible (:math:`\pi_i W_{ij} = \pi_j W_{ji}`),
        :math:`N \ge 4`.
      pi: its stationary weights if known (None: :func:`stationary_weights`).
      maxiter: ARPACK's limit on restarts (None: its default, :math:`10 N`); past it
        ``scipy.sparse.linalg.ArpackNoConvergence`` is raised (a gap too small to resolve).

    Returns:
      dict with ``lambda2``, ``lambda_min``, ``lambda``, ``spectral_gap`` :math:`1 - \lambda`
      and ``p`` :math:`1 - \lambda^2` (Estimates), ``pi`` (N,),
      ``pi_residual`` :math:`\lVert W^\top \pi - \pi\rVert_2` and ``asymmetry``
      :math:`\lVert S - S^\top\rVert_F` (rounding of π; a reversible W with an exact π has 0):
      W's eigenvalues are S's to within it.

    Example:
      >>> out = spectrum(sparse_mixing("uniform", sparse_graph("ring", 6)))
      >>> round(out["lambda"].value, 9), out["lambda"].error < 1e-9
      (0.666666667, True)
    """
    m = _stochastic(W)
    n = m.shape[0]
    if n < 4:
        v.fail("W", "a matrix with N >= 4 (smaller: theory.spectral's dense solver)", n)
    if pi is None:
        pi, res = stationary_weights(m)
    else:
        pi = v.array(pi, "pi", ndim=1, shape=(n,))
        res = float(np.linalg.norm(m.T @ pi - pi))
    s, asym = _symmetrised(m, pi)
    if asym > 1e-8:
        v.fail("W", "reversible (pi_i W_ij = pi_j W_ji)", f"||S - S^T||_F = {asym:.3g}")
    if maxiter is not None:
        maxiter = v.integer(maxiter, "maxiter", lo=1)
    top, vt = eigsh(s, k=2, which="LA", v0=np.sqrt(pi), tol=ARPACK_TOL, maxiter=maxiter)
    low, vl = eigsh(s, k=1, which="SA", v0=np.sqrt(pi), tol=ARPACK_TOL, maxiter=maxiter)

    def est(theta, vec):
        vec = vec / np.linalg.norm(vec)
        return Estimate(float(theta), float(np.linalg.norm(s @ vec - theta * vec)))

    order = np.argsort(top)
    lam2 = est(top[order[0]], vt[:, order[0]])
    lmin = est(low[0], vl[:, 0])
    lam = max(
        (Estimate(abs(lam2.value), lam2.error), Estimate(abs(lmin.value), lmin.error)),
        key=lambda e: e.value,
    )
    return {
        "lambda2": lam2,
        "lambda_min": lmin,
        "lambda": lam,
        "spectral_gap": Estimate(1.0 - lam.value, lam.error),
        "p": Estimate(1.0 - lam.value**2, 2.0 * lam.value * lam.error + lam.error**2),
        "pi": pi,
        "pi_residual": res,
        "asymmetry": asym,
    }


#: The graphs whose :func:`spectrum` has a closed form (:func:`closed_form_spectrum`): their
#: spectral gap shrinks as :math:`1/N^2`, past what ARPACK resolves at large N.
CLOSED_FORM_SPARSE = ("ring", "torus")


def closed_form_spectrum(
    graph: str, n: int, *, rows: int | None = None, cols: int | None = None
) -> dict:
    r""":func:`spectrum`'s answer for the ring or the torus (:func:`sparse_graph`'s; ``rows``,
    ``cols`` as there) with the uniform, Metropolis or max-degree rule (one matrix on these
    regular graphs) from the exact
    :func:`theory.spectral_closed_forms.closed_form_extremes`, in O(1) time: each value rounded
    from 30 digits, its error that rounding (at most half a unit in the last place; the gap
    :math:`1 - \lambda` and :math:`p = 1 - \lambda^2` from the exact λ, so that they keep
    their digits where the gap is of order :math:`1/N^2`); π uniform
    and ``pi_residual`` = ``asymmetry`` = 0 (the matrix is symmetric and doubly stochastic).

    Example:
      >>> out = closed_form_spectrum("ring", 6)
      >>> out["lambda2"].value, out["lambda_min"].value, out["lambda"].value
      (0.6666666666666666, -0.3333333333333333, 0.6666666666666666)
    """
    import sympy

    from theory.graph_params import torus_shape
    from theory.spectral_closed_forms import closed_form_extremes

    graph = v.choice(graph, "graph", CLOSED_FORM_SPARSE)
    n = v.integer(n, "n", lo=3)
    if graph == "torus":  # the sides of sparse_graph's torus
        rows, cols = torus_shape(n, rows, cols)

    def rounded(expr) -> Estimate:
        exact = sympy.N(expr, 30)
        value = float(exact)
        return Estimate(value, float(abs(exact - sympy.Float(value, 30))) + 1e-29)

    two, low = closed_form_extremes(graph, n=n, rows=rows, cols=cols)
    lam = two if sympy.N(two, 30) >= sympy.N(-low, 30) else -low
    return {
        "lambda2": rounded(two),
        "lambda_min": rounded(low),
        "lambda": rounded(lam),
        # from the exact λ: 1 − λ in float64 would keep only 1e-16 / gap of its digits
        "spectral_gap": rounded(1 - lam),
        "p": rounded(1 - lam**2),
        "pi": np.full(n, 1.0 / n),
        "pi_residual": 0.0,
        "asymmetry": 0.0,
    }


def product_contraction(mats) -> Estimate:
    r""":math:`\lVert W_{P-1} \cdots W_0 - J\rVert_2`, :math:`J = \mathbf{1}\mathbf{1}^\top/N`,
    of a sequence of sparse doubly-stochastic :math:`W_t` by
    ``svds`` on the product as a linear operator (no N × N array), with the residual bound of
    the singular triplet. The dense, exact form for small N is
    :func:`theory.time_varying.period_contraction`.

    Args:
      mats: a list of P (N, N) sparse (or dense) doubly-stochastic matrices, :math:`N \ge 3`
        (the columns are not checked: for a :math:`W_t` that is only row-stochastic the value is
        still :math:`\lVert \prod_t W_t - J\rVert_2`, but no longer a consensus contraction).
    """
    # one W_t alone need not be irreducible (a one-peer round, a matching)
    ms = [_stochastic(w, f"mats[{t}]", irreducible=False) for t, w in enumerate(mats)]
    if not ms:
        v.fail("mats", "a non-empty list of (N, N) matrices", mats)
    n = ms[0].shape[0]
    if n < 3 or any(m.shape != (n, n) for m in ms):
        v.fail("mats", "matrices of one shape (N, N), N >= 3", [m.shape for m in ms])

    def mv(x):
        x = np.asarray(x, dtype=np.float64).reshape(n, -1)
        y = x
        for m in ms:
            y = m @ y
        return y - x.mean(axis=0, keepdims=True)

    def rmv(x):
        x = np.asarray(x, dtype=np.float64).reshape(n, -1)
        y = x
        for m in reversed(ms):
            y = m.T @ y
        return y - x.mean(axis=0, keepdims=True)

    op = LinearOperator((n, n), matvec=mv, rmatvec=rmv, matmat=mv, rmatmat=rmv, dtype=np.float64)
    rng = np.random.default_rng(0)
    try:
        u, s, vt = svds(op, k=1, tol=ARPACK_TOL, v0=rng.standard_normal(n))
        sigma, u, vv = float(s[0]), u[:, 0], vt[0]
    except ArpackError:
        # ARPACK stops when the operator is zero to rounding (a product that is J up to
        # float64, e.g. the one-peer exponential period at N = 2^k): power iterations instead
        sigma, u, vv = _power_svd(mv, rmv, n, rng)
    err = max(
        np.linalg.norm(mv(vv).ravel() - sigma * u), np.linalg.norm(rmv(u).ravel() - sigma * vv)
    )
    return Estimate(sigma, float(err))


def _power_svd(mv, rmv, n: int, rng, iterations: int = 100) -> tuple[float, np.ndarray, np.ndarray]:
    """(σ, u, v) of the largest singular value of the operator by power iterations on AᵀA
    (the residual bound of :func:`product_contraction` is computed from the triple as for
    ``svds``); σ = 0 with u = v = a unit vector where A maps every probe to exactly 0."""
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    for _ in range(iterations):
        w = rmv(mv(v)).ravel()
        size = np.linalg.norm(w)
        if size == 0.0:
            return 0.0, v, v
        v = w / size
    av = mv(v).ravel()
    sigma = float(np.linalg.norm(av))
    return sigma, (av / sigma if sigma > 0 else v), v
