"""theory.sparse_graphs against the dense oracles: the graphs and mixing matrices of
theory.topology, the dense eigen-decomposition of theory.spectral, NumPy's spectral norm."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from theory import sparse_graphs as S
from theory import spectral
from theory import topology as T


def _random_stochastic(seed: int, n: int, extra: int) -> np.ndarray:
    """A row-stochastic W on a ring with self loops plus random directed edges."""
    rng = np.random.default_rng(seed)
    support = np.eye(n, dtype=bool)
    support[np.arange(n), (np.arange(n) + 1) % n] = True
    for _ in range(extra):
        support[rng.integers(n), rng.integers(n)] = True
    w = np.where(support, rng.uniform(0.1, 1.0, (n, n)), 0.0)
    return w / w.sum(axis=1, keepdims=True)


CASES = [
    ("ring", 12, {}),
    ("torus", 20, {"rows": 4, "cols": 5}),
    ("hypercube", 16, {}),
    ("exponential", 13, {}),
    ("exponential", 16, {}),
    ("random_regular", 14, {"degree": 3, "seed": 7}),
]


@pytest.mark.parametrize("name,n,kw", CASES)
def test_sparse_graphs_equal_the_dense_ones(name, n, kw):
    a = S.sparse_graph(name, n, **kw)
    assert sp.issparse(a)
    np.testing.assert_array_equal(a.toarray(), T.make_graph(name, n, **kw))


@pytest.mark.parametrize("name,n,kw", CASES)
@pytest.mark.parametrize("rule", S.SPARSE_MIXINGS)
def test_sparse_mixing_equals_the_dense_rule(name, n, kw, rule):
    got = S.sparse_mixing(rule, S.sparse_graph(name, n, **kw)).toarray()
    want = T.mixing_matrix(rule, T.make_graph(name, n, **kw))
    # the diagonals 1 − Σ_j w_ij are summed in another order: a few ulps
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def _irregular(n=14, seed=3):
    return T.uniform_mixing(T.paper_code(n, 2, seed=seed))  # reversible, not doubly stochastic


@pytest.mark.parametrize(
    "W",
    [
        T.uniform_mixing(T.ring(12)),
        T.metropolis_mixing(T.random_regular(20, 3, seed=2)),
        T.max_degree_mixing(T.torus(4, 5)),
        _irregular(),
        T.uniform_mixing(T.star(9)),
    ],
    ids=["ring", "random_regular", "torus", "paper_code", "star"],
)
def test_sparse_spectrum_against_dense_eigendecomposition(W):
    got = S.spectrum(sp.csr_matrix(W))
    ev = np.asarray(spectral.eigenvalues(W))  # dense eigvalsh of the symmetrised W
    pi = np.asarray(spectral.stationary_weights(W))
    for key, want in (
        ("lambda2", ev[1]),
        ("lambda_min", ev[-1]),
        ("lambda", float(spectral.contraction(W))),
    ):
        est = got[key]
        assert est.error < 1e-8
        # the stated error bounds the distance to the dense value (plus float64 rounding)
        assert abs(est.value - want) <= est.error + 1e-12, key
    np.testing.assert_allclose(got["pi"], pi, rtol=1e-9, atol=1e-14)
    assert got["pi_residual"] < 1e-12 and got["asymmetry"] < 1e-10


def test_sparse_spectrum_refuses_a_non_reversible_w():
    with pytest.raises(ValueError, match="reversible"):
        S.spectrum(sp.csr_matrix(_random_stochastic(1, 8, 10)))


def test_product_contraction_against_the_dense_norm():
    rng = np.random.default_rng(0)
    n = 12
    mats = []
    for _ in range(3):  # symmetric doubly stochastic: a lazy Metropolis walk on a random graph
        mats.append(T.metropolis_mixing(T.random_regular(n, 3, seed=int(rng.integers(100)))))
    prod = mats[2] @ mats[1] @ mats[0]
    want = np.linalg.norm(prod - np.full((n, n), 1 / n), ord=2)
    got = S.product_contraction([sp.csr_matrix(m) for m in mats])
    assert got.error < 1e-8
    assert abs(got.value - want) <= got.error + 1e-12


def test_product_contraction_of_a_product_that_is_J():
    # the one-peer exponential period at N = 2^k: J up to rounding, where ARPACK stops
    from theory.time_varying import one_peer_exponential

    got = S.product_contraction([sp.csr_matrix(w) for w in one_peer_exponential(64)])
    assert got.value <= got.error + 1e-15 and got.error < 1e-12


def test_product_contraction_takes_one_peer_rounds_that_are_reducible():
    from theory.time_varying import one_peer_exponential, period_contraction

    mats = one_peer_exponential(12)
    got = S.product_contraction([sp.csr_matrix(w) for w in mats])
    want = period_contraction(mats).rho
    assert abs(got.value - want) <= got.error + 1e-12


def test_spectrum_stops_at_maxiter():
    from scipy.sparse.linalg import ArpackNoConvergence

    W = S.sparse_mixing("uniform", S.sparse_graph("ring", 3000))  # gap ~ 1e-6: many restarts
    with pytest.raises(ArpackNoConvergence):
        S.spectrum(W, maxiter=2)


@pytest.mark.parametrize(
    "graph,n,kw",
    [("ring", 3, {}), ("ring", 4, {}), ("ring", 11, {}), ("ring", 30, {}),
     ("torus", 9, {}), ("torus", 12, {"rows": 4}), ("torus", 35, {}), ("torus", 36, {"cols": 4})],
)  # fmt: skip
@pytest.mark.parametrize("rule", S.SPARSE_MIXINGS)
def test_closed_form_spectrum_is_the_dense_spectrum(graph, n, kw, rule):
    """The closed forms (any N) against numpy's eigenvalues of the dense W of the same graph and
    rule: λ₂, λ_N and λ to within their stated error and 1e-13 of numpy's rounding."""
    W = S.sparse_mixing(rule, S.sparse_graph(graph, n, **kw)).toarray()
    eig = np.sort(np.linalg.eigvalsh(W))
    out = S.closed_form_spectrum(graph, n, **kw)
    want = {"lambda2": eig[-2], "lambda_min": eig[0], "lambda": max(abs(eig[-2]), abs(eig[0]))}
    for key, value in want.items():
        assert abs(out[key].value - value) <= out[key].error + 1e-13, key
        assert 0 < out[key].error <= 1.2e-16
    assert out["pi_residual"] == out["asymmetry"] == 0.0
    np.testing.assert_array_equal(out["pi"], np.full(n, 1.0 / n))


def test_closed_form_spectrum_at_a_size_arpack_cannot_resolve():
    """The ring at N = 10⁶ (gap 1.3e-11): the exact cosine to 30 digits, rounded once."""
    import mpmath

    out = S.closed_form_spectrum("ring", 10**6)
    with mpmath.workdps(40):
        exact = (1 + 2 * mpmath.cos(2 * mpmath.pi / 10**6)) / 3
        assert abs(mpmath.mpf(out["lambda2"].value) - exact) <= out["lambda2"].error
        # the gap 1 − λ₂ = (4/3) sin²(π/N) and p = 1 − λ₂² to float64's rounding, not to the
        # 1e-16 / 1.3e-11 of 1 − (the rounded λ₂)
        gap = 4 * mpmath.sin(mpmath.pi / 10**6) ** 2 / 3
        assert abs(out["spectral_gap"].value / gap - 1) < 1e-15
        assert abs(out["p"].value / (1 - exact**2) - 1) < 1e-15
        assert abs(out["spectral_gap"].value - gap) <= out["spectral_gap"].error
    with pytest.raises(ValueError, match="^graph: "):
        S.closed_form_spectrum("hypercube", 8)
    from theory.spectral_closed_forms import closed_form_extremes

    with pytest.raises(ValueError, match=r"^n: must be rows \* cols = 9 for the torus"):
        closed_form_extremes("torus", n=10, rows=3, cols=3)
