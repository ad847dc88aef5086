"""sims.run with data drawn from keys (sims.KeyedData) against hand-written FedAvg and one-peer
gossip loops in float64 (NumPy, closed-form least-squares gradients, the minibatch of client i
at step s of round t drawn from batch_key(key, t, i, s)); both draw forms, chunking and calls
(devices: tests/test_sharded_engine.py); validation and the memory check."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import sims
from sims.core import rounds, trainer
from sims.core.mixing import one_peer_exponential
from sims.core.rounds import batch_key, loss_key, participation

N, D, B, E = 8, 3, 5, 3
W_TRUE = np.array([1.0, -2.0, 0.5])
NOISE = 0.1  # input noise drawn from the loss key (exercises the per-step keys)


def _sample(key, i, b):
    """Client i: inputs N(0.3·i/N, 1), targets x·W_TRUE plus a little noise (one key, two
    draws)."""
    kx, ky = jr.split(key)
    x = jr.normal(kx, (b, D), jnp.float64) + 0.3 * jnp.asarray(i, jnp.float64) / N
    return x, x @ jnp.asarray(W_TRUE) + 0.05 * jr.normal(ky, (b,), jnp.float64)


def _loss(w, batch, *, key):
    x, y = batch
    x = x + NOISE * jr.normal(key, x.shape, x.dtype)
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _local(w, key, t, i, lr):
    """E SGD steps of client i in NumPy with the closed-form gradient xᵀ(xw − y)/B."""
    for s in range(E):
        x, y = (np.asarray(a) for a in _sample(batch_key(key, t, i, s), i, B))
        xb = x + NOISE * np.asarray(jr.normal(loss_key(key, t, i, s), (B, D), jnp.float64))
        w = w - lr * xb.T @ (xb @ w - y) / B
    return w


def _oracle(rule, *, rounds, lr, key, sampled=None):
    ws = [np.zeros(D) for _ in range(N)]
    tau = int(np.ceil(np.log2(N)))
    for t in range(rounds):
        act = np.ones(N)
        if sampled is not None:
            act = np.asarray(participation(key, t, N, sampled, jnp.float64))
        new = [_local(ws[i], key, t, i, lr) if act[i] else ws[i] for i in range(N)]
        if rule == "fedavg":
            server = sum(act[j] * new[j] for j in range(N)) / act.sum()
            ws = [server.copy() for _ in range(N)]
        else:  # one-peer exponential: i averages with i + 2^(t mod tau)
            ws = [0.5 * (new[i] + new[(i + 2 ** (t % tau)) % N]) for i in range(N)]
    return np.stack(ws)


def _run(mixing="fedavg", **kw):
    kw.setdefault("rounds", 5)
    kw.setdefault("lr", 0.05)
    kw.setdefault("key", jr.key(3))
    data = kw.pop("data", sims.KeyedData(_sample, N))
    return sims.run(_loss, jnp.zeros(D), data, mixing=mixing, local_steps=E, batch_size=B, **kw)


@pytest.mark.parametrize("jit", [True, False])
def test_keyed_fedavg_equals_hand_written_fedavg(jit):
    want = _oracle("fedavg", rounds=5, lr=0.05, key=jr.key(3))
    if jit:
        res = _run()
    else:
        with jax.disable_jit():
            res = _run()
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    assert res.params.dtype == jnp.float64 and res.trace["client_loss"].shape == (5, N)


def test_keyed_partial_participation_and_one_peer_gossip_equal_hand_written_loops():
    want = _oracle("fedavg", rounds=4, lr=0.05, key=jr.key(7), sampled=3)
    res = _run(rounds=4, key=jr.key(7), clients_per_round=3)
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)
    want = _oracle("one-peer", rounds=6, lr=0.05, key=jr.key(4))
    res = _run(one_peer_exponential(N), rounds=6, key=jr.key(4))
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)


def test_keyed_draw_forms_chunks_and_calls_agree(monkeypatch):
    """The E minibatches drawn before the steps or in each step (PREDRAW_MAX_BYTES 0), client
    chunks and rounds split into calls: the same minibatches, so the same models."""
    rule = one_peer_exponential(N)
    a = _run(rule, rounds=6)
    for other in (_run(rule, rounds=6, chunk=3), _run(rule, rounds=6, rounds_per_call=4)):
        np.testing.assert_allclose(np.asarray(other.params), np.asarray(a.params), atol=1e-14)
    monkeypatch.setattr(rounds, "PREDRAW_MAX_BYTES", 0)
    batch = trainer._keyed_batch(sims.KeyedData(_sample, N), B, jr.key(0))
    assert not rounds.predraw_fits(trainer.tree_nbytes(batch), E)
    per_step = _run(rule, rounds=6)
    np.testing.assert_allclose(np.asarray(per_step.params), np.asarray(a.params), atol=1e-13)


def test_keyed_default_chunk_is_the_cache_rule(monkeypatch):
    """With keyed data and no ``chunk``, run trains as many clients at once as
    ``clients_per_chunk`` allows for its estimate of a client (here forced to 3 of 8: the
    chunked loop), and the models are those of ``chunk=3`` given, and of the oracle."""
    seen = []

    def rule(per, n):
        seen.append((per, n))
        return 3

    monkeypatch.setattr(trainer, "clients_per_chunk", rule)
    res = _run(rounds=3)
    params = 8 * D * 8 + (E + 3) * B * (D + 1) * 8  # float64: 8 parameter copies, E + 3 batches
    assert seen == [(params, N)] == [(trainer._keyed_client_bytes(jnp.zeros(D), *_shapes()), N)]
    given = _run(rounds=3, chunk=3)
    np.testing.assert_array_equal(np.asarray(res.params), np.asarray(given.params))
    want = _oracle("fedavg", rounds=3, lr=0.05, key=jr.key(3))
    np.testing.assert_allclose(np.asarray(res.params), want, rtol=0, atol=1e-12)


def test_keyed_raw_keys_and_integral_counts():
    """A raw uint32 key (jr.PRNGKey) hands ``sample`` raw minibatch keys, the same numbers as
    the new-style key; an integral float count is stored as the int it is."""
    a, b = _run(rounds=2), _run(rounds=2, key=jr.PRNGKey(3))
    np.testing.assert_array_equal(np.asarray(a.params), np.asarray(b.params))

    def raw_only(key, i, b):  # a sampler written for raw keys
        assert key.dtype == jnp.uint32 and key.shape == (2,)
        return _sample(key, i, b)

    c = _run(rounds=2, key=jr.PRNGKey(3), data=sims.KeyedData(raw_only, 8.0))
    np.testing.assert_array_equal(np.asarray(c.params), np.asarray(a.params))
    assert sims.KeyedData(_sample, 8.0).n_clients == 8


def _shapes():
    return trainer._keyed_batch(sims.KeyedData(_sample, N), B, jr.key(0)), E


@pytest.mark.parametrize(
    "data, kw, field",
    [
        (lambda: sims.KeyedData(_sample, 0), {}, "n_clients"),
        (lambda: sims.KeyedData("not a function", N), {}, "sample"),
        (lambda: sims.KeyedData(lambda k, i: 0, N), {}, "sample"),  # wrong signature
        (lambda: sims.KeyedData(lambda k, i, b: jnp.zeros((b + 1, D)), N), {}, "sample"),
        (lambda: sims.KeyedData(_sample, N), {"weights": "size"}, "weights"),
        (lambda: sims.KeyedData(lambda k, i, b: jr.split(k, b), N), {}, "sample"),  # keys
        # refused before anything is drawn or stacked: the models of 10⁹ clients, and 10⁹-row
        # minibatches of 8 clients
        (lambda: sims.KeyedData(_sample, 10**9), {}, "n_clients"),
        (lambda: sims.KeyedData(_sample, N), {"batch_size": 10**9}, "batch_size"),
    ],
)
def test_bad_keyed_data_one_line(data, kw, field):
    with pytest.raises(ValueError, match=rf"^{field}: ") as err:
        kw = {"lr": 0.1, "batch_size": B} | kw
        sims.run(_loss, jnp.zeros(D), data(), rounds=1, key=jr.key(0), **kw)
    assert "\n" not in str(err.value)


def test_runs_with_the_same_lr_compile_once_and_donate_only_their_own_models():
    """Two runs with ``lr=`` the same: one compiled program (``optax.sgd`` made once per lr);
    the user's parameters and key stay readable after a run (only the run's own stacked
    models are donated), and so do the results handed to ``on_chunk``."""
    trainer._trainer.cache_clear()
    w0, key = jnp.zeros(D), jr.key(3)
    data = sims.KeyedData(_sample, N)
    mixing = one_peer_exponential(N)
    kw = {"local_steps": E, "batch_size": B, "lr": 0.05, "rounds": 3, "rounds_per_call": 1}
    first = sims.run(_loss, w0, data, mixing=mixing, key=key, **kw)
    second = sims.run(_loss, w0, data, mixing=mixing, key=key, **kw)
    assert trainer._trainer.cache_info().misses == 1
    np.testing.assert_array_equal(first.params, second.params)
    assert not w0.is_deleted() and not key.is_deleted()
    held = []
    sims.run(_loss, w0, data, mixing=mixing, key=key, on_chunk=lambda d, r: held.append(r), **kw)
    assert held and not any(r.params.is_deleted() for r in held)
    np.testing.assert_array_equal(held[-1].params, _run(one_peer_exponential(N), rounds=2).params)


class _Anchor:
    """An algorithm whose state is the client's model itself (``init`` returns its input):
    vmapped over the stacked models it hands back their very buffer."""

    def init(self, params):
        return params

    def share(self, states):
        return ()

    def grad(self, g, params, start, state, shared):
        return g

    def finish(self, state, start, params, shared, *, steps):
        return params


def test_an_algorithm_state_that_is_the_models_is_not_donated_twice():
    """The models are donated from call to call; an algorithm whose state is the models (the
    same buffer after vmap) got 'Attempt to use a buffer that was previously donated in the
    same call' (found in review): it now trains, and equals plain training (its gradient is
    the plain one), with and without on_chunk."""
    kw = {"local_steps": E, "batch_size": B, "lr": 0.05, "rounds": 3, "key": jr.key(3)}
    data = sims.KeyedData(_sample, N)
    plain = sims.run(_loss, jnp.zeros(D), data, **kw)
    for calls in ({}, {"rounds_per_call": 1, "on_chunk": lambda d, r: None}):
        got = sims.run(_loss, jnp.zeros(D), data, algorithm=_Anchor(), **kw, **calls)
        np.testing.assert_allclose(got.params, plain.params, rtol=1e-12, atol=1e-15)
