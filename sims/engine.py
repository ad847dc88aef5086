"""Vmapped FL / DecL training of linear CL, MIM and MAR encoders (Track C of arXiv 2607.02447).

One engine, two mixing rules. A round is: every client runs E local steps of an optax optimiser
(written for ONE client, then ``jax.vmap`` over clients), then the stacked client parameters are
mixed with a per-round N×N matrix M_t (adapt-then-combine, paper.md §3.5):

* DecL (Algorithm 2): M_t = 𝒲, any row-stochastic mixing matrix (uniform 1/|A_i|, Metropolis,
  data-size, ...). The downstream model is the uniform average of the local models.
* FL (FedAvg, Algorithm 1): M_t = 1 s_tᵀ with s_t the aggregation weights of the S clients
  sampled this round (uniform or data-size, normalised over the sampled set, 0 elsewhere), so
  every client starts the next round from the server model and non-sampled updates are
  discarded.

Rounds are a ``lax.scan``; cheap metrics are recorded inside the scan. A sweep (seeds, mixing
matrices of equal N, partitions of equal shape, γ) is one more ``vmap`` and compiles once.

Local losses (per client, on a minibatch of the client's samples; from :mod:`sims.losses`):
  cl          −mean (W(x+ξ))ᵀ(W(x+ξ′)) + ½‖WᵀW‖²            (Eq. 2, similar augmentations)
  cl-dissimilar  −mean (W(x+ξ))ᵀ(W H x) + ½‖WᵀW‖²           (Eq. 2, dissimilar)
  mim         −mean (W(x⊙m))ᵀ(W(x⊙(1−m))) + ½‖WᵀW‖²        (Eq. 4, complementary masks)
  mim-independent  as mim with an independent second mask
  mim-recon   mean ‖W_d W_e (x⊙m) − x⊙(1−m)‖²               (Eq. 3)
  mar         mim + γ_t^{(i)} · A-MMD(z_i, z̄_i)              (Eq. 5–7)
With ``population=True`` the loss is the population form −tr(W X_i Wᵀ) + ½‖WᵀW‖² with the exact
X_i of Track B (paper.md §2.3), i.e. full-batch gradients with no sampling noise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jax import lax

from sims import losses
from sims.config import EngineConfig, split_streams
from theory import _validate as v

Array = jax.Array

__all__ = [
    "Problem",
    "State",
    "Engine",
    "make_problem",
    "make_engine",
    "make_round",
    "make_local_update",
    "sweep",
    "population_loss",
    "target_stats",
    "encoder",
]


class Problem(NamedTuple):
    """Everything about a run that is an array (and can therefore be swept with ``vmap``).

    Attributes:
      targets: (N, d, d) population targets X_i (population gradients and the ζ², loss metrics).
      x: (N, M, d) client samples, valid rows first, or ``None`` in population mode.
      sizes: (N,) int32 number of valid rows of each client (ragged clients are padded).
      mixing: (N, N) row-stochastic DecL mixing matrix (FL: unused, any (N, N) array).
      agg: (N,) FL aggregation weights (uniform or data sizes; normalised over the sampled set).
      pi: (N,) weights of the π-weighted consensus distance (stationary weights of ``mixing``).
      gamma_max, gamma_min: scalars of the MAR γ schedule (Eq. 7).
      H: (d, d) image transform of CL with dissimilar augmentations, or ``None``.
    """

    targets: Array
    x: Array | None
    sizes: Array | None
    mixing: Array
    agg: Array
    pi: Array
    gamma_max: Array
    gamma_min: Array
    H: Array | None = None


class State(NamedTuple):
    """Training state (a pytree).

    Attributes:
      params: (N, c, d) stacked encoders, or ``(W_e (N, c, d), W_d (N, d, c))`` for mim-recon.
      opt_state: stacked optax states.
      round: int32 scalar, rounds done.
      counts: (N,) int32 participation counts ω (Eq. 7).
      z_bar: (N, B, c) global representation z̄ seen by each client (MAR).
      key: the run's root PRNG key.
      diverged: bool scalar, set once a client's loss or parameters became NaN/inf; from then
        on the state is frozen at the last finite round (see :func:`divergence`).
    """

    params: Any
    opt_state: Any
    round: Array
    counts: Array
    z_bar: Array
    key: Array
    diverged: Array | None = None


class Engine(NamedTuple):
    """Pure functions of one configuration: ``init``, ``round_step``, ``run``."""

    config: EngineConfig
    init: Callable
    round_step: Callable
    run: Callable


def _dtype(config: EngineConfig):
    return jnp.float64 if config.dtype == "float64" else jnp.float32


def make_problem(
    config: EngineConfig,
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
) -> Problem:
    """Validate and assemble a :class:`Problem` (defaults: uniform FL weights, π of ``mixing``).

    Args:
      config: the run's :class:`EngineConfig`.
      targets: (N, d, d) population targets X_i.
      x: (N, M, d) samples (required unless ``config.population``); valid rows first.
      sizes: (N,) valid rows per client; default M for every client.
      mixing: (N, N) row-stochastic matrix, required for DecL.
      agg: (N,) positive FL aggregation weights; default uniform.
      pi: (N,) consensus weights; default the stationary distribution of ``mixing`` (DecL) or
        uniform (FL).
      gamma_max, gamma_min: MAR schedule ends (paper defaults 1e-1, 1e-3).
      H: (d, d) transform for ``cl-dissimilar``.
    """
    dt = _dtype(config)
    n, d = config.n_clients, config.d
    targets = v.array(targets, "targets", ndim=3, shape=(n, d, d))
    if config.population:
        x_arr, sizes_arr = None, None
    else:
        if x is None:
            v.fail("x", "an (N, M, d) array of samples (or population=True)", None)
        x_arr = v.array(x, "x", ndim=3, shape=(n, None, d))
        m = x_arr.shape[1]
        sizes = np.full(n, m) if sizes is None else np.asarray(sizes)
        if sizes.shape != (n,) or np.any(sizes < 1) or np.any(sizes > m):
            v.fail("sizes", f"(N,) integers in [1, M={m}]", sizes)
        x_arr = jnp.asarray(x_arr, dtype=dt)
        sizes_arr = jnp.asarray(sizes, dtype=jnp.int32)
    if config.framework == "decl":
        if mixing is None:
            v.fail("mixing", "an (N, N) row-stochastic matrix for framework decl", None)
        mixing = v.array(mixing, "mixing", ndim=2, shape=(n, n))
        if np.any(mixing < -1e-12) or not np.allclose(mixing.sum(1), 1.0, atol=1e-8):
            v.fail(
                "mixing",
                "row-stochastic (non-negative, rows sum to 1)",
                "rows " + str(mixing.sum(1)[:4]),
            )
        from scipy.sparse.csgraph import connected_components

        if connected_components(mixing > 0, directed=True, connection="strong")[0] > 1:
            v.fail("mixing", "irreducible (a connected communication graph)", "disconnected")
        if pi is None:
            from theory.spectral import stationary_weights

            pi = np.asarray(stationary_weights(mixing), dtype=np.float64)
    else:
        mixing = np.eye(n) if mixing is None else v.array(mixing, "mixing", shape=(n, n))
        if pi is None:
            pi = np.full(n, 1.0 / n)
    agg = np.full(n, 1.0) if agg is None else v.array(agg, "agg", shape=(n,))
    if np.any(agg <= 0):
        v.fail("agg", "positive weights", agg)
    pi = v.array(pi, "pi", shape=(n,))
    if config.method == "cl-dissimilar":
        if H is None:
            v.fail("H", "a (d, d) transform for method cl-dissimilar", None)
        H = jnp.asarray(v.array(H, "H", shape=(d, d)), dtype=dt)
    else:
        H = None
    if x_arr is not None and config.batch > x_arr.shape[1]:
        m = x_arr.shape[1]
        v.fail("batch", f"at most the M={m} rows of local data per client", config.batch)
    return Problem(
        targets=jnp.asarray(targets, dtype=dt),
        x=x_arr,
        sizes=sizes_arr,
        mixing=jnp.asarray(mixing, dtype=dt),
        agg=jnp.asarray(agg, dtype=dt),
        pi=jnp.asarray(pi / pi.sum(), dtype=dt),
        gamma_max=jnp.asarray(gamma_max, dtype=dt),
        gamma_min=jnp.asarray(gamma_min, dtype=dt),
        H=H,
    )


# ---------------------------------------------------------------------------------------------
# losses of one client


def population_loss(W: Array, X: Array) -> Array:
    """f_i(W) = −tr(W X_i Wᵀ) + ½‖WᵀW‖_F² (paper.md §2.3). W (c, d), X (d, d)."""
    gram = W @ W.T
    return -jnp.sum((W @ X) * W) + 0.5 * jnp.sum(gram * gram)


def encoder(params) -> Array:
    """The encoder W (or W_e of mim-recon) of one client's parameters."""
    return params[0] if isinstance(params, tuple) else params


def _gamma_schedule(count, omega, gamma_max, gamma_min):
    """γ = γ_min + (γ_max − γ_min)·½(1 + cos(π·min(1, ω/Ω))) (Eq. 7; the cap at 1 is the code's).

    Same formula as ``sims.losses.gamma_schedule``, written here so that γ_max and γ_min may be
    traced (swept) arrays."""
    frac = jnp.minimum(count / omega, 1.0)
    return gamma_min + (gamma_max - gamma_min) * 0.5 * (1.0 + jnp.cos(jnp.pi * frac))


def _client_loss(config: EngineConfig) -> Callable:
    """loss(params, batch, X_i, H, z_bar_i, gamma_i, *, key) -> (loss, z (B, c))."""
    method, p = config.method, config.p
    b = config.batch

    if config.population:

        def loss(params, batch, X, H, z_bar, gamma, *, key):
            return population_loss(params, X), jnp.zeros((b, config.c), X.dtype)

        return loss

    zeros = jnp.zeros((b, config.c), _dtype(config))

    def loss(params, batch, X, H, z_bar, gamma, *, key):
        if method == "cl":
            return losses.cl_similar(params, batch, key=key), zeros
        if method == "cl-dissimilar":
            return losses.cl_dissimilar(params, batch, H, key=key), zeros
        if method == "mim":
            return losses.mim(params, batch, p, key=key), zeros
        if method == "mim-independent":
            return losses.mim_independent(params, batch, p, key=key), zeros
        if method == "mim-recon":
            return losses.mim_recon(params, batch, p, key=key), zeros
        return losses.mar(params, batch, z_bar, gamma, p, key=key, return_embeddings=True)

    return loss


#: Methods whose loss is the alignment form −mean_b (W a_b)ᵀ(W b_b) + ½‖WᵀW‖², for which the
#: engine uses the closed-form gradient (:func:`_align_value_and_grad`) instead of autodiff.
_ALIGN_METHODS = ("cl", "cl-dissimilar", "mim", "mim-independent")


def _mask_threshold(p: float) -> int:
    """Integer T with ``bernoulli(key, 1 − p, shape) == (bits(key, shape, uint64) >> 12) < T``.

    ``jax.random.bernoulli`` with a float64 probability q (a Python float under x64) compares a
    uniform u = k·2⁻⁵² (k = the 64-bit draw shifted right by 12) with q, i.e. k < q·2⁵² ⟺
    k < ⌈q·2⁵²⌉. Comparing the integers skips the float conversion and gives the SAME mask (the
    masks of :mod:`sims.losses`, so the engine equals the loss functions bit for bit).
    """
    import math
    from fractions import Fraction

    return math.ceil(Fraction(1.0 - p) * 2**52)


def _views(config: EngineConfig) -> Callable:
    """views(batch (B, d), H, *, key) -> (a, b): the two views of the alignment losses, drawn
    exactly as :mod:`sims.losses` draws them (same key splits, same random numbers)."""
    method = config.method
    if method in ("mim", "mim-independent"):
        thr = _mask_threshold(config.p)

        def visible(k, shape):
            bits = jr.bits(k, shape, jnp.uint64)
            return (bits >> jnp.uint64(12)) < jnp.uint64(thr)

    def views(x, H, *, key):
        k1, k2 = jr.split(key)
        zero = jnp.zeros((), x.dtype)
        if method == "cl":
            return (
                x + jr.normal(k1, x.shape, dtype=x.dtype),
                x + jr.normal(k2, x.shape, dtype=x.dtype),
            )
        if method == "cl-dissimilar":
            return x + jr.normal(k1, x.shape, dtype=x.dtype), x @ H.T
        m = visible(k1, x.shape)
        if method == "mim":
            return jnp.where(m, x, zero), jnp.where(m, zero, x)
        m2 = visible(k2, x.shape)
        return jnp.where(m, x, zero), jnp.where(m2, zero, x)

    return views


def _align_value_and_grad(W: Array, a: Array, b: Array) -> tuple[Array, Array]:
    """ℓ = −(1/B)Σ_b (W a_b)ᵀ(W b_b) + ½‖WWᵀ‖² and ∇ℓ = −(1/B)(z_bᵀa + z_aᵀb) + 2(WWᵀ)W,
    z_a = aWᵀ, z_b = bWᵀ (closed form of the gradient of ``sims.losses._align``)."""
    za, zb = a @ W.T, b @ W.T
    gram = W @ W.T
    nb = a.shape[0]
    val = -jnp.sum(za * zb) / nb + 0.5 * jnp.sum(gram * gram)
    grad = -(zb.T @ a + za.T @ b) / nb + 2.0 * (gram @ W)
    return val, grad


def _optimizer(config: EngineConfig) -> optax.GradientTransformation:
    lr = config.lr
    if config.optimizer == "sgd":
        return optax.sgd(lr)
    if config.optimizer == "momentum":
        return optax.sgd(lr, momentum=0.9)
    if config.optimizer == "adam":
        return optax.adam(lr)
    return optax.adamw(lr)


# ---------------------------------------------------------------------------------------------
# the engine


def _mix(M: Array, tree):
    """Apply the mixing matrix along the client axis: x_i ← Σ_j M_ij x_j."""
    return jax.tree.map(lambda a: jnp.tensordot(M, a, axes=(1, 0)), tree)


def _average(s: Array, tree, n: int):
    """FedAvg mixing M = 1 sᵀ without forming M: every row becomes Σ_j s_j x_j (O(N) work, not
    the O(N²) of a dense product)."""
    return jax.tree.map(
        lambda a: jnp.broadcast_to(jnp.tensordot(s, a, axes=(0, 0)), (n,) + a.shape[1:]), tree
    )


_SQUARINGS = 12


def _spectral_norm(W: Array) -> Array:
    """‖W‖₂ = √λ_max(G), G = WWᵀ (c×c), by 12 normalised squarings of G (power 4096) and the
    Rayleigh quotient of the largest column of G^4096 (matmuls only: a batched ``eigvalsh``
    cost more than the whole local update at small d).

    Exact (to rounding) when λ_max is separated or repeated; otherwise a lower estimate with
    relative error at most max_r r^8192(1 − r)/2 ≤ 1/(2·8192·e) ≈ 2.3e-5 in ‖W‖₂ (r = λ_j/λ_max,
    contamination of the iterate ∝ r^4096)."""
    G = W @ W.T

    def sq(P, _):
        P = P @ P
        return P / jnp.maximum(jnp.max(jnp.abs(P)), jnp.finfo(P.dtype).tiny), None

    P, _ = lax.scan(
        sq, G / jnp.maximum(jnp.max(jnp.abs(G)), jnp.finfo(G.dtype).tiny), None, length=_SQUARINGS
    )
    col = P[:, jnp.argmax(jnp.sum(P * P, axis=0))]
    lam = (col @ G @ col) / jnp.maximum(col @ col, jnp.finfo(G.dtype).tiny)
    return jnp.sqrt(jnp.maximum(lam, 0.0))


def _batch_indices(k_idx: Array, n_i: Array, steps: int, b: int) -> Array:
    """(E, B) int32 minibatch rows: u ~ U[0, 1) from ``fold_in(k_idx, step)`` and ⌊u·n_i⌋.

    u is drawn in float64 whatever the run's dtype, so that float32 and float64 runs of the same
    seed see the same minibatches (and the same masks): they differ by rounding only."""

    def one(k):
        u = jr.uniform(jr.fold_in(k_idx, k), (b,), jnp.float64)
        n = n_i.astype(jnp.float64)
        return jnp.minimum(jnp.floor(u * n).astype(jnp.int32), n_i - 1)

    return jax.vmap(one)(jnp.arange(steps))


def make_local_update(config: EngineConfig) -> Callable:
    """The local update of ONE client (unbatched; the engine ``vmap``s it over clients).

    ``local_update(params, opt_state, x_i, n_i, X_i, H, z_bar_i, gamma_i, k_idx, k_loss, scale)
    -> (params, opt_state, mean_loss, z_mean (B, c), record)``: E optimiser steps (``lax.scan``)
    on minibatches of B rows drawn uniformly with replacement from the first ``n_i`` rows of
    ``x_i`` (M, d) with keys ``fold_in(k_idx, step)``; loss randomness (noise, masks) from
    ``fold_in(k_loss, step)``; ``scale`` multiplies the updates (learning-rate schedule).

    The E minibatches are gathered once, before the step loop (one gather of E·B rows instead of
    E gathers). For the alignment losses (cl, cl-dissimilar, mim, mim-independent) the gradient
    is the closed form of :func:`_align_value_and_grad` (no autodiff), with views drawn exactly
    as in :mod:`sims.losses`; the other losses use ``jax.value_and_grad`` of :mod:`sims.losses`.
    """
    d, E, b = config.d, config.local_steps, config.batch
    dt = _dtype(config)
    opt = _optimizer(config)
    loss_fn = _client_loss(config)
    closed = config.method in _ALIGN_METHODS and not config.population
    views = _views(config) if closed else None
    zeros_z = jnp.zeros((b, config.c), dt)

    def local_update(params, opt_state, x_i, n_i, X_i, H, z_bar_i, gamma_i, k_idx, k_loss, scale):
        """E local optimiser steps of ONE client (unbatched): minibatch indices from ``k_idx``,
        augmentation noise / masks from ``k_loss``, one ``fold_in`` per step."""
        if not config.persist_opt_state:
            opt_state = opt.init(params)
        if config.population:
            batches = jnp.zeros((E, 1, d), dt)  # unused
        else:
            batches = x_i[_batch_indices(k_idx, n_i, E, b)]

        def step(carry, inp):
            params, opt_state = carry
            k, batch = inp
            key = jr.fold_in(k_loss, k)
            if closed:
                a, bv = views(batch, H, key=key)
                val, grads = _align_value_and_grad(params, a, bv)
                z = zeros_z
            else:
                (val, z), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                    params, batch, X_i, H, z_bar_i, gamma_i, key=key
                )
            # optax's Adam bias correction mixes int and float: allow standard promotion here
            with jax.numpy_dtype_promotion("standard"):
                updates, opt_state = opt.update(grads, opt_state, params)
            if config.lr_schedule != "constant":
                updates = jax.tree.map(lambda u: scale * u, updates)
            new = optax.apply_updates(params, updates)
            rec = (encoder(params), encoder(grads)) if config.record_local else None
            return (new, opt_state), (val, z, rec)

        (params, opt_state), (vals, zs, rec) = lax.scan(
            step, (params, opt_state), (jnp.arange(E), batches)
        )
        return params, opt_state, jnp.mean(vals), jnp.mean(zs, 0), rec

    return local_update


def client_bytes(config: EngineConfig) -> int:
    """Estimated peak bytes of ONE client's local update inside a round (the working set that
    grows with the number of clients processed at once).

    Counts, in the run's dtype: the E gathered minibatches (E·B·d), the two views and the mask
    of a step (3·B·d, plus 2·B·d 64-bit mask draws), parameters, gradients, optimiser state and
    the mixed copy (≈ 8·p with p = c·d, or 2c·d for mim-recon), per-step records if
    ``record_local``, and the d×d gradient temporaries of population mode. An upper estimate; it
    is what :func:`auto_client_chunk` divides the memory budget by.
    """
    isz = 8 if config.dtype == "float64" else 4
    d, c, E, b = config.d, config.c, config.local_steps, config.batch
    p = c * d * (2 if config.method == "mim-recon" else 1)
    work = 8 * p
    if config.population:
        work += 3 * d * d + 2 * c * d
    else:
        work += E * b * d + 3 * b * d + 4 * b * d  # batches, views, 64-bit mask draws
        if config.method == "mar":
            work += 4 * b * b + 4 * b * config.c
    if config.record_local:
        work += 2 * (E + 1) * c * d
    return int(isz * work)


#: Default memory budget (bytes) of the clients processed at once; see :func:`auto_client_chunk`.
CLIENT_MEMORY_BUDGET = 1 << 30


def auto_client_chunk(config: EngineConfig, budget_bytes: int | None = None) -> int:
    """Clients per chunk: ``config.client_chunk`` if set, else the largest k ≤ N with
    k·``client_bytes(config)`` ≤ budget (default :data:`CLIENT_MEMORY_BUDGET`, 1 GiB).

    Example:
      >>> auto_client_chunk(EngineConfig(n_clients=10_000, d=64, c=16, dtype="float32"))
      10000
    """
    n = config.n_clients
    if config.client_chunk is not None:
        return min(n, config.client_chunk)
    budget = CLIENT_MEMORY_BUDGET if budget_bytes is None else budget_bytes
    budget = v.integer(budget, "budget_bytes", lo=1)
    return int(max(1, min(n, budget // max(1, client_bytes(config)))))


def _map_clients(fn: Callable, args: tuple, n: int, chunk: int):
    """``vmap(fn)(*args)`` over the leading client axis, or ``lax.map`` over chunks of ``chunk``
    clients (each chunk one ``vmap``) when chunk < N, bounding the working set to ``chunk``
    clients. Per-client results are the same either way (each client's computation is
    independent); only the batching of the XLA kernels differs."""
    if chunk >= n:
        return jax.vmap(fn)(*args)
    return lax.map(lambda a: fn(*a), args, batch_size=chunk)


def make_round(config: EngineConfig) -> tuple[Callable, Callable]:
    """Factory of the pure pair ``(init, round_step)`` for one configuration.

    ``init(problem, *, key) -> State``: all clients start from the same encoder
    ``init_scale·N(0, 1/d)`` drawn from the ``init`` stream of ``key``.

    ``round_step(state, problem, stats=None) -> (state, metrics)`` (``stats``: the
    round-invariant ``target_stats(problem.targets)``, computed if not given): E local steps on
    every client (vmapped; ``lax.map`` over chunks of :func:`auto_client_chunk` clients when the
    clients do not fit the memory budget at once), then x_i ← Σ_j (M_t)_ij x_j with M_t = 𝒲
    (DecL) or 1 s_tᵀ (FL). ``metrics`` holds the cheap per-round quantities, all after mixing
    unless named otherwise:

    * ``consensus_distance`` Ξ_t = (1/N)Σ‖W_i − W̄‖² and ``consensus_distance_pi``
      Σπ_i‖W_i − W̄_π‖² (consensus.md §0, D7);
    * ``consensus_distance_local``: the π-form of the local iterates before mixing;
    * ``update_spread``: √(Σπ_i‖Δ_i − Δ̄_π‖²) with Δ_i the round's local update (the summed
      applied gradients of D2/D5);
    * ``loss`` (mean minibatch loss of the participating clients), ``loss_global``
      (1/N)Σ_i f_i(W̄) with the population X_i, ``zeta_sq`` ζ²(W̄) = (4/N)Σ‖W̄(X_i − X̄)‖²;
    * ``spectral_norm_max`` R_t = max_i ‖W_i‖₂ over the pre- and post-mixing models;
    * ``gamma_mean`` mean γ of the participants (MAR);
    * ``diverged`` (bool), ``diverged_client`` (int, −1 if none) and ``diverged_loss``: whether
      a client's local loss or parameters became NaN/inf this round, the first such client and
      its loss. A diverged round is not applied: the state stays at the last finite round (and
      stays there, ``State.diverged``); see :func:`divergence`;
    * with ``record_local``: ``local_iterates`` (N, E+1, c, d) and ``local_grads`` (N, E, c, d).
    """
    n, c, d, b = config.n_clients, config.c, config.d, config.batch
    dt = _dtype(config)
    opt = _optimizer(config)
    recon = config.method == "mim-recon"
    fl = config.framework == "fl"
    s_count = config.n_sampled
    omega = config.gamma_omega
    chunk = auto_client_chunk(config)

    def lr_scale(t):
        if config.lr_schedule == "cosine":
            frac = t.astype(dt) / float(config.rounds)
            return (0.5 * (1.0 + jnp.cos(jnp.pi * frac))).astype(dt)
        return jnp.ones((), dt)

    def init(problem: Problem, *, key) -> State:
        k = split_streams(key)["init"]
        # drawn in float64 and cast, so float32 and float64 runs start from the same encoder
        f64 = jnp.float64
        W = (config.init_scale * jr.normal(jr.fold_in(k, 0), (c, d), f64) / np.sqrt(d)).astype(dt)
        params = W
        if recon:
            Wd = config.init_scale * jr.normal(jr.fold_in(k, 1), (d, c), f64) / np.sqrt(c)
            Wd = Wd.astype(dt)
            params = (W, Wd)
        stacked = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,) + a.shape), params)
        opt_state = jax.vmap(opt.init)(stacked)
        return State(
            params=stacked,
            opt_state=opt_state,
            round=jnp.zeros((), jnp.int32),
            counts=jnp.zeros((n,), jnp.int32),
            z_bar=jnp.zeros((n, b, c), dt),
            key=key,
            diverged=jnp.zeros((), bool),
        )

    local_update = make_local_update(config)

    def round_step(state: State, problem: Problem, stats=None):
        t = state.round
        streams = split_streams(state.key)
        k_round = jr.fold_in(streams["sampling"], t)
        k_mask = jr.fold_in(streams["masks"], t)
        if fl:
            chosen = jr.choice(jr.fold_in(k_round, 0), n, (s_count,), replace=False)
            active = jnp.zeros((n,), dt).at[chosen].set(1.0)
            s = active * problem.agg
            s = s / jnp.sum(s)
        else:
            active = jnp.ones((n,), dt)
        gamma = _gamma_schedule(
            state.counts.astype(dt), omega, problem.gamma_max, problem.gamma_min
        )
        gamma = jnp.where(t > 0, gamma, jnp.zeros_like(gamma))  # round 0: plain MIM (Alg. 1–2)
        clients = jnp.arange(n)
        idx_keys = jax.vmap(lambda i: jr.fold_in(jr.fold_in(k_round, 1), i))(clients)
        loss_keys = jax.vmap(lambda i: jr.fold_in(k_mask, i))(clients)
        x = problem.x if problem.x is not None else jnp.zeros((n, 1, d), dt)
        sizes = problem.sizes if problem.sizes is not None else jnp.ones((n,), jnp.int32)
        H, scale = problem.H, lr_scale(t)

        def one(p, o, xi, ni, Xi, zb, g, ki, kl):
            return local_update(p, o, xi, ni, Xi, H, zb, g, ki, kl, scale)

        args = (state.params, state.opt_state, x, sizes, problem.targets, state.z_bar, gamma)
        local, opt_state, vals, zs, rec = _map_clients(one, args + (idx_keys, loss_keys), n, chunk)
        if fl:
            new_params = _average(s, local, n)
            z_bar = _average(s, zs, n) if config.method == "mar" else state.z_bar
        else:
            new_params = _mix(problem.mixing, local)
            z_bar = _mix(problem.mixing, zs) if config.method == "mar" else state.z_bar
        if config.persist_opt_state and fl:
            opt_state = jax.tree.map(
                lambda new, old: jnp.where(
                    active.reshape((n,) + (1,) * (new.ndim - 1)) > 0, new, old
                ),
                opt_state,
                state.opt_state,
            )
        counts = state.counts + (active > 0).astype(jnp.int32)
        # divergence: a participating client whose loss or parameters are NaN/inf
        bad = ~jnp.isfinite(vals) | ~jax.vmap(_all_finite)(local)
        bad = bad & (active > 0)
        now_bad = jnp.any(bad)
        first = jnp.argmax(bad).astype(jnp.int32)
        stop = state.diverged | now_bad
        new_state = State(new_params, opt_state, t + 1, counts, z_bar, state.key, stop)
        frozen = state._replace(diverged=stop)
        new_state = jax.tree.map(lambda a, o: jnp.where(stop, o, a), new_state, frozen)
        if stats is None:
            stats = target_stats(problem.targets)
        metrics = _round_metrics(
            state.params, local, new_params, problem, vals, active, gamma, rec, stats
        )
        metrics["diverged"] = now_bad
        metrics["diverged_client"] = jnp.where(now_bad, first, -1)
        metrics["diverged_loss"] = vals[first]
        return new_state, metrics

    return init, round_step


def _all_finite(tree) -> Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in leaves]))


class DivergenceError(ValueError):
    """Training produced NaN/inf. ``info``: ``{"round", "client", "loss"}``; ``state`` and
    ``trace``: what was computed before (the state of the last finite round, the trace of the
    rounds before the divergent one)."""

    def __init__(self, info: dict, state=None, trace=None):
        self.info, self.state, self.trace = info, state, trace
        super().__init__(
            f"training: diverged at round {info['round']} (0-based), client {info['client']}: "
            f"local loss {info['loss']}; results kept up to round {info['round'] - 1}"
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


def target_stats(targets: Array) -> tuple[Array, Array]:
    """(X̄, Q) with X̄ = (1/N)Σ X_i and Q = (1/N)Σ (X_i − X̄)², so that for any W
    ζ²(W) = (4/N)Σ‖W(X_i − X̄)‖² = 4 tr(W Q Wᵀ) and (1/N)Σ f_i(W) = f(W; X̄) (X_i symmetric)."""
    Xbar = jnp.mean(targets, 0)
    dev = targets - Xbar
    return Xbar, jnp.einsum("nde,nef->df", dev, dev) / targets.shape[0]


def _round_metrics(before, local, after, problem: Problem, vals, active, gamma, rec, stats):
    pi = problem.pi
    W0, Wl, W1 = encoder(before), encoder(local), encoder(after)
    n = W1.shape[0]

    def xi_pi(W):
        mean = jnp.tensordot(pi, W, axes=(0, 0))
        return jnp.sum(pi * jnp.sum((W - mean) ** 2, axis=(1, 2)))

    Wbar = jnp.mean(W1, 0)
    xi = jnp.mean(jnp.sum((W1 - Wbar) ** 2, axis=(1, 2)))
    Xbar, Q = stats
    zeta_sq = 4.0 * jnp.sum((Wbar @ Q) * Wbar)
    gram = Wbar @ Wbar.T
    loss_global = -jnp.sum((Wbar @ Xbar) * Wbar) + 0.5 * jnp.sum(gram * gram)
    norms = jnp.concatenate([jax.vmap(_spectral_norm)(Wl), jax.vmap(_spectral_norm)(W1)])
    out = {
        "consensus_distance": xi,
        "consensus_distance_pi": xi_pi(W1),
        "consensus_distance_local": xi_pi(Wl),
        "update_spread": jnp.sqrt(xi_pi(Wl - W0)),
        "loss": jnp.sum(vals * active) / jnp.sum(active),
        "loss_global": loss_global,
        "zeta_sq": zeta_sq,
        "spectral_norm_max": jnp.max(norms),
        "gamma_mean": jnp.sum(gamma * active) / jnp.sum(active),
    }
    del n
    if rec is not None:
        iterates, grads = rec
        out["local_iterates"] = jnp.concatenate([iterates, Wl[:, None]], axis=1)
        out["local_grads"] = grads
    return out


def make_engine(config: EngineConfig) -> Engine:
    """``Engine(config, init, round_step, run)``; ``run(problem, *, key) -> (state, trace)``
    scans ``config.rounds`` rounds (jitted; ``trace`` has a leading axis of length T).

    Example:
      >>> import numpy as np, jax.random as jr
      >>> cfg = EngineConfig(method="cl", framework="fl", n_clients=2, d=3, c=1,
      ...                    population=True, rounds=2)
      >>> prob = make_problem(cfg, np.stack([np.eye(3)] * 2))
      >>> state, trace = make_engine(cfg).run(prob, key=jr.PRNGKey(0))
      >>> trace["loss"].shape
      (2,)
    """
    init, round_step = make_round(config)

    def _engine_run(problem: Problem, key):
        state = init(problem, key=key)
        stats = target_stats(problem.targets)
        return lax.scan(
            lambda s, _: round_step(s, problem, stats), state, None, length=config.rounds
        )

    jitted = jax.jit(_engine_run)

    def run(problem: Problem, *, key):
        return jitted(problem, key)

    return Engine(config, init, round_step, run)


def sweep(
    config: EngineConfig,
    problems: Problem,
    keys,
    *,
    axes: Problem | None = None,
    batch_size: int | None = None,
):
    """Run many configurations of equal shapes at once (one compilation).

    Args:
      config: the shared static configuration.
      problems: a :class:`Problem` whose swept fields carry a leading batch axis of size K.
      keys: (K, 2) root keys, one per configuration (e.g. ``vmap(PRNGKey)(seeds)``).
      axes: a :class:`Problem` of ``0`` (swept) / ``None`` (shared) per field; default: every
        array field swept.
      batch_size: if given, ``lax.map`` over the configurations in chunks of this size (one
        ``vmap`` per chunk), bounding memory; otherwise one ``vmap`` over all K.

    Returns:
      ``(states, traces)`` with a leading axis K.
    """
    keys = jnp.asarray(keys)
    if keys.ndim != 2 or keys.shape[-1] != 2 or keys.dtype != jnp.uint32:
        v.fail("keys", "a (K, 2) uint32 array of raw PRNG keys", f"shape {keys.shape}")
    if axes is None:
        axes = jax.tree.map(lambda _: 0, problems)
    axes = Problem(*[None if a is None else a for a in axes])
    bs = None if batch_size is None else v.integer(batch_size, "batch_size", lo=1)
    swept = Problem(*[f if a == 0 else None for f, a in zip(problems, axes, strict=True)])
    shared = Problem(*[None if a == 0 else f for f, a in zip(problems, axes, strict=True)])
    return _sweep_function(config, bs)(swept, shared, keys)


@functools.lru_cache(maxsize=32)
def _sweep_function(config: EngineConfig, batch_size: int | None) -> Callable:
    """The jitted sweep of one configuration, built once and reused across calls (so repeated
    sweeps of equal shapes do not recompile)."""
    init, round_step = make_round(config)

    def one(problem, key):
        state = init(problem, key=key)
        stats = target_stats(problem.targets)
        return lax.scan(
            lambda s, _: round_step(s, problem, stats), state, None, length=config.rounds
        )

    def combine(sw, sh):
        return Problem(*[a if a is not None else b for a, b in zip(sw, sh, strict=True)])

    if batch_size is None:

        def _engine_sweep(sw, sh, ks):
            return jax.vmap(lambda p, k: one(combine(p, sh), k))(sw, ks)

    else:

        def _engine_sweep(sw, sh, ks):
            return lax.map(lambda a: one(combine(a[0], sh), a[1]), (sw, ks), batch_size=batch_size)

    return jax.jit(_engine_sweep)
