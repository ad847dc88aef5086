r"""Consensus distance and client drift along a recorded trajectory, with their derived bounds.

An EXTENSION of arXiv 2607.02447: the paper's theory uses neither the contraction factor
:math:`\lambda` of the mixing matrix nor the gradient dissimilarity :math:`\zeta^2`
(docs/theory/consensus.md, note at the top).
Every bound here is
derived in docs/theory/consensus.md for exactly the engine's order of operations (E local gradient
steps, then one mixing step) and holds pathwise, so a measured/bound ratio above 1 (beyond
floating-point tolerance) is a bug in the engine or in this bookkeeping, not a finding.

Inputs come from an engine trace recorded with ``EngineConfig(record_local=True)`` for one run
(leading axis T = rounds): ``local_iterates`` (T, N, E+1, c, d), the models at the start of
each round (after the previous mixing) followed by every local step, and ``local_grads``
(T, N, E, c, d), the gradients actually applied. The loss is the linear encoder's
:math:`f_i(W) = -\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2` with
:math:`\nabla f_i(W) = -2 W X_i + 2 W W^\top W` (docs/theory/optimum.md §1).

Quantities (docs/theory/consensus.md §0, §3, §5.1, §7):

* :math:`e_t = \sqrt{\Xi_t}`, :math:`\Xi_t = \sum_i \pi_i \lVert x_i^t - \bar x_\pi^t\rVert^2`
  (π uniform: Koloskova's :math:`\frac1n \sum \lVert x_i - \bar x\rVert^2`;
  π the stationary weights of a row-stochastic reversible :math:`\mathcal{W}`: the D7 form);
* λ = :func:`theory.spectral.contraction` (:math:`\lVert W - J\rVert_2` for doubly-stochastic W,
  the π-form otherwise), L = :func:`theory.dissimilarity.local_smoothness` on the ball of radius
  :math:`R_T = \max \lVert W\rVert_2` over every recorded iterate (§7: legitimate for these
  per-step inequalities), :math:`\zeta(\bar x)` the square root of
  :func:`theory.dissimilarity.zeta_sq` with weights π;
* D2: :math:`e_{t+1} \le \lambda(e_t + u_t)`, :math:`u_t` the π-RMS spread of the round's
  summed update (:math:`= \eta g_t`, E = 1);
* D3 / D5 stepwise: :math:`e_{t+1} \le \lambda\, b_{t,E}`, :math:`b_{t,0} = e_t`,
  :math:`b_{t,k+1} = (1+\eta L)\, b_{t,k} + \eta\, \zeta(\bar x_{t,k})`;
  for E = 1 this is D3,
  :math:`e_{t+1} \le \lambda\big((1+\eta L)\, e_t + \eta\, \zeta(\bar x_t)\big)`;
* D4 / D5 closed form: with :math:`a = 1+\eta L`, :math:`\rho = \lambda a^E < 1` and
  :math:`\bar\zeta_t = \max \zeta` over the local averages of rounds :math:`< t`,
  :math:`e_t \le \rho^t e_0 + \lambda\bar\zeta_t \frac{a^E-1}{L} \cdot \frac{1 - \rho^t}{1 - \rho}`
  (E = 1: D4, :math:`q^t e_0 + \lambda\eta\bar\zeta\, (1 - q^t)/(1 - q)`); NaN where
  :math:`\rho \ge 1` (vacuous);
* a period of time-varying doubly-stochastic :math:`W_t` (:mod:`theory.time_varying`),
  π uniform:
  :math:`e_{t+P} \le \rho(t, t+P)\, e_t + \sum_{s<P} \rho(t+s, t+P)\, u_{t+s}`,
  :math:`\rho(a, b) = \lVert W_{b-1} \cdots W_a - J\rVert_2`
  (:func:`period_bound`, docs/theory/consensus.md §3 D8; P = 1 is D2);
* T9 (FedAvg drift, §5.1): :math:`\lVert D_{i,k}\rVert \le c_k\lVert \nabla f_i(x)\rVert` with
  :math:`c_k = ((1+\eta L)^k - 1)/L` (equality at k = 1),
  :math:`E_r \le \big(\frac1K \sum_k c_k^2\big)\big(\lVert \nabla f(x)\rVert^2 + \zeta^2(x)\big)`,
  and pathwise with noise

    $$
    \lVert D_{i,k+1}\rVert \le (1+\eta L)\lVert D_{i,k}\rVert +
    \eta\big(\lVert \nabla f_i(x)\rVert + \lVert \nu_{i,k}\rVert\big).
    $$

All functions are NumPy float64 (the theory calls are float64 JAX) and pure.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v
from theory import dissimilarity, spectral, time_varying
from theory._precision import x64

__all__ = [
    "consensus_distance",
    "weighted_average",
    "round_starts",
    "update_spread",
    "local_gradients",
    "zeta",
    "trajectory_radius",
    "contraction",
    "smoothness",
    "d2_bound",
    "period_bound",
    "stepwise_bound",
    "closed_form_bound",
    "decl_bounds",
    "fedavg_drift",
    "max_ratio",
]


def _weights(pi, n: int) -> np.ndarray:
    if pi is None:
        return np.full(n, 1.0 / n)
    pi = v.array(pi, "pi", ndim=1, shape=(n,))
    if np.any(pi < 0) or not np.isclose(pi.sum(), 1.0, atol=1e-10):
        v.fail("pi", "non-negative weights summing to 1", pi)
    return pi


def _clients(W, field: str) -> np.ndarray:
    W = v.array(W, field, finite=True)
    if W.ndim < 3:
        v.fail(field, "an array (..., N, c, d) with the clients on axis -3", f"shape {W.shape}")
    return np.asarray(W, dtype=np.float64)


def weighted_average(W, pi=None) -> np.ndarray:
    r""":math:`\bar x_\pi = \sum_i \pi_i W_i` over the client axis −3
    (docs/theory/consensus.md §0, D7).

    Args:
      W: (..., N, c, d) client models.
      pi: (N,) weights summing to 1; ``None`` means 1/N.

    Returns:
      (..., c, d).
    """
    W = _clients(W, "W")
    pi = _weights(pi, W.shape[-3])
    return np.einsum("n,...ncd->...cd", pi, W)


def _consensus_one(W, pi):
    return jnp.sqrt(dissimilarity.consensus_sq_jnp(W, pi))


_consensus_batch = jax.jit(jax.vmap(_consensus_one, in_axes=(0, None)))


def consensus_distance(W, pi=None) -> np.ndarray:
    r""":math:`e = \sqrt{\sum_i \pi_i \lVert W_i - \bar W_\pi\rVert_F^2}`, the RMS consensus
    distance :math:`\sqrt{\Xi}` (docs/theory/consensus.md §0, D7), via
    :func:`theory.dissimilarity.consensus_sq_jnp`.

    Args:
      W: (..., N, c, d) client models (clients on axis −3).
      pi: (N,) weights summing to 1; ``None`` means 1/N (Koloskova's
        :math:`\Xi = \frac1n \sum \lVert x_i - \bar x\rVert^2`).

    Returns:
      (...) float64 array (a 0-d array for one set of models).

    Example:
      >>> W = np.zeros((2, 1, 1)); W[1] = 2.0
      >>> float(consensus_distance(W))
      1.0
    """
    W = _clients(W, "W")
    pi = _weights(pi, W.shape[-3])
    flat = W.reshape((-1,) + W.shape[-3:])
    with x64():
        out = _consensus_batch(jnp.asarray(flat), jnp.asarray(pi))
    return np.asarray(out, dtype=np.float64).reshape(W.shape[:-3])


def _iterates(local_iterates) -> np.ndarray:
    it = v.array(local_iterates, "local_iterates", ndim=5)
    if it.shape[2] < 2:
        v.fail("local_iterates", "(T, N, E+1, c, d) with E >= 1", f"shape {it.shape}")
    return np.asarray(it, dtype=np.float64)


def round_starts(local_iterates, mixing) -> np.ndarray:
    r"""Models at the start of every round and after the last mixing: (T+1, N, c, d).

    Entry t < T is ``local_iterates[t, :, 0]``; entry T is :math:`\mathcal{W}` · (last local
    iterates), the final state of the run.

    Args:
      local_iterates: (T, N, E+1, c, d) from a ``record_local`` trace.
      mixing: (N, N) row-stochastic matrix of the run.
    """
    it = _iterates(local_iterates)
    n = it.shape[1]
    M = v.array(mixing, "mixing", shape=(n, n))
    last = np.einsum("ij,jcd->icd", M, it[-1, :, -1])
    return np.concatenate([it[:, :, 0], last[None]], axis=0)


def update_spread(local_iterates, pi=None) -> np.ndarray:
    r""":math:`u_t` = π-RMS spread of the round's summed update
    :math:`\Delta_i = x_{i,E} - x_{i,0}`: (T,) (D2/D5).

    For E = 1 and plain SGD, :math:`u_t = \eta g_t` with :math:`g_t` the spread of the applied
    gradients.
    """
    it = _iterates(local_iterates)
    return consensus_distance(it[:, :, -1] - it[:, :, 0], pi)


def local_gradients(W, targets) -> np.ndarray:
    r""":math:`\nabla f_i(W_i) = -2 W_i X_i + 2 W_i W_i^\top W_i` for every client
    (docs/theory/optimum.md §1): (..., N, c, d).

    Args:
      W: (..., N, c, d) one model per client (clients on axis −3; broadcast a shared model).
      targets: (N, d, d) symmetric :math:`X_i`.
    """
    W = _clients(W, "W")
    X = np.asarray(v.array(targets, "targets", ndim=3), dtype=np.float64)
    if W.shape[-3:] != (X.shape[0], W.shape[-2], X.shape[-1]):
        v.fail("W", f"an array (..., N={X.shape[0]}, c, d={X.shape[-1]})", f"shape {W.shape}")
    cubic = W @ np.swapaxes(W, -1, -2) @ W
    return -2.0 * np.einsum("...ncd,nde->...nce", W, X) + 2.0 * cubic


def _zeta_one(W, X, pi):
    return jnp.sqrt(dissimilarity.zeta_sq_jnp(W, X, pi))


_zeta_batch = jax.jit(jax.vmap(_zeta_one, in_axes=(0, None, None)))


def zeta(W, targets, pi=None) -> np.ndarray:
    r""":math:`\zeta(W)`, the gradient dissimilarity
    (docs/theory/consensus.md §0, D7), via :func:`theory.dissimilarity.zeta_sq`:

    $$
    \zeta(W) = \sqrt{\sum_i \pi_i \lVert \nabla f_i(W) - \sum_j \pi_j \nabla f_j(W)\rVert^2}
    = \sqrt{\sum_i \pi_i\, 4\lVert W(X_i - \bar X_\pi)\rVert_F^2}.
    $$

    Args:
      W: (..., c, d) models (e.g. the π-averages :math:`\bar x_\pi` of a trajectory).
      targets: (N, d, d) :math:`X_i`.
      pi: (N,) weights summing to 1; ``None`` means 1/N.

    Returns:
      (...) float64.
    """
    W = np.asarray(v.array(W, "W", finite=True), dtype=np.float64)
    X = np.asarray(v.array(targets, "targets", ndim=3), dtype=np.float64)
    if W.ndim < 2 or W.shape[-1] != X.shape[-1]:
        v.fail("W", f"an array (..., c, d={X.shape[-1]})", f"shape {W.shape}")
    pi = _weights(pi, X.shape[0])
    flat = W.reshape((-1,) + W.shape[-2:])
    with x64():
        out = _zeta_batch(jnp.asarray(flat), jnp.asarray(X), jnp.asarray(pi))
    return np.asarray(out, dtype=np.float64).reshape(W.shape[:-2])


def trajectory_radius(*models) -> float:
    r""":math:`R_T = \max \lVert W\rVert_2` over every (c, d) matrix in ``models``
    (arrays (..., c, d)) (§7)."""
    if not models:
        v.fail("models", "at least one array (..., c, d)", None)
    return float(
        max(np.max(np.linalg.norm(np.asarray(m, np.float64), ord=2, axis=(-2, -1))) for m in models)
    )


def contraction(mixing) -> float:
    r""":math:`\lambda = \lVert D_\pi^{1/2}(\mathcal{W} - \mathbf{1}\pi^\top)D_\pi^{-1/2}\rVert_2`
    (:math:`= \lVert W - J\rVert_2` when doubly stochastic),
    docs/theory/consensus.md §0, D7; :func:`theory.spectral.contraction`."""
    M = v.array(mixing, "mixing", ndim=2)
    return float(spectral.contraction(np.asarray(M, dtype=np.float64)))


def smoothness(targets, R) -> float:
    r""":math:`L_R = \max_i \max\big(2\lambda_{\max}(X_i),\ 6R^2 - 2\lambda_{\min}(X_i)\big)`
    on :math:`\{\lVert W\rVert_2 \le R\}` (docs/theory/consensus.md §7)."""
    X = v.array(targets, "targets", ndim=3)
    R = v.real(R, "R", lo=0.0)
    return float(dissimilarity.local_smoothness(np.asarray(X, dtype=np.float64), R))


def d2_bound(e, spread, lam) -> np.ndarray:
    r"""D2: the bound :math:`\lambda(e_t + u_t)` on :math:`e_{t+1}`, for t = 0..T−1
    (docs/theory/consensus.md §3 D2, T4).

    Args:
      e: (T+1,) or (T,) consensus distances :math:`e_0, \dots, e_T` (only
        :math:`e_0, \dots, e_{T-1}` are used).
      spread: (T,) update spreads :math:`u_t` (:func:`update_spread`).
      lam: contraction factor λ.

    Returns:
      (T,) bounds on :math:`e_1, \dots, e_T`.
    """
    u = np.asarray(v.array(spread, "spread", ndim=1), dtype=np.float64)
    e = np.asarray(v.array(e, "e", ndim=1), dtype=np.float64)
    if e.shape[0] < u.shape[0]:
        v.fail("e", f"at least T={u.shape[0]} distances", f"shape {e.shape}")
    lam = v.real(lam, "lam", lo=0.0)
    return lam * (e[: u.shape[0]] + u)


def period_bound(e, spread, mixings, period: int) -> np.ndarray:
    r"""The consensus bound over a period of time-varying mixing: the bound on :math:`e_{t+P}`,
    t = 0..T−P,

    $$
    \rho(t, t+P)\, e_t + \sum_{s=0}^{P-1} \rho(t+s, t+P)\, u_{t+s}, \qquad
    \rho(a, b) = \lVert W_{b-1} \cdots W_a - J\rVert_2
    $$

    (:func:`theory.time_varying.window_contractions`), e and u with
    uniform π (the round's models are :math:`x^{t+1} = W_t(x^t + \Delta^t)`;
    docs/theory/consensus.md §3 D8, checked as T14).

    Derivation (doubly-stochastic :math:`W_t`, so :math:`J W_t = W_t J = J`):
    :math:`(I - J)x^{t+1} = (W_t - J)(I - J)(x^t + \Delta^t)`, and
    :math:`\prod_s (W_s - J) = \prod_s W_s - J`; unrolled over P rounds and
    bounded column by column with :math:`\lVert AY\rVert_F \le \lVert A\rVert_2 \lVert Y\rVert_F`.
    Pathwise, for any local updates; P = 1 is D2 (:func:`d2_bound`) with
    :math:`\lambda = \lVert W - J\rVert_2`.

    Args:
      e: (T+1,) or (T,) consensus distances at the round starts (π uniform).
      spread: (T,) update spreads :math:`u_t` (:func:`update_spread`, π uniform).
      mixings: (T, N, N) the matrix of every round (each doubly stochastic).
      period: the window P, 1 <= P <= T.

    Returns:
      (T−P+1,) bounds on :math:`e_P, \dots, e_T`.

    Example:
      >>> from theory.time_varying import one_peer_exponential
      >>> Ws = np.concatenate([one_peer_exponential(4)] * 2)
      >>> period_bound(np.ones(5), np.zeros(4), Ws, 2).tolist()
      [0.0, 0.0, 0.0]
    """
    u = np.asarray(v.array(spread, "spread", ndim=1), dtype=np.float64)
    e = np.asarray(v.array(e, "e", ndim=1), dtype=np.float64)
    T = u.shape[0]
    w = v.array(mixings, "mixings", ndim=3)
    if w.shape[0] != T:
        v.fail("mixings", f"one (N, N) matrix per round (T = {T})", f"shape {w.shape}")
    if e.shape[0] < T:
        v.fail("e", f"at least T={T} distances", f"shape {e.shape}")
    P = v.integer(period, "period", lo=1, hi=T)
    out = np.empty(T - P + 1)
    for t in range(T - P + 1):
        rho = time_varying.window_contractions(w[t : t + P])
        out[t] = rho[0] * e[t] + float(np.dot(rho, u[t : t + P]))
    return out


def stepwise_bound(e, zeta_local, lam, lr, L) -> np.ndarray:
    r"""D3 (E = 1) / D5 per-step: the bound :math:`\lambda\, b_{t,E}` on :math:`e_{t+1}` with
    :math:`b_{t,0} = e_t` and :math:`b_{t,k+1} = (1+\eta L)\, b_{t,k} + \eta\, \zeta(\bar x_{t,k})`
    (docs/theory/consensus.md §3 D3, D5; T5).

    Args:
      e: (T+1,) or (T,) consensus distances at the round starts.
      zeta_local: (T, E) ζ at the π-average of every local iterate before each step
        (E = 1: :math:`\zeta(\bar x_t)`).
      lam: contraction factor λ. lr: step η. L: smoothness constant on the trajectory's ball.

    Returns:
      (T,) bounds on :math:`e_1, \dots, e_T`.
    """
    z = np.asarray(v.array(zeta_local, "zeta_local", ndim=2), dtype=np.float64)
    e = np.asarray(v.array(e, "e", ndim=1), dtype=np.float64)
    if e.shape[0] < z.shape[0]:
        v.fail("e", f"at least T={z.shape[0]} distances", f"shape {e.shape}")
    lam = v.real(lam, "lam", lo=0.0)
    eta = v.real(lr, "lr", lo=0.0, lo_open=True)
    L = v.real(L, "L", lo=0.0)
    b = e[: z.shape[0]].copy()
    for k in range(z.shape[1]):
        b = (1.0 + eta * L) * b + eta * z[:, k]
    return lam * b


def closed_form_bound(e0, zeta_local, lam, lr, L) -> tuple[np.ndarray, float, bool]:
    r"""D4 (E = 1) / D5 unrolled:

    $$
    e_t \le \rho^t e_0 + \lambda \bar\zeta_t \, \frac{a^E - 1}{L} \cdot \frac{1 - \rho^t}{1 - \rho}
    $$

    for t = 1..T, :math:`a = 1+\eta L`, :math:`\rho = \lambda a^E`, :math:`\bar\zeta_t` = max of
    ``zeta_local`` over rounds < t (docs/theory/consensus.md §3 D4, D5; T6). For E = 1:
    :math:`q^t e_0 + \lambda\eta\bar\zeta_t (1 - q^t)/(1 - q)`, :math:`q = \lambda(1+\eta L)`.

    Args:
      e0: e at the start of round 0.
      zeta_local: (T, E) as in :func:`stepwise_bound`.
      lam, lr, L: λ, η, L.

    Returns:
      ``(bounds (T,), rho, valid)``; where :math:`\rho \ge 1` the bound is vacuous: ``valid`` is
      False and the bounds are NaN.
    """
    z = np.asarray(v.array(zeta_local, "zeta_local", ndim=2), dtype=np.float64)
    e0 = v.real(e0, "e0", lo=0.0)
    lam = v.real(lam, "lam", lo=0.0)
    eta = v.real(lr, "lr", lo=0.0, lo_open=True)
    L = v.real(L, "L", lo=0.0)
    steps = z.shape[1]
    rho = lam * (1.0 + eta * L) ** steps
    if rho >= 1.0:
        return np.full(z.shape[0], np.nan), float(rho), False
    # (a^E − 1)/L, written so that L → 0 gives E·η
    growth = np.expm1(steps * np.log1p(eta * L)) / L if L > 0 else steps * eta
    zbar = np.maximum.accumulate(z.max(axis=1))
    t = np.arange(1, z.shape[0] + 1)
    bounds = rho**t * e0 + lam * zbar * growth * (1.0 - rho**t) / (1.0 - rho)
    return bounds, float(rho), True


def max_ratio(measured, bound) -> float:
    r""":math:`\max_t \mathrm{measured}_t / \mathrm{bound}_t` over finite bounds > 0 (NaN if there
    is none)."""
    m = np.asarray(measured, np.float64)
    b = np.asarray(bound, np.float64)
    ok = np.isfinite(b) & (b > 0)
    return float(np.max(m[ok] / b[ok])) if np.any(ok) else float("nan")


def decl_bounds(local_iterates, mixing, targets, *, lr, pi=None) -> dict:
    r"""Measured consensus distance of a DecL run and its derived bounds (D2, D3/D5, D4/D5).

    The stepwise and closed-form bounds need full-batch local gradients (``population=True``);
    D2 holds for any applied gradients.

    Args:
      local_iterates: (T, N, E+1, c, d) of a ``record_local`` trace of one run.
      mixing: (N, N) the run's row-stochastic :math:`\mathcal{W}`.
      targets: (N, d, d) the population :math:`X_i`.
      lr: the constant step η.
      pi: (N,) consensus weights; ``None`` means the stationary weights of ``mixing`` (uniform
        for doubly-stochastic :math:`\mathcal{W}`; the D7 π-form otherwise).

    Returns:
      dict with ``e`` (T+1,) :math:`e_0, \dots, e_T`; ``spread`` (T,); ``zeta_local`` (T, E);
      ``lam``, ``R``, ``L``, ``rho`` (:math:`\rho = \lambda(1+\eta L)^E`; q for E = 1);
      ``closed_form_valid``; ``d2``, ``stepwise``, ``closed_form`` (T,) bounds on
      :math:`e_1, \dots, e_T` (``closed_form`` NaN when not valid); ``ratio``
      dict of max measured/bound per bound (``closed_form`` NaN when not valid).
    """
    it = _iterates(local_iterates)
    n = it.shape[1]
    M = v.array(mixing, "mixing", shape=(n, n))
    if pi is None:
        pi = np.asarray(spectral.stationary_weights(np.asarray(M, np.float64)), dtype=np.float64)
    pi = _weights(pi, n)
    eta = v.real(lr, "lr", lo=0.0, lo_open=True)
    starts = round_starts(it, M)
    e = consensus_distance(starts, pi)
    spread = update_spread(it, pi)
    local_avg = weighted_average(np.swapaxes(it[:, :, :-1], 1, 2), pi)  # (T, E, c, d)
    zeta_local = zeta(local_avg, targets, pi)
    lam = contraction(M)
    R = trajectory_radius(it, starts)
    L = smoothness(targets, R)
    d2 = d2_bound(e, spread, lam)
    step = stepwise_bound(e, zeta_local, lam, eta, L)
    closed, rho, valid = closed_form_bound(float(e[0]), zeta_local, lam, eta, L)
    return {
        "e": e,
        "spread": spread,
        "zeta_local": zeta_local,
        "pi": pi,
        "lam": lam,
        "R": R,
        "L": L,
        "rho": rho,
        "closed_form_valid": valid,
        "d2": d2,
        "stepwise": step,
        "closed_form": closed,
        "ratio": {
            "d2": max_ratio(e[1:], d2),
            "stepwise": max_ratio(e[1:], step),
            "closed_form": max_ratio(e[1:], closed),
        },
    }


def fedavg_drift(local_iterates, targets, *, lr, L=None, local_grads=None) -> dict:
    r"""Client drift :math:`D_{i,k} = y_{i,k} - x` of FedAvg and its bounds
    (docs/theory/consensus.md §5.1, T9).

    Every client's round starts from the server model x = ``local_iterates[t, i, 0]``.

    Args:
      local_iterates: (T, N, K+1, c, d) of a ``record_local`` FL trace.
      targets: (N, d, d) population :math:`X_i`.
      lr: the constant step η.
      L: smoothness constant; ``None`` means L on the ball of the trajectory's radius
        :math:`R_T`.
      local_grads: (T, N, K, c, d) applied gradients, for the noisy pathwise form (optional).

    Returns:
      dict with ``L``; ``drift`` (T, N, K+1) :math:`\lVert D_{i,k}\rVert`; ``grad_norm`` (T, N)
      :math:`\lVert \nabla f_i(x)\rVert`; ``c_k`` (K+1,); ``deterministic`` (T, N, K+1)
      :math:`c_k\lVert \nabla f_i(x)\rVert` (full-batch gradients only; equality at k = 1);
      ``averaged`` (T,) :math:`E_r = \frac{1}{NK}\sum_{i,k\ge1}\lVert D_{i,k}\rVert^2` and
      ``averaged_bound`` (T,)
      :math:`\big(\frac1K \sum_k c_k^2\big)\big(\lVert \nabla f(x)\rVert^2 + \zeta^2(x)\big)`; with
      ``local_grads``: ``noisy_lhs`` (T, N, K) :math:`\lVert D_{i,k+1}\rVert` and ``noisy``
      (T, N, K) :math:`(1+\eta L)\lVert D_{i,k}\rVert`
      :math:`{} + \eta(\lVert \nabla f_i(x)\rVert + \lVert \nu_{i,k}\rVert)`, ν the
      applied minus the full gradient at :math:`y_{i,k}`.
    """
    it = _iterates(local_iterates)
    T, n, kp1 = it.shape[:3]
    eta = v.real(lr, "lr", lo=0.0, lo_open=True)
    L = smoothness(targets, trajectory_radius(it)) if L is None else v.real(L, "L", lo=0.0)
    x0 = it[:, :, 0]  # (T, N, c, d): the server model, one copy per client
    drift = np.linalg.norm((it - x0[:, :, None]).reshape(T, n, kp1, -1), axis=-1)
    g = local_gradients(x0, targets)  # (T, N, c, d): ∇f_i at the server model
    gnorm = np.linalg.norm(g.reshape(T, n, -1), axis=-1)
    k = np.arange(kp1)
    ck = np.expm1(k * np.log1p(eta * L)) / L if L > 0 else k * eta
    gbar = g.mean(axis=1)
    mean_sq = np.sum(gbar**2, axis=(-2, -1)) + np.mean(
        np.sum((g - gbar[:, None]) ** 2, axis=(-2, -1)), axis=1
    )
    out = {
        "L": L,
        "drift": drift,
        "grad_norm": gnorm,
        "c_k": ck,
        "deterministic": ck[None, None, :] * gnorm[:, :, None],
        "averaged": np.mean(drift[:, :, 1:] ** 2, axis=(1, 2)),
        "averaged_bound": np.mean(ck[1:] ** 2) * mean_sq,
    }
    if local_grads is not None:
        gr = v.array(local_grads, "local_grads", shape=(T, n, kp1 - 1) + it.shape[3:])
        full = np.swapaxes(local_gradients(np.swapaxes(it[:, :, :-1], 1, 2), targets), 1, 2)
        nu = np.linalg.norm((np.asarray(gr, np.float64) - full).reshape(T, n, kp1 - 1, -1), axis=-1)
        out["noisy_lhs"] = drift[:, :, 1:]
        out["noisy"] = (1.0 + eta * L) * drift[:, :, :-1] + eta * (gnorm[:, :, None] + nu)
    return out
