r"""The regularised MIM losses: MAR's A-MMD and γ schedule (Eqs. 5–7), SSD's DSR.

* MAR (Eq. 5 of arXiv 2607.02447): the MIM loss plus :math:`\gamma \cdot \text{A-MMD}(z, \bar z)`
  between the client's masked embeddings and the global ones (:func:`ammd`, Eq. 6, with its
  adaptive kernel), γ from the cosine schedule of Eq. (7) (:func:`gamma_schedule`);
  docs/theory/mar.md.
* SSD: the soft-separation regulariser DSR (:func:`dsr`, docs/theory/ssd.md §2), its shared
  rotation and per-client scalings (:func:`dsr_scales`), and the projector-free form for a
  linear encoder (:func:`dsr_linear`, §3).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims.losses._checks import _arr, _concrete, _encoder_and_batch, _key, _nonneg
from sims.losses.alignment import masked_embeddings, mim, mim_independent, mim_recon
from theory import _validate as v

__all__ = [
    "ammd",
    "mar",
    "gamma_schedule",
    "gamma_cosine",
    "dsr",
    "dsr_scales",
    "dsr_linear",
]

BANDWIDTHS = ("mean", "mean-code")
DSR_FORMS = ("paper", "code")


# --------------------------------------------------------------------------------------------
# MAR: A-MMD, γ schedule


def _sq_dists(a: jax.Array, b: jax.Array) -> jax.Array:
    """‖a_i − b_j‖² from explicit differences (exact zeros on identical rows)."""
    diff = a[:, None, :] - b[None, :, :]
    return jnp.sum(diff * diff, axis=-1)


def _safe_sqrt(d2: jax.Array) -> jax.Array:
    """√d2 with a zero (not NaN) gradient at d2 = 0."""
    pos = d2 > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, d2, 1.0)), 0.0)


def ammd(z: Any, z_bar: Any, *, bandwidth: Any = "mean", squared: bool = True) -> jax.Array:
    r"""A-MMD of Eq. (6) of arXiv 2607.02447 between pooled embeddings z (B, c) and
    :math:`\bar z` (:math:`\bar B`, c).

    $$
    \begin{aligned}
    \text{A-MMD} &= \sum_{a\ne b} \frac{k(z_a, z_b)}{B(B-1)} +
      \sum_{a\ne b} \frac{k(\bar z_a, \bar z_b)}{\bar B(\bar B-1)} -
      2 \sum_{a,b} \frac{k(z_a, \bar z_b)}{B \bar B},\\
    k(z, z') &= \exp\big(-\lVert z - z'\rVert^2 / (2\sigma^2)\big)
      \qquad (\texttt{squared=True}\text{, default, as the official code}),\\
    k(z, z') &= \exp\big(-\lVert z - z'\rVert / (2\sigma^2)\big)
      \qquad (\texttt{squared=False}\text{, the paper's printed kernel}),
    \end{aligned}
    $$

    with the adaptive bandwidth σ computed from the local set z under ``stop_gradient`` (as the
    code, which uses ``no_grad``):

    * ``"mean"`` (default, the paper's Eq. 6):
      :math:`\sigma = \operatorname{mean}_{a\ne b} \lVert z_a - z_b\rVert`;
    * ``"mean-code"``: σ = mean over all :math:`B^2` pairs including the zero diagonal
      (:math:`= (B-1)/B \times` the above; the code's ``cdist(...).mean()``);
    * a positive number: a fixed σ (then the estimator is unbiased for :math:`\mathrm{MMD}^2` with
      that kernel).

    Why squared by default: the unsquared numerator makes k non-Gaussian and the :math:`\sigma^2`
    in the denominator dimensionally inconsistent (a distance over a squared distance);
    docs/theory/mar.md §1
    flags it as a probable typo and the released code squares it (§2). Both are kept.
    Deviation from the code (docs/theory/mar.md §2): the within-set sums exclude a = b here (the
    code keeps the diagonal, adding a constant), and only pooled 2-D embeddings are accepted (the
    code's 3-D token tensors mis-scale the cross term). If all local embeddings coincide
    (σ = 0), σ = 1 is used; the kernel values are then exact anyway for identical points.

    Args:
      z: (B, c) local embeddings, :math:`B \ge 2`. z_bar: (:math:`\bar B`, c) global embeddings,
        :math:`\bar B \ge 2`.
      bandwidth: ``"mean"``, ``"mean-code"`` or a float σ > 0.
      squared: squared (code) or unsquared (paper as printed) distance in the kernel.

    Returns:
      scalar (may be slightly negative: the within-set terms are unbiased).
    """
    z = _arr(z, "z", 2)
    z_bar = _arr(z_bar, "z_bar", 2, (None, z.shape[1]))
    if z.shape[0] < 2:
        v.fail("z", "an array of shape (B, c) with B >= 2", f"shape {tuple(z.shape)}")
    if z_bar.shape[0] < 2:
        v.fail("z_bar", "an array of shape (B, c) with B >= 2", f"shape {tuple(z_bar.shape)}")
    if z_bar.dtype != z.dtype:
        v.fail("z_bar", f"the dtype of z ({z.dtype})", f"dtype {z_bar.dtype}")
    if isinstance(bandwidth, str):
        v.choice(bandwidth, "bandwidth", BANDWIDTHS)
    elif _concrete(bandwidth):
        v.real(bandwidth, "bandwidth", lo=0.0, lo_open=True)
    b, bb = z.shape[0], z_bar.shape[0]
    d_zz = _sq_dists(z, z)
    d_bb = _sq_dists(z_bar, z_bar)
    d_zb = _sq_dists(z, z_bar)
    if isinstance(bandwidth, str):
        dist = _safe_sqrt(jax.lax.stop_gradient(d_zz))
        n_pairs = b * (b - 1) if bandwidth == "mean" else b * b
        sigma = jnp.sum(dist) / n_pairs
        sigma = jnp.where(sigma > 0, sigma, 1.0)
    else:
        sigma = jnp.asarray(bandwidth, dtype=z.dtype)

    def kern(d2):
        num = d2 if squared else _safe_sqrt(d2)
        return jnp.exp(-num / (2.0 * sigma**2))

    off = 1.0 - jnp.eye(b, dtype=z.dtype)
    off_bar = 1.0 - jnp.eye(bb, dtype=z.dtype)
    k_zz = jnp.sum(kern(d_zz) * off) / (b * (b - 1))
    k_bb = jnp.sum(kern(d_bb) * off_bar) / (bb * (bb - 1))
    k_zb = jnp.sum(kern(d_zb)) / (b * bb)
    return k_zz + k_bb - 2.0 * k_zb


#: each base of :func:`mar`: its loss and whether the parameters are the pair (W_e, W_d)
_MAR_BASE_LOSSES = {
    "mim": (mim, False),
    "mim-independent": (mim_independent, False),
    "recon": (mim_recon, True),
}
#: the bases of :func:`mar`
MAR_BASES = tuple(_MAR_BASE_LOSSES)


def mar(
    W: Any,
    x: Any,
    z_bar: Any,
    gamma: Any,
    p: Any,
    *,
    key: jax.Array,
    base: str = "mim",
    bandwidth: Any = "mean",
    squared: bool = True,
    return_embeddings: bool = False,
) -> Any:
    r"""MAR loss (Eq. 5 of arXiv 2607.02447): base MIM loss
    :math:`+\ \gamma \cdot \text{A-MMD}(z, \bar z)`.

    :math:`z = W(x \odot m)` are the local masked embeddings of this batch, with the same mask m as
    the base loss (and as :func:`masked_embeddings` with the same key); :math:`\bar z` is the global
    embedding set received from the server / neighbours, treated as a constant
    (``stop_gradient``).

    ``base``: ``"mim"`` (Eq. 4 surrogate, default: the loss the theory analyses),
    ``"mim-independent"``, or ``"recon"`` (Eq. 3, the paper's Eq. 5 literally; then ``W`` is
    the pair :math:`(W_e, W_d)` and :math:`z = W_e(x \odot m)`).

    Args:
      W: (c, d) encoder, or :math:`(W_e, W_d)` for ``base="recon"``.
      x: (B, d) batch. z_bar: (:math:`\bar B`, c) global embeddings. gamma: weight
        :math:`\gamma \ge 0` (may be traced).
      p: mask ratio in (0, 1). key: PRNG key.
      bandwidth, squared: passed to :func:`ammd`.
      return_embeddings: also return z (use ``jax.value_and_grad(..., has_aux=True)``).

    Returns:
      scalar loss, or ``(loss, z)`` with z (B, c).
    """
    v.choice(base, "base", MAR_BASES)
    _nonneg(gamma, "gamma")
    base_fn, decoder = _MAR_BASE_LOSSES[base]
    base_loss = base_fn(W, x, p, key=key)
    W_e = W[0] if decoder else W
    z = masked_embeddings(W_e, x, p, key=key, exact=decoder)
    reg = ammd(z, jax.lax.stop_gradient(jnp.asarray(z_bar)), bandwidth=bandwidth, squared=squared)
    total = base_loss + gamma * reg
    return (total, z) if return_embeddings else total


def gamma_schedule(
    count: Any, omega: Any, gamma_max: float = 1e-1, gamma_min: float = 1e-3
) -> jax.Array:
    r"""Cosine MAR weight of Eq. (7) of arXiv 2607.02447 over a client's participation count.

    $$
    \gamma = \gamma_{\min} + (\gamma_{\max} - \gamma_{\min}) \cdot
    \tfrac12\big(1 + \cos(\pi \cdot \operatorname{clip}(\omega/\Omega, 0, 1))\big).
    $$

    ω = ``count`` is the number of times the client has been selected so far; the ratio is
    clipped to [0, 1] as in the official code (``min(1, count/c_cap)``), so γ stays at
    :math:`\gamma_{\min}` once :math:`\omega \ge \Omega` (the paper's formula would rise again for
    :math:`\omega > \Omega`). :math:`\gamma(0) = \gamma_{\max}`,
    :math:`\gamma(\Omega) = \gamma_{\min}`.
    The paper's Ω is T in DecL and the expected number of selections per client in FL.

    Args:
      count: :math:`\omega \ge 0`, scalar or array (e.g. (N,) per client); may be traced.
      omega: Ω > 0 (may be traced).
      gamma_max, gamma_min: :math:`0 \le \gamma_{\min} \le \gamma_{\max}` (paper defaults 1e−1 and
        1e−3).

    Returns:
      array of the shape of ``count``: float64 in JAX's x64 mode, else float32 (what JAX
      would truncate a float64 request to, asked for directly so that no warning is raised).

    Example:
      >>> [round(float(gamma_schedule(c, 4)), 4) for c in (0, 2, 4, 9)]
      [0.1, 0.0505, 0.001, 0.001]
    """
    gmin = v.real(gamma_min, "gamma_min", lo=0.0)
    gmax = v.real(gamma_max, "gamma_max", lo=gmin)
    if _concrete(omega):
        v.real(omega, "omega", lo=0.0, lo_open=True)
    if _concrete(count):
        c_np = np.asarray(count, dtype=np.float64)
        if not np.all(np.isfinite(c_np)) or np.any(c_np < 0):
            v.fail("count", "participation counts >= 0", count)
    dt = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    return gamma_cosine(jnp.asarray(count, dt), jnp.asarray(omega, dt), gmax, gmin)


def gamma_cosine(count: Any, omega: Any, gamma_max: Any, gamma_min: Any) -> jax.Array:
    r"""The formula of :func:`gamma_schedule` without validation, for traced (swept) γ's:

    $$
    \gamma_{\min} + (\gamma_{\max} - \gamma_{\min}) \cdot
    \tfrac12\big(1 + \cos(\pi \cdot \operatorname{clip}(\omega/\Omega, 0, 1))\big)
    $$

    in the dtype of ``count``."""
    ratio = jnp.clip(count / omega, 0.0, 1.0)
    return gamma_min + (gamma_max - gamma_min) * 0.5 * (1.0 + jnp.cos(jnp.pi * ratio))


# --------------------------------------------------------------------------------------------
# SSD: dimension-scaled regularisation


def _normalize_rows(z: jax.Array) -> jax.Array:
    norm = _safe_sqrt(jnp.sum(z * z, axis=-1, keepdims=True))
    return z / jnp.where(norm > 0, norm, 1.0)


def _dsr_value(z: jax.Array, target: jax.Array, form: str) -> jax.Array:
    diff = z - target
    if form == "paper":
        return jnp.mean(jnp.sum(diff * diff, axis=-1))
    return _safe_sqrt(jnp.sum(diff * diff)) / z.shape[0]


def _check_dsr(z: Any, Q: Any, scale: Any, field: str = "z") -> tuple:
    z = _arr(z, field, 2)
    c = z.shape[1]
    Q = _arr(Q, "Q", 2, (c, c))
    scale = _arr(scale, "scale", 1, (c,))
    if Q.dtype != z.dtype or scale.dtype != z.dtype:
        v.fail("Q", f"Q and scale of the dtype of {field} ({z.dtype})", f"{Q.dtype}/{scale.dtype}")
    return z, Q, scale


def dsr(z: Any, Q: Any, scale: Any, *, form: str = "paper", normalize: bool = True) -> jax.Array:
    r"""SSD's soft-separation regulariser (DSR; docs/theory/ssd.md §2) for one client's embeddings.

    $$
    T = \operatorname{normalize\_rows}\big(\operatorname{stop\_gradient}(Q \operatorname{diag}(d_k)
    Q^\top z_b)\big),
    $$

    * ``form="paper"``: :math:`\operatorname{mean}_b \lVert z_b - T_b\rVert^2` (the project page's
      squared expectation),
    * ``form="code"``: :math:`\lVert Z - T\rVert_F / B` (the official code: Frobenius norm, not
      squared).

    With ``normalize=True`` (as in SSD, whose z is the L2-normalised projector output) the rows
    of z are L2-normalised first, and the gradient flows through that normalisation.

    Args:
      z: (B, c) embeddings. Q: (c, c) orthogonal. scale: (c,) the client's :math:`d_k`.
      form: ``"paper"`` or ``"code"``. normalize: L2-normalise the rows of z first.

    Returns:
      scalar.
    """
    v.choice(form, "form", DSR_FORMS)
    z, Q, scale = _check_dsr(z, Q, scale)
    if normalize:
        z = _normalize_rows(z)
    target = _normalize_rows(jax.lax.stop_gradient(((z @ Q) * scale) @ Q.T))
    return _dsr_value(z, target, form)


def dsr_scales(
    n_clients: int, dim: int, *, key: jax.Array, weight: float = 10.0, dtype: Any = jnp.float64
) -> tuple[jax.Array, jax.Array]:
    r"""Shared rotation Q and per-client scalings :math:`d_k` of SSD's DSR (docs/theory/ssd.md §2.2,
    §3).

    Q is Haar-random orthogonal (QR of a Gaussian matrix, signs fixed by diag R). A random
    permutation of the dim coordinates is cut into disjoint blocks :math:`S_k` of m = dim // K
    coordinates; :math:`d_k` = ``weight`` on :math:`S_k` and 1 elsewhere, so
    :math:`M_k M_k^\top = Q \operatorname{diag}(d_k) Q^\top`.
    Row k belongs to client id k (the paper's intent; the code assigns by selection slot).

    Args:
      n_clients: :math:`K \ge 1` with :math:`K \le \mathrm{dim}`. dim: embedding width c.
        key: PRNG key.
      weight: w > 0 (the code uses 10). dtype: float dtype.

    Returns:
      ``(Q (dim, dim), scales (K, dim))``.
    """
    k = v.integer(n_clients, "n_clients", lo=1)
    c = v.integer(dim, "dim", lo=1)
    if k > c:
        v.fail("n_clients", f"an integer in [1, dim={c}]", k)
    w = v.real(weight, "weight", lo=0.0, lo_open=True)
    _key(key)
    # Host-side draw (NumPy generator seeded from the key): no XLA compilation for a one-off.
    rng = np.random.default_rng(np.asarray(jr.key_data(key)).ravel())
    q, r = np.linalg.qr(rng.standard_normal((c, c)))
    q = q * np.sign(np.diagonal(r))[None, :]
    m = c // k
    perm = rng.permutation(c)[: k * m].reshape(k, m)
    scales = np.ones((k, c))
    scales[np.arange(k)[:, None], perm] = w
    return jnp.asarray(q, dtype=dtype), jnp.asarray(scales, dtype=dtype)


def dsr_linear(
    W: Any, x: Any, Q: Any, scale: Any, *, normalize: bool = False, form: str = "paper"
) -> jax.Array:
    r"""Projector-free DSR for a linear encoder: the regulariser applied to z = W x directly.

    A linear encoder has no projector, so there is nothing for Projector Distillation to do and
    DSR acts on the representation itself (docs/theory/ssd.md §3). Default (``normalize=False``):
    :math:`\ell = \operatorname{mean}_b \lVert z_b - \operatorname{stop\_gradient}(M z_b)\rVert^2`,
    :math:`M = Q \operatorname{diag}(d_k) Q^\top`, without the row
    normalisation. Chosen because its gradient is exactly

    $$
    \nabla_W \ell = -2 (M - I) W S, \qquad S = \operatorname{mean}_b x_b x_b^\top,
    $$

    i.e. λ·DSR changes the linear objective's gradient :math:`-2 W X + 2 W W^\top W` by a term that
    is again linear in the data second moment, so training with it stays comparable with the
    closed forms of :mod:`theory.objectives` (and it is well defined at z = 0, where the
    normalised form is not). ``normalize=True`` gives SSD's normalised version of
    :func:`dsr` on z = W x (scale-invariant in W: it only rotates W).

    Args:
      W: (c, d). x: (B, d). Q: (c, c). scale: (c,). normalize: see above. form: as :func:`dsr`
        (used only with ``normalize=True``; the default form is the paper's squared mean).
    """
    W, x = _encoder_and_batch(W, x)
    z = x @ W.T
    if normalize:
        return dsr(z, Q, scale, form=form, normalize=True)
    z, Q, scale = _check_dsr(z, Q, scale)
    target = jax.lax.stop_gradient(((z @ Q) * scale) @ Q.T)
    return _dsr_value(z, target, "paper")
