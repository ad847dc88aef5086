r"""Communication graphs and mixing matrices for decentralized learning (Section 3.1 and
Assumption A.3 of arXiv 2607.02447).

Graphs are returned as dense ``(n, n)`` float64 0/1 adjacency matrices: symmetric, zero
diagonal (no self loops). The paper's neighbourhood :math:`A_i` contains client i itself, so
:math:`|A_i| = \mathrm{degree}_i + 1`; the official code's ``avg_connectivity`` is the average
*degree* (self excluded), i.e. code degree k corresponds to paper :math:`|A_i| = k + 1`.

Mixing matrices follow the toolkit convention :math:`x_i \leftarrow \sum_j W_{ij} x_j` (rows sum
to 1):

* ``uniform``     :math:`w_{ij} = 1/|A_i|` for :math:`j \in A_i` — the paper's rule
  (row-stochastic);
* ``metropolis``  :math:`w_{ij} = 1/(1 + \max(\deg_i, \deg_j))` — Metropolis–Hastings,
  symmetric doubly stochastic (the weights of Vogels et al.'s ``gossip_matrix``);
* ``max_degree``  :math:`w_{ij} = 1/(1 + \max_k \deg_k)` — symmetric doubly stochastic;
* ``data_size``   :math:`w_{ij} = n_j / \sum_{k \in A_i} n_k` — the official code's rule
  (row-stochastic);
* ``fedavg``      :math:`W = J = \mathbf{1}\mathbf{1}^\top/N` — FedAvg as gossip with the
  averaging matrix.

Random generators take ``seed`` (an int, a JAX PRNG key or a NumPy Generator) and are
reproducible: the same seed gives the same graph.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.random as jr
import networkx as nx
import numpy as np
from scipy.sparse.csgraph import connected_components

from theory import _validate as v
from theory.graph_params import (
    GRAPH_FREE_MIXINGS,
    check_graph_free,
    exponential_offsets,
    torus_shape,
)

GRAPHS = (
    "complete",
    "ring",
    "torus",
    "star",
    "hypercube",
    "exponential",
    "erdos_renyi",
    "random_regular",
    "paper_code",
)
RANDOM_GRAPHS = ("erdos_renyi", "random_regular", "paper_code")
MIXINGS = ("uniform", "metropolis", "max_degree", "data_size", "fedavg")

_ATOL = 1e-10  # tolerance for "sums to 1" / "symmetric" checks on float64 matrices
_MAX_TRIES = 10_000


# --------------------------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------------------------


def numpy_rng(seed: Any, field: str = "seed") -> np.random.Generator:
    """Deterministic NumPy Generator from an int >= 0, a JAX PRNG key or a Generator.

    A JAX key (typed ``jr.key`` or raw ``jr.PRNGKey`` uint32 data) is converted through its
    key data words, so equal keys give equal generators.

    >>> bool(numpy_rng(0).integers(10) == numpy_rng(0).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        v.fail(field, "an int >= 0 or a JAX PRNG key (random graphs need a seed)", seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(v.integer(seed, field, lo=0))
    if isinstance(seed, jax.Array) or hasattr(seed, "dtype"):
        key = seed
        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
            key = jr.key_data(key)
        words = np.asarray(key)
        if words.dtype.kind != "u" or words.size == 0:
            v.fail(field, "an int >= 0 or a JAX PRNG key", seed)
        return np.random.default_rng([int(w) for w in words.ravel()])
    v.fail(field, "an int >= 0 or a JAX PRNG key", seed)
    raise AssertionError  # unreachable


# --------------------------------------------------------------------------------------------
# adjacency utilities
# --------------------------------------------------------------------------------------------


def _from_edges(n: int, edges) -> np.ndarray:
    a = np.zeros((n, n), dtype=np.float64)
    for i, j in edges:
        if i != j:
            a[i, j] = a[j, i] = 1.0
    return a


def is_connected(adjacency) -> bool:
    """True if the undirected graph with the given adjacency (any nonzero = edge) is connected.

    Treats the support of ``adjacency + adjacencyᵀ`` as the edge set, so it also answers
    "is the support of a mixing matrix connected?".

    >>> is_connected(ring(5))
    True
    """
    a = v.array(adjacency, "adjacency", ndim=2)
    if a.shape[0] != a.shape[1]:
        v.fail("adjacency", "a square matrix", f"shape {a.shape}")
    if a.shape[0] == 0:
        return False
    support = (np.abs(a) + np.abs(a.T)) > 0
    n_comp, _ = connected_components(support, directed=False)
    return bool(n_comp == 1)


def validate_adjacency(
    adjacency, *, field: str = "adjacency", connected: bool = True
) -> np.ndarray:
    """Check a 0/1 symmetric adjacency with zero diagonal (and, by default, connected).

    Returns it as a float64 array. Raises a one-line ValueError naming ``field``.
    """
    a = v.array(adjacency, field, ndim=2)
    if a.shape[0] != a.shape[1]:
        v.fail(field, "a square matrix", f"shape {a.shape}")
    if a.shape[0] < 1:
        v.fail(field, "a non-empty matrix", f"shape {a.shape}")
    if not np.all((a == 0.0) | (a == 1.0)):
        v.fail(field, "a 0/1 matrix", "other entries")
    if not np.array_equal(a, a.T):
        v.fail(field, "symmetric (an undirected graph)", "a non-symmetric matrix")
    if np.any(np.diag(a) != 0.0):
        v.fail(field, "zero on the diagonal (no self loops)", "a nonzero diagonal")
    if connected and a.shape[0] > 1 and not is_connected(a):
        v.fail(field, "a connected graph", "a disconnected graph")
    return a


def degrees(adjacency) -> np.ndarray:
    r"""Degree of every node (self excluded): :math:`\deg_i = \sum_j A_{ij}`. Shape (n,)."""
    return np.asarray(adjacency, dtype=np.float64).sum(axis=1)


def mean_neighbourhood(adjacency) -> float:
    r""":math:`|\bar A| = \frac1N \sum_i |A_i|`, the mean neighbourhood size with each node in its
    own neighbourhood (:math:`A_i = \{j : A_{ij} = 1\} \cup \{i\}`; §3.3 of arXiv 2607.02447).

    >>> mean_neighbourhood(star(4))
    2.5
    """
    return float(np.mean(degrees(adjacency) + 1.0))


# --------------------------------------------------------------------------------------------
# deterministic graphs
# --------------------------------------------------------------------------------------------


#: dense (n, n) float64 arrays a graph builder and the mixing matrix built on it hold at once
#: (adjacency, its transposes and sums, W): the memory check is this × 8·n² bytes
GRAPH_COPIES = 4


def _nodes(n: Any, lo: int, field: str = "n") -> int:
    """``n`` as the number of nodes of a dense graph: an integer >= ``lo`` whose (n, n)
    matrices fit in the memory budget (half this machine's memory), checked before
    allocating."""
    n = v.integer(n, field, lo=lo)
    v.check_fits(field, n, GRAPH_COPIES * 8 * n * n, what="the dense n×n graph matrices")
    return n


def complete(n: int) -> np.ndarray:
    """Complete graph :math:`K_n` (every :math:`|A_i| = n`: the FL case of Remark A.2)."""
    n = _nodes(n, lo=2)
    return np.ones((n, n)) - np.eye(n)


def ring(n: int) -> np.ndarray:
    r"""Cycle :math:`C_n`: :math:`i \sim i \pm 1 \bmod n` (:math:`n = 3` is the triangle
    :math:`K_3`)."""
    n = _nodes(n, lo=3)
    return _from_edges(n, ((i, (i + 1) % n) for i in range(n)))


def torus(rows: int, cols: int) -> np.ndarray:
    r"""2-D torus :math:`C_{\mathrm{rows}} \times C_{\mathrm{cols}}`, node (r, c) has index
    :math:`r \cdot \mathrm{cols} + c`; degree 4.

    Both sides must be >= 3 (a side of 2 would double edges; docs/theory/consensus.md §4).
    """
    rows = v.integer(rows, "rows", lo=3)
    cols = v.integer(cols, "cols", lo=3)
    n = _nodes(rows * cols, lo=9, field="rows")
    edges = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            edges.append((i, r * cols + (c + 1) % cols))
            edges.append((i, ((r + 1) % rows) * cols + c))
    return _from_edges(n, edges)


def star(n: int) -> np.ndarray:
    r"""Star: node 0 is the hub, nodes :math:`1, \dots, n-1` are leaves."""
    n = _nodes(n, lo=3)
    return _from_edges(n, ((0, j) for j in range(1, n)))


def hypercube(n: int) -> np.ndarray:
    r"""Hypercube on :math:`n = 2^d` nodes: :math:`i \sim j` iff their binary labels differ in one
    bit."""
    n = _nodes(n, lo=2)
    if n & (n - 1):
        v.fail("n", "a power of 2 for the hypercube", n)
    d = n.bit_length() - 1
    return _from_edges(n, ((i, i ^ (1 << b)) for i in range(n) for b in range(d)))


def exponential(n: int) -> np.ndarray:
    r"""Undirected static exponential graph: :math:`i \sim i \pm 2^\ell \bmod n`,
    :math:`\ell = 0, \dots, \lceil \log_2 n \rceil - 1`.

    This is the symmetrised communication graph of Ying et al. (2021). Their *directed*
    graph and its doubly-stochastic (non-symmetric) mixing matrix are
    :func:`exponential_directed` and :func:`exponential_mixing`.
    """
    n = _nodes(n, lo=3)
    return _from_edges(n, ((i, (i + s) % n) for i in range(n) for s in exponential_offsets(n)))


def exponential_directed(n: int) -> np.ndarray:
    r"""Directed static exponential graph of Ying et al. (2021): edge
    :math:`i \to i + 2^\ell \bmod n`.

    Returns the 0/1 out-neighbour matrix (row i marks the nodes i sends to); not symmetric.
    """
    n = _nodes(n, lo=3)
    a = np.zeros((n, n))
    for i in range(n):
        for s in exponential_offsets(n):
            a[i, (i + s) % n] = 1.0
    return a


def exponential_mixing(n: int) -> np.ndarray:
    r"""Ying et al.'s static exponential mixing matrix
    :math:`W = (I + \sum_{\ell} S^{2^\ell})/(\tau + 1)`, :math:`\tau = \lceil \log_2 n \rceil`.

    Row i averages :math:`x_i` with :math:`x_{i+2^\ell}`; W is circulant and doubly stochastic
    but not symmetric (so its contraction factor is :math:`\lVert W - J\rVert_2`, see
    :func:`theory.spectral.contraction`).
    """
    n = _nodes(n, lo=3)
    tau = len(exponential_offsets(n))
    return (np.eye(n) + exponential_directed(n)) / (tau + 1)


# --------------------------------------------------------------------------------------------
# random graphs
# --------------------------------------------------------------------------------------------


def erdos_renyi(
    n: int, *, prob: float | None = None, avg_degree: float | None = None, seed: Any
) -> np.ndarray:
    r"""Connected Erdős–Rényi :math:`G(n, p)` graph, resampled until connected.

    Give exactly one of ``prob`` (edge probability p) or ``avg_degree``
    (:math:`p = \mathrm{avg\_degree}/(n-1)`).
    This is the graph the paper *says* it uses (Section 5 of arXiv 2607.02447); the official
    code uses :func:`paper_code` instead.
    """
    n = _nodes(n, lo=2)
    if (prob is None) == (avg_degree is None):
        v.fail("prob", "given, or avg_degree given, but not both", (prob, avg_degree))
    if prob is None:
        avg_degree = v.real(avg_degree, "avg_degree", lo=0.0, hi=n - 1, lo_open=True)
        prob = avg_degree / (n - 1)
    prob = v.real(prob, "prob", lo=0.0, hi=1.0, lo_open=True)
    rng = numpy_rng(seed)
    iu = np.triu_indices(n, 1)
    for _ in range(_MAX_TRIES):
        a = np.zeros((n, n))
        a[iu] = (rng.random(len(iu[0])) < prob).astype(np.float64)
        a = a + a.T
        if is_connected(a):
            return a
    v.fail("prob", f"large enough to draw a connected graph in {_MAX_TRIES} tries", prob)
    raise AssertionError  # unreachable


def random_regular(n: int, degree: int, *, seed: Any) -> np.ndarray:
    r"""Connected random ``degree``-regular graph (networkx pairing model, resampled until
    connected). Needs :math:`n \cdot \mathrm{degree}` even and
    :math:`2 \le \mathrm{degree} \le n - 1`."""
    n = _nodes(n, lo=3)
    degree = v.integer(degree, "degree", lo=2, hi=n - 1)
    if (n * degree) % 2:
        v.fail("degree", f"such that n*degree is even (n={n})", degree)
    rng = numpy_rng(seed)
    for _ in range(_MAX_TRIES):
        g = nx.random_regular_graph(degree, n, seed=int(rng.integers(2**31 - 1)))
        a = nx.to_numpy_array(g, nodelist=range(n), dtype=np.float64)
        if is_connected(a):
            return a
    v.fail("degree", f"large enough to draw a connected graph in {_MAX_TRIES} tries", degree)
    raise AssertionError  # unreachable


def paper_code(n: int, avg_degree: float, *, seed: Any) -> np.ndarray:
    r"""The official code's generator (``generate_adj_matrix_avg``; docs/theory/paper_code.md §2).

    1. random spanning tree: node :math:`i = 1, \dots, n-1` attaches to a parent drawn uniformly
       from :math:`0, \dots, i-1`;
    2. visiting nodes in index order, while node i has degree < k = int(avg_degree), add an
       edge to a partner drawn uniformly from the nodes not yet adjacent to i (and ≠ i);
    3. retry from 1. until the graph is connected (step 1 already guarantees it).

    The realised mean degree is >= k and usually larger: tree edges and partners' edges push
    degrees above k. Unit: k is a *degree* (self excluded); paper
    :math:`|A_i| = \mathrm{degree} + 1`.
    Deviation from the released code: it uses Python's unseeded ``random``; here the stream
    comes from ``seed``, and step 2 is our reading of "random edges until every node has
    degree >= avg" (a uniformly random non-neighbour as partner).
    """
    n = _nodes(n, lo=2)
    avg_degree = v.real(avg_degree, "avg_degree", lo=1.0, hi=n - 1)
    k = int(avg_degree)
    rng = numpy_rng(seed)
    for _ in range(_MAX_TRIES):
        a = np.zeros((n, n), dtype=bool)
        for i in range(1, n):
            p = int(rng.integers(i))
            a[i, p] = a[p, i] = True
        for i in range(n):
            while a[i].sum() < k:
                free = np.flatnonzero(~a[i])
                free = free[free != i]
                j = int(free[rng.integers(len(free))])
                a[i, j] = a[j, i] = True
        out = a.astype(np.float64)
        if is_connected(out):
            return out
    raise AssertionError("paper_code: tree construction is always connected")  # unreachable


def make_graph(
    name: str,
    n: int,
    *,
    rows: int | None = None,
    cols: int | None = None,
    degree: int | None = None,
    avg_degree: float | None = None,
    prob: float | None = None,
    seed: Any = None,
) -> np.ndarray:
    """Build graph ``name`` (one of :data:`GRAPHS`) on ``n`` nodes; (n, n) 0/1 adjacency.

    Parameters used per graph: torus ``rows``/``cols`` (default: the most square
    factorisation of n with sides >= 3); erdos_renyi ``prob`` or ``avg_degree``;
    random_regular ``degree``; paper_code ``avg_degree`` (the code's nominal average degree).
    Random graphs (erdos_renyi, random_regular, paper_code) need ``seed`` (int or JAX key); the
    deterministic ones are the same graph for every seed and ignore it, so one call can serve
    every graph (the CLI refuses ``--seed`` there, where it is typed for nothing).

    >>> make_graph("ring", 4).sum(axis=1).tolist()
    [2.0, 2.0, 2.0, 2.0]
    """
    name = v.choice(name, "graph", GRAPHS)
    n = _nodes(n, lo=2)
    if name == "complete":
        return complete(n)
    if name == "ring":
        return ring(n)
    if name == "torus":
        r, c = torus_shape(n, rows, cols)
        return torus(r, c)
    if name == "star":
        return star(n)
    if name == "hypercube":
        return hypercube(n)
    if name == "exponential":
        return exponential(n)
    if name == "erdos_renyi":
        return erdos_renyi(n, prob=prob, avg_degree=avg_degree, seed=seed)
    if name == "random_regular":
        if degree is None:
            v.fail("degree", "given for random_regular", degree)
        return random_regular(n, degree, seed=seed)
    if avg_degree is None:
        v.fail("avg_degree", "given for paper_code", avg_degree)
    return paper_code(n, avg_degree, seed=seed)


# --------------------------------------------------------------------------------------------
# mixing matrices
# --------------------------------------------------------------------------------------------


def uniform_mixing(adjacency) -> np.ndarray:
    r"""Paper's weights :math:`w_{ij} = 1/|A_i|` for :math:`j \in A_i = \{i\} \cup N(i)`:
    :math:`W = D^{-1}(\mathrm{Adj} + I)`."""
    a = validate_adjacency(adjacency)
    m = a + np.eye(a.shape[0])
    return m / m.sum(axis=1, keepdims=True)


def metropolis_mixing(adjacency) -> np.ndarray:
    r"""Metropolis–Hastings: :math:`w_{ij} = 1/(1 + \max(\deg_i, \deg_j))` on edges,
    :math:`w_{ii} = 1 - \sum_{j \ne i} w_{ij}`."""
    a = validate_adjacency(adjacency)
    d = degrees(a)
    w = a / (1.0 + np.maximum(d[:, None], d[None, :]))
    return w + np.diag(1.0 - w.sum(axis=1))


def max_degree_mixing(adjacency) -> np.ndarray:
    r"""Max-degree weights: :math:`w_{ij} = 1/(1 + \Delta)` on edges (Δ = max degree),
    :math:`w_{ii} = 1 - \deg_i/(1 + \Delta)`."""
    a = validate_adjacency(adjacency)
    w = a / (1.0 + degrees(a).max())
    return w + np.diag(1.0 - w.sum(axis=1))


def data_size_mixing(adjacency, sizes) -> np.ndarray:
    r"""Official code's weights :math:`w_{ij} = n_j / \sum_{k \in A_i} n_k` for
    :math:`j \in A_i` (row-stochastic)."""
    a = validate_adjacency(adjacency)
    s = validate_sizes(sizes, a.shape[0])
    m = (a + np.eye(a.shape[0])) * s[None, :]
    return m / m.sum(axis=1, keepdims=True)


def fedavg_mixing(n: int) -> np.ndarray:
    r"""FedAvg as gossip: :math:`W = J = \mathbf{1}\mathbf{1}^\top/N` (Remark A.2: FL is the
    fully connected case)."""
    n = _nodes(n, lo=1)
    return np.full((n, n), 1.0 / n)


def validate_sizes(sizes, n: int, *, field: str = "sizes") -> np.ndarray:
    """Client data sizes: a length-n array of finite numbers > 0."""
    if sizes is None:
        v.fail(field, f"given (n={n} client data sizes > 0)", sizes)
    s = v.array(sizes, field, ndim=1)
    if s.shape[0] != n:
        v.fail(field, f"of length n={n}", f"length {s.shape[0]}")
    if np.any(s <= 0):
        v.fail(field, "all > 0", sizes)
    if not np.isfinite(s.sum()):
        v.fail(field, "sizes whose total is finite", "a total that overflows")
    if s.min() / s.sum() < np.finfo(np.float64).tiny:  # a weight n_j / Σ n_k would underflow
        v.fail(field, "sizes whose ratios to their total are normal float64 numbers "
               "(>= 2.2e-308; a smaller weight underflows and cuts the edge)",
               f"min/total {s.min() / s.sum():.3g}")  # fmt: skip
    return s


def mixing_matrix(name: str, adjacency, *, sizes=None, any_graph: bool = False) -> np.ndarray:
    r"""Mixing matrix ``name`` (one of :data:`MIXINGS`) for a connected undirected graph.

    ``sizes`` (client data sizes, all > 0) is required by ``data_size``; the other rules do not
    depend on data sizes and ignore it (so one call can serve every rule). Assumption A.3
    of arXiv 2607.02447 allows any topology-respecting row-stochastic rule; its proofs use
    ``uniform``. ``fedavg`` (:math:`J = \mathbf{1}\mathbf{1}^\top/N`: the server averages
    every client) uses no graph: it takes the complete graph, and another graph is refused (it
    would be ignored) unless
    ``any_graph`` (an audit that puts every rule on the same graphs).

    >>> mixing_matrix("uniform", star(4))[0].tolist()
    [0.25, 0.25, 0.25, 0.25]
    >>> try:
    ...     mixing_matrix("fedavg", ring(4))
    ... except ValueError as err:
    ...     print(str(err)[:58])
    adjacency: must be the complete graph with mixing 'fedavg'
    """
    v.choice(name, "mixing", MIXINGS)
    v.boolean(any_graph, "any_graph")
    if name in GRAPH_FREE_MIXINGS and not any_graph:
        a = validate_adjacency(adjacency)
        check_graph_free(name, a.shape[0], int(np.count_nonzero(np.triu(a, 1))))
    return _MIXING_OF[name](adjacency, sizes)


#: ``(adjacency, sizes) -> W`` of each name of :data:`MIXINGS` (:func:`mixing_matrix`)
_MIXING_OF = {
    "uniform": lambda adjacency, sizes: uniform_mixing(adjacency),
    "metropolis": lambda adjacency, sizes: metropolis_mixing(adjacency),
    "max_degree": lambda adjacency, sizes: max_degree_mixing(adjacency),
    "data_size": data_size_mixing,
    "fedavg": lambda adjacency, sizes: fedavg_mixing(validate_adjacency(adjacency).shape[0]),
}


#: dense float64 (n, n) copies :func:`validate_mixing` may hold at once (the array, its
#: comparisons, the support graph): its memory estimate
MIXING_CHECK_COPIES = 6


def validate_mixing(
    W,
    *,
    field: str = "W",
    symmetric: bool = False,
    doubly: bool = False,
    positive_diagonal: bool = False,
    adjacency=None,
    force_size: bool = False,
) -> np.ndarray:
    r"""Check a mixing matrix; return it as float64 or raise a one-line ValueError.

    Always: square, finite, entries >= 0, rows summing to 1 (to a tolerance of W's own
    dtype: a float32 W may carry
    float32 rounding), support graph connected. Optional: ``symmetric``, ``doubly`` (columns
    sum to 1 too), ``positive_diagonal`` (:math:`w_{ii} > 0`), and ``adjacency``
    (:math:`w_{ij} > 0` only for :math:`j \in A_i`: Assumption A.3). The memory of the checks
    (:data:`MIXING_CHECK_COPIES` dense float64 copies) is estimated from W's shape before
    anything is copied; above the budget the call is refused unless ``force_size``.

    >>> w = mixing_matrix("uniform", ring(4)).astype(np.float32)
    >>> validate_mixing(w).dtype
    dtype('float64')
    """
    shape = getattr(W, "shape", None)
    if shape is not None and len(shape) == 2:
        v.check_fits(field, f"shape {tuple(shape)}", MIXING_CHECK_COPIES * 8 * shape[0] * shape[1],
                     what="the checks of the mixing matrix", force=force_size)  # fmt: skip
    given = v.float_dtype(W)
    w = v.array(W, field, ndim=2)
    if w.shape[0] != w.shape[1]:
        v.fail(field, "a square matrix", f"shape {w.shape}")
    n = w.shape[0]
    if n < 1:
        v.fail(field, "a non-empty matrix", f"shape {w.shape}")
    if np.any(w < 0):
        v.fail(field, "entrywise >= 0", f"min entry {w.min():.3g}")
    rows = w.sum(axis=1)
    v.sums_to_one(rows, field, dtype=given, n=n)
    if positive_diagonal and np.any(np.diag(w) <= 0):
        v.fail(field, "positive on the diagonal", f"min diagonal {np.diag(w).min():.3g}")
    if symmetric and np.max(np.abs(w - w.T)) > _ATOL:
        v.fail(field, "symmetric", "a non-symmetric matrix")
    if doubly:
        v.sums_to_one(w.sum(axis=0), field, dtype=given, n=n, what="column",
                      requirement="doubly stochastic (columns sum to 1)")  # fmt: skip
    if adjacency is not None:
        a = validate_adjacency(adjacency, field="adjacency", connected=False)
        if a.shape != w.shape:
            v.fail("adjacency", f"of shape {w.shape} like {field}", f"shape {a.shape}")
        outside = (w > 0) & (a + np.eye(n) == 0)
        if np.any(outside):
            v.fail(field, "zero outside the neighbourhoods A_i (topology-respecting)", "w_ij > 0")
    if n > 1 and not is_connected(w):
        v.fail(field, "the mixing matrix of a connected graph", "a disconnected support")
    return w
