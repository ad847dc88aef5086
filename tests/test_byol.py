"""BYOL (:data:`sims.trackd.losses.OBJECTIVES`' ``"byol"``): its loss against SimSiam's when
the target is the online network (the same views, the same stop-gradient branch), its target
against a NumPy exponential moving average of the online iterates, and one Track D run."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from sims.trackd.losses import (
    BYOL_DECAY,
    LossConfig,
    byol_loss,
    ema_target,
    objective_of,
    simsiam_loss,
)
from sims.trackd.models import NetConfig, init_params
from sims.trackd.train import TrainConfig, make_optimizer, tile_clients, train

NC = NetConfig(arch="mlp", head="siamese", n_patches=4, patch_dim=4, width=6, depth=1, embed=3,
               dtype="float64")  # fmt: skip
LC = LossConfig("byol", patch=2)


def _images(n=5, seed=0):
    return jr.uniform(jr.key(seed), (n, 4, 4, 1), jnp.float64)


def test_with_the_target_equal_to_the_net_byol_is_simsiam():
    """Both branches stop the gradient of the projection they compare against, so with
    ξ = θ the loss and the gradient in θ are SimSiam's."""
    net = init_params(NC, key=jr.key(1))
    x, key = _images(), jr.key(2)

    def byol(p):
        return byol_loss(NC, LC, {"net": p, "target": net}, x, key=key)

    def siam(p):
        return simsiam_loss(NC, LC, p, x, key=key)

    np.testing.assert_allclose(float(byol(net)), float(siam(net)), rtol=1e-12)
    for a, b in zip(jax.tree.leaves(jax.grad(byol)(net)), jax.tree.leaves(jax.grad(siam)(net)),
                    strict=True):  # fmt: skip
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-14)


def test_the_target_is_an_exponential_moving_average_of_the_net():
    """k Adam steps on a quadratic: the target equals ξ_k = τξ_{k−1} + (1 − τ)θ_k computed in
    NumPy from the online iterates."""
    tau, inner = 0.9, optax.adam(0.1)
    opt = ema_target(inner, tau)
    p = {"net": jnp.array([1.0, -2.0]), "target": jnp.array([0.5, 0.5])}
    state = opt.init(p)
    nets, targets = [], []
    for _ in range(6):
        g = {"net": 2 * p["net"], "target": jnp.zeros(2)}
        with jax.numpy_dtype_promotion("standard"):  # optax mixes int counts and floats
            u, state = opt.update(g, state, p)
        p = optax.apply_updates(p, u)
        nets.append(np.asarray(p["net"]))
        targets.append(np.asarray(p["target"]))
    xi = np.array([0.5, 0.5])
    for theta, got in zip(nets, targets, strict=True):
        xi = tau * xi + (1 - tau) * theta
        np.testing.assert_allclose(got, xi, rtol=1e-12)


def test_byol_is_one_objective_value():
    o = objective_of("byol")
    assert o.head == "siamese" and not o.own_schedule
    net = {"w": jnp.ones(2)}
    assert o.net(o.params(net, None)) is net
    cfg = TrainConfig(rounds=2, local_steps=2, batch_size=3)
    assert make_optimizer("byol", cfg).init({"net": net, "target": net}) is not None


def test_track_d_trains_byol():
    """A small FedAvg run: finite losses, and the target lags the online network."""
    imgs = [np.asarray(_images(6, seed=i)) for i in range(3)]
    data = tile_clients(imgs, 8, key=jr.key(1))
    tc = TrainConfig(rounds=2, local_steps=3, batch_size=3, lr=1e-2)
    res = train(NC, LC, tc, data, key=jr.key(3))
    assert np.all(np.isfinite(np.asarray(res.trace["loss"])))
    gap = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))),
                       res.global_params["net"], res.global_params["target"])  # fmt: skip
    assert max(jax.tree.leaves(gap)) > 0
    assert 0 < BYOL_DECAY < 1
