"""ζ², curvature spread and local smoothness against plain loops, numpy and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theory import dissimilarity as ds
from theory import objectives as ob


def _targets(seed, n=4, d=5):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d, d))
    return jnp.asarray(a + np.swapaxes(a, 1, 2))


@pytest.mark.parametrize("jit", [True, False])
def test_zeta_identity_and_loop(jit):
    X = _targets(0)
    W = jnp.asarray(np.random.default_rng(1).standard_normal((3, 5)))
    for w in (None, jnp.asarray([0.1, 0.2, 0.3, 0.4])):
        ww = np.full(4, 0.25) if w is None else np.asarray(w)
        if jit:
            z = ds.zeta_sq(W, X, w)
        else:
            with jax.disable_jit():
                z = ds.zeta_sq(W, X, w)
        grads = [np.asarray(ob.grad(W, Xi)) for Xi in X]
        g_bar = sum(wi * g for wi, g in zip(ww, grads, strict=True))
        loop = sum(wi * np.sum((g - g_bar) ** 2) for wi, g in zip(ww, grads, strict=True))
        np.testing.assert_allclose(z, loop, rtol=1e-10)
        lhs = sum(wi * np.sum(g**2) for wi, g in zip(ww, grads, strict=True))
        np.testing.assert_allclose(lhs, np.sum(g_bar**2) + z, rtol=1e-10)
        Xbar = np.einsum("n,nde->de", ww, np.asarray(X))
        direct = sum(
            wi * 4 * np.sum((np.asarray(W) @ (Xi - Xbar)) ** 2)
            for wi, Xi in zip(ww, np.asarray(X), strict=True)
        )
        np.testing.assert_allclose(z, direct, rtol=1e-10)


def test_curvature_spread_vs_numpy():
    X = np.asarray(_targets(2))
    Xbar = X.mean(0)
    want = max(2 * np.linalg.norm(Xi - Xbar, 2) for Xi in X)
    np.testing.assert_allclose(ds.curvature_spread(jnp.asarray(X)), want, rtol=1e-12)
    w = np.array([0.7, 0.1, 0.1, 0.1])
    Xw = np.einsum("n,nde->de", w, X)
    want_w = max(2 * np.linalg.norm(Xi - Xw, 2) for Xi in X)
    np.testing.assert_allclose(
        ds.curvature_spread(jnp.asarray(X), jnp.asarray(w)), want_w, rtol=1e-12
    )


def test_local_smoothness_formula_and_finite_differences():
    X = _targets(3, n=3, d=4)
    R = 1.3
    lam = np.linalg.eigvalsh(np.asarray(X))
    want = max(max(2 * l[-1], 6 * R**2 - 2 * l[0]) for l in lam)
    L = float(ds.local_smoothness(X, R))
    np.testing.assert_allclose(L, want, rtol=1e-12)
    with jax.disable_jit():
        np.testing.assert_allclose(ds.local_smoothness(X, R), want, rtol=1e-12)
    # [D] docs/theory/consensus.md §7: ‖∇f_i(A) − ∇f_i(B)‖ ≤ L_R ‖A − B‖ for A, B in the ball ‖W‖₂ ≤
    # R.
    rng = np.random.default_rng(4)
    worst = 0.0
    for _ in range(100):
        A, B = (rng.standard_normal((2, 4)) for _ in range(2))
        A *= R * rng.random() / np.linalg.norm(A, 2)
        B = A + 1e-3 * B
        B *= min(1.0, R / np.linalg.norm(B, 2))
        for Xi in X:
            num = np.linalg.norm(ob.grad(jnp.asarray(A), Xi) - ob.grad(jnp.asarray(B), Xi))
            worst = max(worst, num / (L * np.linalg.norm(A - B)))
    assert worst <= 1.0 + 1e-9
    # the Hessian operator norm at a point of the ball (jax.hessian) is also ≤ L_R
    W0 = jnp.asarray(R * np.eye(2, 4))
    hess = jax.hessian(ob.loss)(W0, X[0]).reshape(8, 8)
    assert np.max(np.abs(np.linalg.eigvalsh(np.asarray(hess)))) <= L * (1 + 1e-9)


def _oracle_loss(W, X, w):
    """Σ_i w_i [−tr(W X_i Wᵀ) + ½‖WᵀW‖_F²] as a plain loop over clients."""
    return sum(
        wi * (-np.trace(W @ Xi @ W.T) + 0.5 * np.sum((W.T @ W) ** 2))
        for wi, Xi in zip(w, X, strict=True)
    )


def _oracle_zeta(W, X, w):
    Xbar = sum(wi * Xi for wi, Xi in zip(w, X, strict=True))
    return sum(4.0 * wi * np.sum((W @ (Xi - Xbar)) ** 2) for wi, Xi in zip(w, X, strict=True))


def _oracle_xi(Ws, w):
    mean = sum(wi * Wi for wi, Wi in zip(w, Ws, strict=True))
    return sum(wi * np.sum((Wi - mean) ** 2) for wi, Wi in zip(w, Ws, strict=True))


@pytest.mark.parametrize("weighted", [False, True])
def test_single_implementations_vs_numpy_oracle(weighted):
    """global loss, ζ² and Ξ: the float64 entry points, the jnp forms (jitted and not, in
    float64) and the sims wrappers all equal a hand-written loop to 1e-12."""
    from sims import metrics as mt
    from sims.trackc import consensus as cb
    from theory._precision import x64

    rng = np.random.default_rng(7)
    X = np.asarray(_targets(8, n=4, d=5))
    W = rng.standard_normal((3, 5))
    Ws = rng.standard_normal((4, 3, 5))
    w = rng.uniform(0.1, 1.0, 4) if weighted else np.full(4, 0.25)
    w = w / w.sum()
    arg = w if weighted else None
    want = {
        "loss": _oracle_loss(W, X, w),
        "zeta": _oracle_zeta(W, X, w),
        "xi": _oracle_xi(Ws, w),
    }
    got = {
        "loss": ds.global_loss(W, X, arg),
        "zeta": ds.zeta_sq(W, X, arg),
        "xi": ds.consensus_sq(Ws, arg),
    }
    with x64():
        Wj, Xj, Wsj = jnp.asarray(W), jnp.asarray(X), jnp.asarray(Ws)
        aj = None if arg is None else jnp.asarray(arg)
        for jit in (False, True):
            f = jax.jit if jit else (lambda g: g)
            got[f"loss_jnp_{jit}"] = f(ds.global_loss_jnp)(Wj, Xj, aj)
            got[f"zeta_jnp_{jit}"] = f(ds.zeta_sq_jnp)(Wj, Xj, aj)
            got[f"xi_jnp_{jit}"] = f(ds.consensus_sq_jnp)(Wsj, aj)
            got[f"xi_mt_{jit}"] = f(mt.consensus_distance)(Wsj, aj)
            if not weighted:
                got[f"loss_mt_{jit}"] = f(mt.global_loss)(Wj, Xj)
                got[f"zeta_mt_{jit}"] = f(mt.zeta_sq)(Wj, Xj)
    got["xi_cb"] = cb.consensus_distance(Ws, arg) ** 2
    got["zeta_cb"] = cb.zeta(W, X, arg) ** 2
    for name, value in got.items():
        assert np.asarray(value).dtype == np.float64, name
        key = name.split("_")[0]
        np.testing.assert_allclose(float(value), want[key], rtol=1e-12, atol=0, err_msg=name)
