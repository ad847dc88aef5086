r"""What the engine (:mod:`sims.core.engine`) records each round and how it detects divergence:
consensus distances, :math:`\zeta^2` and the global loss (the one implementation in
:mod:`theory.dissimilarity`), spectral norms, and the divergence report.

The metrics of a round, all after mixing unless named otherwise:

* ``consensus_distance``
  :math:`\Xi_t = \frac1N \sum_i \lVert W_i - \bar W\rVert^2` and ``consensus_distance_pi``
  :math:`\sum_i \pi_i \lVert W_i - \bar W_\pi\rVert^2` (docs/theory/consensus.md §0, D7);
* ``consensus_distance_local``: the π-form of the local iterates before mixing;
* ``update_spread``: :math:`\sqrt{\sum_i \pi_i \lVert \Delta_i - \bar\Delta_\pi\rVert^2}` with
  :math:`\Delta_i` the round's local update (the summed applied gradients of D2/D5);
* ``loss`` (mean minibatch loss of the participating clients), ``loss_global``
  :math:`\frac1N \sum_i f_i(\bar W)` with the population :math:`X_i`, ``zeta_sq``
  :math:`\zeta^2(\bar W) = \frac4N \sum_i \lVert \bar W(X_i - \bar X)\rVert^2`;
* ``spectral_norm_max`` :math:`R_t = \max_i \lVert W_i\rVert_2` over the pre- and post-mixing
  models (computed from the pre-mixing ones, whose convex combinations the others are);
* ``gamma_mean`` mean γ of the participants (MAR);
* ``diverged`` (bool), ``diverged_client`` (int, −1 if none) and ``diverged_loss``: whether
  a client's local loss or parameters became NaN/inf this round, or the averaged model's
  global loss did; the first such client (−1 for the averaged model) and its loss. A
  diverged round is not applied: the state stays at the last finite round (and stays there,
  ``State.diverged``); see :func:`divergence`;
* with ``record_local``: ``local_iterates`` (N, E+1, c, d) and ``local_grads`` (N, E, c, d).

FedAvg with S < N trains only the S sampled clients; the local iterates of the others (in the
``*_local`` metrics, ``update_spread`` and ``spectral_norm_max``) are their round-start
models. With ``EngineConfig.metrics == "loss"`` only ``loss``, ``loss_global`` and the
divergence fields (and the ``record_local`` ones) are recorded; the state is the same as with
``"all"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import scipy.special
from jax import lax
from jaxtyping import Float

from sims.core.client import encoder
from sims.core.rounds import map_clients
from theory import _validate as v
from theory.dissimilarity import global_loss_jnp

Array = jax.Array


# ---------------------------------------------------------------------------------------------
# spectral norms


#: Relative accuracy of the spectral-norm estimate (repeated Gram squarings): its estimate
#: of ‖W‖₂ is never above the norm
#: and at most this fraction below it (both up to float rounding, with matmuls at the dtype's
#: full precision: on a GPU JAX's default float32 matmul is TF32 unless the default matmul
#: precision is "highest", which the ``dssl`` commands set), whatever W and c. R_t is a recorded
#: metric (no bound or verdict reads it); four digits cost 12 squarings at c = 16, where
#: 2.3e-5 took 14 (``benchmarks/bench_spectral_norm.py``).
NORM_RTOL = 1e-4
#: Clients whose spectral norms are computed in one batch. XLA's CPU kernel
#: for a batch of small products slowed down with the batch size: alone, the Gram matrices
#: W Wᵀ of 10,000 clients (c = 16, d = 512) took 229 ms in one batch and 58 ms in batches of 50
#: (1,000 clients: 11.1 and 5.9 ms), the norms with their squarings 405 and 104 ms in one batch
#: and in batches of 100. In a round of FedAvg at d = 512 (2 cores, both forms built in one
#: process and timed in turn, 2026-11-24): 10,000 clients 2.89 and 2.88 s per round against
#: 3.22 and 3.27 s (and 4.35 against 4.45 s in a slower hour); 1,000 clients the same (0.248-
#: 0.264 s either way). Up to NORM_BATCH clients nothing changes.
NORM_BATCH = 100
#: The same on an accelerator, where each batch is a sequential step of a few tiny kernels:
#: at 10⁶ FedAvg clients (d = 64, c = 16, all training; NVIDIA H200) the norms in batches of
#: 100 were 10,000 steps and 0.34 of the round's 0.55 s (``benchmarks/bench_scale.py``,
#: ``--metrics all`` against ``loss``). A batch of 2^16 clients at c = 16, d = 64 holds
#: about 0.5 GB in float32 (c·d + 3·c² numbers per client).
NORM_BATCH_ACCELERATOR = 1 << 16


def norm_batch() -> int:
    """Clients per batch of the round's spectral norms (metric :math:`R_t`) on the default
    backend: :data:`NORM_BATCH` on the CPU, :data:`NORM_BATCH_ACCELERATOR` elsewhere."""
    return NORM_BATCH if jax.default_backend() == "cpu" else NORM_BATCH_ACCELERATOR


#: Largest exponent (base 2) an entry of the squared matrices may reach between two
#: rescalings of the spectral-norm estimate (float32 overflows at 2^128).
_EXPONENT_ROOM = 100


def _pow2(k: Array, dtype) -> Array:
    """2^k exactly, for integers k within the normal exponents of ``dtype``: the float built
    from its bits (``jnp.ldexp`` goes through a power function, and its 2^k for k ≤ −127
    in float32 is a subnormal number that XLA's CPU flushes to zero)."""
    info = jnp.finfo(dtype)
    bits = (k.astype(f"int{info.bits}") + (info.maxexp - 1)) << info.nmant
    return lax.bitcast_convert_type(bits, dtype)


def _exponent(A: Array) -> Array:
    """e with max|A| = f·2^e, f ∈ [½, 1) where max|A| is a normal number; 0 where A is 0 or
    not finite (XLA's CPU ``frexp`` gives −149 in float32 for a subnormal maximum, which the
    products then flush to zero anyway)."""
    return jnp.frexp(jnp.max(jnp.abs(A)))[1]


def _scaled(A: Array, e: Array) -> Array:
    """A·2^(−e), exact: two normal powers of two, so e may span the dtype's whole exponent range
    (one factor 2^(−e) would not be a normal number at its ends)."""
    h = e // 2
    return A * _pow2(-h, A.dtype) * _pow2(h - e, A.dtype)


def norm_squarings(c: int) -> int:
    r"""The number k of squarings of a c×c Gram matrix that the spectral-norm estimate needs for
    :data:`NORM_RTOL`: the smallest :math:`k \ge 0` with
    :math:`\varepsilon/(2 - \varepsilon) \le \mathrm{NORM\_RTOL}`,
    :math:`\varepsilon = W_0\big((c - 1)/e\big)/2^{k+1}`
    (:math:`W_0`: the principal branch of Lambert's W).

    Example:
      >>> [norm_squarings(c) for c in (1, 2, 16, 64, 512)]
      [0, 10, 12, 13, 14]
    """
    c = v.integer(c, "c", lo=1)
    w = float(scipy.special.lambertw((c - 1) / math.e).real)
    k = 0
    while (eps := w / 2 ** (k + 1)) / (2 - eps) > NORM_RTOL:
        k += 1
    return k


def squarings_between_rescalings(c: int) -> int:
    r"""How many squarings of a c×c Gram matrix the spectral-norm estimate runs between two
    rescalings: the largest s with :math:`(2^s + 1)\cdot\max(1, \log_2 c) \le 100` (at least 1).

    After a rescaling the largest entry of the positive semi-definite P is in :math:`[\tfrac12, 1)`
    (its diagonal holds it), so :math:`\lambda_{\max}(P) \in [\tfrac12, c]` and s squarings give
    entries of at most :math:`c^{2^s}` and sums of at most :math:`c^{2^s + 1}`: below
    :math:`2^{100}` by this rule, far from float32's overflow; the top eigenvalue's part,
    :math:`\ge 2^{-2^s} \ge 2^{-100}`, stays far above its smallest normal number
    (:math:`\max(1, \cdot)`: at c = 1 and 2, :math:`\lambda_{\max}(P) \le 2`).

    Example:
      >>> squarings_between_rescalings(16), squarings_between_rescalings(64)
      (4, 3)
    """
    lg = max(1.0, math.log2(c))
    s = 1
    while (2 ** (s + 1) + 1) * lg <= _EXPONENT_ROOM:
        s += 1
    return s


def _spectral_norm(W: Array, every: int | None = None) -> Array:
    """‖W‖₂ = √λ_max(G), G = WWᵀ (c×c), from k = :func:`norm_squarings` (c) squarings of G
    (k = 12 at c = 16): with m = 2^k, the estimate λ̂ = tr(G^(2m+1))/tr(G^(2m)) (from
    P ∝ G^m as tr(PGP)/tr(PP); matmuls only: a batched ``eigvalsh`` cost more than the whole
    local update at small d).

    Accuracy (:data:`NORM_RTOL`). λ̂ = Σλ_i^(2m+1)/Σλ_i^(2m) is a weighted mean of the
    eigenvalues, so λ̂ ≤ λ_max. With r_i = λ_i/λ_max, y_i = r_i^(2m) and 1 − r ≤ ln(1/r),
    1 − λ̂/λ_max = Σ_{i≥2} y_i(1 − r_i)/(1 + Σ_{i≥2} y_i) ≤ Σ y_i ln(1/y_i)/(2m(1 + Σ y_i));
    for a given Σ y_i the right side is largest with all c − 1 of the y_i equal (y ln(1/y) is
    concave), and with y_i = e^(−x) it is x(c − 1)/(e^x + c − 1)/(2m), whose maximum over x,
    at e^x(x − 1) = c − 1, is W₀((c − 1)/e)/(2m) =: ε (approached, to within a factor
    1 − (1 + W₀)/(4m), when y_i = e^(−1−W₀) for every i ≥ 2). ‖W‖₂ is then under-estimated
    by at most 1 − √(1 − ε) ≤ ε/(2 − ε) ≤ NORM_RTOL, whatever the spectrum. (The Rayleigh
    quotient of one column of G^m, used until 2026-11-24, has no such bound free of the
    eigenvectors: its documented 2.3e-5 at 12 squarings did not hold in general; 1.6e-4 at
    c = 16 in ``benchmarks/bench_spectral_norm.py``.)

    Scaling. W, G and the iterate are multiplied by powers of two only, so the result has the
    rounding of the unscaled computation. W is first scaled so that its largest entry is in
    [½, 1): then λ_max(G) ≥ ¼, and products of entries far below the largest that underflow
    (XLA's CPU flushes subnormal numbers to zero) change G by less than d·2^−126; unscaled,
    a W of entries near 1e-19 lost half its norm that way in float32, and rows of norm beyond
    about 1.8e19 overflowed G. The result is the norm wherever the norm is a normal number
    (inf beyond the largest, 0 below the smallest). The iterate is rescaled every
    :func:`squarings_between_rescalings` (c) squarings (4 at c = 16), not after each: at
    N = 100, c = 16, d = 64 the rescalings after every squaring (each a reduction and a
    division) were a fifth of the norms' time (``benchmarks/bench_spectral_norm.py``).
    ``every``: rescale more often, every ``every`` squarings (1 up to the default; for that
    benchmark: the same bits)."""
    c = W.shape[0]
    k = norm_squarings(c)
    most = squarings_between_rescalings(c)
    every = most if every is None else v.integer(every, "every", lo=1, hi=most)
    e_w = _exponent(W)
    Ws = _scaled(W, e_w)  # largest entry in [½, 1)
    G = Ws @ Ws.T  # WWᵀ·4^(−e_w)
    e_g = _exponent(G)
    G = _scaled(G, e_g)  # largest entry in [½, 1)
    P = G
    # unrolled: the c×c products in one straight-line program (a while loop of tiny
    # iterations cost more than the local update at the benchmark sizes)
    for i in range(1, k + 1):
        P = P @ P
        # and after the last squaring: P near 1 keeps tr(PGP) and tr(PP) far from overflow
        if i % every == 0 or i == k:
            P = _scaled(P, _exponent(P))
    lam = jnp.sum((P @ G) * P) / jnp.maximum(jnp.sum(P * P), jnp.finfo(G.dtype).tiny)
    # ‖W‖₂ = √(lam·2^E) = √(lam·2^(E − 2h))·2^h, E = e_g + 2e_w, h = ⌊E/2⌋: exact scalings
    total = e_g + 2 * e_w
    h = total // 2
    root = jnp.sqrt(jnp.maximum(_scaled(lam, 2 * h - total), 0.0))
    return _scaled(root, -h)


def _norms(W: Array) -> Array:
    """:func:`_spectral_norm` of every client of W (N, c, d): one ``vmap`` when N ≤
    :func:`norm_batch`, else equal batches of at most that many clients
    (:func:`sims.core.rounds.map_clients`: every batch as wide, the last one overlapping its
    predecessor). A client's numbers may differ in the last bits from one ``vmap`` over all
    (``tests/test_spectral_norm.py``), far below :data:`NORM_RTOL`."""
    return map_clients(_spectral_norm, (W,), W.shape[0], norm_batch())


def _all_finite(tree) -> Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in leaves]))


def clients_finite(tree) -> Array:
    """(N,) whether every parameter of each client of ``tree`` (leading axis N) is finite: one
    ``vmap`` up to :func:`norm_batch` clients, else batches of at most that many
    (:func:`sims.core.rounds.map_clients`), so that the mask of every entry is never held
    for all N at once (on a CPU XLA wrote it whole: a quarter of a float32 model stack per
    client, ``benchmarks/round_memory.py``)."""
    n = jax.tree.leaves(tree)[0].shape[0]
    return map_clients(_all_finite, (tree,), n, norm_batch())


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


def check_finite(state: Any, trace) -> tuple[Any, dict]:
    """Raise :class:`DivergenceError` (carrying the state of the last finite round and the trace
    cut before the divergent round) if the run diverged; otherwise return ``(state, trace)``
    (``state``: the engine's :class:`sims.core.engine.State`)."""
    info = divergence(trace)
    if info is None:
        return state, trace
    t = info["round"]
    cut = {k: np.asarray(a)[:t] for k, a in trace.items()}
    raise DivergenceError(info, state=state, trace=cut)


def target_stats(targets: Float[Array, "n d d"]) -> tuple[Float[Array, "d d"], Float[Array, "d d"]]:
    r""":math:`(\bar X, Q)` with :math:`\bar X = \frac1N \sum_i X_i` and
    :math:`Q = \frac1N \sum_i (X_i - \bar X)^2`, so that for any W
    :math:`\zeta^2(W) = \frac4N \sum_i \lVert W(X_i - \bar X)\rVert^2`
    :math:`{} = 4 \operatorname{tr}(W Q W^\top)` and :math:`\frac1N \sum_i f_i(W) = f(W; \bar X)`
    (:math:`X_i` symmetric)."""
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


def problem_stats(problem, compute=None) -> tuple:
    """``(X̄, Q)`` of a :class:`sims.core.problem.Problem`: its ``stats`` where it was given
    them instead of targets, else :func:`target_stats` of its targets (or ``compute``, that
    function jitted, of them)."""
    if problem.stats is not None:
        return problem.stats
    return (target_stats if compute is None else compute)(problem.targets)


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
    """This device's part of Ξ_w = Σ_i w_i‖W_i − W̄_w‖² around the global weighted mean ``mean``.

    The same operations as :func:`theory.dissimilarity.consensus_sq_jnp`."""
    dev = (W - mean[None]).reshape(W.shape[0], -1)
    return jnp.sum(w * jnp.sum(dev**2, axis=1))


def _weighted_update(w: Array, Wl: Array, W0: Array) -> Array:
    """Σ_i w_i (Wl_i − W0_i) over this device's clients: one product up to :func:`norm_batch`
    clients; above, a sum over batches of that many (:func:`_batched_sums`), without the
    (N, c, d) array of the updates."""
    k, batch = Wl.shape[0], norm_batch()
    if k <= batch:
        return jnp.tensordot(w, Wl - W0, axes=(0, 0))

    def step(start):
        return lax.dynamic_slice_in_dim(Wl, start, batch) - lax.dynamic_slice_in_dim(
            W0, start, batch
        )

    return _batched_sums(step, k, batch, w[:, None], jnp.zeros((1,) + Wl.shape[1:], Wl.dtype))[0]


class MixedRows(NamedTuple):
    """A round's mixed models given as rows formed on demand instead of an (N, ...) array:
    ``row(i)`` the parameters of client i after the mixing (a pytree like one client's
    parameters). The batched metrics
    (``_round_metrics`` above :func:`norm_batch` clients) read them batch by batch, so
    the round never holds the mixed models beside the round-start and local ones (the engine
    writes them over the round-start models after the divergence check:
    :func:`sims.core.engine.track_c_clients`)."""

    row: Callable


def _batched_sums(fn: Callable, k: int, batch: int, weights: Array, init: Array) -> Array:
    """``Σ_i weights[i, :] ⊗ fn(rows)[i]`` over k clients in batches of ``batch`` (k > batch):
    ``fn(start)`` the (batch, ...) rows from ``start``; the last batch overlaps its predecessor,
    and the rows an earlier batch counted weigh 0 in it. ``weights`` (k, s), ``init`` (s, ...)
    zeros; returns (s, ...)."""

    def add(j, acc):
        start = jnp.minimum(j * batch, k - batch)
        w = lax.dynamic_slice_in_dim(weights, start, batch)
        fresh = start + jnp.arange(batch) >= j * batch
        return acc + jnp.tensordot(jnp.where(fresh[:, None], w, 0).T, fn(start), axes=(1, 0))

    return lax.fori_loop(0, -(-k // batch), add, init)


def _norm_and_spreads(W0, Wl, W1, uniform, pi, means) -> tuple[Array, Array]:
    """This device's largest spectral norm of the local models and its parts of the round's
    four spreads :func:`_spread` (of W1 around ``means["after"]`` weighted by ``uniform`` and
    around ``means["after_pi"]`` by π, of Wl around ``means["local_pi"]`` and of the update
    Wl − W0 around ``means["step_pi"]``, both by π).

    Up to :func:`norm_batch` clients, whole-array operations; above, one pass over batches of
    at most that many clients (:func:`sims.core.rounds.map_clients`) that keeps each client's norm
    and four squared distances (5 numbers) instead of the (N, c, d) differences: measured at
    N = 10⁴ (d = 64, c = 16, float32, one-peer DecL round), 12 kB fewer temporaries per client
    (three stacks of models). The two forms sum the same squares in other groupings, equal to
    rounding (``tests/test_recorded_batched.py``)."""
    k, batch = Wl.shape[0], norm_batch()
    targets = (means["after"], means["after_pi"], means["local_pi"], means["step_pi"])
    if k <= batch:
        sets = (W1, W1, Wl, Wl - W0)
        spreads = [
            _spread(W, w, m) for W, w, m in zip(sets, (uniform, pi, pi, pi), targets, strict=True)
        ]
        return jnp.max(_norms(Wl)), jnp.stack(spreads)

    def one(w0, wl, w1):
        if isinstance(W1, MixedRows):  # w1: the client's index, its mixed row formed here
            w1 = encoder(W1.row(w1))
        sq = [jnp.sum((a - m) ** 2) for a, m in zip((w1, w1, wl, wl - w0), targets, strict=True)]
        return jnp.stack([_spectral_norm(wl), *sq])

    rows = jnp.arange(k, dtype=jnp.int32) if isinstance(W1, MixedRows) else W1
    t = map_clients(one, (W0, Wl, rows), k, batch)
    weights = jnp.stack([uniform, pi, pi, pi], axis=1)
    return jnp.max(t[:, 0]), jnp.sum(weights * t[:, 1:], axis=0)


def _round_metrics(
    before, local, after, pi, vals, active, gamma, rec, stats, axis: str | None = None,
    level: str = "all", uniform=None,
):  # fmt: skip
    """The per-round metrics of :func:`sims.core.engine.make_round` (π: ``problem.pi``), those of
    ``level`` (:data:`METRICS_OF_LEVEL`).

    ``axis``: inside ``jax.shard_map`` with the clients split over this mesh axis (the
    engine's sharded rounds), the arguments with a client axis hold this device's clients and
    every sum, mean and maximum over clients runs over all devices: two collectives per round,
    one for the means and participation sums, one for the spreads and the largest norm (left
    to the partitioner, the metrics' small reductions became a dozen collectives per round,
    each a wait for the slower device: more than the local steps they followed).

    ``uniform``: the weights of the rows in the uniform means (default 1/N each): where a row
    stands for several clients holding the same model (the server-model FedAvg round of
    :func:`sims.core.engine.make_round`), its multiplicity over N.

    ``after``: the mixed models, or a :class:`MixedRows` (not inside ``shard_map``): above
    :func:`norm_batch` clients and unweighted, read batch by batch (the sums of the mixed
    models then group by batch, equal to rounding); otherwise formed whole first."""
    v.choice(level, "level", tuple(METRICS_OF_LEVEL))
    W0, Wl = encoder(before), encoder(local)
    k = Wl.shape[0]
    lazy = isinstance(after, MixedRows)
    if lazy and (k <= norm_batch() or uniform is not None):
        after, lazy = jax.vmap(after.row)(jnp.arange(k, dtype=jnp.int32)), False  # formed whole
    W1 = after if lazy else encoder(after)
    n = k if axis is None else k * lax.axis_size(axis)
    weighted = uniform is not None
    if not weighted:
        uniform = jnp.full((k,), 1.0 / n, dtype=Wl.dtype)
    full = level == "all"

    def wmean(w, W):
        return jnp.tensordot(w, W, axes=(0, 0))

    sums = {"loss": jnp.sum(vals * active), "active": jnp.sum(active)}
    if lazy:  # Σ W1 (and with every metric the uniform and π means of W1), batch by batch
        columns = [jnp.ones_like(uniform)] + ([uniform, pi] if full else [])
        weights = jnp.stack(columns, axis=1).astype(Wl.dtype)
        part = jnp.arange(norm_batch(), dtype=jnp.int32)
        got = _batched_sums(
            lambda start: encoder(jax.vmap(W1.row)(start + part)), k, norm_batch(), weights,
            jnp.zeros((len(columns),) + Wl.shape[1:], Wl.dtype),
        )  # fmt: skip
        sums |= {"sum": got[0]} | ({"after": got[1], "after_pi": got[2]} if full else {})
    else:
        sums["sum"] = jnp.sum(W1, 0)
        if full:
            sums |= {"after": wmean(uniform, W1), "after_pi": wmean(pi, W1)}
    if full:
        sums |= {
            "local_pi": wmean(pi, Wl),
            "step_pi": _weighted_update(pi, Wl, W0),
            "gamma": jnp.sum(gamma * active),
        }
    if weighted:
        sums["sum"] = wmean(uniform, W1)
    means = _all_sum(sums, axis)
    Wbar = means["sum"] if weighted else means["sum"] / n
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
    # below the estimate's own NORM_RTOL). Half the squarings: at the quick benchmark setting the
    # norms of both sets were a fifth of the round
    norm_max, spreads = _norm_and_spreads(W0, Wl, W1, uniform, pi, means)
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
