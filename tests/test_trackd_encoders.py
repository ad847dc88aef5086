"""Track D encoders and views: the CNN's convolutions against XLA's convolution, the patch
round trip, SimSiam's batch statistics, the resized crop, the per-method learning rate, the
learning curve and a learning check on data where learning is easy.

No test here asserts anything about the paper's claims: they check the computations.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.trackd import augment, experiments, presets
from sims.trackd import evaluate as ev
from sims.trackd.models import (
    NetConfig,
    _BatchStats,
    _patches3x3s2,
    _unpatchify,
    init_params,
    make_net,
    patchify,
)


@pytest.mark.parametrize("hw", [28, 14, 7, 8, 5])
@pytest.mark.parametrize("jit", [False, True])
def test_patches3x3s2_is_xla_same_stride2_convolution(hw, jit):
    x = jr.normal(jr.key(0), (2, hw, hw, 3), jnp.float32)
    k = jr.normal(jr.key(1), (3, 3, 3, 5), jnp.float32)
    ref = jax.lax.conv_general_dilated(
        x, k, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    fn = jax.jit(_patches3x3s2) if jit else _patches3x3s2
    got = fn(x) @ k.reshape(27, 5)
    assert got.shape == ref.shape
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-5, atol=1e-5)


def test_unpatchify_inverts_numpy_patchify():
    x = np.arange(2 * 28 * 28 * 1, dtype=np.float32).reshape(2, 28, 28, 1)
    for s in (7, 4, 2):
        np.testing.assert_array_equal(np.asarray(_unpatchify(jnp.asarray(patchify(x, s)), 1)), x)
    rgb = np.arange(1 * 8 * 8 * 3, dtype=np.float32).reshape(1, 8, 8, 3)
    np.testing.assert_array_equal(np.asarray(_unpatchify(jnp.asarray(patchify(rgb, 2)), 3)), rgb)


def test_cnn_config_needs_a_square_grid_of_square_patches():
    with pytest.raises(ValueError, match="n_patches"):
        NetConfig(arch="cnn", n_patches=8, patch_dim=4)
    with pytest.raises(ValueError, match="n_patches"):
        NetConfig(arch="cnn", n_patches=16, patch_dim=6, channels=1)


@pytest.mark.parametrize("head", ["decoder", "siamese"])
def test_cnn_represent_and_heads_shapes(head):
    nc = NetConfig(arch="cnn", head=head, n_patches=16, patch_dim=49, width=16, depth=2, embed=8)
    params = init_params(nc, key=jr.key(0))
    net = make_net(nc)
    x = jnp.asarray(patchify(np.asarray(jr.uniform(jr.key(1), (3, 28, 28, 1))), 7))
    assert net.apply(params, x, method="represent").shape == (3, nc.rep_dim)
    if head == "decoder":
        vis = jnp.ones((3, 16))
        rec, z = net.apply(params, x, vis, None, method="mae")
        assert rec.shape == x.shape and z.shape == (3, 8)
    else:
        z, p = net.apply(params, x, method="siam")
        assert z.shape == p.shape == (3, nc.proj)


def test_batch_stats_normalise_each_clients_batch_and_vmap_like_a_loop():
    bn = _BatchStats(False, jnp.float32)
    h = jr.normal(jr.key(0), (4, 32, 6)) * 3.0 + 1.0  # 4 clients, batch 32, 6 features
    params = bn.init(jr.key(1), h[0])
    out = jax.vmap(lambda a: bn.apply(params, a))(h)
    loop = jnp.stack([bn.apply(params, h[i]) for i in range(4)])
    np.testing.assert_allclose(np.asarray(out), np.asarray(loop), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out.mean(axis=1)), 0.0, atol=1e-5)
    ref = (h - h.mean(axis=1, keepdims=True)) / jnp.sqrt(h.var(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-5, atol=1e-5)


def test_resized_crop_is_keyed_convex_and_full_area_identity_at_unit_aspect():
    x = jr.uniform(jr.key(0), (28, 28, 1))
    a = augment.resized_crop(x, 0.3, key=jr.key(5))
    b = augment.resized_crop(x, 0.3, key=jr.key(5))
    c = augment.resized_crop(x, 0.3, key=jr.key(6))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    # bilinear interpolation is a convex combination of pixels
    assert float(a.min()) >= float(x.min()) - 1e-6 and float(a.max()) <= float(x.max()) + 1e-6
    with pytest.raises(ValueError, match="min_area"):
        augment.resized_crop(x, 0.0, key=jr.key(0))


def test_view_uses_the_resized_crop_only_when_asked():
    x = jr.uniform(jr.key(0), (8, 8, 1))
    plain = augment.view(x, key=jr.key(1), s=0, sigma=0.0, do_flip=False)
    np.testing.assert_array_equal(np.asarray(plain), np.asarray(x))
    cropped = augment.view(x, key=jr.key(1), s=0, sigma=0.0, do_flip=False, crop=0.3)
    assert cropped.shape == x.shape


def test_simsiam_gets_its_own_learning_rate():
    c = dataclasses.replace(presets.preset("fast", "table1").common, lr=1e-3, lr_simsiam=5e-3)
    assert experiments.train_config(c, None, "simsiam").lr == 5e-3
    assert experiments.train_config(c, None, "mae").lr == 1e-3
    assert experiments.train_config(c, None, "mar").lr == 1e-3
    c = dataclasses.replace(c, lr_simsiam=None)
    assert experiments.train_config(c, None, "simsiam").lr == 1e-3


def test_loss_config_carries_the_presets_recipe():
    c = presets.preset("default", "table1").common
    lc = experiments.loss_config(c, "simsiam")
    assert (lc.crop, lc.sigma, lc.flip, lc.shift, lc.p, lc.patch, lc.norm_pix) == (
        c.crop,
        c.sigma,
        c.flip,
        c.shift,
        c.p,
        c.patch,
        c.norm_pix,
    )


def test_simsiam_gets_its_own_batch():
    c = dataclasses.replace(presets.preset("fast", "table1").common, batch_size=16)
    c = dataclasses.replace(c, batch_simsiam=48)
    assert experiments.train_config(c, None, "simsiam").batch_size == 48
    assert experiments.train_config(c, None, "mae").batch_size == 16
    assert experiments.train_config(c, None, "mar").batch_size == 16
    c = dataclasses.replace(c, batch_simsiam=None)
    assert experiments.train_config(c, None, "simsiam").batch_size == 16
    with pytest.raises(ValueError, match="batch_simsiam"):
        presets.Common(batch_simsiam=1)


def test_the_cnn_gets_its_own_mask_ratio():
    c = dataclasses.replace(presets.preset("fast", "table1").common, p=0.5, cnn_p=0.75)
    assert experiments.loss_config(c, "mae", "cnn").p == 0.75
    assert experiments.loss_config(c, "mar", "cnn").p == 0.75
    assert experiments.loss_config(c, "mae", "mlp").p == 0.5
    assert experiments.loss_config(c, "mae", "vit").p == 0.5
    assert experiments.loss_config(dataclasses.replace(c, cnn_p=None), "mae", "cnn").p == 0.5


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_cnn_mask_ratio_is_checked(bad):
    with pytest.raises(ValueError, match="cnn_p"):
        presets.Common(cnn_p=bad)


def test_the_cnn_gets_its_own_decoder_width():
    c = dataclasses.replace(presets.preset("fast", "table1").common, cnn_dec_hidden=48)
    shape = (8, 8, 1)
    cnn = experiments.net_config(c, "cnn", "mae", shape)
    assert cnn.dec_hidden == 48
    assert experiments.net_config(c, "mlp", "mae", shape).dec_hidden is None
    params = init_params(cnn, key=jr.key(0))["params"]["decoder"]
    assert params["Dense_0"]["kernel"].shape == (c.embed, 48)
    assert params["Dense_1"]["kernel"].shape == (48, cnn.n_patches * cnn.patch_dim)
    default = experiments.net_config(
        dataclasses.replace(c, cnn_dec_hidden=None), "cnn", "mae", shape
    )
    dec = init_params(default, key=jr.key(0))["params"]["decoder"]
    assert dec["Dense_0"]["kernel"].shape == (c.embed, c.cnn_width)


@pytest.mark.parametrize("bad", [0, -3, 2000, 1.5])
def test_cnn_decoder_width_is_checked(bad):
    with pytest.raises(ValueError, match="cnn_dec_hidden"):
        presets.Common(cnn_dec_hidden=bad)
    with pytest.raises(ValueError, match="dec_hidden"):
        NetConfig(dec_hidden=bad)


def test_raw_pixel_probe_is_the_probe_on_flattened_pixels():
    c = presets.preset("fast", "table1").common
    im = experiments.images_of(c)
    ref = ev.probe(
        im.x_train.reshape(len(im.x_train), -1),
        im.y_train,
        im.x_test.reshape(len(im.x_test), -1),
        im.y_test,
        n_classes=im.n_classes,
        ridge=c.ridge,
    )
    assert experiments.raw_pixel_probe(c) == ref


def test_learning_curve_rounds_and_learning_where_it_is_easy():
    """On MNIST with an IID split over 3 clients (a setting where SimSiam learns quickly), the
    DEFAULT preset's MLP trained with SimSiam for 6 rounds of 20 steps must raise the probe
    above the same encoder untrained; the curve starts at the untrained value and ends at the
    final one."""
    c = dataclasses.replace(
        presets.preset("default", "table1").common, rounds=6, local_steps=20, curve_every=3
    )
    key = experiments._seed_key(0)
    data, _, _, _ = experiments._split(c, 3, "iid", 0.1, key)
    _, met = experiments.run_arm(c, "mlp", data, seed_key=key, objective="simsiam")
    curve = met["curve"]
    assert curve["rounds"] == [0, 3, 6]
    assert curve["probe"][0] == met["untrained_probe"]
    assert curve["probe"][-1] == met["probe"]
    assert met["probe"] > met["untrained_probe"] + 0.01


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_preset_builds_its_networks_losses_and_schedules(name):
    """Each experiment of each preset (PAPER-SCALE and DECISIVE too, which CI does not run)
    gives valid network, loss and training configurations for every encoder and method it
    names, on its dataset's image shape, and initialises every network."""
    shapes = {"mnist": (28, 28, 1), "digits": (8, 8, 1)}
    for exp, cfg in presets.PRESETS[name].items():
        c = cfg.common
        assert c.name == name
        archs = getattr(cfg, "archs", None) or (cfg.arch,)
        methods = getattr(cfg, "methods", ("mae", "simsiam", "mar"))
        for arch in archs:
            for m in methods:
                nc = experiments.net_config(c, arch, m, shapes[c.dataset])
                experiments.loss_config(c, m)
                experiments.train_config(c, getattr(cfg, "clients_per_round", None), m)
                p = init_params(nc, key=jr.key(0))
                assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(p)), exp


def test_fig2a_graph_kinds_are_checked_and_built():
    assert set(experiments.GRAPH_KINDS) == set(presets.GRAPH_KINDS)
    with pytest.raises(ValueError, match="kinds: must be one of general, uniform"):
        presets.Fig2a(kinds=("uniform", "ring"))
    for bad in ("uniform", ()):
        with pytest.raises(ValueError, match="kinds: must be a non-empty tuple of general"):
            presets.Fig2a(kinds=bad)
    g = experiments._graph("uniform", 10, 5, jr.key(0))
    assert (g.sum(axis=1) == 4).all()  # random regular: every |A_i| = |Ā| = 5
    assert (experiments._graph("general", 6, 6, jr.key(0)) + np.eye(6) == 1).all()  # complete
