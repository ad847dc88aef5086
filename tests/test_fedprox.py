"""FedProx (:mod:`sims.algorithms.fedprox`) in :func:`sims.run` against a NumPy loop over
clients and local steps on least squares (the proximal gradient written out), with full and
partial participation; μ = 0 is plain FedAvg."""

from __future__ import annotations

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
