"""Track D training: the vmapped engine (sims.run) equals a plain Python loop over clients
of the same jitted client update, for gossip, push-sum and FedAvg with partial participation
(MAR, whose anchor and γ ride in the parameters). Tiny sizes, float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.core import rounds
from sims.losses import gamma_schedule
from sims.trackd.losses import LossConfig, mar_params
from sims.trackd.models import NetConfig, init_params
from sims.trackd.train import TrainConfig, client_update, tile_clients, train
from theory import topology

N = 3
NC = NetConfig(arch="mlp", head="decoder", n_patches=4, patch_dim=4, width=4, depth=1, embed=3,
               dtype="float64")  # fmt: skip
TC = TrainConfig(rounds=2, local_steps=2, batch_size=3, lr=1e-2, clients_per_round=2)


def _data():
    imgs = [np.asarray(jr.uniform(jr.fold_in(jr.key(0), i), (5 + i, 4, 4, 1), jnp.float64))
            for i in range(N)]  # fmt: skip
    return tile_clients(imgs, 8, key=jr.key(1))


def _loop(objective, mixing, key):
    lc = LossConfig(objective, patch=2)
    params = init_params(NC, key=jr.fold_in(key, 0))
    if objective == "mar":
        params = mar_params(params, TC)
    ek = jr.fold_in(key, 1)
    data = _data()
    P = [params] * N
    w = np.ones(N)
    for t in range(TC.rounds):
        local = [client_update(NC, lc, TC, P[i], data[i], key=ek, t=t, i=i)[0] for i in range(N)]

        def comb(coef, trees):
            return jax.tree.map(lambda *a: sum(c * x for c, x in zip(coef, a, strict=True)), *trees)

        if isinstance(mixing, str):
            s = np.asarray(rounds.participation(ek, t, N, TC.clients_per_round, jnp.float64))
            g = comb(s / s.sum(), local)
            P = [g] * N
        elif isinstance(mixing, tuple):
            A = mixing[1]
            w_new = A @ w
            P = [comb(A[i] * w / w_new[i], local) for i in range(N)]
            w = w_new
        else:
            P = [comb(mixing[i], local) for i in range(N)]
    return P


def _close(engine_params, loop_params):
    for i in range(N):
        mine = jax.tree.map(lambda a, i=i: a[i], engine_params)
        for a, b in zip(jax.tree.leaves(mine), jax.tree.leaves(loop_params[i]), strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)


def _push_sum_matrix():
    a = topology.exponential_directed(N) + np.eye(N)  # row i: the nodes i sends to (and i)
    return (a / a.sum(axis=1, keepdims=True)).T  # column-stochastic: A[j, i] = 1/outdeg(i)


@pytest.mark.parametrize(
    "objective, mixing",
    [
        ("mae", topology.metropolis_mixing(topology.make_graph("star", N))),
        ("mae", ("push-sum", _push_sum_matrix())),
        ("mar", "fedavg"),
    ],
    ids=["gossip", "push-sum", "fedavg-partial-mar"],
)
def test_engine_equals_python_loop_over_clients(objective, mixing):
    key = jr.key(7)
    res = train(NC, LossConfig(objective, patch=2), TC, _data(), mixing=mixing, key=key)
    _close(res.params, _loop(objective, mixing, key))


def test_mar_anchor_is_the_aggregated_model_and_gamma_follows_eq7():
    key = jr.key(3)
    res = train(NC, LossConfig("mar", patch=2), TC, _data(), mixing="fedavg", key=key)
    for a, b in zip(
        jax.tree.leaves(res.params["anchor"]), jax.tree.leaves(res.params["net"]), strict=True
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-14)
    want = float(gamma_schedule(TC.rounds, TC.rounds, TC.gamma_max, TC.gamma_min))
    np.testing.assert_allclose(np.asarray(res.params["gamma"]), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(res.params["round"]), TC.rounds)
