"""The mixing rules of sims.core.mixing: values handed to the round, equal to their spellings,
checked against numpy, and one compilation per structure whatever the matrix."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

import sims
from sims.core import mixing as mx
from sims.core import trainer
from sims.trackc.engine_config import EngineConfig

N = 4


def _ring(n: int = N) -> np.ndarray:
    W = np.zeros((n, n))
    for i in range(n):
        W[i, i], W[i, (i + 1) % n], W[i, (i - 1) % n] = 0.5, 0.25, 0.25
    return W


def _loss(w, batch, *, key):
    x, y = batch
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _data(dtype=jnp.float64):
    xs = jr.normal(jr.key(1), (N, 16, 3), dtype)
    return xs, xs @ jnp.array([1.0, -2.0, 0.5], dtype)


_SGD = optax.sgd(0.1)  # one object: the trainer's compilation is cached by it


def _run(mixing, dtype=jnp.float64, **kw):
    return sims.run(_loss, jnp.zeros(3, dtype), _data(dtype), mixing=mixing, rounds=3,
                    local_steps=2, batch_size=4, optimizer=_SGD, key=jr.key(0),
                    **kw)  # fmt: skip


def test_fedavg_mix_is_the_weighted_average_numpy():
    rng = np.random.default_rng(0)
    local = rng.standard_normal((N, 3))
    w = rng.uniform(0.5, 2.0, N)
    active = np.array([1.0, 0.0, 1.0, 1.0])
    mixed, carry, glob = mx.fedavg(jnp.asarray(w)).mix(
        jnp.asarray(local), None, jnp.asarray(active)
    )
    s = active * w / np.sum(active * w)
    np.testing.assert_allclose(np.asarray(glob), s @ local, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(mixed), np.tile(s @ local, (N, 1)), rtol=1e-13)
    assert carry is None
    # only the participants' rows: the same average
    who = jnp.array([0, 2, 3])
    _, _, glob_k = mx.fedavg(jnp.asarray(w)).mix(jnp.asarray(local[[0, 2, 3]]), None,
                                                 jnp.asarray(active), who)  # fmt: skip
    np.testing.assert_allclose(np.asarray(glob_k), s @ local, rtol=1e-13)


def test_gossip_and_push_sum_mix_numpy():
    rng = np.random.default_rng(1)
    local = rng.standard_normal((N, 2))
    W = _ring()
    mixed, _, glob = mx.gossip(jnp.asarray(W)).mix(jnp.asarray(local), jnp.ones(N), jnp.ones(N))
    np.testing.assert_allclose(np.asarray(mixed), W @ local, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(glob), (W @ local).mean(0), rtol=1e-13)
    A = W.T  # column-stochastic
    w0 = rng.uniform(0.5, 1.5, N)
    mixed, w1, glob = mx.push_sum(jnp.asarray(A)).mix(jnp.asarray(local), jnp.asarray(w0),
                                                      jnp.ones(N))  # fmt: skip
    num = A @ (w0[:, None] * local)
    np.testing.assert_allclose(np.asarray(w1), A @ w0, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(mixed), num / (A @ w0)[:, None], rtol=1e-13)
    np.testing.assert_allclose(np.asarray(glob), num.sum(0) / (A @ w0).sum(), rtol=1e-13)


@pytest.mark.parametrize(
    ("value", "spelling", "kw"),
    [
        (lambda: sims.fedavg(), "fedavg", {}),
        (lambda: sims.fedavg("size", 2), "fedavg", {"weights": "size", "clients_per_round": 2}),
        (lambda: sims.gossip(_ring()), _ring(), {}),
        (lambda: sims.push_sum(_ring().T), ("push-sum", _ring().T), {}),
    ],
)
def test_values_equal_their_spellings_bit_for_bit(value, spelling, kw):
    a, b = _run(value()), _run(spelling, **kw)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_a_fedavg_setting_given_twice_is_refused():
    with pytest.raises(ValueError, match=r"^clients_per_round: .*given once"):
        _run(sims.fedavg(clients_per_round=2), clients_per_round=3)
    with pytest.raises(ValueError, match=r"^weights: .*given once"):
        _run(sims.fedavg(weights="size"), weights="uniform")


def test_a_rule_value_matrix_is_validated():
    with pytest.raises(ValueError, match=r"^mixing: .*row-stochastic"):
        _run(sims.gossip(np.full((N, N), 0.3)))
    with pytest.raises(ValueError, match=r"^mixing: .*column-stochastic"):
        _run(sims.push_sum(np.full((N, N), 0.3)))


def test_one_compilation_serves_every_matrix():
    trainer._trainer.cache_clear()
    _run(sims.gossip(_ring()))
    W2 = np.full((N, N), 1.0 / N)
    _run(sims.gossip(W2))
    assert trainer._trainer.cache_info().misses == 1


def test_float32_model_with_a_float64_loss_under_x64():
    """The FedAvg weights are cast to each leaf's dtype: a float32 model whose loss is float64
    (x64 on) trains (the scan's carry keeps its dtype)."""

    def loss64(w, batch, *, key):
        x, y = batch
        return 0.5 * jnp.mean(
            (x.astype(jnp.float64) @ w.astype(jnp.float64) - y.astype(jnp.float64)) ** 2
        )

    res = sims.run(loss64, jnp.zeros(3, jnp.float32), _data(jnp.float32), mixing="fedavg",
                   rounds=2, batch_size=4, optimizer=optax.sgd(0.1), key=jr.key(0))  # fmt: skip
    assert res.params.dtype == jnp.float32


def test_engine_config_hands_the_round_a_rule_per_framework():
    fl = EngineConfig(framework="fl", n_clients=N, clients_per_round=2)
    decl = EngineConfig(framework="decl", n_clients=N)
    assert isinstance(fl.mixing_rule(), mx.FedAvg) and fl.n_sampled == 2
    assert isinstance(decl.mixing_rule(), mx.Gossip) and decl.n_sampled == N
    assert decl.gamma_omega == float(decl.rounds)
    assert fl.gamma_omega == max(1.0, 2 * fl.rounds / N)
