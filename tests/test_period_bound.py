"""The consensus bound over a period of time-varying mixing (sims.trackc.consensus.period_bound)
against the consensus distances of trained rounds (sims.core.rounds.one_round), the way
tests/test_consensus_bounds.py checks the static bounds: max measured/bound <= 1 (+ rounding)
on every window (T14: D8 of docs/theory/consensus.md)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from sims.core import mixing as mx
from sims.core import rounds
from sims.trackc import consensus as cb
from theory import time_varying as tv
from theory import topology as T


def _trained(rule, n, rounds_, *, seed=0, c=2, d=4, local_steps=2, lr=0.05):
    """Rounds of the linear SSL loss f_i(W) = −tr(W X_i Wᵀ) + ½‖WᵀW‖² with heterogeneous X_i,
    through sims.core.rounds.one_round: the round-start models (T+1, N, c, d), the local ones
    (T, N, c, d) and every round's matrix (T, N, N)."""
    k1, k2, key = jr.split(jr.key(seed), 3)
    A = jr.normal(k1, (n, d, d), jnp.float64)
    X = jnp.einsum("nij,nkj->nik", A, A) / d
    x = 0.3 * jr.normal(k2, (n, c, d), jnp.float64)
    opt = optax.sgd(lr)

    def vg(p, Xi, *, key):
        loss = -jnp.sum((p @ Xi) * p) + 0.5 * jnp.sum((p.T @ p) ** 2)
        return loss, -2.0 * p @ Xi + 2.0 * p @ p.T @ p, None

    def client(p, Xi):
        xs = jnp.broadcast_to(Xi, (local_steps,) + Xi.shape)
        keys = jnp.zeros((local_steps, 2), jnp.uint32)
        return rounds.local_train(vg, opt, p, opt.init(p), xs, keys)[0]

    @jax.jit
    def step(x, t):
        r = rounds.one_round(
            rule, key, t, None, (x, X), lambda inp, who: (jax.vmap(client)(*inp), None),
            n=n, n_sampled=n, dtype=jnp.float64, fill=lambda out: out,
        )  # fmt: skip
        return r.local, r.mixed

    starts, locals_, mats = [np.asarray(x)], [], []
    for t in range(rounds_):
        local, x = step(x, jnp.asarray(t, jnp.int32))
        starts.append(np.asarray(x))
        locals_.append(np.asarray(local))
        mats.append(mx.round_matrix(rule, n, key=key, t=t))
    return np.stack(starts), np.stack(locals_), np.stack(mats)


CASES = [
    ("one_peer_8", lambda: mx.one_peer_exponential(8), 8),
    ("one_peer_6", lambda: mx.one_peer_exponential(6), 6),
    ("matching_7", lambda: mx.random_matching(7), 7),
    ("static_exp_8", lambda: mx.static_exponential(8), 8),
]


@pytest.mark.parametrize("name,make,n", CASES, ids=[c[0] for c in CASES])
def test_period_bound_holds_on_trained_rounds(name, make, n, record_property):
    starts, local, mats = _trained(jax.tree.map(jnp.asarray, make()), n, 12)
    e = cb.consensus_distance(starts)
    u = cb.consensus_distance(local - starts[:-1])
    assert np.all(u > 1e-6)  # the clients' updates differ: the bound is not about pure mixing
    for P in (1, 2, 3, 6):
        bound = cb.period_bound(e, u, mats, P)
        ratio = cb.max_ratio(e[P:], bound)
        record_property(f"ratio_P{P}", ratio)
        assert ratio <= 1.0 + 1e-9, (P, ratio)


def test_period_bound_of_one_peer_drops_the_start_term():
    starts, local, mats = _trained(jax.tree.map(jnp.asarray, mx.one_peer_exponential(8)), 8, 6)
    e = cb.consensus_distance(starts)
    u = cb.consensus_distance(local - starts[:-1])
    rho = tv.window_contractions(mats[:3])
    assert rho[0] == 0.0  # the period product is J: e_t does not enter the bound on e_{t+3}
    bound = cb.period_bound(e, u, mats, 3)
    np.testing.assert_allclose(bound[0], rho[1] * u[1] + rho[2] * u[2] + 0.0 * u[0], rtol=1e-14)


def test_period_of_one_is_d2():
    W = T.metropolis_mixing(T.ring(6))
    starts, local, mats = _trained(mx.gossip(jnp.asarray(W)), 6, 5)
    e = cb.consensus_distance(starts)
    u = cb.consensus_distance(local - starts[:-1])
    lam = cb.contraction(W)
    np.testing.assert_allclose(cb.period_bound(e, u, mats, 1), cb.d2_bound(e, u, lam), rtol=1e-12)


def test_period_bound_fails_in_one_line():
    with pytest.raises(ValueError, match="^period: must be an integer in \\[1, 2\\]"):
        cb.period_bound(np.ones(3), np.ones(2), np.stack([np.eye(2)] * 2), 3)
    with pytest.raises(ValueError, match="^mixings: must be one \\(N, N\\) matrix per round"):
        cb.period_bound(np.ones(3), np.ones(2), np.stack([np.eye(2)] * 3), 1)
