"""The alternatives the engine is timed against (``timing.py``): a Python loop over
clients with one jitted update per client and round, a loop over clients and local steps with
one jitted step each (fedjax's organisation), and plain numpy with the clients stacked; each
starts from the engine's own starting point (:func:`starting_params`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from sims.core import rounds
from sims.core.client import ClientInput, RoundInput, initial_params, make_local_update
from sims.core.config import split_streams
from sims.losses import methods
from sims.trackc.engine_config import EngineConfig


def starting_params(engine, config: EngineConfig, problem, root) -> np.ndarray:
    """The engine's own starting point (N, c, d), for the baselines to start from: ``run`` draws
    it in float64 whatever the x64 mode; ``init`` without params draws in the caller's mode
    (with x64 off, ``dssl bench``'s, the loops started 1e-8 away and ended 0.066 away after 20
    rounds)."""
    return np.asarray(engine.init(problem, key=root, params=initial_params(config, root)).params)


def _loop_mix():
    """The loops' mixing: one jitted call from the N client models to the N mixed ones (split
    inside the jit: splitting the stacked result with N Python indexing calls cost 12 ms of a
    round at N = 100, a third of the loop's time, none of it the per-client organisation the
    loop stands for)."""
    return jax.jit(lambda M, *ws: tuple(jnp.tensordot(M, jnp.stack(ws), axes=(1, 0))))


def _loop_runner(config: EngineConfig, problem):
    """Python loop over rounds and clients, ONE jitted call per client and round."""
    n = config.n_clients
    local = make_local_update(config)
    dt = problem.x.dtype

    @jax.jit
    def client(params, x_i, n_i, root, t, i):
        s = split_streams(root)
        z_bar = jnp.zeros((config.batch, config.c), dt)
        one, zero = jnp.ones((), dt), jnp.zeros((), dt)
        shared = RoundInput(t, s["sampling"], s["masks"], None, one)
        return local(ClientInput(params, (), x_i, n_i, None, z_bar, zero, i), shared)[0]

    mix = _loop_mix()
    xs = [problem.x[i] for i in range(n)]
    sizes = [problem.sizes[i] for i in range(n)]
    ts = [jnp.asarray(t, jnp.int32) for t in range(config.rounds)]
    idx = [jnp.asarray(i, jnp.int32) for i in range(n)]

    def run(params0, root):
        params = [params0[i] for i in range(n)]
        for t in range(config.rounds):
            new = [client(params[i], xs[i], sizes[i], root, ts[t], idx[i]) for i in range(n)]
            params = list(mix(problem.mixing, *new))
        return jax.block_until_ready(jnp.stack(params))

    return run


def _per_step_runner(config: EngineConfig, problem):
    """Python loop over rounds, clients and local steps; one jitted call per local step (the
    step derives its keys and gathers its minibatch inside the jit)."""
    n, e, b = config.n_clients, config.local_steps, config.batch
    method, ctx = methods.get(config.method), methods.Context(p=config.p)
    lr = config.lr

    @jax.jit
    def step(W, x_i, n_i, root, t, i, k):
        s = split_streams(root)
        rows = rounds.batch_indices(s["sampling"], t, i, k, n_i, b)
        _, g, _ = method.value_and_grad(W, x_i[rows], ctx, key=rounds.loss_key(s["masks"], t, i, k))
        return W - lr * g

    mix = _loop_mix()
    xs = [problem.x[i] for i in range(n)]
    sizes = [problem.sizes[i] for i in range(n)]
    ts = [jnp.asarray(t, jnp.int32) for t in range(config.rounds)]
    idx = [jnp.asarray(i, jnp.int32) for i in range(n)]
    ks = [jnp.asarray(k, jnp.int32) for k in range(e)]

    def run(params0, root):
        params = [params0[i] for i in range(n)]
        for t in range(config.rounds):
            new = []
            for i in range(n):
                W = params[i]
                for k in range(e):
                    W = step(W, xs[i], sizes[i], root, ts[t], idx[i], ks[k])
                new.append(W)
            params = list(mix(problem.mixing, *new))
        return jax.block_until_ready(jnp.stack(params))

    return run


def _numpy_runner(config: EngineConfig, problem):
    """Plain numpy D-PSGD / FedAvg: clients stacked, batched ``matmul``; numpy RNG."""
    n, e, b, d, p, lr = (
        config.n_clients,
        config.local_steps,
        config.batch,
        config.d,
        config.p,
        config.lr,
    )
    x = np.asarray(problem.x)
    sizes = np.asarray(problem.sizes)
    M = np.asarray(problem.mixing)
    rows = np.arange(n)[:, None]

    def run(params0, seed: int):
        rng = np.random.default_rng(seed)
        W = np.array(params0)
        for _ in range(config.rounds):
            for _ in range(e):
                idx = (rng.random((n, b)) * sizes[:, None]).astype(np.int64)
                xb = x[rows, idx]  # (N, B, d)
                m = rng.random((n, b, d), dtype=np.float32) >= p
                a = np.where(m, xb, 0).astype(xb.dtype)
                bv = xb - a
                Wt = W.transpose(0, 2, 1)
                za, zb = a @ Wt, bv @ Wt
                gram = W @ W.transpose(0, 2, 1)
                g = -(zb.transpose(0, 2, 1) @ a + za.transpose(0, 2, 1) @ bv) / b + 2.0 * (gram @ W)
                W = W - lr * g
            if M is not None:  # a BLAS product: np.einsum here took 3.5-7x as long (N = 100)
                W = (M @ W.reshape(n, -1)).reshape(W.shape)
        return W

    return run
