"""Stochastic losses (the package sims/losses/) against exact expectations and plain-numpy oracles.

Monte Carlo tolerances: for R i.i.d. draws of the loss with sample standard deviation s, the
mean must lie within 4.5 · s/√R of the exact expectation (a false alarm has probability
≈ 7e-6 per comparison; the seeds are fixed, so the tests are deterministic).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims import losses as L
from theory import objectives as obj

from .conftest import tol

C, D, B, P = 3, 6, 8, 0.75
R = 10_000  # Monte Carlo draws
N_SE = 4.5


@pytest.fixture(scope="module")
def wx():
    W = jr.normal(jr.key(10), (C, D), dtype=jnp.float64) / np.sqrt(D)
    x = jr.normal(jr.key(11), (B, D), dtype=jnp.float64) + 0.5
    return W, x


@pytest.fixture(scope="module")
def H():
    return jnp.asarray(obj.transform("rotation", D, seed=3))


def _mc(fun, n=R, seed=0):
    vals = np.asarray(jax.jit(jax.vmap(lambda k: fun(k)))(jr.split(jr.key(seed), n)))
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(n)


CASES = {
    "cl": lambda W, x, H, k: L.cl_similar(W, x, key=k),
    "cl-dissimilar": lambda W, x, H, k: L.cl_dissimilar(W, x, H, key=k),
    "mim": lambda W, x, H, k: L.mim(W, x, P, key=k),
    "mim-independent": lambda W, x, H, k: L.mim_independent(W, x, P, key=k),
}


@pytest.fixture(scope="module")
def w_dec():
    return jr.normal(jr.key(12), (D, C), dtype=jnp.float64) / np.sqrt(C)


@pytest.fixture(scope="module")
def mc_losses(wx, H, w_dec):
    """All Monte Carlo loss draws in one compiled function: {name: (mean, standard error)}."""
    W, x = wx
    names = [*CASES, "recon"]

    def draw(k):
        vals = [CASES[m](W, x, H, k) for m in CASES]
        return jnp.stack([*vals, L.mim_recon((W, w_dec), x, P, key=k)])

    mean, se = _mc(draw)
    return {n: (mean[i], se[i]) for i, n in enumerate(names)}


@pytest.mark.parametrize("method", list(CASES))
def test_expectation_equals_population_loss_of_empirical_target(method, wx, H, mc_losses):
    W, x = wx
    mean, se = mc_losses[method]
    X = obj.empirical_target(
        np.asarray(x),
        method,
        p=obj.p_for(method, P),
        H=np.asarray(H) if obj.takes_transform(method) else None,
    )
    exact = float(L.population_loss(W, jnp.asarray(X)))
    assert abs(mean - exact) <= N_SE * se, (mean, exact, se)


def test_expected_gradient_equals_population_gradient(wx, H):
    W, x = wx
    methods = ["cl", "mim"]
    mean, se = _mc(
        lambda k: jnp.stack([jax.grad(CASES[m])(W, x, H, k) for m in methods]), n=5_000, seed=1
    )
    for i, method in enumerate(methods):
        X = obj.empirical_target(np.asarray(x), method, p=obj.p_for(method, P))
        exact = np.asarray(obj.grad(W, jnp.asarray(X)))
        assert np.all(np.abs(mean[i] - exact) <= N_SE * se[i] + 1e-12), method


def test_mim_recon_expectation(wx, w_dec, mc_losses):
    W, x = wx
    mean, se = mc_losses["recon"]
    uu, vu, vv = obj.recon_moments(np.asarray(x), p=P, with_vv=True)
    Bm = np.asarray(w_dec @ W)
    exact = np.trace(Bm @ uu @ Bm.T) - 2 * np.trace(Bm @ vu.T) + np.trace(vv)
    assert abs(mean - exact) <= N_SE * se


def test_population_loss_matches_numpy(wx):
    W, _ = wx
    A = np.random.default_rng(0).standard_normal((D, D))
    X = A + A.T
    Wn = np.asarray(W)
    want = -np.trace(Wn @ X @ Wn.T) + 0.5 * np.linalg.norm(Wn.T @ Wn, "fro") ** 2
    np.testing.assert_allclose(float(L.population_loss(W, jnp.asarray(X))), want, **tol(np.float64))


def _np_lowbias32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x7FEB352D)
    h = h ^ (h >> np.uint32(15))
    h = h * np.uint32(0x846CA68B)
    return h ^ (h >> np.uint32(16))


def _np_bits32(key, shape):
    """NumPy oracle of sims.losses.random_bits32 (uint32 arithmetic wraps modulo 2**32)."""
    k0, k1 = (np.uint32(w) for w in np.asarray(jr.key_data(key)).ravel()[:2])
    j = np.arange(int(np.prod(shape)), dtype=np.uint32).reshape(shape)
    with np.errstate(over="ignore"):
        return _np_lowbias32((_np_lowbias32(_np_lowbias32(j ^ k0) + k1)) ^ k0)


def _np_threshold(p):
    import math
    from fractions import Fraction

    return np.uint32(min(math.ceil(Fraction(1 - p) * 2**32), 2**32 - 1))


def test_gaussian_is_the_normal_quantile_of_the_hash_words_at_every_word():
    """sims.losses.gaussian against scipy's float64 normal quantile at all 2**24 values of
    u = (k + 1/2)/2**24 (every value it can return), via the words of the NumPy hash oracle
    for one key; then the same draws under jit, in float64 (the float32 values cast), and
    the exact symmetry u -> 1 - u. Bound: the float32 evaluation of Giles' erfinv (relative
    error about 1e-7 in exact arithmetic) plus a few float32 roundings: 4e-7 relative."""
    from scipy.special import ndtri

    k = np.arange(2**24, dtype=np.uint32)
    z = np.asarray(jax.jit(lambda b: L.masks._quantile(b))(jnp.asarray(k << np.uint32(8))))
    assert z.dtype == np.float32
    ref = ndtri((k.astype(np.float64) + 0.5) / 2**24)
    rel = np.abs(z.astype(np.float64) - ref) / np.abs(ref)
    assert rel.max() < 4e-7, (rel.max(), ref[rel.argmax()])
    np.testing.assert_array_equal(z, -z[::-1])  # k and 2**24 - 1 - k: u and 1 - u
    assert np.abs(z).max() < 5.42
    key = jr.key(7)
    words = _np_bits32(key, (60, 70))
    draws = np.asarray(L.gaussian(key, (60, 70)))
    np.testing.assert_array_equal(draws, z[words >> np.uint32(8)])
    np.testing.assert_array_equal(
        np.asarray(jax.jit(L.gaussian, static_argnums=1)(key, (60, 70))), draws
    )
    d64 = np.asarray(L.gaussian(key, (60, 70), jnp.float64))
    assert d64.dtype == np.float64
    np.testing.assert_array_equal(d64, draws.astype(np.float64))


def test_mask_bits_equal_numpy_oracle_and_frequency(compile_counter):
    key = jr.key(11)
    bits = np.asarray(L.random_bits32(key, (50, 40)))
    np.testing.assert_array_equal(bits, _np_bits32(key, (50, 40)))
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda k: L.random_bits32(k, (50, 40)))(key)), bits
    )
    raw = jr.PRNGKey(11)  # raw and new-style keys with the same data: the same words
    np.testing.assert_array_equal(np.asarray(L.random_bits32(raw, (50, 40))), bits)
    assert L.mask_threshold(0.75) == 2**30 and L.mask_threshold(0.5) == 2**31
    for p in (0.1, 0.75, 0.9):
        m = np.asarray(L.mask(jr.key(3), p, (400, 500)))
        se = np.sqrt(p * (1 - p) / m.size)
        assert abs(m.mean() - (1 - p)) < 5 * se, p
        # the traced-p path compares the top 24 bits: equal except within 2**-24 of T
        mt = np.asarray(jax.jit(lambda k, q: L.mask(k, q, (400, 500)))(jr.key(3), p))
        assert np.mean(mt != m) < 1e-4
    # neighbouring keys give uncorrelated masks
    m1 = np.asarray(L.mask(jr.fold_in(key, 0), 0.5, (200_000,)), float)
    m2 = np.asarray(L.mask(jr.fold_in(key, 1), 0.5, (200_000,)), float)
    assert abs(np.corrcoef(m1, m2)[0, 1]) < 5 / np.sqrt(m1.size)


def test_single_draw_matches_numpy_oracle(wx):
    """One mask draw, recomputed in numpy from the same mask."""
    W, x = wx
    key = jr.key(5)
    m = (_np_bits32(jr.split(key)[0], x.shape) < _np_threshold(P)).astype(np.float64)
    Wn, xn = np.asarray(W), np.asarray(x)
    a, b = xn * m, xn * (1 - m)
    want = -np.mean([(Wn @ a[i]) @ (Wn @ b[i]) for i in range(B)])
    want += 0.5 * np.sum((Wn.T @ Wn) ** 2)
    np.testing.assert_allclose(float(L.mim(W, x, P, key=key)), want, **tol(np.float64))
    z = np.asarray(L.masked_embeddings(W, x, P, key=key))
    np.testing.assert_allclose(z, a @ Wn.T, **tol(np.float64))


ALL_LOSSES = {
    **CASES,
    "recon": lambda W, x, H, k: L.mim_recon((W, W.T), x, P, key=k),
    "mar": lambda W, x, H, k: L.mar(W, x, x[:5, :C] * 0.3, 0.1, P, key=k),
    "dsr_linear": lambda W, x, H, k: L.dsr_linear(W, x, H[:C, :C], jnp.ones(C) * 2.0),
}


@pytest.mark.parametrize("name", list(ALL_LOSSES))
def test_jit_equals_eager(name, wx, H):
    W, x = wx
    f = ALL_LOSSES[name]
    key = jr.key(7)
    eager = f(W, x, H, key)
    jitted = jax.jit(f)(W, x, H, key)
    np.testing.assert_allclose(float(jitted), float(eager), **tol(np.float64))
    g = jax.jit(jax.grad(f))(W, x, H, key)
    assert np.all(np.isfinite(np.asarray(g)))


# ---------------------------------------------------------------------------------------------
# A-MMD


def _ammd_oracle(z, zb, sigma=None, squared=True, code_bw=False):
    z, zb = np.asarray(z), np.asarray(zb)
    b, bb = len(z), len(zb)
    if sigma is None:
        dist = [np.linalg.norm(z[i] - z[j]) for i in range(b) for j in range(b) if i != j]
        sigma = sum(dist) / (b * b if code_bw else b * (b - 1))

    def k(u, w):
        r = np.linalg.norm(u - w)
        return np.exp(-(r**2 if squared else r) / (2 * sigma**2))

    s_zz = sum(k(z[i], z[j]) for i in range(b) for j in range(b) if i != j)
    s_bb = sum(k(zb[i], zb[j]) for i in range(bb) for j in range(bb) if i != j)
    s_zb = sum(k(z[i], zb[j]) for i in range(b) for j in range(bb))
    return s_zz / (b * (b - 1)) + s_bb / (bb * (bb - 1)) - 2 * s_zb / (b * bb)


@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("bandwidth", ["mean", "mean-code", 0.7])
def test_ammd_matches_double_loop(squared, bandwidth):
    rng = np.random.default_rng(1)
    z, zb = rng.standard_normal((6, 3)), rng.standard_normal((5, 3)) + 0.4
    sigma = bandwidth if isinstance(bandwidth, float) else None
    want = _ammd_oracle(z, zb, sigma, squared, code_bw=bandwidth == "mean-code")
    got = L.ammd(jnp.asarray(z), jnp.asarray(zb), bandwidth=bandwidth, squared=squared)
    got_jit = jax.jit(lambda a, b: L.ammd(a, b, bandwidth=bandwidth, squared=squared))(z, zb)
    np.testing.assert_allclose(float(got), want, **tol(np.float64))
    np.testing.assert_allclose(float(got_jit), want, **tol(np.float64))
    # identical sets: exact value of the unbiased/biased mix, from the same oracle
    np.testing.assert_allclose(
        float(L.ammd(jnp.asarray(z), jnp.asarray(z), bandwidth=bandwidth, squared=squared)),
        _ammd_oracle(z, z, sigma, squared, code_bw=bandwidth == "mean-code"),
        **tol(np.float64),
    )


def test_ammd_symmetric_with_fixed_bandwidth():
    rng = np.random.default_rng(2)
    z, zb = jnp.asarray(rng.standard_normal((7, 4))), jnp.asarray(rng.standard_normal((7, 4)))
    for squared in (True, False):
        ab = L.ammd(z, zb, bandwidth=1.3, squared=squared)
        ba = L.ammd(zb, z, bandwidth=1.3, squared=squared)
        np.testing.assert_allclose(float(ab), float(ba), **tol(np.float64))


def test_ammd_unbiased_for_iid_sets():
    """E[A-MMD] = 0 when z and z̄ are i.i.d. from one law (fixed bandwidth: unbiased MMD²)."""

    def draw(k):
        k1, k2 = jr.split(k)
        z = jr.normal(k1, (6, 2), dtype=jnp.float64)
        zb = jr.normal(k2, (6, 2), dtype=jnp.float64)
        return L.ammd(z, zb, bandwidth=1.0)

    mean, se = _mc(draw, n=10_000, seed=3)
    assert abs(mean) <= N_SE * se


def _ammd_shifted(a, squared):
    return L.ammd(a, a + 0.1, squared=squared)


def test_ammd_gradient_finite_with_duplicate_rows():
    z = jnp.asarray(np.repeat(np.random.default_rng(4).standard_normal((3, 2)), 2, axis=0))
    for squared in (True, False):
        g = jax.jit(jax.grad(partial(_ammd_shifted, squared=squared)))(z)
        assert np.all(np.isfinite(np.asarray(g)))
    same = jnp.ones((4, 2))  # σ = 0 → σ := 1, every kernel value is 1
    np.testing.assert_allclose(float(L.ammd(same, same)), 1 + 1 - 2, atol=1e-15)


def test_mar_is_base_plus_gamma_ammd(wx):
    W, x = wx
    key, gamma = jr.key(9), 0.05
    zb = jr.normal(jr.key(1), (B, C), dtype=jnp.float64)
    z_hash = L.masked_embeddings(W, x, P, key=key)
    z_exact = L.masked_embeddings(W, x, P, key=key, exact=True)  # mim_recon's mask stream
    for base, params, base_loss, z in (
        ("mim", W, L.mim(W, x, P, key=key), z_hash),
        ("mim-independent", W, L.mim_independent(W, x, P, key=key), z_hash),
        ("recon", (W, W.T), L.mim_recon((W, W.T), x, P, key=key), z_exact),
    ):
        total, z_out = L.mar(params, x, zb, gamma, P, key=key, base=base, return_embeddings=True)
        want = float(base_loss) + gamma * float(L.ammd(z, zb))
        np.testing.assert_allclose(float(total), want, **tol(np.float64))
        np.testing.assert_allclose(np.asarray(z_out), np.asarray(z), **tol(np.float64))
    g_bar = jax.grad(lambda a: L.mar(W, x, a, gamma, P, key=key))(zb)
    assert np.all(np.asarray(g_bar) == 0)  # z̄ is a constant
    traced_gamma = jax.jit(lambda g: L.mar(W, x, zb, g, P, key=key))(gamma)
    np.testing.assert_allclose(float(traced_gamma), float(L.mar(W, x, zb, gamma, P, key=key)))


def test_gamma_schedule_endpoints_and_shape():
    g = L.gamma_schedule(jnp.arange(12), 5)
    np.testing.assert_allclose(float(g[0]), 1e-1, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(g[5:]), 1e-3, rtol=1e-15)
    np.testing.assert_allclose(float(L.gamma_schedule(2.5, 5)), (1e-1 + 1e-3) / 2, rtol=1e-15)
    assert np.all(np.diff(np.asarray(g)) <= 0)
    np.testing.assert_allclose(
        np.asarray(jax.jit(L.gamma_schedule)(jnp.arange(12), 5.0)), np.asarray(g), rtol=1e-15
    )
    want = [1e-3 + (0.2 - 1e-3) * 0.5 * (1 + np.cos(np.pi * min(c / 4, 1))) for c in range(8)]
    np.testing.assert_allclose(np.asarray(L.gamma_schedule(np.arange(8), 4, 0.2)), want)


# ---------------------------------------------------------------------------------------------
# DSR


def _normalize(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


@pytest.mark.parametrize("form", ["paper", "code"])
@pytest.mark.parametrize("normalize", [True, False])
def test_dsr_matches_numpy(form, normalize):
    Q, scales = L.dsr_scales(4, 8, key=jr.key(0))
    z = np.random.default_rng(5).standard_normal((6, 8))
    zz = _normalize(z) if normalize else z
    M = np.asarray(Q) @ np.diag(np.asarray(scales[2])) @ np.asarray(Q).T
    T = _normalize(zz @ M.T)
    want = np.mean(np.sum((zz - T) ** 2, -1)) if form == "paper" else np.linalg.norm(zz - T) / 6
    got = L.dsr(jnp.asarray(z), Q, scales[2], form=form, normalize=normalize)
    np.testing.assert_allclose(float(got), want, **tol(np.float64))
    got_jit = jax.jit(lambda a: L.dsr(a, Q, scales[2], form=form, normalize=normalize))(z)
    np.testing.assert_allclose(float(got_jit), want, **tol(np.float64))
    if not normalize and form == "paper":  # target is a constant: ∇ = 2(z − T)/B
        g = jax.grad(lambda a: L.dsr(a, Q, scales[2], normalize=False))(jnp.asarray(z))
        np.testing.assert_allclose(np.asarray(g), 2 * (z - T) / 6, **tol(np.float64))


def test_dsr_scales_structure_and_seed():
    Q, s = L.dsr_scales(3, 10, key=jr.key(1), weight=10.0)
    Qn, sn = np.asarray(Q), np.asarray(s)
    np.testing.assert_allclose(Qn.T @ Qn, np.eye(10), atol=1e-12)
    assert sn.shape == (3, 10)
    assert set(np.unique(sn)) <= {1.0, 10.0}
    assert np.all((sn == 10.0).sum(axis=1) == 10 // 3)
    assert np.all((sn == 10.0).sum(axis=0) <= 1)  # disjoint blocks
    Q2, s2 = L.dsr_scales(3, 10, key=jr.key(1))
    np.testing.assert_array_equal(np.asarray(Q2), Qn)
    np.testing.assert_array_equal(np.asarray(s2), sn)


def test_dsr_linear_gradient_closed_form(wx):
    W, x = wx
    Qf = np.linalg.qr(np.random.default_rng(6).standard_normal((C, C)))[0]
    scale = np.array([10.0, 1.0, 1.0])
    M = Qf @ np.diag(scale) @ Qf.T
    S = np.asarray(x).T @ np.asarray(x) / B
    g = jax.grad(L.dsr_linear)(W, x, jnp.asarray(Qf), jnp.asarray(scale))
    want = -2 * (M - np.eye(C)) @ np.asarray(W) @ S
    np.testing.assert_allclose(np.asarray(g), want, **tol(np.float64))
    z = x @ W.T
    np.testing.assert_allclose(
        float(L.dsr_linear(W, x, jnp.asarray(Qf), jnp.asarray(scale), normalize=True)),
        float(L.dsr(z, jnp.asarray(Qf), jnp.asarray(scale))),
        **tol(np.float64),
    )


# ---------------------------------------------------------------------------------------------
# bad inputs


def test_bad_inputs_raise_one_line_value_errors(wx):
    W, x = wx
    k = jr.key(0)
    cases = [
        (lambda: L.mim(W, x, 0.0, key=k), "p:"),
        (lambda: L.mim(W, x, 1.0, key=k), "p:"),
        (lambda: L.mim_independent(W, x, 1.5, key=k), "p:"),
        (lambda: L.mim_recon((W, W.T), x, -0.1, key=k), "p:"),
        (lambda: L.mim(W, x.at[0, 0].set(jnp.nan), P, key=k), "x:"),
        (lambda: L.cl_similar(W.at[0, 0].set(jnp.inf), x, key=k), "W:"),
        (lambda: L.cl_similar(W, x[:, :4], key=k), "x:"),
        (lambda: L.cl_similar(W, x, key=None), "key:"),
        (lambda: L.cl_dissimilar(W, x, jnp.eye(D + 1), key=k), "H:"),
        (lambda: L.mim_recon((W, W), x, P, key=k), "W_d:"),
        (lambda: L.mim_recon(W, x, P, key=k), "params:"),
        (lambda: L.ammd(x[:1], x), "z:"),
        (lambda: L.ammd(x, x, bandwidth="median"), "bandwidth:"),
        (lambda: L.ammd(x, x, bandwidth=-1.0), "bandwidth:"),
        (lambda: L.mar(W, x, x[:, :C], -0.1, P, key=k), "gamma:"),
        (lambda: L.mar(W, x, x[:, :C], 0.1, P, key=k, base="cl"), "base:"),
        (lambda: L.gamma_schedule(1, 0), "omega:"),
        (lambda: L.gamma_schedule(-1, 5), "count:"),
        (lambda: L.gamma_schedule(1, 5, gamma_max=1e-4), "gamma_max:"),
        (lambda: L.dsr(x, jnp.eye(D), jnp.ones(D), form="fro"), "form:"),
        (lambda: L.dsr(x, jnp.eye(D - 1), jnp.ones(D)), "Q:"),
        (lambda: L.dsr_scales(7, 6, key=k), "n_clients:"),
        (lambda: L.dsr_scales(2, 6, key=k, weight=0.0), "weight:"),
        (lambda: L.population_loss(W, jnp.eye(D + 1)), "X:"),
    ]
    for fun, field in cases:
        with pytest.raises(ValueError) as err:
            fun()
        msg = str(err.value)
        assert msg.startswith(field) and "\n" not in msg, msg
