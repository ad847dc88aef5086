"""The one round: sims.run trains through the engine's round (sims.core.engine.make_round,
handed its own Clients) as Track C does; sims.core.rounds.one_round, the sequence inside it, with
its two mixing orders; and per_device's cases."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

import sims
from sims.core import mixing as mx
from sims.core import rounds, trainer
from sims.core.engine import Clients, make_round
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig


def _counting(monkeypatch) -> list:
    """Replace ``rounds.one_round`` by a wrapper that records each call's keyword arguments."""
    calls, real = [], rounds.one_round

    def wrapped(*args, **kw):
        calls.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(rounds, "one_round", wrapped)
    return calls


def test_engine_and_trainer_run_the_same_round(monkeypatch):
    calls = _counting(monkeypatch)
    built = []  # what sims.run hands the engine's round factory

    def spy(config, mesh=None, clients=None):
        built.append(clients)
        return make_round(config, mesh, clients)

    monkeypatch.setattr(trainer, "make_round", spy)
    cfg = EngineConfig(method="cl", framework="fl", n_clients=2, d=3, c=1, population=True,
                       rounds=1, clients_per_round=1, dtype="float32")  # fmt: skip
    init, round_step = make_round(cfg)
    prob = make_problem(cfg, np.stack([np.eye(3)] * 2))
    round_step(init(prob, key=jr.key(0)), prob)
    assert len(calls) == 1 and calls[0]["kept"] is not None  # put back, then mix all N
    assert (calls[0]["n"], calls[0]["n_sampled"]) == (2, 1)
    trainer._trainer.cache_clear()  # trace anew, through the wrapper
    try:
        xs = jr.normal(jr.key(1), (3, 8, 2))
        sims.run(lambda w, b, *, key: jnp.mean((b @ w) ** 2), jnp.ones(2), xs,
                 clients_per_round=2, rounds=1, batch_size=2, optimizer=optax.sgd(0.1),
                 key=jr.key(0))  # fmt: skip
    finally:
        trainer._trainer.cache_clear()
    assert len(calls) == 2 and calls[1].get("kept") is None  # mix the trained clients only
    assert (calls[1]["n"], calls[1]["n_sampled"]) == (3, 2)
    # the round sims.run ran is the engine's, built once with sims.run's own clients
    assert len(built) == 1 and isinstance(built[0], Clients) and built[0].put_back is False


class _Spy:
    """A rule that records how it was asked to mix (and mixes like FedAvg)."""

    def __init__(self, rule):
        self.rule, self.who = rule, "not called"

    def participants(self, key, t, n, dtype):
        return self.rule.participants(key, t, n, dtype)

    def mix(self, local, carry, active, who=None):
        self.who = who
        return self.rule.mix(local, carry, active, who)


def _round(rule, n_sampled, kept=None):
    x = jnp.arange(4.0)
    return rounds.one_round(
        rule, jr.key(3), 1, None, x, lambda xs, who: (xs * 2, xs + 10), n=4,
        n_sampled=n_sampled, dtype=jnp.float32, fill=lambda out: jnp.full(4, -1.0), kept=kept,
    )  # fmt: skip


def test_the_two_mixing_orders_give_the_same_average():
    fed = mx.fedavg(jnp.array([1.0, 2.0, 3.0, 4.0]), 2)
    only = _Spy(fed)
    a = _round(only, 2)
    back = _Spy(fed)
    b = _round(back, 2, kept=jnp.full(4, 100.0))
    who = a.who.tolist()
    assert len(who) == 2 and only.who.tolist() == who and back.who is None
    assert a.local.shape == (2,) and b.local.shape == (4,)
    assert b.local.tolist() == [2 * i if i in who else 100.0 for i in range(4)]
    assert a.extras.tolist() == b.extras.tolist() == [i + 10 if i in who else -1 for i in range(4)]
    assert a.trained.tolist() == [i + 10.0 for i in who]
    w = np.array([1.0, 2.0, 3.0, 4.0])[who]
    np.testing.assert_allclose(np.asarray(a.glob), w @ (2.0 * np.array(who)) / w.sum(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(b.glob), np.asarray(a.glob), rtol=1e-6)


def test_every_client_trains_when_s_is_n():
    spy = _Spy(mx.gossip(jnp.full((4, 4), 0.25)))
    r = _round(spy, 4, kept=jnp.zeros(4))
    assert r.who.tolist() == [0, 1, 2, 3] and spy.who is None
    assert r.extras.tolist() == [10.0, 11.0, 12.0, 13.0] and r.mixed.tolist() == [3.0] * 4


def test_per_device_is_none_without_an_even_split():
    from sims.core.sharding import client_mesh

    one = client_mesh()  # the CPU devices of this process (one unless XLA_FLAGS says more)
    assert rounds.per_device(lambda x: x, None, 4, (True,)) is None
    if one.devices.size == 1:
        assert rounds.per_device(lambda x: x, one, 4, (True,)) is None
