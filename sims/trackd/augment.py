r"""Keyed image augmentations in JAX for Track D, one image (H, W, C) at a time (vmap for batches).

* :func:`shift` — random crop after zero padding by ``s`` pixels (a random translation by
  :math:`(dy, dx) \in [-s, s]^2`), the small-image form of RandomResizedCrop;
* :func:`resized_crop` — a random crop of area fraction in :math:`[a, 1]` (aspect ratio in
  :math:`[3/4, 4/3]`) resized back to H × W (bilinear): SimSiam's RandomResizedCrop;
* :func:`flip` — horizontal flip with probability ½;
* :func:`noise` — additive Gaussian noise :math:`N(0, \sigma^2)`;
* :func:`view` — the composition crop (resized or shift) → flip → noise used for SimSiam's two
  views;
* :func:`client_style` / :func:`style_params` — the paper's feature skew
  (docs/theory/paper_code.md §3
  "feature_skew": a per-client ColorJitter brightness, a blur and a flip), here a fixed
  per-client gain, offset and blur strength drawn once per client and applied to all its data.

Every random function takes ``*, key``; the same key gives the same output.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from theory import _validate as v

__all__ = [
    "shift",
    "resized_crop",
    "flip",
    "noise",
    "view",
    "view_batch",
    "style_params",
    "client_style",
    "patchify",
]


def _img(x: Any) -> jax.Array:
    x = jnp.asarray(x)
    if x.ndim != 3:
        v.fail("x", "one image of shape (H, W, C)", f"shape {tuple(x.shape)}")
    return x


def shift(x: Any, s: int, *, key: jax.Array) -> jax.Array:
    r"""Random translation by :math:`(dy, dx) \sim U\{-s, \dots, s\}^2`, zero fill: crop of the
    s-padded image.

    Example:
      >>> import jax.random as jr
      >>> shift(jnp.ones((4, 4, 1)), 0, key=jr.key(0)).sum().item()
      16.0
    """
    x = _img(x)
    s = v.integer(s, "s", lo=0)
    if s == 0:
        return x
    h, w, c = x.shape
    padded = jnp.pad(x, ((s, s), (s, s), (0, 0)))
    off = jr.randint(key, (2,), 0, 2 * s + 1, dtype=jnp.int32)
    return jax.lax.dynamic_slice(padded, (off[0], off[1], jnp.int32(0)), (h, w, c))


def resized_crop(x: Any, min_area: float, *, key: jax.Array) -> jax.Array:
    r"""A random crop of area fraction :math:`u \sim U[\mathrm{min\_area}, 1]` and aspect ratio
    :math:`r \sim \mathrm{logU}[3/4, 4/3]`, at a uniform position, resized back to the image's
    H × W with bilinear interpolation (``jax.image.scale_and_translate``): the
    RandomResizedCrop of SimSiam (Chen & He 2021).

    Example:
      >>> import jax.random as jr
      >>> resized_crop(jnp.ones((8, 8, 1)), 1.0, key=jr.key(0)).shape
      (8, 8, 1)
    """
    x = _img(x)
    a = v.real(min_area, "min_area", lo=0.0, hi=1.0, lo_open=True)
    h, w, _ = x.shape
    k1, k2, k3 = jr.split(key, 3)
    area = jr.uniform(k1, (), jnp.float32, a, 1.0)
    log_r = jr.uniform(k2, (), jnp.float32, np.log(3 / 4), np.log(4 / 3))
    ch = jnp.clip(jnp.sqrt(area / jnp.exp(log_r)), 0.0, 1.0) * h  # crop height, pixels
    cw = jnp.clip(jnp.sqrt(area * jnp.exp(log_r)), 0.0, 1.0) * w
    u = jr.uniform(k3, (2,), jnp.float32)
    top, left = u[0] * (h - ch), u[1] * (w - cw)
    scale = jnp.stack([h / ch, w / cw]).astype(x.dtype)
    shift_ = jnp.stack([-top * h / ch, -left * w / cw]).astype(x.dtype)
    y = jax.image.scale_and_translate(x, x.shape, (0, 1), scale, shift_, "linear", antialias=False)
    return y.astype(x.dtype)


def flip(x: Any, *, key: jax.Array) -> jax.Array:
    """Horizontal flip x[:, ::-1] with probability ½."""
    x = _img(x)
    return jnp.where(jr.bernoulli(key, jnp.float32(0.5)), x[:, ::-1, :], x)


def noise(x: Any, sigma: float, *, key: jax.Array) -> jax.Array:
    r""":math:`x + \sigma\cdot\xi`, :math:`\xi \sim N(0, I)`, in the dtype of x."""
    x = _img(x)
    return x + sigma * jr.normal(key, x.shape, x.dtype)


def view(
    x: Any,
    *,
    key: jax.Array,
    s: int = 1,
    sigma: float = 0.1,
    do_flip: bool = True,
    crop: float = 0.0,
):
    """One augmented view: noise(flip(crop(x))) with independent sub-keys of ``key``; the crop
    is :func:`resized_crop` with ``min_area=crop`` when ``crop`` > 0, else :func:`shift` by s."""
    k1, k2, k3 = jr.split(key, 3)
    y = resized_crop(x, crop, key=k1) if crop > 0 else shift(x, s, key=k1)
    if do_flip:
        y = flip(y, key=k2)
    return noise(y, sigma, key=k3) if sigma > 0 else y


def view_batch(
    x: Any,
    *,
    key: jax.Array,
    s: int = 1,
    sigma: float = 0.1,
    do_flip: bool = True,
    crop: float = 0.0,
):
    """:func:`view` of each image of a batch (B, H, W, C), one sub-key per image."""
    x = jnp.asarray(x)
    if x.ndim != 4:
        v.fail("x", "a batch of shape (B, H, W, C)", f"shape {tuple(x.shape)}")
    keys = jr.split(key, x.shape[0])
    return jax.vmap(lambda im, k: view(im, key=k, s=s, sigma=sigma, do_flip=do_flip, crop=crop))(
        x, keys
    )


def style_params(n_clients: int, *, key: jax.Array, strength: float = 1.0) -> jax.Array:
    r"""Per-client feature-skew parameters (N, 4): :math:`\mathrm{gain} \in 1 \pm \tfrac12 s`,
    :math:`\mathrm{offset} \in \pm\tfrac12 s`, :math:`\mathrm{blur} \in [0, s]`,
    :math:`\mathrm{flip} \in \{0, 1\}` with :math:`P(1) = s/2` (the paper's per-client
    ColorJitter(brightness 0.5·U(0,1)), blur and flip).

    Args:
      n_clients: N ≥ 1. key: PRNG key. strength: :math:`s \in [0, 1]` (0: no skew).
    """
    n = v.integer(n_clients, "n_clients", lo=1)
    st = v.real(strength, "strength", lo=0.0, hi=1.0)
    u = jr.uniform(key, (n, 4), jnp.float32)
    gain = 1.0 + st * (u[:, 0] - 0.5)
    offset = st * (u[:, 1] - 0.5)
    blur = st * u[:, 2]
    flp = (u[:, 3] < 0.5 * st).astype(u.dtype)
    return jnp.stack([gain, offset, blur, flp], axis=1)


def client_style(x: Any, style: Any) -> Any:
    r"""Apply one client's fixed style (4,) to its images (M, H, W, C): 3×3 box blur mixed in
    with weight ``blur``, then :math:`\mathrm{gain}\cdot x + \mathrm{offset}`, then a flip if
    ``flip`` = 1. Deterministic; NumPy in, NumPy out (data preparation), JAX in, JAX out."""
    xp = np if isinstance(x, np.ndarray) else jnp
    x = xp.asarray(x)
    if x.ndim != 4:
        v.fail("x", "images of shape (M, H, W, C)", f"shape {tuple(x.shape)}")
    style = xp.asarray(style).astype(x.dtype)
    gain, offset, blur, flp = style[0], style[1], style[2], style[3]
    padded = xp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = x.shape[1], x.shape[2]
    box = sum(padded[:, i : i + h, j : j + w, :] for i in range(3) for j in range(3)) / 9.0
    y = (1.0 - blur) * x + blur * box
    y = gain * y + offset
    return xp.where(flp > 0.5, y[:, :, ::-1, :], y).astype(x.dtype)


def patchify(x: Any, patch: int) -> jax.Array:
    """(..., H, W, C) → (..., P, q) patches in JAX (the traced twin of models.patchify)."""
    x = jnp.asarray(x)
    *lead, h, w, c = x.shape
    s = patch
    y = x.reshape(*lead, h // s, s, w // s, s, c)
    nd = len(lead)
    perm = tuple(range(nd)) + (nd, nd + 2, nd + 1, nd + 3, nd + 4)
    return y.transpose(perm).reshape(*lead, (h // s) * (w // s), s * s * c)
