"""Small nonlinear encoders for Track D (flax.linen): an MLP, a small CNN and a patch ViT,
with MAE and SimSiam heads.

Inputs are images cut into patches: one sample is x (P, q) (P patches of q = s·s·channels
pixels; :func:`patchify`), a batch is (B, P, q). Every network is a pure ``init``/``apply``
pair of flax.linen, so a client's parameters are a pytree and clients stack on a leading axis
under ``jax.vmap``.

* **MLP** (``arch="mlp"``): the flattened image through Dense layers; with ``act=None``, no
  hidden layers and no bias the encoder is the linear map z = W_e x of Tracks B/C.
* **CNN** (``arch="cnn"``): the image re-assembled from its patches through ``depth`` 3×3
  convolutions of stride 2 (channels doubling up to ``width``), flattened, then a Dense layer to
  ``embed``: the small-image form of the paper's "CNN" rows (ResNet-18, §6.1). MAE-style it sees
  the image with hidden patches zeroed (as the paper's MAE+CNN pairing masks the input).
* **ViT** (``arch="vit"``): a linear patch embedding plus learned positions, pre-norm
  transformer blocks (width ≤ 128), mean pooling. MAE-style it encodes only the visible
  patches (gathered by index) and a light one-block decoder fills in mask tokens.

Each architecture is a value, :class:`Arch` (``arch_of(name)``): the network reads its fields
(the encoder's layers, the smallest depth, whether it reads the image or a token sequence, the
preset's settings of its own) instead of comparing names; ``NetConfig.arch`` names it.

Heads (:data:`HEADS`; an objective names the head it trains, :class:`SSLNet`):

* ``"decoder"`` (MAE, MAR): encoder on the masked image, decoder back to all P patches (Eq. 3's
  nonlinear form, arXiv 2607.02447 §3.1; He et al.'s MAE);
* ``"siamese"`` (SimSiam, BYOL): encoder → projector (Dense-BN-ReLU-Dense-BN) → predictor
  (Dense-BN-ReLU-Dense, bottleneck), as SimSiam (Chen & He 2021). The batch normalisation uses
  the statistics of the client's own batch and keeps no running averages (:class:`_BatchStats`):
  the probes read the encoder, never the heads, so no inference-mode statistics are needed and a
  client's forward pass stays a pure function under vmap. (An earlier version used LayerNorm
  here; SimSiam then collapsed on every encoder, loss → −1 with the probe falling below the
  untrained encoder's.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v

__all__ = [
    "ARCHS",
    "Arch",
    "arch_of",
    "encoder_params",
    "HEADS",
    "NetConfig",
    "SSLNet",
    "make_net",
    "patchify",
    "init_params",
]

#: The network heads: an MAE-style decoder (MAE, MAR) or the siamese projector and predictor
#: (SimSiam, BYOL).
HEADS = ("decoder", "siamese")
_ACTS = {"gelu": nn.gelu, "relu": nn.relu, "none": None}


@dataclass(frozen=True)
class NetConfig:
    """Sizes of one Track D network (frozen, hashable: it is a static argument of jitted code).

    Args:
      arch: ``"mlp"``, ``"cnn"`` or ``"vit"`` (:func:`arch_of`).
      head: ``"decoder"`` or ``"siamese"`` (:data:`HEADS`).
      n_patches: P (a square number for the CNN). patch_dim: q = s·s·channels (pixels per patch).
      channels: image channels C (the CNN re-assembles the image from its patches).
      width: ViT token width / MLP hidden width / CNN last-layer channels (≤ 128).
      depth: ViT blocks / MLP hidden layers / CNN stride-2 convolutions.
      heads: attention heads. embed: representation width c (MLP output; ViT uses ``width``).
      dec_width: the ViT's MAE decoder width. dec_hidden: the hidden width of the MLP's and
        CNN's MAE decoder (None: ``width``). proj: SimSiam projector width. pred: predictor
        bottleneck.
      act: ``"gelu"``, ``"relu"`` or ``"none"`` (linear MLP). bias: Dense biases (MLP).
      dtype: parameter and compute dtype name (``"float32"`` or ``"float64"``).
    """

    arch: str = "mlp"
    head: str = "decoder"
    n_patches: int = 16
    patch_dim: int = 4
    channels: int = 1
    width: int = 64
    depth: int = 2
    heads: int = 4
    embed: int = 32
    dec_width: int = 32
    dec_hidden: int | None = None
    proj: int = 64
    pred: int = 16
    act: str = "gelu"
    bias: bool = True
    dtype: str = "float32"

    def __post_init__(self) -> None:
        arch = arch_of(self.arch)
        v.choice(self.head, "head", HEADS)
        v.choice(self.act, "act", tuple(_ACTS))
        v.choice(self.dtype, "dtype", ("float32", "float64"))
        v.integer(self.n_patches, "n_patches", lo=1)
        v.integer(self.patch_dim, "patch_dim", lo=1)
        v.integer(self.width, "width", lo=1, hi=128)
        v.integer(self.depth, "depth", lo=arch.min_depth, hi=12)
        v.integer(self.channels, "channels", lo=1, hi=4)
        if arch.image:
            g = int(round(self.n_patches**0.5))
            s = int(round((self.patch_dim / self.channels) ** 0.5))
            if g * g != self.n_patches or s * s * self.channels != self.patch_dim:
                v.fail("n_patches", "a square grid of square patches for the CNN", self.n_patches)
        v.integer(self.heads, "heads", lo=1)
        if arch.tokens and self.width % self.heads:
            v.fail("heads", f"a divisor of width={self.width}", self.heads)
        for name in ("embed", "dec_width", "proj", "pred"):
            v.integer(getattr(self, name), name, lo=1, hi=512)
        if self.dec_hidden is not None:
            v.integer(self.dec_hidden, "dec_hidden", lo=1, hi=1024)

    @property
    def rep_dim(self) -> int:
        """Width of the pooled representation the probes read."""
        return self.width if arch_of(self.arch).tokens else self.embed


def patchify(images: Any, patch: int) -> np.ndarray:
    """(n, H, W, C) images → (n, P, q) patches, P = (H/s)(W/s), q = s·s·C, row-major patches.

    Example:
      >>> patchify(np.arange(16.0).reshape(1, 4, 4, 1), 2)[0, 1].tolist()
      [2.0, 3.0, 6.0, 7.0]
    """
    x = np.asarray(images)
    if x.ndim != 4:
        v.fail("images", "an array of shape (n, H, W, C)", f"shape {x.shape}")
    n, h, w, c = x.shape
    s = v.integer(patch, "patch", lo=1)
    if h % s or w % s:
        v.fail("patch", f"a divisor of H={h} and W={w}", s)
    x = x.reshape(n, h // s, s, w // s, s, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(n, (h // s) * (w // s), s * s * c)


class _MLP(nn.Module):
    widths: tuple
    act: Callable | None
    bias: bool
    dtype: Any

    @nn.compact
    def __call__(self, h):
        for k, w in enumerate(self.widths):
            h = nn.Dense(w, use_bias=self.bias, dtype=self.dtype, param_dtype=self.dtype)(h)
            if k < len(self.widths) - 1 and self.act is not None:
                h = self.act(h)
        return h


class _BatchStats(nn.Module):
    """Batch normalisation with the current batch's mean and variance over axis 0 (train mode,
    no running averages), then an optional learned scale and bias."""

    affine: bool
    dtype: Any

    @nn.compact
    def __call__(self, h):
        mu = jnp.mean(h, axis=0, keepdims=True)
        var = jnp.mean((h - mu) ** 2, axis=0, keepdims=True)
        h = (h - mu) * jax.lax.rsqrt(var + 1e-5)
        if not self.affine:
            return h
        d = h.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (d,), self.dtype)
        bias = self.param("bias", nn.initializers.zeros, (d,), self.dtype)
        return h * scale + bias


class _CNN(nn.Module):
    """``depth`` 3×3 stride-2 convolutions (channels doubling up to ``width``), flatten, Dense."""

    width: int
    depth: int
    embed: int
    act: Callable | None
    dtype: Any

    @nn.compact
    def __call__(self, img):
        kw = dict(dtype=self.dtype, param_dtype=self.dtype)
        h = img
        for k in range(self.depth):
            ch = max(8, self.width // 2 ** (self.depth - 1 - k))
            h = nn.Dense(ch, **kw)(_patches3x3s2(h))
            h = self.act(h) if self.act is not None else h
        return nn.Dense(self.embed, **kw)(h.reshape(h.shape[:-3] + (-1,)))


def _patches3x3s2(h):
    """The 3×3 neighbourhoods at stride 2 with zero padding ("SAME"), (..., H, W, C) →
    (..., ⌈H/2⌉, ⌈W/2⌉, 9C): a Dense layer on them is a 3×3 stride-2 convolution. Written as
    nine strided slices because XLA's CPU convolution (and its gradient) ran ~10× slower than
    this product on the same work (28×28 MNIST, 2 cores)."""
    *lead, hh, ww, _ = h.shape
    ho, wo = (hh + 1) // 2, (ww + 1) // 2
    th, tw = 2 * ho + 1 - hh, 2 * wo + 1 - ww  # total padding of XLA's "SAME"
    pad = [(0, 0)] * len(lead) + [(th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)]
    p = jnp.pad(h, pad)
    cols = [p[..., i : i + 2 * ho : 2, j : j + 2 * wo : 2, :] for i in range(3) for j in range(3)]
    return jnp.concatenate(cols, axis=-1)


def _unpatchify(x, channels: int):
    """(..., P, q) patches → (..., H, W, C) images (the inverse of :func:`patchify`)."""
    *lead, n_p, q = x.shape
    g = int(round(n_p**0.5))
    s = int(round((q // channels) ** 0.5))
    y = x.reshape(*lead, g, g, s, s, channels)
    nd = len(lead)
    perm = tuple(range(nd)) + (nd, nd + 2, nd + 1, nd + 3, nd + 4)
    return y.transpose(perm).reshape(*lead, g * s, g * s, channels)


class _Block(nn.Module):
    width: int
    heads: int
    dtype: Any

    @nn.compact
    def __call__(self, h):
        kw = dict(dtype=self.dtype, param_dtype=self.dtype)
        a = nn.LayerNorm(force_float32_reductions=False, **kw)(h)
        a = nn.MultiHeadDotProductAttention(num_heads=self.heads, **kw)(a, a)
        h = h + a
        m = nn.LayerNorm(force_float32_reductions=False, **kw)(h)
        m = nn.Dense(2 * self.width, **kw)(m)
        m = nn.Dense(self.width, **kw)(nn.gelu(m))
        return h + m


class SSLNet(nn.Module):
    """Encoder + MAE decoder or SimSiam projector/predictor, configured by :class:`NetConfig`.

    Methods (``apply(params, ..., method=...)``):

    * ``represent(x)``: pooled representation of unmasked x (B, P, q) → (B, rep_dim);
    * ``mae(x, visible, keep)``: reconstruction (B, P, q) and pooled visible embedding
      (B, rep_dim); ``visible`` (B, P) in {0, 1} (MLP, CNN), ``keep`` (B, K) indices (ViT);
    * ``siam(x)``: projections z (B, proj) and predictions p (B, proj).
    """

    cfg: NetConfig

    def setup(self) -> None:
        c = self.cfg
        dt = jnp.dtype(c.dtype)
        kw = dict(dtype=dt, param_dtype=dt)
        act = _ACTS[c.act]
        arch = arch_of(c.arch)
        arch.layers(self)
        if c.head == "decoder":
            if not arch.tokens:
                hidden = c.width if c.dec_hidden is None else c.dec_hidden
                self.decoder = _MLP(
                    (hidden,) * min(c.depth, 1) + (c.n_patches * c.patch_dim,), act, c.bias, dt
                )
            else:
                self.dec_in = nn.Dense(c.dec_width, **kw)
                self.mask_token = self.param(
                    "mask_token", nn.initializers.normal(0.02, dt), (c.dec_width,), dt
                )
                self.dec_pos = self.param(
                    "dec_pos", nn.initializers.normal(0.02, dt), (c.n_patches, c.dec_width), dt
                )
                self.dec_block = _Block(c.dec_width, 1, dt)
                self.dec_out = nn.Dense(c.patch_dim, **kw)
        else:
            self.projector = [
                nn.Dense(c.proj, use_bias=False, **kw),
                _BatchStats(True, dt),
                nn.Dense(c.proj, use_bias=False, **kw),
                _BatchStats(False, dt),
            ]
            self.predictor = [
                nn.Dense(c.pred, use_bias=False, **kw),
                _BatchStats(True, dt),
                nn.Dense(c.proj, **kw),
            ]

    # -- encoders -------------------------------------------------------------------------

    def _vit_tokens(self, x, keep=None):
        h = self.embed_patch(x) + self.pos
        if keep is not None:  # gather the visible tokens as a one-hot matmul (fast under vmap)
            h = jnp.einsum("bkp,bpd->bkd", self._onehot(keep, h.dtype), h)
        for blk in self.blocks:
            h = blk(h)
        return self.norm(h)

    def _onehot(self, keep, dtype):
        return (keep[..., None] == jnp.arange(self.cfg.n_patches)).astype(dtype)

    def _encode_image(self, x):
        """MLP / CNN encoder of patches x (B, P, q): of the image they form (``Arch.image``) or
        of the flattened patches."""
        if arch_of(self.cfg.arch).image:
            return self.encoder(_unpatchify(x, self.cfg.channels))
        return self.encoder(x.reshape(x.shape[:-2] + (-1,)))

    def represent(self, x):
        if not arch_of(self.cfg.arch).tokens:
            return self._encode_image(x)
        return jnp.mean(self._vit_tokens(x), axis=-2)

    # -- MAE -------------------------------------------------------------------------------

    def mae(self, x, visible, keep):
        c = self.cfg
        if not arch_of(c.arch).tokens:
            xm = x * visible[..., None].astype(x.dtype)
            z = self._encode_image(xm)
            rec = self.decoder(z).reshape(x.shape)
            return rec, z
        tok = self._vit_tokens(x, keep)
        z = jnp.mean(tok, axis=-2)
        d = self.dec_in(tok)
        # scatter the decoded visible tokens back, mask tokens elsewhere (one-hot matmuls: exact,
        # and far faster than a scatter once clients are vmapped)
        onehot = self._onehot(keep, d.dtype)  # (B, K, P)
        hidden = 1.0 - jnp.sum(onehot, axis=-2)  # (B, P)
        full = jnp.einsum("bkp,bkd->bpd", onehot, d) + hidden[..., None] * self.mask_token
        rec = self.dec_out(self.dec_block(full + self.dec_pos))
        return rec, z

    # -- SimSiam ---------------------------------------------------------------------------

    def siam(self, x):
        h = self.represent(x)
        l1, n1, l2, n2 = self.projector
        z = n2(l2(nn.relu(n1(l1(h)))))
        q1, m1, q2 = self.predictor
        p = q2(nn.relu(m1(q1(z))))
        return z, p

    def __call__(self, x):
        if self.cfg.head == "decoder":
            k = max(1, self.cfg.n_patches // 4)
            keep = jnp.broadcast_to(jnp.arange(k), (x.shape[0], k))
            vis = jnp.ones(x.shape[:-1], x.dtype)
            return self.mae(x, vis, keep)
        return self.siam(x)


# -- the architectures ---------------------------------------------------------------------


def _mlp_layers(net: SSLNet) -> None:
    c = net.cfg
    net.encoder = _MLP((c.width,) * c.depth + (c.embed,), _ACTS[c.act], c.bias, jnp.dtype(c.dtype))


def _cnn_layers(net: SSLNet) -> None:
    c = net.cfg
    net.encoder = _CNN(c.width, c.depth, c.embed, _ACTS[c.act], jnp.dtype(c.dtype))


def _vit_layers(net: SSLNet) -> None:
    c = net.cfg
    dt = jnp.dtype(c.dtype)
    kw = dict(dtype=dt, param_dtype=dt)
    net.embed_patch = nn.Dense(c.width, **kw)
    net.pos = net.param("pos", nn.initializers.normal(0.02, dt), (c.n_patches, c.width), dt)
    net.blocks = [_Block(c.width, c.heads, dt) for _ in range(c.depth)]
    net.norm = nn.LayerNorm(force_float32_reductions=False, **kw)


#: the top-level parameter names the architectures' layers above create (``blocks_*`` too)
_ENCODER_KEYS = ("encoder", "embed_patch", "pos", "norm")


def encoder_params(params: Any) -> dict:
    """The encoder's part of a network's parameters ``{"params": {...}}``: the layers the
    architectures build (the MLP's or CNN's ``encoder``; the ViT's patch embedding, position
    table, blocks and final norm), without the MAE decoder or SimSiam's heads."""
    inner = params["params"]
    return {k: val for k, val in inner.items() if k in _ENCODER_KEYS or k.startswith("blocks")}


@dataclass(frozen=True)
class Arch:
    """One Track D encoder architecture as the network, its configuration and the experiments
    see it (one value per name: code reads these fields instead of comparing names).

    Args:
      name: ``"mlp"``, ``"cnn"`` or ``"vit"`` (``NetConfig.arch``).
      layers: ``layers(net)`` sets up the encoder's layers on ``net`` (an :class:`SSLNet`, in
        its ``setup``) from ``net.cfg``: ``net.encoder`` for the MLP and the CNN; the patch
        embedding, positions, blocks and norm for the ViT.
      min_depth: the smallest ``NetConfig.depth``: 0 lets the MLP be the linear map of Tracks
        B/C; the CNN and the ViT need a convolution or a block.
      image: the encoder reads the image re-assembled from its patches (the CNN), so the
        patches must tile a square grid of square patches; otherwise it reads the flattened
        patches, or tokens.
      tokens: a transformer over patch tokens (the ViT): MAE encodes only the visible patches,
        gathered by index (so the mask needs ``mode="count"``), the pooled representation is the
        mean token (``width`` wide, not ``embed``), the attention heads divide ``width``, and
        its MAE decoder is its own one-block token decoder (otherwise an MLP decoder from the
        representation).
      own_settings: the settings the preset (``sims.trackd.presets.Common``) holds for this
        architecture alone, as ``<name>_<setting>`` (``cnn_p``, ``vit_width``, ...): where set,
        each replaces the shared value (``sims.trackd.experiments.net_config``,
        ``loss_config``; ``dec_hidden`` has none shared: None, the decoder ``width`` wide).
    """

    name: str
    layers: Callable[[SSLNet], None]
    min_depth: int = 1
    image: bool = False
    tokens: bool = False
    own_settings: tuple = ()


_ARCHS = {
    "mlp": Arch("mlp", layers=_mlp_layers, min_depth=0),
    "cnn": Arch(
        "cnn", layers=_cnn_layers, image=True, own_settings=("width", "depth", "dec_hidden", "p")
    ),
    "vit": Arch("vit", layers=_vit_layers, tokens=True, own_settings=("width",)),
}
#: the architecture names (``NetConfig.arch``)
ARCHS = tuple(_ARCHS)


def arch_of(name: str) -> Arch:
    """The :class:`Arch` called ``name`` (a one-line ValueError naming ``arch``).

    Example:
      >>> arch_of("vit").tokens, arch_of("mlp").min_depth, arch_of("cnn").image
      (True, 0, True)
    """
    return _ARCHS[v.choice(name, "arch", ARCHS)]


def make_net(cfg: NetConfig) -> SSLNet:
    """The flax module of ``cfg`` (validates ``cfg``)."""
    if not isinstance(cfg, NetConfig):
        v.fail("cfg", "a sims.trackd.models.NetConfig", type(cfg).__name__)
    return SSLNet(cfg)


def init_params(cfg: NetConfig, *, key: jax.Array) -> Any:
    """Initial parameters of one client's network (a pytree, dtype ``cfg.dtype``).

    Example:
      >>> import jax.random as jr
      >>> p = init_params(NetConfig(arch="mlp", head="decoder", depth=0, act="none", bias=False,
      ...     n_patches=4, patch_dim=1, embed=2), key=jr.key(0))
      >>> p["params"]["encoder"]["Dense_0"]["kernel"].shape
      (4, 2)
    """
    net = make_net(cfg)
    x = jnp.zeros((2, cfg.n_patches, cfg.patch_dim), jnp.dtype(cfg.dtype))
    return net.init(key, x)
