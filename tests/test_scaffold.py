"""SCAFFOLD (:mod:`sims.algorithms.scaffold`) in :func:`sims.run` against a NumPy loop over
clients and local steps on least squares (Karimireddy et al. 2020, Algorithm 1, option II,
global step 1: the control variates written out), with full and partial participation."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.algorithms.scaffold import scaffold
from sims.core.rounds import participation, step_streams
from sims.core.trainer import run

N, M, D, B, E, T, LR = 4, 7, 3, 4, 3, 5, 0.05


def _problem():
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(N, M, D)) * (1 + np.arange(N))[:, None, None]  # non-IID clients
    ys = xs @ np.array([0.5, 1.0, -1.0]) + rng.normal(size=(N, M))
    return xs, ys


def _loss(w, batch, *, key):
    x, y = batch
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _numpy_scaffold(xs, ys, key, s):
    """The server keeps x and c; the sampled clients run E corrected steps, update c_i, and
    the server averages their models and adds (1/N) Σ Δc_i to c."""
    x_srv, c = np.zeros(D), np.zeros(D)
    ci = np.zeros((N, D))
    for t in range(T):
        active = np.asarray(participation(key, t, N, s, jnp.float64))
        ys_, dc = [], np.zeros(D)
        for i in np.flatnonzero(active):
            rows = np.asarray(step_streams(key, key, t, i, M, steps=E, batch=B)[0])
            y = x_srv.copy()
            for r in rows:
                xb, yb = xs[i][r], ys[i][r]
                y = y - LR * (xb.T @ (xb @ y - yb) / B - ci[i] + c)
            new_ci = ci[i] - c + (x_srv - y) / (E * LR)
            dc += new_ci - ci[i]
            ci[i] = new_ci
            ys_.append(y)
        x_srv = np.mean(ys_, axis=0)
        c = c + dc / N
    return x_srv, ci


@pytest.mark.parametrize("s", [N, 2])
def test_scaffold_equals_a_numpy_loop(s):
    xs, ys = _problem()
    key = jr.key(4)
    res = run(_loss, jnp.zeros(D), (xs, ys), rounds=T, local_steps=E, batch_size=B, lr=LR,
              clients_per_round=s if s < N else None, key=key, algorithm=scaffold(LR))  # fmt: skip
    ref, _ = _numpy_scaffold(xs, ys, key, s)
    np.testing.assert_allclose(np.asarray(res.global_params), ref, rtol=1e-10, atol=1e-12)


def test_control_variates_start_at_zero_and_sum_to_the_server_variate():
    a = scaffold(0.1)
    states = jnp.stack([a.init(jnp.zeros(D))] * N)
    assert float(jnp.abs(states).max()) == 0.0
    states = jnp.arange(N * D, dtype=jnp.float64).reshape(N, D)
    np.testing.assert_allclose(np.asarray(a.share(states)), np.arange(N * D).reshape(N, D).mean(0))


def test_lr_must_be_positive():
    with pytest.raises(ValueError, match="^lr: "):
        scaffold(0.0)


def test_the_engine_with_scaffold_equals_a_numpy_loop():
    """Track C's engine (population gradients −2 W X_i + 2 W WᵀW of Eq. 16's f_i) with SCAFFOLD
    and FedAvg, all clients, against the same rounds written in NumPy."""
    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.trackc.engine_config import EngineConfig

    n, d, c, e, t_rounds, lr = 4, 5, 2, 3, 4, 0.05
    cfg = EngineConfig(method="cl", framework="fl", n_clients=n, d=d, c=c, lr=lr,
                       local_steps=e, rounds=t_rounds, population=True,
                       algorithm="scaffold")  # fmt: skip
    rng = np.random.default_rng(3)
    a = rng.normal(size=(n, d, d)) / d
    X = np.einsum("nij,nkj->nik", a, a) + np.eye(d) * (1 + np.arange(n))[:, None, None] / n
    prob = make_problem(cfg, X)
    state, _ = make_engine(cfg).run(prob, key=jr.key(0))
    x_srv = np.asarray(make_engine(cfg).init(prob, key=jr.key(0)).params[0])
    ci, c_srv = np.zeros((n, c, d)), np.zeros((c, d))
    for _ in range(t_rounds):
        new, dc = [], np.zeros((c, d))
        for i in range(n):
            w = x_srv
            for _ in range(e):
                w = w - lr * (-2 * w @ X[i] + 2 * w @ w.T @ w - ci[i] + c_srv)
            upd = ci[i] - c_srv + (x_srv - w) / (e * lr)
            dc += upd - ci[i]
            ci[i] = upd
            new.append(w)
        x_srv, c_srv = np.mean(new, axis=0), c_srv + dc / n
    np.testing.assert_allclose(np.asarray(state.params[0]), x_srv, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(state.algo), ci, rtol=1e-9, atol=1e-12)
