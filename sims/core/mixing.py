r"""Mixing rules: how the clients' models are combined after their local steps.

A rule is a value handed to the round, never a name the round switches on (the way an optax
transformation is handed to an update). Each is a pytree: its arrays (aggregation weights, the
mixing matrix) are leaves that a ``jit`` traces, its integers are static, so one compiled round
serves every matrix of a shape. Three rules (Algorithms 1 and 2 of arXiv 2607.02447):

* :func:`fedavg` — :math:`\theta \leftarrow \sum_j s_j \theta_j` with s the aggregation weights
  of this round's participants (all N, or ``clients_per_round`` drawn without replacement),
  normalised over them; every client starts the next round from it. Gossip with the matrix
  :math:`\mathbf{1} s^\top`, applied in O(N).
* :func:`gossip` — :math:`\theta_i \leftarrow \sum_j W_{ij} \theta_j` with W row-stochastic
  (adapt-then-combine DecL).
* :func:`push_sum` — A column-stochastic (directed graphs; Kempe et al. 2003 in the
  adapt-then-combine form of stochastic gradient push, Assran et al. 2019): every client carries
  a weight :math:`w_i` (initially 1), sends :math:`A_{ji}\cdot(w_i \theta_i, w_i)`, and de-biases
  :math:`\theta_i \leftarrow \sum_j A_{ij} w_j \theta_j / \sum_j A_{ij} w_j`.

Every rule answers the same four questions: how many clients train this round
(:meth:`trained`), which ones (:meth:`participants`), how the trained models mix (:meth:`mix`),
and which model is the run's global one (:meth:`average`). ``sims.run`` and the Track C engine
both call them.

At scale (an extension; the paper's Algorithm 2 mixes with one dense W):

* :func:`sparse_gossip` — the gossip of :func:`gossip` with W given as padded neighbour lists
  (``index`` (N, k) int32, ``weights`` (N, k)):
  :math:`\theta_i \leftarrow \sum_m \mathrm{weights}[i, m]\, \theta_{\mathrm{index}[i, m]}`,
  :math:`2\cdot N\cdot k\cdot(\text{model size})` flops and no N × N array
  (:func:`sims.core.rounds.mix_neighbours`).
  :func:`graph_rule` builds a graph from its name and picks it over the dense W above
  :data:`DENSE_GOSSIP_MAX_BYTES`.
* time-varying topologies, rules that answer a fifth question, :meth:`at_round` ``(key, t)``:
  the rule that mixes round t (:func:`sims.core.rounds.one_round` asks it first).
  :func:`gossip_sequence` cycles a user sequence :math:`W_0, \dots, W_{P-1}` by round;
  :func:`one_peer_exponential` is its one-peer exponential graph (Ying et al. 2021,
  :mod:`theory.time_varying`); :func:`random_matching` draws a random perfect matching each
  round from the round's key (:func:`sims.core.rounds.mixing_key`).

Example:
  >>> import jax.numpy as jnp
  >>> rule = gossip(jnp.full((2, 2), 0.5))
  >>> new, carry, glob = rule.mix(jnp.array([[0.0], [2.0]]), jnp.ones(2), jnp.ones(2))
  >>> new.ravel().tolist(), glob.tolist()
  ([1.0, 1.0], [1.0])
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array

from sims.core.rounds import (
    mix_gossip,
    mix_neighbours,
    mix_shifted,
    mixing_key,
    neighbours_row,
    participation,
)
from theory import _validate as v

__all__ = [
    "FedAvg",
    "Gossip",
    "PushSum",
    "SparseGossip",
    "GossipCycle",
    "RandomMatching",
    "fedavg",
    "gossip",
    "push_sum",
    "sparse_gossip",
    "gossip_sequence",
    "one_peer_exponential",
    "static_exponential",
    "random_matching",
    "with_shifts",
    "MAX_SHIFT_ROLLS",
    "graph_rule",
    "round_matrix",
    "check_mixing",
    "mixing_rule",
]

MIXINGS = (
    "fedavg",
    "W (N, N) row-stochastic",
    "('push-sum', A (N, N) column-stochastic)",
    "a rule of sims.core.mixing (fedavg(...), gossip(W), push_sum(A), sparse_gossip(W), "
    "gossip_sequence(Ws), one_peer_exponential(N), random_matching(N))",
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
        r"""``(mixed, carry, global)``: every client gets :math:`\sum_j s_j \theta_j`,
        :math:`s \propto` the weights of the participants. ``local`` holds every client (``who``
        None; non-participants weigh 0) or only the participants ``who``; ``carry`` is passed
        through."""
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


class _EveryClient:
    """What every rule but FedAvg shares: it mixes by a matrix (or lists), all N clients train
    every round and the run's global model is the plain mean of the clients' models."""

    #: whether the rule mixes by a matrix (a DecL problem must hold one)
    takes_matrix: ClassVar[bool] = True

    def trained(self, n: int) -> int:
        """Clients that train in a round: all N."""
        return n

    def participants(self, key: Array, t: Any, n: int, dtype: Any) -> Array:
        """(N,) all ones: every client takes part."""
        return jnp.ones((n,), dtype)

    def average(self, params: Any, carry: Array) -> Any:
        """The run's global model: the mean of the clients' models."""
        return jax.tree.map(lambda a: jnp.mean(a, 0), params)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Gossip(_EveryClient):
    """Gossip (Algorithm 2, adapt-then-combine): ``matrix`` (N, N) row-stochastic W."""

    matrix: Any

    @classmethod
    def for_round(cls, matrix: Any, agg: Any, clients_per_round: int | None) -> Any:
        """The rule of a Track C problem: gossip with its mixing matrix, or the sparse or
        time-varying gossip rule the problem holds instead (every client trains)."""
        if isinstance(matrix, (SparseGossip, GossipCycle, RandomMatching)):
            return matrix
        return cls(matrix)

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        r"""``(mixed, carry, global)``: :math:`\theta_i \leftarrow \sum_j W_{ij} \theta_j`; the
        global model is their mean."""
        mixed = mix_gossip(self.matrix, local)
        return mixed, carry, jax.tree.map(lambda a: jnp.mean(a, 0), mixed)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PushSum(_EveryClient):
    """Push-sum: ``matrix`` (N, N) column-stochastic A; ``carry`` holds the weights w."""

    matrix: Any

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


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class SparseGossip(_EveryClient):
    """Gossip with W as padded neighbour lists: ``index`` (N, k) int32 and ``weights`` (N, k),
    row i of W holding ``weights[i, m]`` at column ``index[i, m]`` (padding: index i, weight
    0); the same map as :class:`Gossip` with that W.

    ``shifts`` (static; set by :meth:`on_mesh`, never by hand): where every column of
    ``index`` is a shift of the clients, the rows of k shifts it may take (one row, or one per
    entry of a :class:`GossipCycle`), and ``entry`` the row of this round; :meth:`mix` then
    moves each neighbour's models by a roll (:func:`sims.core.rounds.mix_shifted`), else by
    the gather of the lists."""

    index: Any
    weights: Any
    shifts: Any = dataclasses.field(default=None, metadata={"static": True})
    entry: Any = None

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        r"""``(mixed, carry, global)``:
        :math:`\theta_i \leftarrow \sum_m \mathrm{weights}[i, m]\, \theta_{\mathrm{index}[i, m]}`;
        the global model is their mean."""
        # a cycle's entry taken by hand (no row of shifts named) mixes by its lists
        if self.shifts is None or (self.entry is None and len(self.shifts) > 1):
            mixed = mix_neighbours(self.index, self.weights, local)
        else:
            mixed = mix_shifted(self.weights, self.shifts, self.entry, local)
        return mixed, carry, jax.tree.map(lambda a: jnp.mean(a, 0), mixed)

    def on_mesh(self) -> SparseGossip:
        """This rule for clients split over devices: with its shifts where its lists are
        shifts (:func:`with_shifts`)."""
        return with_shifts(self)

    def row(self, local: Any, i: Any) -> Any:
        """Client i's row of :meth:`mix`'s mixed models: the same sums in the same order
        (:func:`sims.core.rounds.neighbours_row`)."""
        return neighbours_row(self.index, self.weights, local, i)

    def mix_over(self, local: Any, base: Any, keep: Any = None) -> Any:
        """:meth:`mix`'s mixed models (the same sums), or ``base`` where ``keep``, written in
        ``base``'s place (:func:`sims.core.rounds.mix_neighbours`)."""
        return mix_neighbours(self.index, self.weights, local, base, keep)


class _ByRound(_EveryClient):
    """What every time-varying rule shares besides :class:`_EveryClient`'s: the round's own
    rule (:meth:`at_round`) does the mixing."""

    def mix(self, local: Any, carry: Array, active: Array, who: Array | None = None):
        """Not defined without a round: ask :meth:`at_round` for the round's rule."""
        raise TypeError(f"{type(self).__name__} mixes by round: call at_round(key, t).mix(...)")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class GossipCycle(_ByRound):
    r"""A time-varying topology :math:`W_0, \dots, W_{P-1}` cycled by round: ``stack`` is a
    :class:`Gossip` or :class:`SparseGossip` whose arrays carry the period on a leading axis P;
    round t mixes by entry :math:`t \bmod P` (:meth:`at_round`)."""

    stack: Any

    @property
    def period(self) -> int:
        """P, the number of matrices in the cycle."""
        return int(jax.tree.leaves(self.stack)[0].shape[0])

    def on_mesh(self) -> GossipCycle:
        """This cycle for clients split over devices: with its stack's shifts where every
        entry's lists are shifts (:func:`with_shifts`)."""
        return with_shifts(self)

    def at_round(self, key: Array, t: Any) -> Any:
        r"""Round t's rule: the stack's entry :math:`t \bmod P` (with the stack's shifts, its
        row of them: :class:`SparseGossip`)."""
        entry = jnp.asarray(t) % self.period
        rule = jax.tree.map(lambda a: a[entry], self.stack)
        if getattr(self.stack, "shifts", None) is None:
            return rule
        return dataclasses.replace(rule, entry=entry.astype(jnp.int32))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RandomMatching(_ByRound):
    """Gossip over a random perfect matching drawn each round (``n`` clients, static): the
    clients are paired by a random permutation from :func:`sims.core.rounds.mixing_key` (key,
    t), each pair averages its two models (weights ½, ½), and with N odd the one left over
    keeps its model. Every round's W is symmetric and doubly stochastic."""

    n: int = dataclasses.field(metadata={"static": True})

    def at_round(self, key: Array, t: Any) -> SparseGossip:
        """Round t's matching as neighbour lists ``index[i] = (i, partner(i))``, weights ½."""
        n, half = self.n, self.n // 2
        perm = jr.permutation(mixing_key(key, t), n).astype(jnp.int32)
        a, b = perm[:half], perm[half : 2 * half]
        partner = jnp.arange(n, dtype=jnp.int32).at[a].set(b).at[b].set(a)
        index = jnp.stack([jnp.arange(n, dtype=jnp.int32), partner], axis=1)
        return SparseGossip(index, jnp.full((n, 2), 0.5, jnp.float32))


def fedavg(weights: Any = None, clients_per_round: int | None = None) -> FedAvg:
    """FedAvg's rule (:class:`FedAvg`); ``sims.run`` validates and fills the weights."""
    return FedAvg(weights, clients_per_round)


def gossip(W: Any) -> Gossip:
    """Gossip with the row-stochastic W (:class:`Gossip`)."""
    return Gossip(W)


def push_sum(A: Any) -> PushSum:
    """Push-sum with the column-stochastic A (:class:`PushSum`)."""
    return PushSum(A)


#: A dense W above this many bytes (float64, 8·N²) is not built by :func:`graph_rule`: the
#: graph's W is given as neighbour lists instead (:class:`SparseGossip`). 2^28 bytes
#: (256 MiB): dense up to N = 5792, where one round's dense mix already costs 2·N² flops per
#: model entry, 70× the sparse one on a degree-3 graph.
DENSE_GOSSIP_MAX_BYTES = 2**28

#: The graphs that are their own mixing rule (no ``mixing`` name): the one-peer exponential
#: graph (time-varying), Ying et al.'s static exponential graph, random matchings.
RULE_GRAPHS = ("one_peer_exp", "static_exp", "matching")


def sparse_gossip(W: Any) -> SparseGossip:
    """Gossip with a row-stochastic W given sparse (:class:`SparseGossip`): a
    ``scipy.sparse`` matrix (CSR or any format), a dense (N, N) array, or padded neighbour
    lists ``(index (N, k), weights (N, k))``; checked as :func:`check_mixing` checks a dense W
    (≥ 0, rows sum to 1, irreducible), in memory O(N·k).

    Example:
      >>> rule = sparse_gossip(np.array([[0.5, 0.5], [0.5, 0.5]]))
      >>> rule.index.tolist(), rule.weights.tolist()
      ([[0, 1], [0, 1]], [[0.5, 0.5], [0.5, 0.5]])
    """
    index, weights = _neighbours(W, "W")
    _check_sparse(index, weights, "W", irreducible=True, dtype=_given_dtype(W))
    return SparseGossip(index, weights)


def _neighbours(W: Any, field: str) -> tuple[np.ndarray, np.ndarray]:
    from theory import sparse_graphs

    given = _given_dtype(W)
    if isinstance(W, tuple) and len(W) == 2:
        index = np.asarray(W[0])
        if index.ndim != 2 or index.dtype.kind not in "iu":
            v.fail(field, "neighbour lists (index (N, k) integers, weights (N, k))",
                   f"index of dtype {index.dtype} and shape {index.shape}")  # fmt: skip
        weights = v.array(W[1], field, ndim=2)
        if weights.shape != index.shape:
            v.fail(field, f"weights of the shape of index {index.shape}", f"{weights.shape}")
        n = index.shape[0]
        if index.size and (index.min() < 0 or index.max() >= n):
            v.fail(field, f"neighbour indices in [0, {n})", f"[{index.min()}, {index.max()}]")
        return index.astype(np.int32), weights.astype(given)
    import scipy.sparse as sp

    if not sp.issparse(W):
        w = v.array(W, field, ndim=2)
        if w.shape[0] != w.shape[1]:
            v.fail(field, "a square (N, N) matrix", f"shape {w.shape}")
        W = w
    index, weights = sparse_graphs.neighbour_lists(W)
    return index, weights.astype(given)  # float32 → float64 → float32 is exact


def _given_dtype(W: Any) -> np.dtype:
    """The floating dtype of W's weights as given (neighbour lists: of ``weights``): the rule
    values keep it, so that a rule checked again (``sims.run``, Track C) is checked at the
    tolerance it was built at."""
    return v.float_dtype(W[1] if isinstance(W, tuple) and len(W) == 2 else W)


def _check_sparse(index: np.ndarray, weights: np.ndarray, field: str, *, irreducible: bool,
                  dtype: Any = np.float64) -> None:  # fmt: skip
    """Row-stochastic (to the tolerance of ``dtype``, the weights' dtype as given), ≥ 0,
    finite (and irreducible) neighbour lists; one-line errors."""
    from theory import sparse_graphs

    if np.any(weights < 0):
        v.fail(field, "entrywise >= 0", f"min entry {weights.min():.3g}")
    sums = weights.sum(axis=1, dtype=np.float64)
    v.sums_to_one(sums, field, dtype=dtype, n=index.shape[1])  # k a row
    if irreducible and index.shape[0] > 1:
        m = sparse_graphs.from_neighbour_lists(index, weights)
        if not _strongly_connected(m):
            v.fail(field, "irreducible (a strongly connected graph)", "reducible")


def gossip_sequence(mats: Any) -> GossipCycle:
    r"""A time-varying topology cycled by round (:class:`GossipCycle`): round t mixes by
    :math:`W_{t \bmod P}`. ``mats`` is a (P, N, N) array (dense rules) or a list of P sparse
    matrices or neighbour lists (sparse rules, padded to one k). Each :math:`W_t` is
    row-stochastic and ≥ 0; their union graph is strongly connected (each :math:`W_t` alone
    need not be: the one-peer graphs are not).

    Example:
      >>> Ws = np.stack([np.eye(2), np.full((2, 2), 0.5)])
      >>> rule = gossip_sequence(Ws)
      >>> rule.period, rule.at_round(None, 3).matrix.tolist()
      (2, [[0.5, 0.5], [0.5, 0.5]])
    """
    import scipy.sparse as sp

    if (
        isinstance(mats, (list, tuple))
        and mats
        and (sp.issparse(mats[0]) or isinstance(mats[0], tuple))
    ):
        lists = [_neighbours(w, f"mats[{t}]") for t, w in enumerate(mats)]
        n = lists[0][0].shape[0]
        if any(ix.shape[0] != n for ix, _ in lists):
            v.fail("mats", f"matrices of one size N = {n}", [ix.shape[0] for ix, _ in lists])
        k = max(ix.shape[1] for ix, _ in lists)
        idx = np.repeat(np.arange(n, dtype=np.int32)[None, :, None], len(lists), 0)
        idx = np.repeat(idx, k, 2)
        wts = np.zeros((len(lists), n, k), np.result_type(*(w.dtype for _, w in lists)))
        for t, (ix, w) in enumerate(lists):
            _check_sparse(ix, w, f"mats[{t}]", irreducible=False, dtype=_given_dtype(mats[t]))
            idx[t, :, : ix.shape[1]], wts[t, :, : ix.shape[1]] = ix, w
        union = sum(_csr(ix, w) for ix, w in lists)
        _union_connected(union)
        return GossipCycle(SparseGossip(idx, wts))
    given = v.float_dtype(mats)
    w = v.array(mats, "mats", ndim=3)
    if w.shape[0] < 1 or w.shape[1] != w.shape[2]:
        v.fail("mats", "a (P, N, N) stack of square matrices, P >= 1", f"shape {w.shape}")
    for t in range(w.shape[0]):
        _check_sparse(*_neighbours(w[t], f"mats[{t}]"), f"mats[{t}]", irreducible=False,
                      dtype=given)  # fmt: skip
    _union_connected(w.sum(axis=0))
    return GossipCycle(Gossip(w.astype(given)))


def _csr(index: np.ndarray, weights: np.ndarray) -> Any:
    """The CSR matrix of neighbour lists (:func:`theory.sparse_graphs.from_neighbour_lists`)."""
    from theory import sparse_graphs

    return sparse_graphs.from_neighbour_lists(index, weights)


def _union_connected(union: Any) -> None:
    if union.shape[0] > 1 and not _strongly_connected(union):
        v.fail("mats", "matrices whose union graph is strongly connected", "reducible")


def one_peer_exponential(n: int) -> GossipCycle:
    r"""The one-peer exponential graph (:func:`theory.time_varying.one_peer_exponential`; Ying
    et al. 2021): round t, client i averages with client :math:`(i + 2^{t \bmod \tau}) \bmod N`,
    weights ½, :math:`\tau = \lceil \log_2 N\rceil`; neighbour lists of k = 2.

    Example:
      >>> one_peer_exponential(8).at_round(None, 2).index[:2].tolist()
      [[0, 4], [1, 5]]
    """
    from theory.time_varying import one_peer_offsets

    offsets = one_peer_offsets(n)
    # 24 bytes per client and offset measured by tracemalloc at N = 10⁶ (the lists and their build)
    v.check_fits("n", n, 32 * len(offsets) * n, what="the one-peer neighbour lists")
    i = np.arange(n, dtype=np.int32)
    idx = np.stack([np.stack([i, (i + s) % n], axis=1) for s in offsets]).astype(np.int32)
    return GossipCycle(SparseGossip(idx, np.full(idx.shape, 0.5)))


#: The most rolls a rule with shifts may compile (entries × columns): each is a branch of the
#: round's ``lax.switch`` (one-peer at 10⁶ clients: 20 × 2); a longer cycle keeps its gather.
MAX_SHIFT_ROLLS = 256


def with_shifts(rule: Any) -> Any:
    """``rule`` with the shifts of its neighbour lists (:class:`SparseGossip`'s ``shifts``)
    where every column of every entry is a shift of the clients, ``index[i, m] = (i + s) mod
    N`` (the one-peer and static exponential graphs: :func:`one_peer_exponential`,
    :func:`static_exponential`), and at most :data:`MAX_SHIFT_ROLLS` of them; any other rule
    as it is. Read from the concrete index arrays, when the clients are split over devices
    (the rules' ``on_mesh``, called by ``sims.core.sharding.shard_clients`` and ``sims.run``
    with a ``mesh``). The mixed models are the same to the bit (the same sums in the same
    order); a rule with shifts moves only the rows that cross a device, where the gather of
    the neighbour lists has each device gather all N models (docs/performance.md). Without a
    mesh the gather is kept: under ``sweep``'s ``vmap`` the round may be batched, and a
    switch over a batched row computes every row.

    Example:
      >>> with_shifts(one_peer_exponential(8)).stack.shifts
      ((0, 1), (0, 2), (0, 4))
      >>> with_shifts(sparse_gossip(np.full((3, 3), 1 / 3))).shifts is None  # columns 0, 1, 2
      True
    """
    cycle = isinstance(rule, GossipCycle)
    lists = rule.stack if cycle else rule
    if not isinstance(lists, SparseGossip):
        return rule

    def rebuilt(shifts):  # read again from the lists: shifts they no longer have are dropped
        out = dataclasses.replace(lists, shifts=shifts, entry=None)
        return GossipCycle(out) if cycle else out

    index = np.asarray(lists.index)
    entries = index if cycle else index[None]
    n = entries.shape[1]
    if n == 0 or entries.shape[0] * entries.shape[2] > MAX_SHIFT_ROLLS:
        return rebuilt(None)
    i = np.arange(n)[:, None]
    table = []
    for entry in entries:  # one (N, k) entry at a time: memory O(N·k)
        row = entry[0] % n  # client 0's neighbours are the shifts themselves
        if not np.array_equal(entry, (i + row[None, :]) % n):
            return rebuilt(None)
        table.append(tuple(int(s) for s in row))
    return rebuilt(tuple(table))


def static_exponential(n: int) -> SparseGossip:
    r"""Ying et al.'s static exponential graph as neighbour lists: client i averages itself and
    clients :math:`(i + 2^\ell) \bmod N`, :math:`\ell < \tau = \lceil \log_2 N\rceil`, each with
    weight :math:`1/(\tau+1)` (the W of :func:`theory.topology.exponential_mixing`, doubly
    stochastic, not symmetric); :math:`k = \tau + 1`.

    Example:
      >>> static_exponential(8).index[0].tolist()
      [0, 1, 2, 4]
    """
    from theory.time_varying import one_peer_offsets

    n = v.integer(n, "n", lo=3)
    offsets = one_peer_offsets(n)
    # 16 bytes per entry measured by tracemalloc at N = 10⁶ (the lists and their build)
    v.check_fits("n", n, 24 * (len(offsets) + 1) * n, what="the static exponential lists")
    i = np.arange(n, dtype=np.int64)
    idx = np.stack([i] + [(i + s) % n for s in offsets], axis=1).astype(np.int32)
    return SparseGossip(idx, np.full(idx.shape, 1.0 / (len(offsets) + 1)))


def random_matching(n: int) -> RandomMatching:
    """Gossip over a random perfect matching each round (:class:`RandomMatching`), N >= 2."""
    return RandomMatching(v.integer(n, "n", lo=2))


def graph_rule(
    graph: str,
    n: int,
    *,
    mixing: str | None = "uniform",
    rows: int | None = None,
    cols: int | None = None,
    degree: int | None = None,
    avg_degree: float | None = None,
    prob: float | None = None,
    seed: Any = None,
    sizes: Any = None,
    dense_max_bytes: int = DENSE_GOSSIP_MAX_BYTES,
) -> Gossip | SparseGossip | GossipCycle | RandomMatching:
    """The gossip rule of graph ``graph`` on N clients with the weights ``mixing``: the names
    of :func:`theory.topology.make_graph` / :func:`theory.topology.mixing_matrix`, or one of
    :data:`RULE_GRAPHS` (their own weights; ``mixing`` None). A dense :class:`Gossip` while
    W's :math:`8 N^2` bytes are at most ``dense_max_bytes`` (:data:`DENSE_GOSSIP_MAX_BYTES`),
    above it the same W as :class:`SparseGossip` built without an N × N array
    (:mod:`theory.sparse_graphs`: ring, torus, hypercube, exponential, random_regular with
    uniform, metropolis or max_degree weights; a random graph is then drawn by the sparse
    builder, not the dense one's stream).

    Example:
      >>> small, big = graph_rule("ring", 8), graph_rule("ring", 8, dense_max_bytes=0)
      >>> type(small).__name__, type(big).__name__
      ('Gossip', 'SparseGossip')
    """
    from theory import sparse_graphs, topology

    graph = v.choice(graph, "graph", topology.GRAPHS + RULE_GRAPHS)
    n = v.integer(n, "n", lo=2)
    dense_max_bytes = v.integer(dense_max_bytes, "dense_max_bytes", lo=0)
    if graph in RULE_GRAPHS:
        if mixing is not None:
            v.fail("mixing", f"None with graph {graph!r} (it holds its own weights)", mixing)
        if graph == "one_peer_exp":
            return one_peer_exponential(n)
        if graph == "static_exp":
            return static_exponential(n)
        return random_matching(n)
    mixing = v.choice(mixing, "mixing", topology.MIXINGS)
    if 8 * n * n <= dense_max_bytes:
        adj = topology.make_graph(graph, n, rows=rows, cols=cols, degree=degree,
                                  avg_degree=avg_degree, prob=prob, seed=seed)  # fmt: skip
        return Gossip(topology.mixing_matrix(mixing, adj, sizes=sizes))
    big = f"N = {n} (a dense W of {v.format_bytes(8 * n * n)} is above {dense_max_bytes} bytes)"
    if graph not in sparse_graphs.SPARSE_GRAPHS:
        v.fail("graph", "one of " + ", ".join(sparse_graphs.SPARSE_GRAPHS + RULE_GRAPHS)
               + " at " + big, graph)  # fmt: skip
    if mixing not in sparse_graphs.SPARSE_MIXINGS:
        v.fail("mixing", "one of " + ", ".join(sparse_graphs.SPARSE_MIXINGS) + " at " + big, mixing)
    adj = sparse_graphs.sparse_graph(graph, n, rows=rows, cols=cols, degree=degree, seed=seed)
    return SparseGossip(*sparse_graphs.neighbour_lists(sparse_graphs.sparse_mixing(mixing, adj)))


def _round_csr(rule: Any, n: int, key: Any, t: int) -> Any:
    """Round t's W of ``rule`` with the run's key ``key``, a float64 CSR matrix, checked to be
    N × N."""
    import scipy.sparse

    at_round = getattr(rule, "at_round", None)
    if at_round is not None:
        if key is None and not isinstance(rule, GossipCycle):
            v.fail("key", "the run's JAX key for a random rule (its rounds are drawn from it)", key)
        rule = at_round(key, jnp.asarray(t, jnp.int32))
    if isinstance(rule, Gossip):
        m = scipy.sparse.csr_matrix(np.asarray(rule.matrix, np.float64))
    elif isinstance(rule, SparseGossip):
        m = _csr(np.asarray(rule.index), np.asarray(rule.weights, np.float64))
    else:
        v.fail("rule", "a gossip rule of sims.core.mixing", type(rule).__name__)
    if m.shape != (n, n):
        v.fail("n", f"the rule's number of clients, {m.shape[0]}", n)
    return m


def round_matrix(rule: Any, n: int, *, key: Any = None, t: int = 0) -> np.ndarray:
    """The dense (N, N) float64 W by which ``rule`` (a gossip rule of this module) mixes round
    t with the run's key ``key`` (for checks and bounds at small N; :func:`check_fits`).

    Example:
      >>> round_matrix(one_peer_exponential(4), 4, t=1)[0].tolist()
      [0.5, 0.0, 0.5, 0.0]
    """
    v.check_fits("n", n, 8 * n * n, what="the dense round matrix")
    return _round_csr(rule, n, key, t).toarray()


class RuleContraction(NamedTuple):
    r""":func:`rule_contraction`'s answer: :math:`\rho_P`, the bound on its error (0 for the
    dense product), the period P, :math:`\rho_P^{1/P}` and the solver used."""

    rho: float
    error: float
    period: int
    per_round: float
    solver: str


#: The most clients for which :func:`rule_contraction` multiplies the dense W_t by default
#: (P products of N³: about 10¹¹ flops, a second or two, at P = 11)
RULE_DENSE_MAX_N = 2048


def rule_contraction(
    rule: Any, n: int, *, key: Any = None, period: int | None = None, dense: bool | None = None
) -> RuleContraction:
    r"""The consensus contraction of gossip rule ``rule`` on N clients over P rounds,
    :math:`\rho_P = \lVert W_{P-1} \cdots W_0 - J\rVert_2` (:math:`J = \mathbf{1}\mathbf{1}^\top/N`;
    :mod:`theory.time_varying`), from the run's key ``key`` (a random rule's rounds).

    Args:
      rule: a gossip rule of this module (a static W, or one that mixes by round) on N clients.
      n: the number of clients N.
      key: the key the run's rounds hand the rule (:func:`sims.core.config.round_key`; a
        random matching of round t is drawn from it, :func:`sims.core.rounds.mixing_key`);
        needed by a random rule only.
      period: P; None: the rule's own (``rule.period`` of a :class:`GossipCycle`), 1 for a
        static rule, :math:`\lceil \log_2 N\rceil` for a random one.
      dense: the float64 product of the P dense W_t and its spectral norm
        (:func:`theory.time_varying.period_contraction`, error 0) when True; ``svds`` on the
        product of the sparse W_t as a linear operator with its residual bound
        (:func:`theory.sparse_graphs.product_contraction`, N >= 3) when False; None: dense up
        to :data:`RULE_DENSE_MAX_N` clients where P + 4 dense matrices fit the memory budget.

    Example:
      >>> rule_contraction(one_peer_exponential(8), 8)
      RuleContraction(rho=0.0, error=0.0, period=3, per_round=0.0, solver='dense')
    """
    from theory import sparse_graphs, time_varying

    n = v.integer(n, "n", lo=2)
    if period is None:
        own = rule.period if isinstance(rule, GossipCycle) else None
        random = hasattr(rule, "at_round") and own is None
        period = own or (len(time_varying.one_peer_offsets(n)) if random else 1)
    period = v.integer(period, "period", lo=1)
    need = 8 * n * n * (period + 4)
    if dense is None:
        dense = n <= RULE_DENSE_MAX_N and need <= v.memory_budget_bytes()
    if v.boolean(dense, "dense"):
        v.check_fits("n", n, need, what="the dense period product")
        mats = np.stack([round_matrix(rule, n, key=key, t=t) for t in range(period)])
        pc = time_varying.period_contraction(mats)
        return RuleContraction(pc.rho, 0.0, period, pc.per_round, "dense")
    if n < 3:
        v.fail("n", ">= 3 for the sparse product (dense=True below)", n)
    est = sparse_graphs.product_contraction([_round_csr(rule, n, key, t) for t in range(period)])
    return RuleContraction(est.value, est.error, period, est.value ** (1.0 / period), "sparse")


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
    r"""Validate a mixing matrix: square, finite, entries ≥ 0, row- (gossip) or column-
    (push-sum) stochastic to the tolerance of ``theory.topology.validate_mixing``
    (a tolerance of W's own dtype), irreducible (its directed
    support graph is strongly connected).

    Args:
      W: (N, N) matrix. n: the expected N (the number of clients), or None.
      stochastic: ``"row"`` (:math:`\sum_j W_{ij} = 1`) or ``"column"``
        (:math:`\sum_i W_{ij} = 1`).
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
    given = v.float_dtype(W)
    w = v.array(W, field, ndim=2)
    if w.shape[0] != w.shape[1] or w.shape[0] < 1:
        v.fail(field, "a square (N, N) matrix", f"shape {w.shape}")
    if n is not None and w.shape[0] != n:
        v.fail(field, f"an ({n}, {n}) matrix (one row per client)", f"shape {w.shape}")
    if np.any(w < 0):
        v.fail(field, "entrywise >= 0", f"min entry {w.min():.3g}")
    sums = w.sum(axis=1 if stochastic == "row" else 0)
    what = "row" if stochastic == "row" else "column"
    v.sums_to_one(sums, field, dtype=given, n=w.shape[0], what=what,
                  requirement=f"{stochastic}-stochastic ({what}s sum to 1)")  # fmt: skip
    if w.shape[0] > 1 and not _strongly_connected(w):
        v.fail(field, "irreducible (a strongly connected graph)", "reducible")
    return w


def mixing_rule(mixing: Any, n: int) -> Any:
    """The rule value of ``mixing`` with its matrix validated (:func:`check_mixing`): a value of
    :mod:`sims.core.mixing` as given, or one of the spellings ``"fedavg"``, W, ``("push-sum",
    A)``."""
    if isinstance(mixing, FedAvg):
        return mixing
    if isinstance(mixing, SparseGossip):
        index, weights = _neighbours((np.asarray(mixing.index), mixing.weights), "mixing")
        if index.shape[0] != n:
            v.fail("mixing", f"neighbour lists of N = {n} rows (one per client)", index.shape[0])
        _check_sparse(index, weights, "mixing", irreducible=True, dtype=weights.dtype)
        return SparseGossip(index, weights)
    if isinstance(mixing, GossipCycle):
        stack = mixing.stack
        if isinstance(stack, Gossip):
            checked = gossip_sequence(np.asarray(stack.matrix))
        elif isinstance(stack, SparseGossip):
            idx, w = np.asarray(stack.index), np.asarray(stack.weights)
            if idx.ndim != 3:
                v.fail("mixing", "a cycle of (P, N, k) neighbour lists", f"shape {idx.shape}")
            checked = gossip_sequence([(idx[t], w[t]) for t in range(idx.shape[0])])
        else:
            v.fail("mixing", "a GossipCycle of a Gossip or SparseGossip stack", stack)
        size = jax.tree.leaves(checked.stack)[0].shape[1]
        if size != n:
            v.fail("mixing", f"matrices of N = {n} clients", size)
        return checked
    if isinstance(mixing, RandomMatching):
        if mixing.n != n:
            v.fail("mixing", f"random_matching({n}) (one node per client)", mixing.n)
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
