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
