"""Solvers and representability measures against numpy/scipy oracles and gradient descent."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import count_compiles
from theory import datamodel as dm
from theory import objectives as ob
from theory import solve as so


def _sym(rng, d):
    a = rng.standard_normal((d, d))
    return a + a.T


def _ey_oracle(X, c):
    lam, V = np.linalg.eigh(X)
    lam, V = lam[::-1][:c], V[:, ::-1][:, :c]
    lam = np.clip(lam, 0, None)
    return (V * lam) @ V.T


@given(st.integers(0, 10_000), st.integers(1, 6))
def test_eckart_young_matches_numpy(seed, c):
    X = _sym(np.random.default_rng(seed), 6)
    W = np.asarray(so.eckart_young(X, c))
    assert W.shape == (c, 6)
    np.testing.assert_allclose(W.T @ W, _ey_oracle(X, c), atol=1e-10)


def test_eckart_young_jit_matches_nojit_and_compiles_once():
    X = jnp.asarray(_sym(np.random.default_rng(0), 8))
    with count_compiles("_eckart_young") as counter:
        a = so.eckart_young(X, 3)
        so.eckart_young(X + 1.0, 3)
    assert counter.count == 1
    with jax.disable_jit():
        b = so.eckart_young(X, 3)
    np.testing.assert_allclose(a.T @ a, b.T @ b, atol=1e-10)
    jitted = jax.jit(lambda x: so.eckart_young(x, 3))
    np.testing.assert_allclose(jitted(X).T @ jitted(X), a.T @ a, atol=1e-10)


def test_eckart_young_tolerance_drops_rounding_noise():
    rng = np.random.default_rng(1)
    V = np.linalg.qr(rng.standard_normal((10, 10)))[0]
    lam = np.array([3.0, 1.0] + [1e-15] * 4 + [-2.0] * 4)
    X = (V * lam) @ V.T
    W = np.asarray(so.eckart_young(X, 6))
    assert np.sum(np.any(W != 0, axis=1)) == 2
    assert so.row_space_basis(W).shape[1] == 2
    W_neg = np.asarray(so.eckart_young(-np.eye(4), 2))
    assert np.all(W_neg == 0.0)
    assert np.sum(np.any(np.asarray(so.eckart_young(X, 6, tol=0.0)) != 0, axis=1)) >= 2


def test_eckart_young_vs_gradient_descent_on_population_loss():
    model = dm.DataModel(d=8, n_clients=3, tau=1.5, mu=0.4)
    X = jnp.asarray(ob.population_targets(model, "cl")[0])
    c = 3
    lam = np.linalg.eigvalsh(np.asarray(X))[::-1]
    assert lam[c - 1] > 1.05 * lam[c]  # a gap: the optimal row space is unique
    W = jnp.asarray(0.1 * np.random.default_rng(0).standard_normal((c, 8)))
    eta = 0.2 / float(lam[0])

    def body(W, _):
        return W - eta * ob.grad(W, X), None

    W, _ = jax.lax.scan(body, W, None, length=20_000)
    W_star = so.eckart_young(X, c)
    angles = so.principal_angles(np.asarray(W).T, np.asarray(W_star).T)
    assert np.max(angles) < 1e-6
    np.testing.assert_allclose(ob.loss(W, X), ob.loss(W_star, X), rtol=1e-9)


def test_representability_vector_and_energy_rv():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((3, 7))
    basis = scipy.linalg.orth(W.T)
    proj = basis @ basis.T
    np.testing.assert_allclose(so.representability_vector(W), np.diag(proj), atol=1e-12)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    np.testing.assert_allclose(so.representability_vector(Q @ W), np.diag(proj), atol=1e-12)
    _, s, vt = np.linalg.svd(W, full_matrices=False)
    want = (s[:, None] ** 2 * vt**2).sum(0) / np.sum(s**2)
    np.testing.assert_allclose(so.energy_weighted_rv(jnp.asarray(W)), want, rtol=1e-12)
    with jax.disable_jit():
        np.testing.assert_allclose(so.energy_weighted_rv(jnp.asarray(W)), want, rtol=1e-12)
    assert so.representability_vector(np.zeros((2, 5))).tolist() == [0.0] * 5


def test_sensitivities():
    r = np.array([0.2, 0.9, 0.5, 0.0, 1.0])
    assert so.sensitivity(r, [0, 2]) == pytest.approx(0.3)
    assert so.sensitivity_N(r, 3) == pytest.approx(0.7)
    assert so.sensitivity_c(r, 5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="^coords:"):
        so.sensitivity(r, [7])


@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(1, 4))
def test_principal_angles_vs_scipy(seed, k, l):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((7, k)), rng.standard_normal((7, l))
    np.testing.assert_allclose(
        so.principal_angles(A, B), np.sort(scipy.linalg.subspace_angles(A, B)), atol=1e-7
    )
    # atol: when k + l > 7 the spaces intersect and scipy's zero angle carries ≈ 1e-8 error


def test_principal_angles_small_angle_accuracy():
    A = np.eye(5)[:, :2]
    B = A + 1e-9 * np.eye(5)[:, 2:4]
    np.testing.assert_allclose(so.principal_angles(A, B), [1e-9, 1e-9], rtol=1e-6)


def test_optima_and_weights():
    rng = np.random.default_rng(3)
    X = np.stack([_sym(rng, 5) for _ in range(4)])
    w = np.array([0.4, 0.3, 0.2, 0.1])
    out = so.optima(X, 2, decl_weights=w, stationary_weights=np.full(4, 0.25))
    np.testing.assert_allclose(
        out["target_decl"], sum(wi * Xi for wi, Xi in zip(w, X, strict=True))
    )
    np.testing.assert_allclose(out["target_fl"], X.mean(0))
    np.testing.assert_allclose(
        out["decl_stationary"].T @ out["decl_stationary"], out["fl"].T @ out["fl"], atol=1e-10
    )
    for i in range(4):
        np.testing.assert_allclose(
            out["local"][i].T @ out["local"][i], _ey_oracle(X[i], 2), atol=1e-10
        )
    with pytest.raises(ValueError, match="^decl_weights:"):
        so.optima(X, 2, decl_weights=[0.5, 0.5, 0.5, 0.5])


def test_decl_weights_from_topology():
    topology = pytest.importorskip("theory.topology")
    star = topology.make_graph("star", 4)
    W = topology.mixing_matrix("uniform", star)
    pi = W.sum(axis=0) / 4  # Eq. (1) weights, docs/theory/decl_weights.md §2
    np.testing.assert_allclose(pi, [0.4375, 0.1875, 0.1875, 0.1875])
    ring = topology.mixing_matrix("uniform", topology.make_graph("ring", 4))
    X = ob.population_targets(dm.DataModel(d=12, n_clients=4), "mim-paper")
    out = so.optima(X, 8, decl_weights=ring.sum(axis=0) / 4)
    np.testing.assert_allclose(out["target_decl"], out["target_fl"], atol=1e-14)


def test_paper_decl_target():
    rng = np.random.default_rng(4)
    X = np.stack([np.diag(rng.random(6)) for _ in range(3)])
    np.testing.assert_allclose(
        so.paper_decl_target(X, 3.0), np.diag(np.diag(X.mean(0))), atol=1e-14
    )
    abar = 2.0
    got = np.diag(so.paper_decl_target(X, abar))
    k = 1
    want_k = X[k, k, k] / abar + (1 - 1 / abar) * (X[0, k, k] + X[2, k, k]) / 2
    assert got[k] == pytest.approx(want_k)
    assert got[4] == pytest.approx(X[:, 4, 4].mean())


def test_recon_optima_weighted_moments():
    model = dm.DataModel(d=9, n_clients=3, tau=1.4, mu=0.5)
    uu, vu = ob.recon_moments(model, p=0.6)
    w = np.array([0.5, 0.3, 0.2])
    out = so.recon_optima(uu, vu, 3, decl_weights=w)
    W_e, _, _ = so.recon_optimum(np.einsum("n,nde->de", w, uu), np.einsum("n,nde->de", w, vu), 3)
    np.testing.assert_allclose(out["decl"], W_e, atol=1e-12)
    assert out["local"].shape == (3, 3, 9)


def test_bad_input():
    with pytest.raises(ValueError, match="^c:"):
        so.eckart_young(np.eye(3), 4)
    with pytest.raises(ValueError, match="^X:"):
        so.eckart_young(np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match="^abar:"):
        so.paper_decl_target(np.zeros((3, 4, 4)), 5.0)


def test_numpy_eckart_young_twin_matches_jitted():
    """The SciPy top-c path used by ``optima`` equals the jitted ``eckart_young`` (up to sign)."""
    from theory.solve import eckart_young_np

    rng = np.random.default_rng(3)
    A = rng.standard_normal((30, 30))
    X = A + A.T
    for c in (1, 5, 12):
        Wj = np.asarray(so.eckart_young(X, c))
        Wn = eckart_young_np(X, c)
        np.testing.assert_allclose(Wn.T @ Wn, Wj.T @ Wj, rtol=1e-10, atol=1e-10)
