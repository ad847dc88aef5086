"""Small builders shared by the engine, consensus-bound and theory-vs-simulation tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from sims.engine import make_problem, sweep
from theory import spectral, topology


def mixing(graph: str, n: int, rule: str = "uniform", **kwargs) -> np.ndarray:
    """(n, n) mixing matrix ``rule`` on graph ``graph`` (``theory.topology``)."""
    return topology.mixing_matrix(rule, topology.make_graph(graph, n, **kwargs))


def structured_samples(n: int, m: int, d: int, *, seed: int = 0, scale: float = 1.0):
    """(n, m, d) Gaussian samples ``scale·N(0, 1)`` with client i shifted by 2·e_i (a little
    client structure)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, m, d)) * scale
    x[:, :, :n] += 2.0 * np.eye(n)[:, None, :]
    return x


def swept(problem, **fields):
    """``(problems, axes)`` for :func:`sims.engine.sweep`: ``fields`` swept along a leading axis,
    every other field shared."""
    axes = jax.tree.map(lambda _: None, problem)._replace(**{k: 0 for k in fields})
    return problem._replace(**{k: jnp.asarray(val) for k, val in fields.items()}), axes


def sweep_mixings(config, targets, mixings, *, x=None, seed: int = 0):
    """One run per mixing matrix (same seed, π = each matrix's stationary weights), one
    compiled sweep. Returns ``(pis (K, N), traces as numpy with a leading axis K)``."""
    pis = np.stack([np.asarray(spectral.stationary_weights(m)) for m in mixings])
    prob = make_problem(config, targets, x=x, mixing=mixings[0])
    probs, axes = swept(prob, mixing=mixings, pi=pis)
    keys = jnp.stack([jax.random.PRNGKey(seed)] * len(mixings))
    _, traces = sweep(config, probs, keys, axes=axes)
    return pis, jax.tree.map(np.asarray, traces)
