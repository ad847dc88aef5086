"""FedProx (:mod:`sims.algorithms.fedprox`) in :func:`sims.run` against a NumPy loop over
clients and local steps on least squares (the proximal gradient written out), with full and
partial participation; μ = 0 is plain FedAvg."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.algorithms.fedprox import fedprox
from sims.core.rounds import participation, step_streams
from sims.core.trainer import run

N, M, D, B, E, T, LR = 4, 7, 3, 4, 3, 5, 0.1


def _problem():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(N, M, D)) + np.arange(N)[:, None, None]  # non-IID clients
    ys = xs @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=(N, M))
    return xs, ys


def _loss(w, batch, *, key):
    x, y = batch
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _numpy_fedprox(xs, ys, mu, key, s):
    """FedAvg over the sampled clients, each descending f_i(w) + (μ/2)‖w − w_t‖²."""
    w = np.zeros(D)
    for t in range(T):
        active = np.asarray(participation(key, t, N, s, jnp.float64))
        new = []
        for i in np.flatnonzero(active):
            rows = np.asarray(step_streams(key, key, t, i, M, steps=E, batch=B)[0])
            wi = w.copy()
            for r in rows:
                x, y = xs[i][r], ys[i][r]
                wi = wi - LR * (x.T @ (x @ wi - y) / B + mu * (wi - w))
            new.append(wi)
        w = np.mean(new, axis=0)
    return w


@pytest.mark.parametrize("s", [N, 2])
def test_fedprox_equals_a_numpy_loop(s):
    xs, ys = _problem()
    key = jr.key(3)
    res = run(_loss, jnp.zeros(D), (xs, ys), rounds=T, local_steps=E, batch_size=B, lr=LR,
              clients_per_round=s if s < N else None, key=key, algorithm=fedprox(0.7))  # fmt: skip
    ref = _numpy_fedprox(xs, ys, 0.7, key, s)
    np.testing.assert_allclose(np.asarray(res.global_params), ref, rtol=1e-10, atol=1e-12)


def test_mu_zero_is_plain_fedavg():
    xs, ys = _problem()
    kw = dict(rounds=T, local_steps=E, batch_size=B, lr=LR, key=jr.key(3))
    a = run(_loss, jnp.zeros(D), (xs, ys), algorithm=fedprox(0.0), **kw)
    b = run(_loss, jnp.zeros(D), (xs, ys), **kw)
    np.testing.assert_allclose(np.asarray(a.params), np.asarray(b.params), rtol=1e-12)


def test_mu_must_be_nonnegative():
    with pytest.raises(ValueError, match="^mu: "):
        fedprox(-1.0)


def _population_targets(n, d):
    rng = np.random.default_rng(2)
    a = rng.normal(size=(n, d, d)) / d
    return np.einsum("nij,nkj->nik", a, a) + np.eye(d) * (1 + np.arange(n))[:, None, None] / n


@pytest.mark.parametrize("framework", ["fl", "decl"])
def test_the_engine_with_fedprox_equals_a_numpy_loop(framework):
    """Track C's engine (population gradients −2 W X_i + 2 W WᵀW of Eq. 16's f_i) with FedProx,
    FedAvg or gossip on a ring, against the same rounds written in NumPy."""
    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.trackc.engine_config import EngineConfig

    n, d, c, e, t_rounds, lr, mu = 4, 5, 2, 3, 4, 0.05, 0.5
    cfg = EngineConfig(method="cl", framework=framework, n_clients=n, d=d, c=c, lr=lr,
                       local_steps=e, rounds=t_rounds, population=True, algorithm="fedprox",
                       mu=mu)  # fmt: skip
    X = _population_targets(n, d)
    ring = np.roll(np.eye(n), 1, 1) / 3 + np.roll(np.eye(n), -1, 1) / 3 + np.eye(n) / 3
    prob = make_problem(cfg, X, mixing=ring if framework == "decl" else None)
    state, _ = make_engine(cfg).run(prob, key=jr.key(0))
    W = np.asarray(state.params)
    w_start = np.asarray(make_engine(cfg).init(prob, key=jr.key(0)).params[0])
    Ws = np.array(np.broadcast_to(w_start, W.shape))
    for _ in range(t_rounds):
        new = []
        for i in range(n):
            w0 = w = Ws[i]
            for _ in range(e):
                w = w - lr * (-2 * w @ X[i] + 2 * w @ w.T @ w + mu * (w - w0))
            new.append(w)
        new = np.stack(new)
        Ws = np.einsum("ij,jkl->ikl", ring, new) if framework == "decl" else (
            np.broadcast_to(new.mean(0), new.shape).copy())  # fmt: skip
    np.testing.assert_allclose(W, Ws, rtol=1e-10, atol=1e-12)


def test_track_d_trains_with_fedprox():
    """Track D's train hands the value to sims.run: μ = 0 is its plain run, μ > 0 moves it."""
    from sims.trackd.losses import LossConfig
    from sims.trackd.models import NetConfig
    from sims.trackd.train import TrainConfig, tile_clients, train

    nc = NetConfig(arch="mlp", head="decoder", n_patches=4, patch_dim=4, width=4, depth=1, embed=3,
                   dtype="float64")  # fmt: skip
    tc = TrainConfig(rounds=2, local_steps=2, batch_size=3, lr=1e-2)
    imgs = [np.asarray(jr.uniform(jr.fold_in(jr.key(0), i), (6, 4, 4, 1))) for i in range(3)]
    data = tile_clients(imgs, 8, key=jr.key(1))
    lc = LossConfig("mae", patch=2)
    plain = train(nc, lc, tc, data, key=jr.key(2))
    zero = train(nc, lc, tc, data, key=jr.key(2), algorithm=fedprox(0.0))
    prox = train(nc, lc, tc, data, key=jr.key(2), algorithm=fedprox(10.0))
    leaves = [jax.tree.leaves(r.params) for r in (plain, zero, prox)]
    for a, b in zip(leaves[0], leaves[1], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
    moved = [float(np.max(np.abs(a - c))) for a, c in zip(leaves[0], leaves[2], strict=True)]
    assert max(moved) > 0
