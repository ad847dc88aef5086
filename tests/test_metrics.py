"""Metrics against independent oracles (theory.solve / theory.dissimilarity, numpy, sklearn),
with and without jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from sims import metrics as mt
from theory import dissimilarity, solve


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("jit", [False, True])
def test_rv_matches_track_b(jit):
    rng = _rng()
    W = rng.normal(size=(3, 7))
    W[2] *= 1e-4  # a residual direction below the 1e-2 threshold
    f = jax.jit(mt.representability_vector, static_argnums=1) if jit else mt.representability_vector
    np.testing.assert_allclose(
        f(jnp.asarray(W), 1e-2), solve.representability_vector(W, rel_tol=1e-2), atol=1e-12
    )
    np.testing.assert_allclose(
        f(jnp.asarray(W), 1e-6), solve.representability_vector(W, rel_tol=1e-6), atol=1e-12
    )
    e = jax.jit(mt.energy_rv) if jit else mt.energy_rv
    np.testing.assert_allclose(e(jnp.asarray(W)), solve.energy_weighted_rv(W), rtol=1e-12)


def test_sensitivity_matches_track_b():
    r = _rng(1).uniform(size=10)
    assert float(mt.sensitivity(jnp.asarray(r), 4)) == pytest.approx(solve.sensitivity_N(r, 4))
    assert float(mt.sensitivity(jnp.asarray(r), 8)) == pytest.approx(solve.sensitivity_c(r, 8))


@pytest.mark.parametrize("jit", [False, True])
def test_consensus_distance_numpy(jit):
    rng = _rng(2)
    W = rng.normal(size=(5, 2, 3))
    pi = rng.uniform(size=5)
    pi /= pi.sum()
    f = jax.jit(mt.consensus_distance) if jit else mt.consensus_distance
    want = np.mean([np.sum((w - W.mean(0)) ** 2) for w in W])
    np.testing.assert_allclose(f(jnp.asarray(W)), want, rtol=1e-12)
    mean = np.einsum("n,ncd->cd", pi, W)
    want_pi = sum(p * np.sum((w - mean) ** 2) for p, w in zip(pi, W, strict=True))
    np.testing.assert_allclose(f(jnp.asarray(W), jnp.asarray(pi)), want_pi, rtol=1e-12)


def test_zeta_and_loss_match_track_b():
    rng = _rng(3)
    A = rng.normal(size=(4, 6, 6))
    X = jnp.asarray(A + np.transpose(A, (0, 2, 1)))
    W = jnp.asarray(rng.normal(size=(2, 6)))
    np.testing.assert_allclose(mt.zeta_sq(W, X), dissimilarity.zeta_sq(W, X), rtol=1e-12)
    from theory.objectives import loss

    np.testing.assert_allclose(mt.global_loss(W, X), np.mean([loss(W, x) for x in X]), rtol=1e-12)


def test_identifiable_rank_and_angle():
    rng = _rng(4)
    Q = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    lam = np.array([5.0, 3.0, 3.0, 1.0, 1.0, 0.0, -1.0, -2.0])
    X = Q @ np.diag(lam) @ Q.T
    assert mt.identifiable_rank(X, 4) == 3  # λ4 = λ5: the top-4 space is not unique
    assert mt.identifiable_rank(X, 2) == 1
    assert mt.identifiable_rank(X, 8) == 5  # positive part only
    # exact optimum: angle 0; a rotated one: the oracle's largest principal angle
    W = np.diag(np.sqrt([5.0, 3.0, 3.0])) @ Q[:, :3].T
    ang, r = mt.principal_angle_to_optimum(W, X, 4)
    assert r == 3 and ang < 1e-7
    B = Q[:, :3] + 0.05 * rng.normal(size=(8, 3))
    ang, _ = mt.principal_angle_to_optimum(B.T, X, 4)
    np.testing.assert_allclose(ang, solve.principal_angles(B, Q[:, :3]).max(), rtol=1e-9)


def test_probe_matches_sklearn_ridge():
    rng = _rng(5)
    W = rng.normal(size=(3, 5))
    x_tr, x_te = rng.normal(size=(60, 5)), rng.normal(size=(40, 5))
    y_tr, y_te = rng.integers(0, 4, 60), rng.integers(0, 4, 40)
    acc = mt.probe_accuracy(W, x_tr, y_tr, x_te, y_te, n_classes=4, ridge=1e-2)
    z = np.c_[x_tr @ W.T, np.ones(60)]
    lam = 1e-2 * np.trace(z.T @ z) / z.shape[1]
    model = Ridge(alpha=lam, fit_intercept=False).fit(z, np.eye(4)[y_tr])
    pred = model.predict(np.c_[x_te @ W.T, np.ones(40)]).argmax(1)
    assert acc == pytest.approx(np.mean(pred == y_te))
    # separable labels are recovered exactly
    y_sep = (x_tr @ W.T)[:, 0] > 0
    acc = mt.probe_accuracy(
        W, x_tr, y_sep.astype(int), x_tr, y_sep.astype(int), n_classes=2, ridge=1e-6
    )
    assert acc > 0.9
    with pytest.raises(ValueError, match="^n_classes:"):
        mt.probe_accuracy(W, x_tr, y_tr, x_te, y_te, n_classes=1)


def _uniformity_oracle(z, t=2.0):
    zn = z / np.linalg.norm(z, axis=1, keepdims=True)
    m = len(zn)
    vals = [np.exp(-t * np.sum((zn[a] - zn[b]) ** 2)) for a in range(m) for b in range(a + 1, m)]
    return -np.log(np.mean(vals))


@pytest.mark.parametrize("jit", [False, True])
def test_uniformity_and_alignment_numpy(jit):
    rng = _rng(6)
    z = rng.normal(size=(3, 7, 4))
    f = jax.jit(mt.client_uniformity) if jit else mt.client_uniformity
    intra, inter = f(jnp.asarray(z))
    for k in range(3):
        np.testing.assert_allclose(intra[k], _uniformity_oracle(z[k]), rtol=1e-10)
    a = z[0] / np.linalg.norm(z[0], axis=1, keepdims=True)
    b = z[1] / np.linalg.norm(z[1], axis=1, keepdims=True)
    want = -np.log(np.mean(np.exp(-2.0 * np.sum((a[:, None] - b[None]) ** 2, -1))))
    np.testing.assert_allclose(inter[0, 1], want, rtol=1e-10)
    np.testing.assert_allclose(inter[1, 0], want, rtol=1e-10)
    np.testing.assert_allclose(np.diag(inter), intra, rtol=1e-12)
    np.testing.assert_allclose(
        mt.alignment(jnp.asarray(z[0]), jnp.asarray(z[1])),
        np.mean(np.sum((a - b) ** 2, 1)),
        rtol=1e-12,
    )
    wd = mt.weight_distance(jnp.asarray(z), jnp.asarray(z[0]))
    np.testing.assert_allclose(wd, [np.linalg.norm(zk - z[0]) for zk in z], rtol=1e-12)


@settings(max_examples=15)
@given(st.integers(0, 2**31 - 1), st.integers(2, 6))
def test_uniformity_range_and_rv_bounds(seed, c):
    rng = np.random.default_rng(seed)
    z = jnp.asarray(rng.normal(size=(9, c)))
    u = float(mt.uniformity(z))
    assert -1e-12 <= u <= 4.0 + 1e-12
    W = jnp.asarray(rng.normal(size=(c, 8)))
    r = np.asarray(mt.representability_vector(W))
    assert np.all(r >= -1e-12) and np.all(r <= 1 + 1e-12)
    np.testing.assert_allclose(r.sum(), c, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(mt.energy_rv(W)).sum(), 1.0, rtol=1e-12)


def _unchunked_client_uniformity(z, t=2.0):
    """All N×N×m×m pair potentials at once (the O(N²m²) form), in numpy."""
    zn = z / np.linalg.norm(z, axis=-1, keepdims=True)
    n, m, _ = zn.shape
    sq = np.maximum(2.0 - 2.0 * np.einsum("iac,jbc->ijab", zn, zn), 0.0)
    k = np.exp(-t * sq)
    off = 1.0 - np.eye(m)
    inter = -np.log(k.mean(axis=(2, 3)))
    intra = np.array([-np.log(np.sum(k[i, i] * off) / (m * (m - 1))) for i in range(n)])
    inter[np.diag_indices(n)] = intra
    return intra, inter


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("block", [1, 7, 50, 1 << 21])
def test_client_uniformity_chunked_equals_unchunked(jit, block):
    z = _rng(11).normal(size=(3, 9, 4))
    f = lambda a: mt.client_uniformity(a, 1.5, block_elements=block)  # noqa: E731
    intra, inter = (jax.jit(f) if jit else f)(jnp.asarray(z))
    want_intra, want_inter = _unchunked_client_uniformity(z, 1.5)
    np.testing.assert_allclose(intra, want_intra, rtol=1e-12)
    np.testing.assert_allclose(inter, want_inter, rtol=1e-12)
    u = mt.uniformity(jnp.asarray(z[1]), 1.5, block_elements=block)
    np.testing.assert_allclose(u, want_intra[1], rtol=1e-12)
    cu = mt.cross_uniformity(jnp.asarray(z[0]), jnp.asarray(z[2][:5]), 1.5, block_elements=block)
    a = z[0] / np.linalg.norm(z[0], axis=1, keepdims=True)
    b = z[2][:5] / np.linalg.norm(z[2][:5], axis=1, keepdims=True)
    want = -np.log(np.mean(np.exp(-1.5 * np.sum((a[:, None] - b[None]) ** 2, -1))))
    np.testing.assert_allclose(cu, want, rtol=1e-12)


def test_client_uniformity_mc_within_standard_errors():
    import jax.random as jr

    z = _rng(12).normal(size=(3, 40, 3))
    want_intra, want_inter = _unchunked_client_uniformity(z)
    out = mt.client_uniformity_mc(jnp.asarray(z), key=jr.PRNGKey(3), pairs=4000)
    se = np.asarray(out["inter_se"])
    assert np.all(se > 0) and np.all(se < 0.05)
    # 5 standard errors: a failure has probability < 1e-5 per entry under the normal limit
    assert np.all(np.abs(np.asarray(out["inter"]) - want_inter) < 5 * se)
    np.testing.assert_allclose(out["intra"], np.diag(np.asarray(out["inter"])))
    # one client pair at a time: the same numbers as all client pairs vmapped at once
    for i, j in ((0, 0), (0, 2), (2, 1)):
        want = _one_pair_estimate(z, jr.PRNGKey(3), i, j, 4000)
        np.testing.assert_allclose(out["inter"][i, j], want, rtol=1e-12)


def _one_pair_estimate(z, key, i: int, j: int, pairs: int) -> float:
    """Û_ij of client_uniformity_mc recomputed in NumPy from its documented draws: pairs (a, b)
    from fold_in(key, i·N + j), b ≠ a within one client."""
    import jax.random as jr

    n, m = z.shape[:2]
    zn = z / np.linalg.norm(z, axis=-1, keepdims=True)
    ka, kb = jr.split(jr.fold_in(key, i * n + j))
    a = jr.randint(ka, (pairs,), 0, m)
    b = jr.randint(kb, (pairs,), 0, m)
    if i == j:
        b = (a + 1 + jr.randint(kb, (pairs,), 0, m - 1)) % m
    kern = np.exp(-2.0 * np.maximum(2 - 2 * np.sum(zn[i][a] * zn[j][b], axis=-1), 0))
    return float(-np.log(kern.mean()))


def test_client_uniformity_mc_in_blocks_of_rows():
    """N = 43 in blocks of 3 rows (the last one padded), as with a progress report: every row,
    the last block's included, is the per-pair computation and the one call's numbers, and
    ``on_rows`` counts every client once."""
    import jax.random as jr

    n, m, pairs = 43, 6, 64
    z = _rng(5).normal(size=(n, m, 2))
    ticks = []
    out = mt.client_uniformity_mc(
        jnp.asarray(z), key=jr.PRNGKey(9), pairs=pairs, on_rows=ticks.append
    )
    assert sum(ticks) == n and len(ticks) == -(-n // -(-n // mt.UNIFORMITY_CALLS))
    assert out["inter"].shape == out["inter_se"].shape == (n, n)
    whole = mt.client_uniformity_mc(jnp.asarray(z), key=jr.PRNGKey(9), pairs=pairs)  # one call
    for key in ("inter", "inter_se"):
        np.testing.assert_array_equal(out[key], whole[key])
    for i, j in ((0, 42), (41, 3), (42, 42), (42, 0)):
        want = _one_pair_estimate(z, jr.PRNGKey(9), i, j, pairs)
        np.testing.assert_allclose(out["inter"][i, j], want, rtol=1e-12)
    with pytest.raises(TypeError, match="^on_rows: "):
        mt.client_uniformity_mc(jnp.asarray(z), key=jr.PRNGKey(9), pairs=pairs, on_rows=3)


def test_uniformity_memory_is_blockwise():
    """The compiled uniformity of N·m = 20·2000 points holds no N²m² buffer (12.8 GB in
    float64): its temporaries are a few pair blocks of PAIR_BLOCK_ELEMENTS entries."""
    z = jax.ShapeDtypeStruct((20, 2000, 40), jnp.float64)
    compiled = jax.jit(mt.client_uniformity).lower(z).compile()
    mem = compiled.memory_analysis()
    if mem is None:
        pytest.skip("backend gives no memory analysis")
    assert mem.temp_size_in_bytes < 4 * mt.PAIR_BLOCK_ELEMENTS * 8, mem.temp_size_in_bytes


@pytest.mark.parametrize(
    "fn, field",
    [
        (lambda: mt.uniformity(jnp.ones((1, 3))), "z"),
        (lambda: mt.uniformity(jnp.ones((4, 3)), t=float("nan")), "t"),
        (lambda: mt.uniformity(jnp.ones((4, 3)), t=-1.0), "t"),
        (lambda: mt.client_uniformity(jnp.ones((2, 1, 3))), "z"),
        (lambda: mt.cross_uniformity(jnp.ones((3, 2)), jnp.ones((3, 4))), "z2"),
        (lambda: mt.client_uniformity_mc(jnp.ones((2, 3, 3)), key=None, pairs=1), "pairs"),
    ],
)
def test_uniformity_bad_inputs(fn, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        fn()


def test_uniformity_mc_program_reads_gathered_rows_in_place():
    """On a CPU the Monte Carlo uniformity is compiled without YNNPACK fusions
    (``sims.core.environ.no_ynn_options``): its dot products are XLA's own reductions of the
    gathered rows, not a YNNPACK fusion over two gathered blocks written out first (which the
    same program compiled with this jaxlib's defaults has; a jaxlib without them makes the
    option moot and the test pass)."""
    from sims.core.environ import compiler_options_key, no_ynn_options

    options = no_ynn_options()
    if not options:
        pytest.skip("not a CPU with XLA:CPU's YNNPACK fusions")
    args = (jnp.zeros((2, 8, 64), jnp.float64), jax.random.PRNGKey(0), 2.0, 256, jnp.arange(2))
    program = mt._uniformity_mc_program(compiler_options_key(options))
    assert "ynn_fusion" not in program.lower(*args).compile().as_text()
