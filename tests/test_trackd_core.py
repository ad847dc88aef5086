"""Track D: models, losses and augmentations against hand-written references and Track C's
linear model (tiny sizes; float64 where an exact oracle exists)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims import losses as linear_losses
from sims.data import sample_paper_model
from sims.trackd import augment, models
from sims.trackd.losses import (
    OBJECTIVES,
    LossConfig,
    make_loss,
    negative_cosine,
    objective_of,
    patch_mask,
    simsiam_loss,
)
from sims.trackd.models import NetConfig, init_params, make_net
from theory import datamodel as dm


def _relu(a):
    return np.maximum(a, 0.0)


def test_mae_loss_equals_hand_written_reference():
    # MLP MAE with ReLU, one hidden layer each side, on a 4x4 image with 2x2 patches.
    nc = NetConfig(
        arch="mlp", head="decoder", n_patches=4, patch_dim=4, width=3, depth=1, embed=2,
        act="relu", dtype="float64",
    )  # fmt: skip
    cfg = LossConfig("mae", patch=2, p=0.5, mae_augment=False)
    params = init_params(nc, key=jr.key(0))
    x = np.asarray(jr.normal(jr.key(1), (3, 4, 4, 1), jnp.float64))
    key = jr.key(2)
    got = float(make_loss(nc, cfg)(params, jnp.asarray(x), key=key))

    # reference, by hand: mask from split(key)[0], visible patches zeroed, loss on hidden ones
    vis, _ = patch_mask(jr.split(key)[0], 3, 4, 0.5, "count")
    vis = np.asarray(vis, np.float64)
    xp = models.patchify(x, 2)  # (3, 4, 4)
    pe = params["params"]
    e0, e1 = pe["encoder"]["Dense_0"], pe["encoder"]["Dense_1"]
    d0, d1 = pe["decoder"]["Dense_0"], pe["decoder"]["Dense_1"]
    ref = 0.0
    for b in range(3):
        inp = (xp[b] * vis[b][:, None]).reshape(-1)
        z = _relu(inp @ np.asarray(e0["kernel"]) + np.asarray(e0["bias"]))
        z = z @ np.asarray(e1["kernel"]) + np.asarray(e1["bias"])
        h = _relu(z @ np.asarray(d0["kernel"]) + np.asarray(d0["bias"]))
        rec = (h @ np.asarray(d1["kernel"]) + np.asarray(d1["bias"])).reshape(4, 4)
        hidden = 1.0 - vis[b]
        ref += np.sum(hidden[:, None] * (rec - xp[b]) ** 2) / hidden.sum()
    ref /= 3
    np.testing.assert_allclose(got, ref, rtol=1e-12)


@pytest.mark.parametrize("jit", [False, True])
def test_linear_mlp_mae_is_track_c_recon_loss(jit):
    # No hidden layer, no bias, no activation, patch 1, Bernoulli masks, Eq. 3 target:
    # the network is (W_e, W_d) and its loss and gradient are sims.losses.mim_recon's.
    model = dm.DataModel(d=16, n_clients=2)
    x, _ = sample_paper_model(model, 5, key=jr.key(0))
    xb = x.reshape(-1, 16)  # (10, 16) float64, the paper's data
    nc = NetConfig(
        arch="mlp", head="decoder", n_patches=16, patch_dim=1, depth=0, embed=4, act="none",
        bias=False, dtype="float64",
    )  # fmt: skip
    cfg = LossConfig("mae", patch=1, p=0.75, mask_mode="bernoulli", target="eq3", mae_augment=False)
    params = init_params(nc, key=jr.key(1))
    W_e = params["params"]["encoder"]["Dense_0"]["kernel"].T
    W_d = params["params"]["decoder"]["Dense_0"]["kernel"].T
    key = jr.key(3)
    loss = make_loss(nc, cfg)
    images = xb.reshape(10, 4, 4, 1)

    def ours(p):
        return loss(p, images, key=key)

    def theirs(we, wd):
        return linear_losses.mim_recon((we, wd), xb, 0.75, key=key)

    f, g = (jax.jit(ours), jax.jit(theirs)) if jit else (ours, theirs)
    np.testing.assert_allclose(float(f(params)), float(g(W_e, W_d)), rtol=1e-12)
    g_ours = jax.grad(ours)(params)["params"]
    g_we, g_wd = jax.grad(theirs, argnums=(0, 1))(W_e, W_d)
    np.testing.assert_allclose(g_ours["encoder"]["Dense_0"]["kernel"].T, g_we, rtol=1e-10)
    np.testing.assert_allclose(g_ours["decoder"]["Dense_0"]["kernel"].T, g_wd, rtol=1e-10)


def test_negative_cosine_has_no_gradient_through_target():
    p = jr.normal(jr.key(0), (4, 3), jnp.float64)
    z = jr.normal(jr.key(1), (4, 3), jnp.float64)
    gz = jax.grad(lambda zz: negative_cosine(p, zz))(z)
    gp = jax.grad(lambda pp: negative_cosine(pp, z))(p)
    assert np.all(np.asarray(gz) == 0.0)
    assert np.linalg.norm(np.asarray(gp)) > 0


def test_negative_cosine_of_a_zero_prediction_has_a_zero_gradient():
    """A zero row (a predictor whose ReLUs are all off at initialisation) adds 0 to the loss
    and 0 to the gradient, not NaN; the other rows' gradients equal those of the cosine
    normalised by ``jnp.linalg.norm`` alone (the unguarded form): to the bit un-jitted,
    to rounding jitted (XLA fuses the two forms differently)."""

    def plain(p, z):
        z = jax.lax.stop_gradient(z)
        pn = p / jnp.maximum(jnp.linalg.norm(p, axis=-1, keepdims=True), 1e-12)
        zn = z / jnp.maximum(jnp.linalg.norm(z, axis=-1, keepdims=True), 1e-12)
        return -jnp.mean(jnp.sum(pn * zn, axis=-1))

    for dtype in (jnp.float32, jnp.float64):
        p = jr.normal(jr.key(0), (6, 5), dtype)
        z = jr.normal(jr.key(1), (6, 5), dtype)
        assert np.array_equal(jax.grad(negative_cosine)(p, z), jax.grad(plain)(p, z))
        jitted = [jax.jit(jax.grad(f))(p, z) for f in (negative_cosine, plain)]
        eps = 8 * float(jnp.finfo(dtype).eps)
        np.testing.assert_allclose(*jitted, rtol=eps, atol=eps * float(jnp.abs(jitted[1]).max()))
        p0 = p.at[0].set(0.0)
        g = np.asarray(jax.grad(negative_cosine)(p0, z))
        assert np.all(np.isfinite(g)) and np.all(g[0] == 0.0)
        np.testing.assert_allclose(g[1:], np.asarray(jax.grad(plain)(p0, z))[1:], rtol=1e-6)
        assert np.isnan(np.asarray(jax.grad(plain)(p0, z))[0]).all()  # what the guard mends
        tiny = p.at[0].set(1e-30 if dtype == jnp.float32 else 1e-200)  # its squares underflow
        assert np.all(np.asarray(jax.grad(negative_cosine)(tiny, z))[0] == 0.0)


def test_simsiam_gradient_is_the_stop_gradient_one():
    # The full loss's gradient equals that of a hand-built loss whose target branch runs on
    # stop_gradient(params): nothing flows through z.
    nc = NetConfig(arch="mlp", head="siamese", n_patches=4, patch_dim=4, width=4, depth=1,
                   embed=3, proj=4, pred=2, dtype="float64")  # fmt: skip
    cfg = LossConfig("simsiam", patch=2, shift=1, sigma=0.1)
    params = init_params(nc, key=jr.key(0))
    x = jr.normal(jr.key(1), (5, 4, 4, 1), jnp.float64)
    key = jr.key(2)
    net = make_net(nc)

    def reference(pp):
        k1, k2 = jr.split(key)
        v1, v2 = (
            augment.patchify(augment.view_batch(x, key=k, s=1, sigma=0.1), 2) for k in (k1, k2)
        )
        frozen = jax.lax.stop_gradient(pp)
        _, p1 = net.apply(pp, v1, method="siam")
        _, p2 = net.apply(pp, v2, method="siam")
        z1, _ = net.apply(frozen, v1, method="siam")
        z2, _ = net.apply(frozen, v2, method="siam")

        def cos(a, b):  # norms clamped at 1e-12 (PyTorch's cosine_similarity); a ReLU
            # bottleneck can output an exact zero prediction, as one sample here does since the
            # BN heads: its cosine is 0 and so is its gradient (the norm's is 0/0 there)
            zero = jnp.all(a == 0, axis=-1)
            a = jnp.where(zero[:, None], 1.0, a)
            na = jnp.maximum(jnp.linalg.norm(a, axis=-1), 1e-12)
            nb = jnp.maximum(jnp.linalg.norm(b, axis=-1), 1e-12)
            return jnp.where(zero, 0.0, jnp.sum(a * b, -1) / (na * nb))

        return -0.5 * (jnp.mean(cos(p1, z2)) + jnp.mean(cos(p2, z1)))

    got_v, got_g = jax.value_and_grad(lambda pp: simsiam_loss(nc, cfg, pp, x, key=key))(params)
    ref_v, ref_g = jax.value_and_grad(reference)(params)
    np.testing.assert_allclose(float(got_v), float(ref_v), rtol=1e-10)
    for a, b in zip(jax.tree.leaves(got_g), jax.tree.leaves(ref_g), strict=True):
        assert np.all(np.isfinite(a)), "a NaN gradient equals a NaN reference: no check"
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-12)


def test_vit_mae_and_mar_losses_are_finite_and_mar_reduces_to_mae_at_gamma_zero():
    nc = NetConfig(arch="vit", head="decoder", n_patches=16, patch_dim=4, width=8, depth=1, heads=2,
                   dec_width=8, dtype="float64")  # fmt: skip
    params = init_params(nc, key=jr.key(0))
    x = jr.uniform(jr.key(1), (4, 8, 8, 1), jnp.float64)
    mae = make_loss(nc, LossConfig("mae"))(params, x, key=jr.key(2))
    mar0 = make_loss(nc, LossConfig("mar"))(
        {"net": params, "anchor": params, "gamma": jnp.float64(0.0)}, x, key=jr.key(2)
    )
    assert np.isfinite(float(mae))
    np.testing.assert_allclose(float(mar0), float(mae), rtol=1e-12)


def test_patch_mask_counts_and_patchify_twins():
    vis, keep = patch_mask(jr.key(0), 5, 16, 0.75)
    assert np.all(np.asarray(vis).sum(axis=1) == 4)
    assert np.all(np.take_along_axis(np.asarray(vis), np.asarray(keep), 1))
    img = np.arange(2 * 4 * 4 * 3, dtype=np.float64).reshape(2, 4, 4, 3)
    np.testing.assert_array_equal(np.asarray(augment.patchify(img, 2)), models.patchify(img, 2))


def test_augmentations_keyed_and_style_identity():
    img = jr.uniform(jr.key(0), (4, 4, 1), jnp.float64)
    a = augment.view(img, key=jr.key(1))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(augment.view(img, key=jr.key(1))))
    flipped = augment.flip(img, key=jr.key(3))
    assert np.allclose(flipped, img) or np.allclose(flipped, img[:, ::-1])
    st = augment.style_params(3, key=jr.key(0), strength=0.0)
    np.testing.assert_allclose(np.asarray(st), [[1.0, 0.0, 0.0, 0.0]] * 3)
    batch = jr.uniform(jr.key(2), (2, 4, 4, 1), jnp.float64)
    np.testing.assert_allclose(np.asarray(augment.client_style(batch, st[0])), np.asarray(batch))


def test_bad_arguments_fail_with_one_line():
    with pytest.raises(ValueError, match="^width: "):
        NetConfig(width=256)
    with pytest.raises(ValueError, match="^objective: "):
        LossConfig("dino")
    with pytest.raises(ValueError, match="^net_cfg.head: "):
        make_loss(NetConfig(head="decoder"), LossConfig("simsiam"))


def test_each_objective_is_one_value_the_trainer_reads():
    """The objective registry: MAE and MAR share the MAE head, SimSiam and BYOL the SimSiam
    head, MAR's parameters wrap the network, SimSiam has its own schedule; an unknown name
    fails in one line."""
    from sims.trackd.experiments import train_config
    from sims.trackd.presets import preset
    from sims.trackd.train import global_net, make_optimizer

    assert {o: objective_of(o).head for o in OBJECTIVES} == {
        "mae": "decoder", "simsiam": "siamese", "mar": "decoder", "byol": "siamese"
    }  # fmt: skip
    net = {"w": jnp.ones(2)}
    wrapped = {"net": net, "anchor": net, "gamma": 0.1, "round": 0.0}
    assert objective_of("mar").net(wrapped) is net and objective_of("mae").net(net) is net
    common = preset("default", "table1").common
    assert train_config(common, 5, "simsiam").batch_size == common.batch_simsiam
    assert train_config(common, 5, "mar").batch_size == common.batch_size
    cfg = train_config(common, 5, "mar")
    state = make_optimizer("mar", cfg).init(wrapped)
    assert hasattr(state, "count")  # MAR's optimiser carries the round's step count

    class _Result:
        global_params = wrapped

    assert global_net(_Result, "mar") is net
    with pytest.raises(ValueError, match="^objective: must be one of") as err:
        objective_of("dino")
    assert "\n" not in str(err.value)


def test_networks_that_do_not_fit_are_refused_before_the_first_is_made(monkeypatch):
    """Track D's clients' networks (their shapes by eval_shape: nothing allocated) and images
    are checked against the memory budget before the first network is initialised: one line
    naming ``data`` with the image shape (40 images of 512×512×3 ran out of memory in the first
    client round before); a small preset's fit."""
    import jax.random as jr

    from sims.trackd import train as td_train
    from sims.trackd.models import NetConfig
    from theory import _validate as v

    small = np.zeros((3, 4, 28, 28, 1), np.float32)
    td_train._check_networks_fit(NetConfig(), small)  # a preset's size fits
    monkeypatch.setattr(v, "memory_budget_bytes", lambda: 1 << 20)  # 1 MiB
    # the check comes first: the objective and schedule (None here) are never read
    with pytest.raises(ValueError, match=r"^data: must be small enough .*images of shape"):
        td_train.train(NetConfig(), None, None, small, key=jr.key(0))
