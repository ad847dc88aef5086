"""Minibatches drawn from their keys inside the round (``EngineConfig.sampler``): the paper
model's keyed sampler has the model's moments (closed forms of :mod:`theory.datamodel`), and a
client's minibatch is a function of (seed, round, client, step) only: not of N, the chunking or
``jit``; the engine's local steps match a plain loop over one client."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.core import rounds
from sims.core.config import split_streams
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.data.paper_model import KeyedPaperSampler
from sims.losses import methods
from sims.trackc.engine_config import EngineConfig
from theory import datamodel as dm
from theory.objectives import population_targets


@dataclasses.dataclass(frozen=True)
class _Shifted:
    """A sampler whose client distribution does not involve N: x = e_(i mod d) + N(0, I)."""

    d: int

    def __call__(self, key, i, batch, dtype):
        return jax.nn.one_hot(i % self.d, self.d, dtype=dtype) + jr.normal(
            key, (batch, self.d), dtype=dtype
        )


def _moments(sampler, i, n_keys, batch):
    keys = jr.split(jr.key(11), n_keys)
    x = jax.vmap(lambda k: sampler(k, i, batch, jnp.float64))(keys).reshape(-1, sampler.d)
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("client", [0, 2])
def test_keyed_paper_batches_have_the_model_moments(client):
    # 12,000 samples of one client against the closed forms E[x], E[xxᵀ] of theory.datamodel:
    # every entry within 5 standard errors of its sample estimate (a fixed key; about 1e-4
    # false alarms over the 3·36 entries for a random one)
    model = dm.DataModel(d=8, n_clients=3, rare_fraction=0.2)
    x = _moments(KeyedPaperSampler(model), client, 400, 30)
    n = x.shape[0]
    mean, se_mean = x.mean(0), x.std(0, ddof=1) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(mean - dm.client_mean(model)[client]), 5 * se_mean + 1e-12)
    outer = x[:, :, None] * x[:, None, :]
    second, se_second = outer.mean(0), outer.std(0, ddof=1) / np.sqrt(n)
    err = np.abs(second - dm.client_second_moment(model)[client])
    np.testing.assert_array_less(err, 5 * se_second + 1e-12)


def test_keyed_batch_same_under_jit_and_vmap():
    # compiled, alone or vmapped over keys: the same bits. Eager (op by op): the same random
    # draws, and the sample within an ulp (a compiled program may fuse x + μξ into one FMA)
    sampler = KeyedPaperSampler(dm.DataModel(d=10, n_clients=4))
    keys = jr.split(jr.key(3), 5)
    jitted = jax.jit(sampler, static_argnums=(2, 3))
    alone = np.stack([np.asarray(jitted(k, jnp.int32(2), 7, jnp.float64)) for k in keys])
    batched = jax.jit(jax.vmap(lambda k: sampler(k, 2, 7, jnp.float64)))(keys)
    np.testing.assert_array_equal(np.asarray(batched), alone)
    eager = np.stack([np.asarray(sampler(k, 2, 7, jnp.float64)) for k in keys])
    np.testing.assert_allclose(eager, alone, rtol=0, atol=4 * np.finfo(np.float64).eps)


def test_batch_keys_do_not_depend_on_the_clients_drawn_together():
    k_rows, k_loss = jr.PRNGKey(5), jr.PRNGKey(6)
    all_n, _ = rounds.step_streams(
        k_rows, k_loss, 3, jnp.arange(8), jnp.ones(8, jnp.int32), steps=4, batch=5, keyed=True
    )
    one, _ = rounds.step_streams(k_rows, k_loss, 3, 6, 1, steps=4, batch=5, keyed=True)
    np.testing.assert_array_equal(np.asarray(all_n[6]), np.asarray(one))
    expect = np.stack([np.asarray(rounds.batch_key(k_rows, 3, 6, s)) for s in range(4)])
    np.testing.assert_array_equal(np.asarray(one), expect)


def _config(n, sampler, **kw):
    base = dict(
        method="cl", framework="decl", n_clients=n, d=sampler.d, c=3, local_steps=3, batch=6,
        rounds=1, lr=0.05, record_local=True, sampler=sampler,
    )  # fmt: skip
    return EngineConfig(**(base | kw))


def _first_round_iterates(n, sampler, **kw):
    cfg = _config(n, sampler, **kw)
    targets = np.stack([np.eye(cfg.d)] * n)
    ring = np.zeros((n, n))
    for i in range(n):
        ring[i, i] = ring[i, (i + 1) % n] = ring[i, (i - 1) % n] = 1 / 3
    prob = make_problem(cfg, targets, mixing=ring)
    _, trace = make_engine(cfg).run(prob, key=jr.PRNGKey(9))
    return np.asarray(trace["local_iterates"][0])  # (N, E + 1, c, d)


def test_client_batches_do_not_depend_on_n_or_chunking():
    sampler = _Shifted(d=7)
    small = _first_round_iterates(4, sampler)
    large = _first_round_iterates(6, sampler)
    chunked = _first_round_iterates(6, sampler, client_chunk=1)
    np.testing.assert_array_equal(small, large[:4])
    np.testing.assert_allclose(chunked, large, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kw", [{}, {"dtype": "float32"}, {"framework": "fl"}])
def test_minibatches_drawn_before_the_steps_or_in_each_are_the_same(monkeypatch, kw):
    """A client draws its round's E minibatches before its first step (sims.core.client.
    predraws) or, above PREDRAW_MAX_BYTES, each step its own: the same samples, so the same
    local iterates (float64 and float32, DecL and FedAvg)."""
    from sims.core import client

    sampler = _Shifted(d=7)
    assert client.predraws(_config(4, sampler, **kw))
    before = _first_round_iterates(4, sampler, **kw)
    monkeypatch.setattr(rounds, "PREDRAW_MAX_BYTES", 0)
    assert not client.predraws(_config(4, sampler, **kw))
    after = _first_round_iterates(4, sampler, **kw)
    # the same samples and operations; in float32 XLA fuses the products otherwise and two of
    # the 336 entries differed by one ulp of the iterates' scale (3.7e-9 against entries of
    # 0.07), hence atol 1e-7 there; a sample that differed would move them by lr·|g| ~ 1e-3
    f32 = kw.get("dtype") == "float32"
    np.testing.assert_allclose(
        after, before, rtol=1e-6 if f32 else 1e-13, atol=1e-7 if f32 else 1e-15
    )


def test_client_bytes_needs_no_x64_mode():
    """The working-set estimate reads the dtype's size from its name: a float64 configuration
    is sized while JAX's x64 mode is off (the chunking of a run is planned before it)."""
    from sims.core.client import auto_client_chunk, client_bytes

    cfg = _config(4, _Shifted(d=7))
    with jax.enable_x64(False):
        assert client_bytes(cfg) > 0 and auto_client_chunk(cfg) >= 1


def test_engine_local_steps_match_a_plain_loop():
    # the oracle: one client's E SGD steps without jit, its batch drawn from
    # batch_key(sampling stream, t, i, s) and its views from loss_key(masks stream, t, i, s)
    model = dm.DataModel(d=8, n_clients=4)
    sampler = KeyedPaperSampler(model)
    it = _first_round_iterates(4, sampler)
    cfg = _config(4, sampler)
    streams = split_streams(jr.PRNGKey(9))
    method, ctx = methods.get("cl"), methods.Context(cfg.p, None, None, None)
    with jax.disable_jit():
        for i in range(4):
            W = jnp.asarray(it[i, 0])
            for s in range(cfg.local_steps):
                x = sampler(rounds.batch_key(streams["sampling"], 0, i, s), i, 6, jnp.float64)
                key = rounds.loss_key(streams["masks"], 0, i, s)
                _, g, _ = method.value_and_grad(W, x, ctx, key=key)
                W = W - cfg.lr * g
                # CL's views are float32 Gaussians (sims.losses.masks.gaussian: Giles'
                # single-precision erfinv), which compiled programs and this eager loop round
                # differently in a few float32 ulps (measured on 10^5 draws: 5 % of them differ
                # from the eager values, by at most relative 2e-7 between XLA's two fusion
                # generators), hence W to relative 1e-6; a wrong key or step would move W by
                # about lr·|g| ~ 1e-3
                np.testing.assert_allclose(np.asarray(W), it[i, s + 1], rtol=1e-6, atol=1e-9)


def test_make_engine_takes_compiler_options():
    """make_engine compiles with the caller's options added to the bounded ones (here
    long_run_options: on a CPU, XLA's newer fusion generator): the same models up to
    rounding; an option the installed XLA does not define is refused in one line."""
    from sims.core.environ import long_run_options

    sampler = _Shifted(d=7)
    cfg = _config(4, sampler, rounds=2)
    prob = make_problem(cfg, np.stack([np.eye(cfg.d)] * 4), mixing=np.full((4, 4), 0.25))
    a, _ = make_engine(cfg).run(prob, key=jr.PRNGKey(3))
    b, _ = make_engine(cfg, compiler_options=long_run_options()).run(prob, key=jr.PRNGKey(3))
    # CL's float32 Gaussian views round differently between XLA's two fusion generators
    # (relative 2e-7 at most: test_engine_local_steps_match_a_plain_loop), hence 1e-6; the
    # models after two rounds differed by relative 2.2e-8 where measured
    np.testing.assert_allclose(np.asarray(b.params), np.asarray(a.params), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="^compiler_options") as err:
        make_engine(cfg, compiler_options={"xla_no_such_option_here": True})
    assert "\n" not in str(err.value)


def test_keyed_run_learns_and_holds_no_samples():
    model = dm.DataModel(d=16, n_clients=4)
    cfg = EngineConfig(
        method="cl", framework="fl", n_clients=4, d=16, c=8, rounds=40, lr=0.01, batch=16,
        local_steps=2, sampler=KeyedPaperSampler(model),
    )  # fmt: skip
    prob = make_problem(cfg, population_targets(model, "cl"))
    assert prob.x is None
    _, trace = make_engine(cfg).run(prob, key=jr.PRNGKey(0))
    loss = np.asarray(trace["loss_global"])
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0]


def test_sampler_inputs_fail_in_one_line():
    model = dm.DataModel(d=16, n_clients=4)
    with pytest.raises(ValueError, match="^sampler"):
        EngineConfig(n_clients=4, d=12, c=4, sampler=KeyedPaperSampler(model))
    with pytest.raises(ValueError, match="^sampler"):
        EngineConfig(n_clients=4, d=16, c=4, sampler=KeyedPaperSampler(model), population=True,
                     method="cl")  # fmt: skip
    cfg = EngineConfig(n_clients=4, d=16, c=4, framework="fl", sampler=KeyedPaperSampler(model))
    with pytest.raises(ValueError, match="^x"):
        make_problem(cfg, np.stack([np.eye(16)] * 4), x=np.zeros((4, 5, 16)))
