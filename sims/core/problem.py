"""A run's arrays, validated: :class:`Problem` (what a sweep can ``vmap`` over) and
:func:`make_problem` (the targets, samples, mixing matrix, weights and transform of one run,
checked against its :class:`~sims.core.config.EngineSettings`). :mod:`sims.core.engine` trains on it
and re-exports both."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from sims.core.config import EngineSettings, float_dtype
from theory import _validate as v

Array = jax.Array


class Problem(NamedTuple):
    r"""Everything about a run that is an array (and can therefore be swept with ``vmap``).

    Attributes:
      targets: (N, d, d) population targets :math:`X_i` (population gradients and the
        :math:`\zeta^2`, loss metrics).
      x: (N, M, d) client samples, valid rows first, or ``None`` in population mode.
      sizes: (N,) int32 number of valid rows of each client (ragged clients are padded).
      mixing: (N, N) row-stochastic DecL mixing matrix, or DecL's sparse or time-varying gossip
        rule itself (:class:`~sims.core.mixing.SparseGossip`,
        :class:`~sims.core.mixing.GossipCycle`, :class:`~sims.core.mixing.RandomMatching`);
        FL: unused, (N, 0) unless given.
      agg: (N,) FL aggregation weights (uniform or data sizes; normalised over the sampled set).
      pi: (N,) weights of the π-weighted consensus distance (stationary weights of ``mixing``).
      gamma_max, gamma_min: scalars of the MAR γ schedule (Eq. 7).
      H: (d, d) image transform of CL with dissimilar augmentations, or ``None``.
      stats: ``(X̄, Q)``, each (d, d), of the targets (``sims.core.recorded.target_stats``)
        given instead of them (``targets`` then None: a run without population gradients
        needs no more of them), or ``None``: computed from ``targets`` at the run's start.
    """

    targets: Array | None
    x: Array | None
    sizes: Array | None
    mixing: Array
    agg: Array
    pi: Array
    gamma_max: Array
    gamma_min: Array
    H: Array | None = None
    stats: tuple[Array, Array] | None = None


def _numeric(value, field: str, **kw) -> np.ndarray:
    """``v.array`` keeping a float input's own dtype (ints become float64)."""
    dtype = getattr(value, "dtype", None)
    keep = dtype is not None and np.dtype(dtype).kind == "f"
    return v.array(value, field, dtype=np.dtype(dtype) if keep else np.float64, **kw)


def make_problem(
    config: EngineSettings,
    targets,
    *,
    x=None,
    sizes=None,
    mixing=None,
    agg=None,
    pi=None,
    gamma_max: float = 0.1,
    gamma_min: float = 1e-3,
    H=None,
    stats=None,
) -> Problem:
    """Validate and assemble a :class:`Problem` (defaults: uniform FL weights, π of ``mixing``).

    Args:
      config: the run's :class:`EngineSettings`.
      targets: (N, d, d) population targets :math:`X_i`, or None with ``stats``.
      x: (N, M, d) samples (required unless ``config.population`` or ``config.sampler``: then
        None); valid rows first.
      sizes: (N,) valid rows per client; default M for every client.
      mixing: (N, N) row-stochastic matrix, or a gossip rule of :mod:`sims.core.mixing`
        (``gossip(W)``, ``sparse_gossip(W)``, ``one_peer_exponential(N)``, ...; no N × N array
        for the sparse and time-varying ones), required for DecL.
      agg: (N,) positive FL aggregation weights; default uniform.
      pi: (N,) consensus weights; default the stationary distribution of ``mixing`` (DecL) or
        uniform (FL).
      gamma_max, gamma_min: MAR schedule ends (paper defaults 1e-1, 1e-3).
      H: (d, d) transform for ``cl-dissimilar``.
      stats: instead of ``targets`` (not with population gradients, which need every
        :math:`X_i`): their ``(X̄, Q)`` (``theory.objectives.target_summary`` computes them a
        block of clients at a time), so that the run holds no (N, d, d) array.
    """
    dt = float_dtype(config)
    n, d = config.n_clients, config.d
    if targets is None and stats is None:
        v.fail("targets", "(N, d, d) targets, or None with stats=(X̄, Q)", None)
    if targets is not None and stats is not None:
        v.fail("stats", "None with targets (the run computes their stats)", "given")
    if stats is not None:
        if config.population:
            v.fail("stats", "None with population=True (the gradients need every X_i)", "given")
        stats = _check_stats(stats, d, dt)
    else:
        if getattr(getattr(targets, "dtype", None), "kind", None) == "b":
            v.fail_type("targets", "real (N, d, d) matrices, not booleans", targets)
        # validated in their own float dtype: no float64 copy of (N, d, d) / (N, M, d) inputs
        targets = _numeric(targets, "targets", ndim=3, shape=(n, d, d))
        v.symmetric(targets, "targets")  # ζ² and the loss identities assume X_i = X_iᵀ
    gamma_max = v.real(gamma_max, "gamma_max", lo=0.0)
    gamma_min = v.real(gamma_min, "gamma_min", lo=0.0, hi=gamma_max)
    x_arr, sizes_arr = _check_samples(config, x, sizes, dt)
    mixing, pi = _check_mixing(config, mixing, pi)
    agg = np.full(n, 1.0) if agg is None else v.array(agg, "agg", shape=(n,))
    if np.any(agg <= 0):
        v.fail("agg", "positive weights", agg)
    pi = v.array(pi, "pi", shape=(n,))
    if np.any(pi < 0) or abs(float(pi.sum()) - 1.0) > 1e-6:
        v.fail("pi", "(N,) non-negative weights summing to 1", f"sum {float(pi.sum()):.6g}")
    H = _check_transform(config, H, dt)
    if x_arr is not None and config.batch > x_arr.shape[1]:
        m = x_arr.shape[1]
        v.fail("batch", f"at most the M={m} rows of local data per client", config.batch)
    return Problem(
        targets=None if targets is None else jnp.asarray(targets, dtype=dt),
        x=x_arr,
        sizes=sizes_arr,
        mixing=_as_dtype(mixing, dt),
        agg=jnp.asarray(agg, dtype=dt),
        pi=jnp.asarray(pi / pi.sum(), dtype=dt),
        gamma_max=jnp.asarray(gamma_max, dtype=dt),
        gamma_min=jnp.asarray(gamma_min, dtype=dt),
        H=H,
        stats=stats,
    )


def _check_stats(stats, d: int, dt) -> tuple:
    """``(X̄, Q)``: two real symmetric (d, d) matrices, Q with a non-negative diagonal (Q is
    positive semi-definite; its diagonal is the part of that which costs no decomposition), as
    arrays of the run's dtype."""
    if not isinstance(stats, tuple | list) or len(stats) != 2:
        v.fail_type("stats", "a pair (X̄, Q) of (d, d) matrices", stats)
    out = []
    for name, a in zip(("stats[0]", "stats[1]"), stats, strict=True):
        if getattr(getattr(a, "dtype", None), "kind", None) == "b":
            v.fail_type(name, "a real (d, d) matrix, not booleans", a)
        a = _numeric(a, name, shape=(d, d))
        v.symmetric(a, name)
        out.append(a)
    Q = out[1]
    scale = float(np.max(np.abs(Q))) if Q.size else 0.0
    if np.any(np.diagonal(Q) < -1e-12 * scale):
        v.fail("stats[1]", "Q = (1/N) Σ (X_i − X̄)², positive semi-definite (a non-negative "
               "diagonal)", f"min diagonal {float(np.diagonal(Q).min()):.3g}")  # fmt: skip
    return tuple(jnp.asarray(a, dtype=dt) for a in out)


def _check_samples(config: EngineSettings, x, sizes, dt) -> tuple:
    """``(x, sizes)`` as arrays of the run's dtype and int32 (None, None in population mode)."""
    n, d = config.n_clients, config.d
    if config.population:
        if x is not None or sizes is not None:
            field = "x" if x is not None else "sizes"
            v.fail(field, "None with population=True (population gradients use the targets)",
                   "an array")  # fmt: skip
        return None, None
    if getattr(config, "sampler", None) is not None:
        if x is not None or sizes is not None:
            field = "x" if x is not None else "sizes"
            v.fail(field, "None with a sampler (minibatches are drawn from their keys)",
                   "an array")  # fmt: skip
        return None, None
    if x is None:
        v.fail("x", "an (N, M, d) array of samples (or population=True)", None)
    x_arr = _numeric(x, "x", ndim=3, shape=(n, None, d))
    m = x_arr.shape[1]
    if n * m >= 2**31:  # the engine numbers the rows of all clients with int32
        v.fail("x", "fewer than 2**31 rows in all (N·M)", f"shape {x_arr.shape}")
    sizes = np.full(n, m) if sizes is None else np.asarray(sizes)
    if sizes.shape != (n,) or np.any(sizes < 1) or np.any(sizes > m):
        v.fail("sizes", f"(N,) integers in [1, M={m}]", sizes)
    return jnp.asarray(x_arr, dtype=dt), jnp.asarray(sizes, dtype=jnp.int32)


def consensus_weights(config: EngineSettings, mixing) -> np.ndarray:
    """The weights π (N,) that :func:`make_problem` gives a run with ``mixing`` and no ``pi``
    (the stationary weights of DecL's W or rule, uniform for FedAvg), checked as it checks
    them: for a caller that needs π before it makes the problem (and then passes it).

    >>> from sims.trackc.engine_config import EngineConfig
    >>> consensus_weights(EngineConfig(framework="fl", n_clients=4, d=8, c=2), None).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    return np.asarray(_check_mixing(config, mixing, None)[1], dtype=np.float64)


def _check_mixing(config: EngineSettings, mixing, pi) -> tuple:
    """``(mixing, pi)``: DecL's row-stochastic, irreducible W and its stationary weights (or the
    given π); FedAvg's (N, 0) placeholder (it uses no matrix) and uniform π."""
    n = config.n_clients
    decl = config.mixing_rule().takes_matrix
    if _is_rule(mixing):
        from sims.core.mixing import Gossip

        if not decl:
            v.fail("mixing", "None for framework fl (FedAvg's rule is the framework's)",
                   type(mixing).__name__)  # fmt: skip
        if not isinstance(mixing, Gossip):
            return _check_rule(mixing, n, pi)
        mixing = mixing.matrix  # gossip(W): the dense path of a bare W
    if decl:
        if mixing is None:
            v.fail("mixing", "an (N, N) row-stochastic matrix for framework decl", None)
        from sims.core.mixing import check_mixing  # the one check of a W (sims.run's too)

        mixing = check_mixing(mixing, n, stochastic="row")
        if pi is None:
            from theory.spectral import stationary_weights

            pi = np.asarray(stationary_weights(mixing), dtype=np.float64)
    else:
        # FedAvg does not use a matrix: an (N, 0) placeholder, not an O(N²) identity
        mixing = np.zeros((n, 0)) if mixing is None else v.array(mixing, "mixing", shape=(n, n))
        if pi is None:
            pi = np.full(n, 1.0 / n)
    return mixing, pi


def _is_rule(mixing) -> bool:
    """Whether ``mixing`` is a rule value of :mod:`sims.core.mixing` (not a matrix)."""
    from sims.core import mixing as mx

    return isinstance(mixing, (mx.FedAvg, mx.Gossip, mx.PushSum, mx.SparseGossip,
                               mx.GossipCycle, mx.RandomMatching))  # fmt: skip


def _check_rule(rule, n: int, pi) -> tuple:
    """``(mixing, pi)`` of a DecL sparse or time-varying gossip rule value, checked by
    :func:`sims.core.mixing.mixing_rule` and kept as the rule (``gossip(W)`` takes the path
    of a bare W). π (default): the stationary weights of a sparse W
    (:func:`theory.sparse_graphs.stationary_weights`), uniform for a time-varying rule whose
    every W_t is doubly stochastic (one-peer exponential, matchings); other time-varying
    rules need ``pi`` given."""
    from sims.core import mixing as mx

    if not isinstance(rule, (mx.SparseGossip, mx.GossipCycle, mx.RandomMatching)):
        v.fail("mixing", "an (N, N) matrix or a gossip rule for framework decl (gossip, "
               "sparse_gossip, gossip_sequence, one_peer_exponential, random_matching)",
               type(rule).__name__)  # fmt: skip
    rule = mx.mixing_rule(rule, n)
    if pi is not None:
        return rule, pi
    if isinstance(rule, mx.SparseGossip):
        from theory.sparse_graphs import from_neighbour_lists, stationary_weights

        csr = from_neighbour_lists(np.asarray(rule.index), np.asarray(rule.weights))
        return rule, stationary_weights(csr)[0]
    if isinstance(rule, mx.GossipCycle):
        given = v.float_dtype(jax.tree.leaves(rule.stack)[-1])  # the weights' dtype
        for t in range(rule.period):
            cols = _column_sums(jax.tree.map(lambda a, t=t: np.asarray(a)[t], rule.stack), n)
            if np.max(np.abs(cols - 1.0)) > v.stochastic_tolerance(given, n):
                v.fail("pi", "given for a time-varying rule whose W_t are not doubly "
                       "stochastic", None)  # fmt: skip
    return rule, np.full(n, 1.0 / n)


def _column_sums(rule, n: int) -> np.ndarray:
    """Column sums of one round's W (a dense or neighbour-list gossip rule)."""
    if hasattr(rule, "matrix"):
        return np.asarray(rule.matrix, np.float64).sum(axis=0)
    w = np.asarray(rule.weights, np.float64)
    return np.bincount(np.asarray(rule.index).ravel(), weights=w.ravel(), minlength=n)


def _as_dtype(mixing, dt):
    """The matrix, or a rule's float arrays, in the run's dtype (indices stay integers)."""
    if not _is_rule(mixing):
        return jnp.asarray(mixing, dtype=dt)

    def cast(a):
        a = jnp.asarray(a)
        return a.astype(dt) if jnp.issubdtype(a.dtype, jnp.floating) else a

    return jax.tree.map(cast, mixing)


def _check_transform(config: EngineSettings, H, dt):
    """The (d, d) transform H of a method that takes one (non-zero), else None."""
    d = config.d
    if config.loss_method.needs_H:
        if H is None:
            v.fail("H", "a (d, d) transform for method cl-dissimilar", None)
        H = v.array(H, "H", shape=(d, d))
        if not np.any(H):
            v.fail("H", "a non-zero (d, d) transform (H = 0 makes the second view 0)", "zeros")
        H = jnp.asarray(H, dtype=dt)
    elif H is not None:
        v.fail(
            "H",
            f"None for method {config.loss_method.name} (only cl-dissimilar uses H)",
            "an array",
        )
    return H
