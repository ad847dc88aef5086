"""Targets X_i: Monte Carlo over data, masks and noise; exact mask enumeration; Eq. 3 optimum."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize

from theory import datamodel as dm
from theory import objectives as ob
from theory import solve as so

P = 0.75


def _sample(model, i, m, rng):
    """Independent numpy sampler of client i of the paper's model (Section 3.2)."""
    n, d, tau, mu = model.n_clients, model.d, model.tau, model.mu
    comp = rng.choice(3, size=m, p=dm.class_weights(model))
    x = mu * rng.standard_normal((m, d))
    q = rng.integers(0, 2, size=(m, n)).astype(float)
    q[:, i] = 0.0
    frequent = comp < 2
    x[:, :n] -= np.where(frequent[:, None], q * tau, 0.0)
    x[:, i] += np.where(comp == 0, 1.0, np.where(comp == 1, -1.0, 0.0))
    h = dm.rare_axes(model)[i]
    x[:, h] += (comp == 2).astype(float)
    return x


def _views(method, x, rng, H):
    m, d = x.shape
    if method == "cl":
        return x + rng.standard_normal((m, d)), x + rng.standard_normal((m, d))
    if method == "cl-dissimilar":
        return x + rng.standard_normal((m, d)), x @ H.T
    mask = (rng.random((m, d)) >= P).astype(float)  # visible with probability 1 − p
    if method == "mim":
        return x * mask, x * (1 - mask)
    mask2 = (rng.random((m, d)) >= P).astype(float)
    return x * mask, x * (1 - mask2)  # mim-independent


@pytest.mark.parametrize("method", ["cl", "cl-dissimilar", "mim", "mim-independent"])
def test_population_target_matches_monte_carlo(method):
    """Each entry of ½(b aᵀ + a bᵀ) averaged over M draws is within 5 standard errors.

    SE per entry = sample std / √M (CLT; M = 200k). With ≤ 2·36 entries per client the chance
    that a correct formula leaves 5 SE somewhere is < 1e-4; entries with zero variance must
    match to 1e-12.
    """
    model = dm.DataModel(d=6, n_clients=2, tau=1.5, mu=0.4, rare_fraction=0.2)
    H = ob.transform("permutation", model.d, seed=3)
    X = ob.population_targets(
        model, method, p=ob.p_for(method, P), H=H if ob.takes_transform(method) else None
    )
    rng = np.random.default_rng(0)
    M = 200_000
    for i in range(model.n_clients):
        a, b = _views(method, _sample(model, i, M, rng), rng, H)
        per = 0.5 * (b[:, :, None] * a[:, None, :] + a[:, :, None] * b[:, None, :])
        est, se = per.mean(0), per.std(0) / np.sqrt(M)
        assert np.all(np.abs(est - X[i]) <= 5 * se + 1e-12)


def _mask_expectation(x, method):
    """Exact E_m by enumerating all masks of a small d (probabilities (1−p)^{#visible} p^{...})."""
    m_, d = x.shape
    S = np.zeros((d, d))
    masks = [np.array(t, dtype=float) for t in itertools.product([0, 1], repeat=d)]
    prob = [np.prod(np.where(t == 1, 1 - P, P)) for t in masks]
    pairs = (
        [(t, t, pt) for t, pt in zip(masks, prob, strict=True)]
        if method == "mim"
        else [
            (t, s, pt * ps)
            for (t, pt), (s, ps) in itertools.product(zip(masks, prob, strict=True), repeat=2)
        ]
    )
    for xm in x:
        for t, s, w in pairs:
            a, b = xm * t, xm * (1 - s)
            S += w * 0.5 * (np.outer(b, a) + np.outer(a, b))
    return S / m_


@pytest.mark.parametrize("method", ["mim", "mim-independent"])
def test_empirical_target_exact_mask_enumeration(method):
    x = np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(
        ob.empirical_target(x, method, p=P), _mask_expectation(x, method), rtol=1e-12, atol=1e-12
    )


def test_empirical_target_cl_variants_and_batches():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 7, 5))
    H = ob.transform("rotation", 5, seed=1)
    S = np.einsum("nmd,nme->nde", x, x) / 7
    np.testing.assert_allclose(ob.empirical_target(x, "cl"), S, rtol=1e-12)
    np.testing.assert_allclose(
        ob.empirical_target(x, "cl-dissimilar", H=H), 0.5 * (H @ S + S @ H.T), rtol=1e-12
    )
    kappa = P * (1 - P)
    paper = ob.empirical_target(x[0], "mim-paper", p=P)
    np.testing.assert_allclose(paper, 2 * kappa * np.diag(np.mean(x[0] ** 2, axis=0)), rtol=1e-12)


def test_hollow_and_symmetric_facts():
    model = dm.DataModel(d=10, n_clients=3)
    for method in ob.TARGET_METHODS:
        H = ob.transform("rotation", 10) if ob.takes_transform(method) else None
        X = ob.population_targets(model, method, H=H)
        np.testing.assert_allclose(X, np.swapaxes(X, 1, 2), atol=1e-14)
    hollow = ob.population_targets(model, "mim")
    assert np.all(np.diagonal(hollow, axis1=1, axis2=2) == 0.0)
    paper = ob.population_targets(model, "mim-paper")
    assert np.all(
        paper - np.einsum("nd,de->nde", np.diagonal(paper, axis1=1, axis2=2), np.eye(10)) == 0.0
    )


def test_transforms():
    for name in ob.TRANSFORMS:
        H = ob.transform(name, 7, seed=5)
        np.testing.assert_allclose(H @ H.T, np.eye(7), atol=1e-12)
    assert np.linalg.det(ob.transform("rotation", 7, seed=5)) == pytest.approx(1.0)
    P_ = ob.transform("permutation", 7, seed=5)
    assert set(np.unique(P_)) <= {0.0, 1.0} and np.all(P_.sum(0) == 1)


def test_loss_grad_against_autodiff_and_frobenius_form():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 6))
    X = jnp.asarray(A + A.T)
    W = jnp.asarray(rng.standard_normal((3, 6)))
    frob = 0.5 * jnp.sum((X - W.T @ W) ** 2) - 0.5 * jnp.sum(X**2)
    np.testing.assert_allclose(ob.loss(W, X), frob, rtol=1e-12)
    np.testing.assert_allclose(ob.grad(W, X), jax.grad(ob.loss)(W, X), rtol=1e-11, atol=1e-12)
    with jax.disable_jit():
        np.testing.assert_allclose(ob.grad(W, X), jax.grad(ob.loss)(W, X), rtol=1e-11)
        np.testing.assert_allclose(ob.loss(W, X), frob, rtol=1e-12)


def test_recon_moments_exact_enumeration():
    x = np.random.default_rng(4).standard_normal((4, 4))
    uu, vu, vv = ob.recon_moments(x, p=P, with_vv=True)
    e_uu, e_vu, e_vv = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
    for t in itertools.product([0, 1], repeat=4):
        t = np.array(t, dtype=float)
        w = np.prod(np.where(t == 1, 1 - P, P))
        for xm in x:
            u, v_ = xm * t, xm * (1 - t)
            e_uu += w * np.outer(u, u) / 4
            e_vu += w * np.outer(v_, u) / 4
            e_vv += w * np.outer(v_, v_) / 4
    for got, want in ((uu, e_uu), (vu, e_vu), (vv, e_vv)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # Σ_vu is the exact hollow MIM target.
    np.testing.assert_allclose(vu, ob.empirical_target(x, "mim", p=P), rtol=1e-12)


def test_recon_optimum_matches_direct_minimisation():
    # generic correlated data (finite sample) so that σ_2 > σ_3 and the optimum B is unique
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 5)) @ rng.standard_normal((5, 5))
    S, Mv = ob.recon_moments(x, p=P)
    c, d = 2, 5
    W_e, W_d, sv = so.recon_optimum(S, Mv, c)
    assert sv[1] > 1.1 * sv[2]
    best = float(ob.recon_loss(jnp.asarray(W_e), jnp.asarray(W_d), S, Mv))
    np.testing.assert_allclose(best, -np.sum(sv[:c] ** 2), rtol=1e-10)

    f = jax.jit(lambda z: ob.recon_loss(z[: c * d].reshape(c, d), z[c * d :].reshape(d, c), S, Mv))
    g = jax.jit(jax.grad(f))
    rng = np.random.default_rng(0)
    runs = [
        minimize(
            lambda z: float(f(z)),
            rng.standard_normal(2 * c * d),
            jac=lambda z: np.asarray(g(z)),
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 5000},
        )
        for _ in range(3)
    ]
    z = min(runs, key=lambda r: r.fun).x
    assert min(r.fun for r in runs) == pytest.approx(best, rel=1e-7)
    B_num = z[c * d :].reshape(d, c) @ z[: c * d].reshape(c, d)
    np.testing.assert_allclose(B_num, W_d @ W_e, atol=1e-5)
    angles = so.principal_angles(z[: c * d].reshape(c, d).T, W_e.T)
    assert np.max(angles) < 1e-4


def test_recon_optimum_singular_sigma_uu():
    # coordinate 3 is zero in every sample: Σ_uu is singular and B must ignore it.
    x = np.random.default_rng(5).standard_normal((50, 4))
    x[:, 3] = 0.0
    uu, vu = ob.recon_moments(x, p=P)
    W_e, W_d, _ = so.recon_optimum(uu, vu, 2)
    assert np.all(np.isfinite(W_e)) and np.allclose(W_e[:, 3], 0.0, atol=1e-12)
    W_e3, W_d3, sv3 = so.recon_optimum(uu[:3, :3], vu[:3, :3], 2)
    np.testing.assert_allclose(W_d[:3] @ W_e[:, :3], W_d3 @ W_e3, atol=1e-10)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda m: ob.population_targets(m, "mim", p=1.0), "p"),
        (lambda m: ob.population_targets(m, "mim", p=0.0), "p"),
        (lambda m: ob.population_targets(m, "nope"), "method"),
        (lambda m: ob.population_targets(m, "mim-recon"), "method"),
        (lambda m: ob.population_targets(m, "cl-dissimilar", H=np.eye(3)), "H"),
        (lambda m: ob.empirical_target(np.ones(5), "cl"), "x"),
        (lambda m: ob.transform("shear", 4), "transform"),
        (lambda m: ob.recon_moments(m, p=1.5), "p"),
    ],
)
def test_bad_input_one_line(call, field):
    with pytest.raises(ValueError, match=f"^{field}:") as err:
        call(dm.DataModel(d=8, n_clients=2))
    assert "\n" not in str(err.value)
