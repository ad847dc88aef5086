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
import numpy as np
from jaxtyping import Array

from sims.core.rounds import mix_gossip, participation
from theory import _validate as v

__all__ = [
    "FedAvg",
    "Gossip",
    "PushSum",
    "fedavg",
    "gossip",
    "push_sum",
    "check_mixing",
    "mixing_rule",
]

MIXINGS = (
    "fedavg",
    "W (N, N) row-stochastic",
    "('push-sum', A (N, N) column-stochastic)",
    "a rule of sims.core.mixing (fedavg(...), gossip(W), push_sum(A))",
)


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


#: The rules a name spells (``mixing="fedavg"``), name -> constructor: the spellings
#: :func:`mixing_rule` reads, once, into a value.
NAMED_RULES = {"fedavg": FedAvg}


# ---------------------------------------------------------------------------------------------
# validation


def _strongly_connected(w: np.ndarray) -> bool:
    from scipy.sparse.csgraph import connected_components

    return connected_components(w > 0, directed=True, connection="strong")[0] == 1


def check_mixing(
    W: Any, n: int | None = None, *, stochastic: str = "row", field: str = "mixing"
) -> np.ndarray:
    """Validate a mixing matrix: square, finite, entries ≥ 0, row- (gossip) or column-
    (push-sum) stochastic to the tolerance of ``theory.topology.validate_mixing``
    (a tolerance of W's own dtype), irreducible (its directed
    support graph is strongly connected).

    Args:
      W: (N, N) matrix. n: the expected N (the number of clients), or None.
      stochastic: ``"row"`` (Σ_j W_ij = 1) or ``"column"`` (Σ_i W_ij = 1).
      field: the name used in the error message.

    Returns:
      W as a float64 NumPy array; raises a one-line ValueError naming ``field`` otherwise.

    Example:
      >>> check_mixing(np.full((3, 3), 1 / 3)).shape
      (3, 3)
      >>> check_mixing(np.eye(2))
      Traceback (most recent call last):
      ...
      ValueError: mixing: must be irreducible (a strongly connected graph), got 'reducible'
    """
    v.choice(stochastic, "stochastic", ("row", "column"))
    given = getattr(W, "dtype", None)
    given = given if given is not None and np.dtype(given).kind == "f" else np.float64
    w = v.array(W, field, ndim=2)
    if w.shape[0] != w.shape[1] or w.shape[0] < 1:
        v.fail(field, "a square (N, N) matrix", f"shape {w.shape}")
    if n is not None and w.shape[0] != n:
        v.fail(field, f"an ({n}, {n}) matrix (one row per client)", f"shape {w.shape}")
    if np.any(w < 0):
        v.fail(field, "entrywise >= 0", f"min entry {w.min():.3g}")
    sums = w.sum(axis=1 if stochastic == "row" else 0)
    if np.max(np.abs(sums - 1.0)) > v.stochastic_tolerance(given, w.shape[0]):
        what = "rows" if stochastic == "row" else "columns"
        v.fail(
            field,
            f"{stochastic}-stochastic ({what} sum to 1)",
            f"{what} sums in [{sums.min():.6g}, {sums.max():.6g}]",
        )
    if w.shape[0] > 1 and not _strongly_connected(w):
        v.fail(field, "irreducible (a strongly connected graph)", "reducible")
    return w


def mixing_rule(mixing: Any, n: int) -> FedAvg | Gossip | PushSum:
    """The rule value of ``mixing`` with its matrix validated (:func:`check_mixing`): a value of
    :mod:`sims.core.mixing` as given, or one of the spellings ``"fedavg"``, W, ``("push-sum",
    A)``."""
    if isinstance(mixing, FedAvg):
        return mixing
    if isinstance(mixing, Gossip):
        return Gossip(check_mixing(mixing.matrix, n, stochastic="row"))
    if isinstance(mixing, PushSum):
        return PushSum(check_mixing(mixing.matrix, n, stochastic="column"))
    if isinstance(mixing, str):
        if mixing not in NAMED_RULES:
            v.fail("mixing", "one of " + ", ".join(MIXINGS), mixing)
        return NAMED_RULES[mixing]()
    if isinstance(mixing, tuple) and len(mixing) == 2 and isinstance(mixing[0], str):
        if mixing[0] != "push-sum":
            v.fail("mixing", "one of " + ", ".join(MIXINGS), mixing[0])
        return PushSum(check_mixing(mixing[1], n, stochastic="column"))
    return Gossip(check_mixing(mixing, n, stochastic="row"))
