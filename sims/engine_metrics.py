"""What the engine (:mod:`sims.engine`) records each round and how it detects divergence:
consensus distances, ζ² and the global loss (the one implementation in
:mod:`theory.dissimilarity`), spectral norms, and the divergence report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Float

from sims.engine_client import encoder
from theory import _validate as v
from theory.dissimilarity import global_loss_jnp

if TYPE_CHECKING:
    from sims.engine import State

Array = jax.Array


# ---------------------------------------------------------------------------------------------
# spectral norms


_SQUARINGS = 12
#: Largest exponent (base 2) an entry of the squared matrices may reach between two
#: rescalings of :func:`_spectral_norm` (float32 overflows at 2^128).
_EXPONENT_ROOM = 100


def _pow2_rescaled(P: Array) -> Array:
    """P times the power of two that puts max|P| in [½, 1): exact (no rounding, unlike a
    division by the maximum), so the squarings round as if never rescaled. P = 0 (and a
    non-finite P, which stays non-finite) is left as it is."""
    top = jnp.max(jnp.abs(P))
    _, e = jnp.frexp(jnp.where((top > 0) & jnp.isfinite(top), top, jnp.ones_like(top)))
    return P * jnp.ldexp(jnp.ones((), P.dtype), -e)


def squarings_between_rescalings(c: int) -> int:
    """How many squarings of a c×c Gram matrix :func:`_spectral_norm` runs between two
    rescalings: the largest s ≤ 12 with (2^s + 1)·log₂ c ≤ 100 (at least 1).

    After a rescaling the largest entry of the positive semi-definite P is in [½, 1) (its
    diagonal holds it), so λ_max(P) ∈ [½, c] and s squarings give entries of at most
    c^(2^s) and sums of at most c^(2^s + 1): below 2^100 by this rule, far from float32's
    overflow; the top eigenvalue's part, ≥ 2^(−2^s) ≥ 2^(−100), stays far above its smallest
    normal number.

    Example:
      >>> squarings_between_rescalings(16), squarings_between_rescalings(64)
      (4, 3)
    """
    lg = max(1.0, math.log2(c))
    s = 1
    while s < _SQUARINGS and (2 ** (s + 1) + 1) * lg <= _EXPONENT_ROOM:
        s += 1
    return s


def _spectral_norm(W: Array, every: int | None = None) -> Array:
    """‖W‖₂ = √λ_max(G), G = WWᵀ (c×c), by 12 squarings of G (power 4096) and the Rayleigh
    quotient of the largest column of G^4096 (matmuls only: a batched ``eigvalsh`` cost more
    than the whole local update at small d).

    Exact (to rounding) when λ_max is separated or repeated; otherwise a lower estimate with
    relative error at most max_r r^8192(1 − r)/2 ≤ 1/(2·8192·e) ≈ 2.3e-5 in ‖W‖₂ (r = λ_j/λ_max,
    contamination of the iterate ∝ r^4096).

    The iterate is rescaled by a power of two (exact) only every
    :func:`squarings_between_rescalings` (c) squarings (4 at c = 16), not after each: at
    N = 100, c = 16, d = 64 the rescalings after every squaring (each a reduction and a
    division) were a quarter of the norms' time (``benchmarks/bench_spectral_norm.py``).
    ``every``: rescale more often, every ``every`` squarings (1 up to the default; for that
    benchmark; the results are the same bits: the rescalings are exact)."""
    G = W @ W.T
    most = squarings_between_rescalings(G.shape[0])
    every = most if every is None else v.integer(every, "every", lo=1, hi=most)
    P = _pow2_rescaled(G)
    # unrolled: the c×c products in one straight-line program (a while loop of tiny
    # iterations cost more than the local update at the benchmark sizes)
    for k in range(1, _SQUARINGS + 1):
        P = P @ P
        if k % every == 0 or k == _SQUARINGS:
            P = _pow2_rescaled(P)
    col = P[:, jnp.argmax(jnp.sum(P * P, axis=0))]
    lam = (col @ G @ col) / jnp.maximum(col @ col, jnp.finfo(G.dtype).tiny)
    return jnp.sqrt(jnp.maximum(lam, 0.0))


def _all_finite(tree) -> Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in leaves]))


def where_diverged(info: dict) -> str:
    """Where a divergence (:func:`divergence`) happened, in words: a client and its local loss,
    or the averaged model (client −1) and its global loss.

    Example:
      >>> where_diverged({"round": 2, "client": -1, "loss": float("inf")})
      'the averaged model: global loss inf'
    """
    if info["client"] >= 0:
        return f"client {info['client']}: local loss {info['loss']}"
    return f"the averaged model: global loss {info['loss']}"


class DivergenceError(ValueError):
    """Training produced NaN/inf. ``info``: ``{"round", "client", "loss"}``; ``state`` and
    ``trace``: what was computed before (the state of the last finite round, the trace of the
    rounds before the divergent one)."""

    def __init__(self, info: dict, state=None, trace=None):
        self.info, self.state, self.trace = info, state, trace
        super().__init__(
            f"training: diverged at round {info['round']} (0-based), {where_diverged(info)}; "
            "results kept up "
            f"to round {info['round'] - 1}"
        )


def divergence(trace) -> dict | None:
    """First divergent round of a trace: ``{"round", "client", "loss"}`` or ``None``.

    Example:
      >>> divergence({"diverged": np.array([False, True]), "diverged_client": np.array([-1, 3]),
      ...             "diverged_loss": np.array([0.5, np.inf])})
      {'round': 1, 'client': 3, 'loss': inf}
    """
    flags = np.asarray(trace["diverged"])
    if flags.ndim != 1:
        v.fail("trace", "the trace of ONE run (leading axis = rounds)", f"shape {flags.shape}")
    if not flags.any():
        return None
    t = int(np.argmax(flags))
    return {
        "round": t,
        "client": int(np.asarray(trace["diverged_client"])[t]),
        "loss": float(np.asarray(trace["diverged_loss"])[t]),
    }


def check_finite(state: State, trace) -> tuple[State, dict]:
    """Raise :class:`DivergenceError` (carrying the state of the last finite round and the trace
    cut before the divergent round) if the run diverged; otherwise return ``(state, trace)``."""
    info = divergence(trace)
    if info is None:
        return state, trace
    t = info["round"]
    cut = {k: np.asarray(a)[:t] for k, a in trace.items()}
    raise DivergenceError(info, state=state, trace=cut)


def target_stats(targets: Float[Array, "n d d"]) -> tuple[Float[Array, "d d"], Float[Array, "d d"]]:
    """(X̄, Q) with X̄ = (1/N)Σ X_i and Q = (1/N)Σ (X_i − X̄)², so that for any W
    ζ²(W) = (4/N)Σ‖W(X_i − X̄)‖² = 4 tr(W Q Wᵀ) and (1/N)Σ f_i(W) = f(W; X̄) (X_i symmetric)."""
    n, d = targets.shape[0], targets.shape[-1]
    Xbar = jnp.mean(targets, 0)

    def block(X):
        dev = X - Xbar
        return jnp.einsum("nde,nef->df", dev, dev)

    # summed over blocks of clients (about STATS_BLOCK_BYTES each): the deviations of all
    # clients at once were an (N, d, d) temporary (3 GiB of temporaries at N = 100000, d = 64)
    k = max(1, min(n, STATS_BLOCK_BYTES // (targets.dtype.itemsize * d * d)))
    q, r = divmod(n, k)
    if q <= 1:
        return Xbar, block(targets) / n
    total, _ = lax.scan(
        lambda acc, j: (acc + block(lax.dynamic_slice_in_dim(targets, j * k, k)), None),
        jnp.zeros((d, d), targets.dtype),
        jnp.arange(q),
    )
    if r:
        total = total + block(targets[q * k :])
    return Xbar, total / n


#: Bytes of targets per block in :func:`target_stats`.
STATS_BLOCK_BYTES = 16 << 20


#: The per-round metrics every engine round records (besides the divergence fields and,
#: with ``record_local``, the local iterates and gradients).
METRIC_NAMES = (
    "consensus_distance",
    "consensus_distance_pi",
    "consensus_distance_local",
    "update_spread",
    "loss",
    "loss_global",
    "zeta_sq",
    "spectral_norm_max",
    "gamma_mean",
)

#: The metrics each ``EngineConfig.metrics`` level records every round: ``"all"`` every one of
#: :data:`METRIC_NAMES`; ``"loss"`` only the two losses (the global one is what detects a
#: divergence of the averaged model), for runs that need the trained models and not their
#: per-round consensus distances, ζ² and spectral norms (at N = 100, d = 64, c = 16, B = 32,
#: E = 5 those were 13 % of the run: ``benchmarks/results/bench.json``).
METRICS_OF_LEVEL = {"all": METRIC_NAMES, "loss": ("loss", "loss_global")}


def _all_sum(tree, axis: str | None):
    """``tree`` summed over the devices of mesh axis ``axis`` (unchanged for None) in ONE
    ``lax.psum`` of its leaves raveled into a vector: each collective of a sharded round is a
    wait for the slowest device, so the metrics' sums share one (and their maxima another)."""
    if axis is None:
        return tree
    flat, unravel = jax.flatten_util.ravel_pytree(tree)
    return unravel(lax.psum(flat, axis))


def _spread(W: Array, w: Array, mean: Array) -> Array:
    """This device's part of Ξ_w = Σ_i w_i‖W_i − W̄_w‖² (:func:`theory.dissimilarity.
    consensus_sq_jnp`, the same operations) around the global weighted mean ``mean``."""
    dev = (W - mean[None]).reshape(W.shape[0], -1)
    return jnp.sum(w * jnp.sum(dev**2, axis=1))


def _round_metrics(
    before, local, after, pi, vals, active, gamma, rec, stats, axis: str | None = None,
    level: str = "all",
):  # fmt: skip
    """The per-round metrics of :func:`sims.engine.make_round` (π: ``problem.pi``), those of
    ``level`` (:data:`METRICS_OF_LEVEL`).

    ``axis``: inside ``jax.shard_map`` with the clients split over this mesh axis (the
    engine's sharded rounds), the arguments with a client axis hold this device's clients and
    every sum, mean and maximum over clients runs over all devices: two collectives per round,
    one for the means and participation sums, one for the spreads and the largest norm (left
    to the partitioner, the metrics' small reductions became a dozen collectives per round,
    each a wait for the slower device: more than the local steps they followed)."""
    v.choice(level, "level", tuple(METRICS_OF_LEVEL))
    W0, Wl, W1 = encoder(before), encoder(local), encoder(after)
    k = W1.shape[0]
    n = k if axis is None else k * lax.axis_size(axis)
    uniform = jnp.full((k,), 1.0 / n, dtype=W1.dtype)
    step = Wl - W0
    full = level == "all"

    def wmean(w, W):
        return jnp.tensordot(w, W, axes=(0, 0))

    sums = {"sum": jnp.sum(W1, 0), "loss": jnp.sum(vals * active), "active": jnp.sum(active)}
    if full:
        sums |= {
            "after": wmean(uniform, W1),
            "after_pi": wmean(pi, W1),
            "local_pi": wmean(pi, Wl),
            "step_pi": wmean(pi, step),
            "gamma": jnp.sum(gamma * active),
        }
    means = _all_sum(sums, axis)
    Wbar = means["sum"] / n
    Xbar, Q = stats
    out = {
        "loss": means["loss"] / means["active"],
        "loss_global": global_loss_jnp(Wbar, Xbar[None]),
    }
    if rec is not None:
        iterates, grads = rec
        out["local_iterates"] = jnp.concatenate([iterates, Wl[:, None]], axis=1)
        out["local_grads"] = grads
    if not full:
        return out
    # R_t over the pre- and post-mixing models from the pre-mixing ones alone: every
    # post-mixing model is a convex combination of them (make_problem admits only non-negative
    # mixing rows summing to 1; FedAvg's weights are normalised), so by the triangle inequality
    # its norm is at most their maximum (to within the 1e-8 row-sum tolerance and rounding,
    # below the estimate's own 2.3e-5). Half the squarings: at the quick benchmark setting the
    # norms of both sets were a fifth of the round
    norm_max = jnp.max(jax.vmap(_spectral_norm)(Wl))
    spreads = jnp.stack(
        [
            _spread(W1, uniform, means["after"]),
            _spread(W1, pi, means["after_pi"]),
            _spread(Wl, pi, means["local_pi"]),
            _spread(step, pi, means["step_pi"]),
        ]
    )
    if axis is not None:
        # one all_gather for the spreads' sums and the maximum of the devices' maxima, NaN if
        # one is NaN, as jnp.max on one device (lax.pmax drops a NaN on the CPU: a diverged
        # round's trace read -inf, not NaN)
        parts = lax.all_gather(jnp.concatenate([spreads, norm_max[None]]), axis)
        spreads, norm_max = jnp.sum(parts[:, :-1], 0), jnp.max(parts[:, -1])
    # ζ² = (4/N) Σ‖W̄(X_i − X̄)‖² = 4 tr(W̄ Q W̄ᵀ) with Q of target_stats (one (d, d) product
    # instead of N; equal to theory.dissimilarity.zeta_sq_jnp, tests/test_consensus_bounds.py)
    return out | {
        "consensus_distance": spreads[0],
        "consensus_distance_pi": spreads[1],
        "consensus_distance_local": spreads[2],
        "update_spread": jnp.sqrt(spreads[3]),
        "zeta_sq": 4.0 * jnp.sum((Wbar @ Q) * Wbar),
        "spectral_norm_max": norm_max,
        "gamma_mean": means["gamma"] / means["active"],
    }
