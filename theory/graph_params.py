"""Whether a named graph is defined at N nodes with the parameters given, without building it.

The checks of :func:`theory.topology.make_graph` (and :func:`theory.sparse_graphs.sparse_graph`)
that need only the numbers: the nodes each graph needs, the torus shape, the hypercube's power of
2, the degree of a random regular graph, the edge probability or average degree of the random
graphs. Imports NumPy only, so that ``dssl`` refuses such arguments before JAX is imported;
``tests/test_cli_light.py`` checks that every refusal here is make_graph's, word for word.
Connectivity of a random draw and memory are checked where the graph is built.
"""

from __future__ import annotations

import math

from theory import _validate as v

#: the fewest nodes of each graph (theory.topology: a ring, star or exponential graph needs 3)
MIN_NODES = {
    "complete": 2,
    "ring": 3,
    "torus": 9,
    "star": 3,
    "hypercube": 2,
    "exponential": 3,
    "erdos_renyi": 2,
    "random_regular": 3,
    "paper_code": 2,
}


def torus_shape(n: int, rows: int | None, cols: int | None) -> tuple[int, int]:
    """(rows, cols) of the torus on ``n`` nodes: the given sides (their product n), the one
    given side and n divided by it, or the most square factorisation with sides >= 3.

    >>> torus_shape(12, None, None), torus_shape(12, 4, None)
    ((3, 4), (4, 3))
    """
    if rows is None and cols is None:
        best = None
        for r in range(3, math.isqrt(n) + 1):
            if n % r == 0 and n // r >= 3:
                best = r
        if best is None:
            v.fail("n", "a product rows*cols with rows, cols >= 3 for the torus", n)
        return best, n // best
    if rows is None:
        cols = v.integer(cols, "cols", lo=3)
        if n % cols:
            v.fail("cols", f"a divisor of n={n}", cols)
        return n // cols, cols
    if cols is None:
        rows = v.integer(rows, "rows", lo=3)
        if n % rows:
            v.fail("rows", f"a divisor of n={n}", rows)
        return rows, n // rows
    rows = v.integer(rows, "rows", lo=3)
    cols = v.integer(cols, "cols", lo=3)
    if rows * cols != n:
        v.fail("rows", f"such that rows*cols == n={n} (cols={cols})", rows)
    return rows, cols


def exponential_offsets(n: int) -> list[int]:
    """The offsets 2^ℓ, ℓ = 0..⌈log₂ n⌉−1, of the static exponential graph on ``n`` nodes
    (Ying et al. 2021; :func:`theory.topology.exponential`).

    >>> exponential_offsets(8), exponential_offsets(9)
    ([1, 2, 4], [1, 2, 4, 8])
    """
    tau = math.ceil(math.log2(n))
    return [2**ell for ell in range(tau)]


def edge_count(name: str, n: int, *, rows=None, cols=None, degree=None) -> int | None:
    """The number of edges of graph ``name`` on ``n`` nodes where its definition fixes it
    (that of :func:`theory.topology.make_graph`, with parameters :func:`check_graph` accepts),
    without building it; None for the random graphs whose edges depend on the draw
    (erdos_renyi, paper_code) and for names not listed.

    >>> edge_count("ring", 8), edge_count("hypercube", 8), edge_count("exponential", 5)
    (8, 12, 10)
    """
    if name == "complete":
        return n * (n - 1) // 2
    if name == "ring":
        return n
    if name == "star":
        return n - 1
    if name == "torus":
        return 2 * n  # both sides >= 3: four distinct neighbours per node
    if name == "hypercube":
        return (n.bit_length() - 1) * n // 2
    if name == "exponential":  # circulant: node 0's neighbours ±2^ℓ mod n, the same degree all
        near = {(sign * s) % n for s in exponential_offsets(n) for sign in (1, -1)} - {0}
        return n * len(near) // 2
    if name == "random_regular" and degree is not None:
        return n * degree // 2
    return None


#: the rules of ``theory.topology.MIXINGS`` that read no graph: ``fedavg`` (J = 11ᵀ/N averages every
#: client), which takes the complete graph only (:func:`check_graph_free`)
GRAPH_FREE_MIXINGS = ("fedavg",)


def check_graph_free(mixing: str, n: int, edges: int) -> None:
    """Refuse a graph of ``edges`` edges on ``n`` nodes for a rule of
    :data:`GRAPH_FREE_MIXINGS` unless it is the complete graph (the rule would ignore it);
    field ``adjacency``, as :func:`theory.topology.mixing_matrix` names it.

    >>> try:
    ...     check_graph_free("fedavg", 4, 4)
    ... except ValueError as err:
    ...     print(str(err).split(", got ")[-1])
    'a graph with 4 of 6 edges'
    """
    if mixing in GRAPH_FREE_MIXINGS and edges != n * (n - 1) // 2:
        v.fail("adjacency", f"the complete graph with mixing {mixing!r} (J = 11ᵀ/N averages every "
               "client whatever the graph; any_graph=True to allow it)",
               f"a graph with {edges} of {n * (n - 1) // 2} edges")  # fmt: skip


def check_graph(
    name: str,
    n: int,
    *,
    rows: int | None = None,
    cols: int | None = None,
    degree: int | None = None,
    avg_degree: float | None = None,
    prob: float | None = None,
) -> None:
    """Raise make_graph's one-line ValueError where graph ``name`` is not defined on ``n`` nodes
    with these parameters (the arguments of :func:`theory.topology.make_graph`).

    >>> check_graph("ring", 8)
    >>> check_graph("hypercube", 6)
    Traceback (most recent call last):
    ...
    ValueError: n: must be a power of 2 for the hypercube, got 6
    """
    n = v.integer(n, "n", lo=2)
    if name == "torus":
        rows, cols = torus_shape(n, rows, cols)
        v.integer(rows, "rows", lo=3)  # theory.topology.torus: both sides >= 3
        v.integer(cols, "cols", lo=3)
        return
    if name == "random_regular" and degree is None:  # before its nodes, as make_graph
        v.fail("degree", "given for random_regular", degree)
    v.integer(n, "n", lo=MIN_NODES.get(name, 2))
    if name == "hypercube" and n & (n - 1):
        v.fail("n", "a power of 2 for the hypercube", n)
    elif name == "erdos_renyi":
        if (prob is None) == (avg_degree is None):
            v.fail("prob", "given, or avg_degree given, but not both", (prob, avg_degree))
        if prob is None:
            avg_degree = v.real(avg_degree, "avg_degree", lo=0.0, hi=n - 1, lo_open=True)
            prob = avg_degree / (n - 1)
        v.real(prob, "prob", lo=0.0, hi=1.0, lo_open=True)
    elif name == "random_regular":
        degree = v.integer(degree, "degree", lo=2, hi=n - 1)
        if (n * degree) % 2:
            v.fail("degree", f"such that n*degree is even (n={n})", degree)
    elif name == "paper_code":
        if avg_degree is None:
            v.fail("avg_degree", "given for paper_code", avg_degree)
        v.real(avg_degree, "avg_degree", lo=1.0, hi=n - 1)
