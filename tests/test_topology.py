"""Graph generators and mixing rules against networkx / numpy oracles."""

from __future__ import annotations

import jax.random as jr
import networkx as nx
import numpy as np
import pytest

from theory import topology as T

N = 16

# (graph, kwargs) pairs giving a connected graph on N = 16 nodes.
GRAPH_CASES = [
    ("complete", {}),
    ("ring", {}),
    ("torus", {"rows": 4, "cols": 4}),
    ("star", {}),
    ("hypercube", {}),
    ("exponential", {}),
    ("erdos_renyi", {"avg_degree": 3.0, "seed": 1}),
    ("random_regular", {"degree": 3, "seed": 2}),
    ("paper_code", {"avg_degree": 4, "seed": 3}),
]


def _graph(name, **kw):
    return T.make_graph(name, N, **kw)


def _nx(a):
    return nx.from_numpy_array(a)


def test_graph_list_is_complete():
    assert {name for name, _ in GRAPH_CASES} == set(T.GRAPHS)


@pytest.mark.parametrize("name,kw", GRAPH_CASES)
def test_adjacency_is_simple_undirected_connected(name, kw):
    a = _graph(name, **kw)
    assert a.shape == (N, N) and a.dtype == np.float64
    assert np.array_equal(a, a.T)
    assert np.all(np.diag(a) == 0)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert nx.is_connected(_nx(a))
    assert T.is_connected(a)


def test_deterministic_graphs_match_networkx():
    def same(a, g):
        return nx.is_isomorphic(_nx(a), g)

    assert np.array_equal(T.complete(N), nx.to_numpy_array(nx.complete_graph(N)))
    assert np.array_equal(T.ring(N), nx.to_numpy_array(nx.cycle_graph(N)))
    assert np.array_equal(T.star(N), nx.to_numpy_array(nx.star_graph(N - 1)))
    assert np.array_equal(
        T.torus(3, 5),
        nx.to_numpy_array(
            nx.grid_2d_graph(3, 5, periodic=True),
            nodelist=[(r, c) for r in range(3) for c in range(5)],
        ),
    )
    assert same(T.hypercube(16), nx.hypercube_graph(4))
    # node labels: bits of the index
    h = nx.hypercube_graph(4)
    lab = {node: int("".join(map(str, node)), 2) for node in h.nodes}
    assert np.array_equal(
        T.hypercube(16), nx.to_numpy_array(nx.relabel_nodes(h, lab), nodelist=range(16))
    )
    for n in (5, 12, 16, 20):
        offs = [2**e for e in range(int(np.ceil(np.log2(n))))]
        assert np.array_equal(
            T.exponential(n), nx.to_numpy_array(nx.circulant_graph(n, offs), nodelist=range(n))
        )


def test_regular_graphs_are_regular():
    assert nx.is_regular(_nx(T.ring(N)))
    assert nx.is_regular(_nx(T.torus(4, 5)))
    assert nx.is_regular(_nx(T.hypercube(32)))
    assert nx.is_regular(_nx(T.exponential(16)))
    for seed in range(3):
        a = T.random_regular(20, 5 if seed % 2 == 0 else 4, seed=seed)
        g = _nx(a)
        assert nx.is_regular(g) and nx.is_connected(g)


def test_torus_default_shape_and_errors():
    assert T.make_graph("torus", 12).sum() == 12 * 4
    with pytest.raises(ValueError, match="^rows"):
        T.make_graph("torus", 16, rows=3, cols=5)
    with pytest.raises(ValueError, match="^n"):
        T.make_graph("torus", 14)
    with pytest.raises(ValueError, match="^cols"):
        T.torus(3, 2)


def test_exponential_directed_and_mixing():
    n = 12
    d = T.exponential_directed(n)
    assert np.array_equal(d + d.T > 0, T.exponential(n) > 0)
    w = T.exponential_mixing(n)
    T.validate_mixing(w, doubly=True, positive_diagonal=True)
    assert not np.allclose(w, w.T)
    assert np.allclose(w.sum(0), 1) and np.allclose(w.sum(1), 1)
    # circulant: row i is row 0 shifted by i
    for i in range(n):
        assert np.array_equal(w[i], np.roll(w[0], i))


def _oracle_mixing(name, a, sizes):
    """Plain-loop restatement of each rule."""
    n = a.shape[0]
    deg = [int(sum(a[i])) for i in range(n)]
    w = np.zeros((n, n))
    for i in range(n):
        nb = [j for j in range(n) if a[i, j] or j == i]
        for j in nb:
            if name == "uniform":
                w[i, j] = 1.0 / len(nb)
            elif name == "data_size":
                w[i, j] = sizes[j] / sum(sizes[k] for k in nb)
            elif name == "metropolis" and j != i:
                w[i, j] = 1.0 / (1 + max(deg[i], deg[j]))
            elif name == "max_degree" and j != i:
                w[i, j] = 1.0 / (1 + max(deg))
        if name in ("metropolis", "max_degree"):
            w[i, i] = 1.0 - w[i].sum()
        if name == "fedavg":
            w[i, :] = 1.0 / n
    return w


@pytest.mark.parametrize("mixing", T.MIXINGS)
@pytest.mark.parametrize("name,kw", GRAPH_CASES)
def test_every_generator_times_mixing_conforms(name, kw, mixing):
    a = _graph(name, **kw)
    sizes = np.arange(1.0, N + 1.0)
    w = T.mixing_matrix(mixing, a, sizes=sizes, any_graph=True)
    np.testing.assert_allclose(w, _oracle_mixing(mixing, a, sizes), rtol=1e-12, atol=1e-15)
    # row-stochastic, nonnegative, topology-respecting, positive diagonal, connected support
    # fedavg is the server's J = 11ᵀ/N: it ignores the graph (Remark A.2), so it is not
    # topology-respecting unless the graph is complete
    T.validate_mixing(w, adjacency=None if mixing == "fedavg" else a, positive_diagonal=True)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-13)
    assert np.all(w >= 0)
    assert nx.is_connected(nx.from_numpy_array(w - np.diag(np.diag(w))))
    regular = nx.is_regular(_nx(a))
    promised_symmetric = mixing in ("metropolis", "max_degree", "fedavg")
    if promised_symmetric:
        T.validate_mixing(w, symmetric=True, doubly=True)
    if mixing == "uniform":
        # doubly stochastic iff the graph is regular (docs/theory/decl_weights.md §2)
        assert np.allclose(w.sum(axis=0), 1.0) == regular
        if regular:
            np.testing.assert_allclose(w, w.T)


def test_uniform_equals_paper_rule_on_star():
    w = T.mixing_matrix("uniform", T.star(4))
    np.testing.assert_allclose(w[0], [0.25] * 4)
    np.testing.assert_allclose(w[1], [0.5, 0.5, 0, 0])


def test_data_size_with_equal_sizes_is_uniform():
    a = T.paper_code(20, 4, seed=0)
    np.testing.assert_allclose(
        T.mixing_matrix("data_size", a, sizes=np.full(20, 7.0)), T.mixing_matrix("uniform", a)
    )


# ---------------------------------------------------------------------------- paper_code


@pytest.mark.parametrize("n,k", [(20, 2), (20, 4), (20, 9), (20, 10), (50, 10), (20, 19)])
def test_paper_code_degree_connected(n, k):
    excess = []
    for seed in range(8):
        a = T.paper_code(n, k, seed=seed)
        g = _nx(a)
        assert nx.is_connected(g)
        deg = a.sum(axis=1)
        assert deg.min() >= k  # every node filled up to the nominal degree
        assert deg.mean() >= k
        excess.append(deg.mean() - k)
    assert np.mean(excess) >= 0
    if k == n - 1:
        assert np.array_equal(T.paper_code(n, k, seed=0), T.complete(n))


def test_paper_code_non_integer_nominal_uses_int():
    a = T.paper_code(20, 4.7, seed=1)
    assert a.sum(axis=1).min() >= 4


def test_paper_code_spanning_tree_step():
    # with nominal degree 1 only the tree remains: n−1 edges, connected
    for seed in range(5):
        a = T.paper_code(15, 1, seed=seed)
        assert a.sum() / 2 == 14 and nx.is_tree(_nx(a))


@pytest.mark.parametrize(
    "make",
    [
        lambda s: T.paper_code(20, 4, seed=s),
        lambda s: T.erdos_renyi(20, prob=0.2, seed=s),
        lambda s: T.random_regular(20, 3, seed=s),
    ],
)
def test_random_graphs_are_seeded(make):
    assert np.array_equal(make(5), make(5))
    assert not all(np.array_equal(make(5), make(s)) for s in range(6, 10))
    # JAX keys: same key -> same graph; typed and raw keys with the same data agree
    assert np.array_equal(make(jr.key(3)), make(jr.key(3)))
    assert np.array_equal(make(jr.key(3)), make(jr.PRNGKey(3)))
    assert not np.array_equal(make(jr.key(3)), make(jr.key(4))) or not np.array_equal(
        make(jr.key(3)), make(jr.key(5))
    )


def test_seed_errors():
    with pytest.raises(ValueError, match="^seed"):
        T.paper_code(10, 3, seed=None)
    with pytest.raises(ValueError, match="^seed"):
        T.erdos_renyi(10, prob=0.5, seed=-1)
    with pytest.raises(ValueError, match="^seed"):
        T.random_regular(10, 3, seed="abc")


def test_erdos_renyi_prob_and_avg_degree():
    a = T.erdos_renyi(30, avg_degree=29.0, seed=0)
    assert np.array_equal(a, T.complete(30))
    degs = [T.erdos_renyi(40, avg_degree=6.0, seed=s).sum() / 40 for s in range(20)]
    assert 5.0 < np.mean(degs) < 7.5  # connected-conditioning lifts it slightly
    with pytest.raises(ValueError, match="^prob"):
        T.erdos_renyi(10, prob=0.5, avg_degree=3.0, seed=0)
    with pytest.raises(ValueError, match="^prob"):
        T.erdos_renyi(10, prob=1.5, seed=0)
    with pytest.raises(ValueError, match="^avg_degree"):
        T.erdos_renyi(10, avg_degree=10.0, seed=0)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda: T.make_graph("nope", 10), "graph"),
        (lambda: T.make_graph("ring", 2), "n"),
        (lambda: T.make_graph("ring", 7.5), "n"),
        (lambda: T.hypercube(12), "n"),
        (lambda: T.make_graph("random_regular", 10, seed=0), "degree"),
        (lambda: T.random_regular(9, 3, seed=0), "degree"),
        (lambda: T.random_regular(9, 9, seed=0), "degree"),
        (lambda: T.make_graph("paper_code", 10, seed=0), "avg_degree"),
        (lambda: T.paper_code(10, 0.5, seed=0), "avg_degree"),
        (lambda: T.paper_code(10, 10, seed=0), "avg_degree"),
        (lambda: T.mixing_matrix("nope", T.ring(5)), "mixing"),
        (lambda: T.mixing_matrix("data_size", T.ring(5)), "sizes"),
        (lambda: T.mixing_matrix("data_size", T.ring(5), sizes=[1, 2, 3, 4, 0]), "sizes"),
        (lambda: T.mixing_matrix("data_size", T.ring(5), sizes=[1, 2, 3]), "sizes"),
        (lambda: T.mixing_matrix("data_size", T.ring(5), sizes=[1, 2, 3, 4, -1]), "sizes"),
        (lambda: T.mixing_matrix("uniform", np.ones((3, 4))), "adjacency"),
        (lambda: T.mixing_matrix("uniform", np.eye(3)), "adjacency"),
        (lambda: T.mixing_matrix("uniform", np.triu(np.ones((3, 3)), 1)), "adjacency"),
        (lambda: T.mixing_matrix("uniform", np.full((3, 3), 0.5)), "adjacency"),
        (lambda: T.mixing_matrix("uniform", np.kron(np.eye(2), T.ring(3))), "adjacency"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValueError, match=f"^{field}: must be") as err:
        call()
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "w,kw,needle",
    [
        (np.ones((2, 3)) / 3, {}, "square"),
        (np.array([[1.5, -0.5], [0.5, 0.5]]), {}, ">= 0"),
        (np.array([[0.5, 0.4], [0.5, 0.5]]), {}, "row-stochastic"),
        (np.array([[0.0, 1.0], [0.5, 0.5]]), {"positive_diagonal": True}, "diagonal"),
        (np.array([[0.5, 0.5], [0.2, 0.8]]), {"symmetric": True}, "symmetric"),
        (np.array([[0.5, 0.5], [0.2, 0.8]]), {"doubly": True}, "doubly"),
        (np.eye(3), {}, "connected"),
        (np.array([[np.nan, 1.0], [0.5, 0.5]]), {}, "finite"),
        (np.full((3, 3), 1 / 3), {"adjacency": T.complete(3) - np.diag([0, 0, 0])}, None),
        (np.full((3, 3), 1 / 3), {"adjacency": np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])}, "A_i"),
    ],
)
def test_validate_mixing(w, kw, needle):
    if needle is None:
        T.validate_mixing(w, **kw)
        return
    with pytest.raises(ValueError, match=r"^W: must be") as err:
        T.validate_mixing(w, **kw)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_validate_mixing_custom_field():
    with pytest.raises(ValueError, match="^mix: must"):
        T.validate_mixing(np.eye(2) * 2, field="mix")
