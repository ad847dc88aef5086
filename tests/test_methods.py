"""Method values: their losses are sims.losses', their closed-form gradients equal autodiff,
their Track B targets are theory.objectives' (mim-recon: its own Eq. 3 optimum)."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims import losses
from sims.losses import methods
from sims.trackc.engine_config import EngineConfig
from theory import objectives, solve
from theory.datamodel import DataModel

P = 0.75
C, D, B = 2, 6, 5


@pytest.fixture
def wx():
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.standard_normal((C, D)) * 0.3), jnp.asarray(rng.standard_normal((B, D)))


def _H():
    return jnp.asarray(objectives.transform("rotation", D, seed=1))


REFERENCE = {
    "cl": lambda W, x, H, k: losses.cl_similar(W, x, key=k),
    "cl-dissimilar": lambda W, x, H, k: losses.cl_dissimilar(W, x, H, key=k),
    "mim": lambda W, x, H, k: losses.mim(W, x, P, key=k),
    "mim-independent": lambda W, x, H, k: losses.mim_independent(W, x, P, key=k),
}


def test_registry_and_unknown_name():
    assert set(methods.NAMES) == {
        "cl", "cl-dissimilar", "mim", "mim-independent", "mim-recon", "mar", "ssd"
    }  # fmt: skip
    for name, m in methods.METHODS.items():
        assert m.name == name and methods.get(name) is m
    with pytest.raises(ValueError, match="^method: must be one of"):
        methods.get("simclr")


@pytest.mark.parametrize("name", list(REFERENCE))
@pytest.mark.parametrize("jit", [False, True])
def test_alignment_loss_and_closed_form_gradient(name, jit, wx):
    W, x = wx
    m, H, key = methods.get(name), _H(), jr.key(4)
    ctx = methods.Context(p=P, H=H)

    def ours(W):
        return m.value_and_grad(W, x, ctx, key=key)[:2]

    ours = jax.jit(ours) if jit else ours
    val, g = ours(W)
    ref = REFERENCE[name]
    np.testing.assert_allclose(
        np.asarray(m.loss(W, x, ctx, key=key)[0]), np.asarray(ref(W, x, H, key)), rtol=1e-13
    )
    np.testing.assert_allclose(float(val), float(ref(W, x, H, key)), rtol=1e-12)
    g_ref = jax.grad(lambda W: ref(W, x, H, key))(W)
    np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-10, atol=1e-12)


def test_autodiff_methods_equal_their_losses(wx):
    W, x = wx
    key = jr.key(2)
    recon = methods.get("mim-recon")
    params = (W, W.T)
    val, g, z = recon.value_and_grad(params, x, methods.Context(p=P), key=key)
    np.testing.assert_array_equal(
        np.asarray(val), np.asarray(losses.mim_recon(params, x, P, key=key))
    )
    assert z is None and isinstance(g, tuple)
    zb = jnp.asarray(np.random.default_rng(1).standard_normal((B, C)))
    mar = methods.get("mar")
    val, g, z = mar.value_and_grad(W, x, methods.Context(p=P, z_bar=zb, gamma=0.1), key=key)
    want, z_want = losses.mar(W, x, zb, 0.1, P, key=key, return_embeddings=True)
    np.testing.assert_array_equal(np.asarray(val), np.asarray(want))
    np.testing.assert_array_equal(np.asarray(z), np.asarray(z_want))
    Q, scales = losses.dsr_scales(2, C, key=jr.key(0))
    ssd = methods.get("ssd")
    val, _, _ = ssd.value_and_grad(W, x, methods.Context(p=P, extra=(Q, scales[0], 0.5)), key=key)
    want = losses.mim(W, x, P, key=key) + 0.5 * losses.dsr_linear(W, x, Q, scales[0])
    np.testing.assert_allclose(float(val), float(want), rtol=1e-14)


def test_targets_and_optima_are_theorys():
    model = DataModel(d=D, n_clients=2)
    for name in ("cl", "mim", "mim-independent"):
        m = methods.get(name)
        X = m.target(model, p=P)
        np.testing.assert_array_equal(
            X, objectives.population_targets(model, name, p=objectives.p_for(name, P))
        )
        np.testing.assert_allclose(
            np.asarray(m.optimum(X[0], C)), np.asarray(solve.eckart_young(X[0], C))
        )
    x = np.random.default_rng(0).standard_normal((2, 30, D))
    np.testing.assert_allclose(
        methods.get("mim").target(x, p=P)[1], objectives.empirical_target(x[1], "mim", p=P)
    )
    recon = methods.get("mim-recon")
    uu, vu = recon.target(model, p=P)
    want_uu, want_vu = objectives.recon_moments(model, p=P)
    np.testing.assert_array_equal(uu, want_uu)
    got = recon.optimum((uu[0], vu[0]), C)
    want = solve.recon_optimum(uu[0], vu[0], C)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b))
    for name in ("mar", "ssd"):
        assert methods.get(name).target(model, p=P) is None
        assert methods.get(name).optimum(None, C) is None
    assert methods.get("mim").bound == "mim" and methods.get("cl").bound == "cl_similar"


def test_init_float32_equals_float64_rounded():
    m = methods.get("mim-recon")
    a = m.init(jr.key(0), C, D, 0.1, jnp.float64)
    b = m.init(jr.key(0), C, D, 0.1, jnp.float32)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x).astype(np.float32), np.asarray(y))


def test_unknown_optimizer_raises_instead_of_adamw():
    cfg = EngineConfig()
    object.__setattr__(cfg, "optimizer", "rmsprop")  # bypass __post_init__ on purpose
    with pytest.raises(ValueError, match="^optimizer: must be one of"):
        _ = cfg.local_optimizer
    assert dataclasses.replace(EngineConfig(), optimizer="adamw").local_optimizer is not None


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_mim_views_equal_the_where_views_and_give_the_same_gradient(dtype):
    """MIM's second view x − a is where(m, 0, x) bit for bit (signed zeros included) except
    at subnormal entries, which XLA's CPU subtraction flushes to ±0; the products that follow
    treat subnormals as zero as well, so the loss and gradient are bit-identical."""
    from theory._precision import x64

    with x64():
        tiny = np.finfo(np.dtype(dtype)).smallest_subnormal
        rng = np.random.default_rng(3)
        x = rng.standard_normal((64, 48)).astype(dtype)
        x[0, :8] = [0.0, -0.0, tiny, -tiny, 1e30, -1e-30, 3.0, -3.0]
        x[1:3] *= tiny  # rows of subnormals
        x = jnp.asarray(x)
        W = jnp.asarray(rng.standard_normal((C, 48)).astype(dtype))
        key = jr.key(7)
        ctx = methods.Context(p=P)
        a, b = jax.jit(lambda x: methods.get("mim").views(x, ctx, key=key))(x)
        m = losses.mask(jr.split(key)[0], P, x.shape)
        zero = jnp.zeros((), x.dtype)
        ref_a, ref_b = jnp.where(m, x, zero), jnp.where(m, zero, x)
        as_int = {jnp.float32: jnp.uint32, jnp.float64: jnp.uint64}[dtype]

        def bits(v):
            return np.asarray(jax.lax.bitcast_convert_type(v, as_int))

        normal = np.abs(np.asarray(x)) >= np.finfo(np.dtype(dtype)).tiny
        normal |= np.asarray(x) == 0
        np.testing.assert_array_equal(bits(a), bits(ref_a))
        np.testing.assert_array_equal(bits(b)[normal], bits(ref_b)[normal])
        assert np.all(np.asarray(b)[~normal] * np.asarray(ref_b)[~normal] >= 0)  # ±0 or same
        assert 0 < int(m.sum()) < m.size and (~normal).sum() > 50
        fn = jax.jit(methods.align_value_and_grad)
        for got, ref in zip(fn(W, a, b), fn(W, ref_a, ref_b), strict=True):
            np.testing.assert_array_equal(bits(got), bits(ref))


@pytest.mark.parametrize("name", methods.NAMES)
def test_positive_pair_is_what_the_method_trains_on(name):
    m = methods.get(name)
    x = jr.normal(jr.key(3), (400, 6))
    ctx = methods.Context(p=0.5, H=jnp.flip(jnp.eye(6), 0))
    a, b = m.positive_pair(x, ctx, key=jr.key(4))
    if m.views is not None:  # the loss the method trains with is the alignment of this pair
        W = jr.normal(jr.key(5), (2, 6))
        want = methods.align_value_and_grad(W, a, b)[0]
        assert float(m.loss(W, x, ctx, key=jr.key(4))[0]) == float(want)
    if name == "cl-dissimilar":
        np.testing.assert_array_equal(b, x @ ctx.H.T)
    if name in ("mim", "mim-recon", "mar", "ssd"):  # complementary masks, about half kept
        np.testing.assert_array_equal(a + b, x)
        kept = float(jnp.mean(a != 0))
        assert 0.45 < kept < 0.55


def test_positive_pair_refuses_a_method_without_one():
    m = dataclasses.replace(methods.get("mar"), pair=None)
    with pytest.raises(ValueError, match="method: must be a method with a positive pair"):
        m.positive_pair(jnp.ones((2, 3)), methods.Context(), key=jr.key(0))


def test_simulate_alignment_uses_each_clients_positive_pair():
    from sims import metrics as mt
    from sims.trackc.simulate import _alignment

    x = np.asarray(jr.normal(jr.key(5), (3, 40, 6)), np.float64)
    W = np.asarray(jr.normal(jr.key(6), (2, 6)), np.float64)
    m, ctx, key = methods.get("mim"), methods.Context(p=0.75), jr.key(7)
    got = _alignment(W, x, m, ctx, key=key)
    for i in range(3):
        a, b = m.positive_pair(jnp.asarray(x[i]), ctx, key=jr.fold_in(key, i))
        assert got[i] == pytest.approx(float(mt.alignment(a @ W.T, b @ W.T)), rel=1e-12)
    assert len(set(got.tolist())) == 3
