"""Mixing rules: how the clients' models are combined after their local steps.

A rule is a value handed to the round, never a name the round switches on (the way an optax
transformation is handed to an update). Each is a pytree: its arrays (aggregation weights, the
mixing matrix) are leaves that a ``jit`` traces, its integers are static, so one compiled round
serves every matrix of a shape. Three rules (Algorithms 1 and 2 of arXiv 2607.02447):

* :func:`fedavg` — θ ← Σ_j s_j θ_j with s the aggregation weights of this round's participants
  (all N, or ``clients_per_round`` drawn without replacement), normalised over them; every
  client starts the next round from it. Gossip with the matrix 1 sᵀ, applied in O(N).
* :func:`gossip` — θ_i ← Σ_j W_ij θ_j with W row-stochastic (adapt-then-combine DecL).
* :func:`push_sum` — A column-stochastic (directed graphs; Kempe et al. 2003 in the
  adapt-then-combine form of stochastic gradient push, Assran et al. 2019): every client carries
  a weight w_i (initially 1), sends A_ji·(w_i θ_i, w_i), and de-biases θ_i ← Σ_j A_ij w_j θ_j /
  Σ_j A_ij w_j.

Every rule answers the same four questions: how many clients train this round
(:meth:`trained`), which ones (:meth:`participants`), how the trained models mix (:meth:`mix`),
and which model is the run's global one (:meth:`average`). ``sims.run`` and the Track C engine
both call them.

Example:
  >>> import jax.numpy as jnp
  >>> rule = gossip(jnp.full((2, 2), 0.5))
  >>> new, carry, glob = rule.mix(jnp.array([[0.0], [2.0]]), jnp.ones(2), jnp.ones(2))
  >>> new.ravel().tolist(), glob.tolist()
  ([1.0, 1.0], [1.0])
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array

from sims.core.rounds import mix_gossip, participation

__all__ = ["FedAvg", "Gossip", "PushSum", "fedavg", "gossip", "push_sum"]


def _clients(a: Array, n: int, ndim: int) -> Array:
    """``a`` (N,) shaped to broadcast over a leaf of ``ndim`` dimensions with N leading."""
    return a.reshape((n,) + (1,) * (ndim - 1))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class FedAvg:
    """FedAvg (Algorithm 1): ``weights`` (N,) positive aggregation weights (None: uniform, set
    by the caller before tracing), ``clients_per_round`` S (None: all N)."""

    weights: Any = None
    clients_per_round: int | None = dataclasses.field(default=None, metadata={"static": True})
    #: whether the rule mixes by a matrix (a DecL problem must hold one)
    takes_matrix: ClassVar[bool] = False

    @classmethod
    def for_round(cls, matrix: Any, agg: Any, clients_per_round: int | None) -> FedAvg:
        """The rule of a Track C problem: its aggregation weights over S clients."""
        return cls(agg, clients_per_round)

    def trained(self, n: int) -> int:
        """Clients that train in a round: S, or N."""
        return n if self.clients_per_round is None else min(self.clients_per_round, n)

    def participants(self, key: Array, t: Any, n: int, dtype: Any) -> Array:
        """(N,) 0/1 mask of round t's participants (:func:`sims.core.rounds.participation`)."""
        return participation(key, t, n, self.trained(n), dtype)

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        """``(mixed, carry, global)``: every client gets Σ_j s_j θ_j, s ∝ the weights of the
        participants. ``local`` holds every client (``who`` None; non-participants weigh 0) or
        only the participants ``who``; ``carry`` is passed through."""
        n = active.shape[0]

        def one(a):
            w = self.weights.astype(a.dtype)
            s = active.astype(a.dtype) * w if who is None else w[who]
            s = s / jnp.sum(s)
            return jnp.tensordot(s, a, axes=(0, 0))

        glob = jax.tree.map(one, local)
        mixed = jax.tree.map(lambda g: jnp.broadcast_to(g, (n,) + g.shape), glob)
        return mixed, carry, glob

    def average(self, params: Any, carry: Array) -> Any:
        """The run's global model: the server model every client holds."""
        return jax.tree.map(lambda a: a[0], params)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Gossip:
    """Gossip (Algorithm 2, adapt-then-combine): ``matrix`` (N, N) row-stochastic W."""

    matrix: Any
    takes_matrix: ClassVar[bool] = True

    @classmethod
    def for_round(cls, matrix: Any, agg: Any, clients_per_round: int | None) -> Gossip:
        """The rule of a Track C problem: its mixing matrix (every client trains)."""
        return cls(matrix)

    def trained(self, n: int) -> int:
        return n

    def participants(self, key: Array, t: Any, n: int, dtype: Any) -> Array:
        return jnp.ones((n,), dtype)

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        """``(mixed, carry, global)``: θ_i ← Σ_j W_ij θ_j; the global model is their mean."""
        mixed = mix_gossip(self.matrix, local)
        return mixed, carry, jax.tree.map(lambda a: jnp.mean(a, 0), mixed)

    def average(self, params: Any, carry: Array) -> Any:
        return jax.tree.map(lambda a: jnp.mean(a, 0), params)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PushSum:
    """Push-sum: ``matrix`` (N, N) column-stochastic A; ``carry`` holds the weights w."""

    matrix: Any
    takes_matrix: ClassVar[bool] = True

    def trained(self, n: int) -> int:
        return n

    def participants(self, key: Array, t: Any, n: int, dtype: Any) -> Array:
        return jnp.ones((n,), dtype)

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        """``(de-biased models, new weights A w, global Σ_j A w θ / Σ A w)``."""
        n = carry.shape[0]
        num = mix_gossip(
            self.matrix,
            jax.tree.map(lambda a: a * _clients(carry.astype(a.dtype), n, a.ndim), local),
        )
        carry = self.matrix @ carry
        mixed = jax.tree.map(lambda a: a / _clients(carry.astype(a.dtype), n, a.ndim), num)
        glob = jax.tree.map(lambda a: jnp.sum(a, 0) / jnp.sum(carry).astype(a.dtype), num)
        return mixed, carry, glob

    def average(self, params: Any, carry: Array) -> Any:
        w = carry / jnp.sum(carry)
        return jax.tree.map(lambda a: jnp.tensordot(w.astype(a.dtype), a, axes=(0, 0)), params)


def fedavg(weights: Any = None, clients_per_round: int | None = None) -> FedAvg:
    """FedAvg's rule (:class:`FedAvg`); ``sims.run`` validates and fills the weights."""
    return FedAvg(weights, clients_per_round)


def gossip(W: Any) -> Gossip:
    """Gossip with the row-stochastic W (:class:`Gossip`)."""
    return Gossip(W)


def push_sum(A: Any) -> PushSum:
    """Push-sum with the column-stochastic A (:class:`PushSum`)."""
    return PushSum(A)
