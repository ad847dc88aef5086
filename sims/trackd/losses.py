r"""Track D per-client losses ``loss(params, batch, *, key) -> scalar`` for the plug-in engine.

A batch is images (B, H, W, C). Four objectives (arXiv 2607.02447 §3.1, §5):

* **MAE** (Eq. 3, nonlinear form): patches x (B, P, q); a random visibility mask m (B, P)
  with exactly :math:`K = \max(1, \operatorname{round}((1-p)P))` visible patches per sample
  (``mode="count"``, MAE's shuffle) or i.i.d. :math:`m \sim \mathrm{Bernoulli}(1 - p)`
  (``mode="bernoulli"``, the linear tracks' mask); ``target="masked"`` (MAE, left) and
  ``target="eq3"`` (Eq. 3 exactly, right):

    $$
    \ell = \operatorname{mean}_b \frac{\sum_k (1 - m_{bk}) \lVert \hat x_{bk} - x_{bk}\rVert^2}
    {\max(1, \sum_k (1 - m_{bk}))}, \qquad
    \ell = \operatorname{mean}_b \lVert \hat x_b - x_b \odot (1 - m_b)\rVert^2,
    $$

    with :math:`\hat x = f_d(f_e(x \odot m))`. For the linear MLP (no hidden layer, no bias, no
    activation), patch size 1 and ``mode="bernoulli"``, ``target="eq3"``, this is
    ``sims.losses.mim_recon`` with :math:`W_e = \mathrm{kernel}^\top`,
    :math:`W_d = (\text{decoder kernel})^\top` and the same key.

* **SimSiam**: views :math:`x_1, x_2 = \operatorname{view}(x)` (``augment.view``);
  :math:`z = \operatorname{proj}(f(x))`, :math:`p = \operatorname{pred}(z)`;
  :math:`\ell = -\tfrac12\big[\cos(p_1, \mathrm{sg}(z_2)) + \cos(p_2, \mathrm{sg}(z_1))\big]`.

* **BYOL** (Grill et al. 2020): the SimSiam head under an EMA target: z, p of each view under
  the online network θ, :math:`z'` under the target ξ (the projection only);
  :math:`\ell = -\tfrac12\big[\cos(p_1, \mathrm{sg}(z'_2)) + \cos(p_2, \mathrm{sg}(z'_1))\big]`
  (BYOL's :math:`2 - 2\cos`, halved and shifted).
  Parameters are ``{"net": θ, "target": ξ}``; ξ gets no gradient and after every local step
  :math:`\xi \leftarrow \tau\xi + (1 - \tau)\theta` (:func:`ema_target`,
  τ = :data:`BYOL_DECAY`). Under FedAvg or gossip
  both are mixed (the target is part of each client's model).

* **MAR** (Eq. 5): :math:`\mathrm{MAE} + \gamma\cdot\text{A-MMD}(z, \mathrm{sg}(\bar z))`
  with ``sims.losses.ammd`` (Eq. 6), z the pooled embedding of the masked view under the
  client's model and :math:`\bar z` the same masked view under the
  anchor (the last aggregated model; γ from ``sims.losses.gamma_schedule``, Eq. 7). MAR
  parameters are ``{"net": θ, "anchor": θ̄, "gamma": γ}``; anchor and γ get zero gradient.
  Deviation from the paper/code: :math:`\bar z` is the anchor model's embedding of the same
  batch rather than a slot-wise average of other clients' latents of different images
  (docs/theory/mar.md §2).

Key use (MAE, MAR): ``k_mask, k_aug = jr.split(key)``, as ``sims.losses``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import optax

from sims import losses as base_losses
from sims.trackd import augment
from sims.trackd.models import NetConfig, arch_of, make_net
from theory import _validate as v

__all__ = [
    "OBJECTIVES",
    "Objective",
    "objective_of",
    "LossConfig",
    "patch_mask",
    "mae_loss",
    "simsiam_loss",
    "byol_loss",
    "ema_target",
    "BYOL_DECAY",
    "mar_loss",
    "mar_optimizer",
    "mar_params",
    "make_loss",
    "negative_cosine",
]

MASK_MODES = ("count", "bernoulli")
TARGETS = ("masked", "eq3")


@dataclass(frozen=True)
class LossConfig:
    """One Track D objective (frozen; hashable).

    Args:
      objective: one of :data:`OBJECTIVES` (``"mae"``, ``"simsiam"``, ``"mar"``, ``"byol"``).
      patch: patch side s (pixels). p: mask ratio in (0, 1).
      mask_mode: ``"count"`` or ``"bernoulli"``. target: ``"masked"`` or ``"eq3"``.
      shift: augmentation shift s (pixels). sigma: augmentation noise σ. flip: random flips.
      crop: SimSiam's random resized crop, smallest area fraction in (0, 1]; 0 = the shift.
      mae_augment: augment MAE inputs (shift + flip, as MAE's crop + flip) before masking.
      norm_pix: MAE's per-patch normalised target (He et al. 2022): each target patch minus its
        mean, over its standard deviation (+1e-6).
    """

    objective: str = "mae"
    patch: int = 2
    p: float = 0.75
    mask_mode: str = "count"
    target: str = "masked"
    shift: int = 1
    sigma: float = 0.1
    flip: bool = True
    mae_augment: bool = True
    crop: float = 0.0
    norm_pix: bool = False

    def __post_init__(self) -> None:
        v.choice(self.objective, "objective", OBJECTIVES)
        v.integer(self.patch, "patch", lo=1)
        v.real(self.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        v.choice(self.mask_mode, "mask_mode", MASK_MODES)
        v.choice(self.target, "target", TARGETS)
        v.integer(self.shift, "shift", lo=0)
        v.real(self.sigma, "sigma", lo=0.0)
        v.real(self.crop, "crop", lo=0.0, hi=1.0)


def patch_mask(key: jax.Array, batch: int, n_patches: int, p: float, mode: str = "count"):
    r"""Visibility mask (B, P) in {0, 1} (1 = visible) and the kept indices (B, K).

    ``count``: :math:`K = \max(1, \operatorname{round}((1 - p)P))` patches per sample, uniformly at
    random (the indices of the K smallest of P uniforms, sorted). ``bernoulli``:
    :math:`m \sim \mathrm{Bernoulli}(1 - p)` i.i.d. with the key used directly (as
    ``sims.losses``); ``keep`` is then None.

    Example:
      >>> import jax.random as jr
      >>> m, keep = patch_mask(jr.key(0), 3, 8, 0.75)
      >>> m.sum(axis=1).tolist(), keep.shape
      ([2, 2, 2], (3, 2))
    """
    v.choice(mode, "mask_mode", MASK_MODES)
    if mode == "bernoulli":
        return jr.bernoulli(key, jnp.asarray(1.0 - p, jnp.float32), (batch, n_patches)), None
    k = max(1, int(round((1.0 - p) * n_patches)))
    u = jr.uniform(key, (batch, n_patches), jnp.float32)
    keep = jnp.sort(jnp.argsort(u, axis=1)[:, :k], axis=1)
    vis = jnp.zeros((batch, n_patches), bool).at[jnp.arange(batch)[:, None], keep].set(True)
    return vis, keep


def _images(batch: Any, dtype) -> jax.Array:
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    x = jnp.asarray(x)
    if x.ndim != 4:
        v.fail("batch", "images of shape (B, H, W, C)", f"shape {tuple(x.shape)}")
    return x.astype(dtype)


def _mae_parts(net_cfg: NetConfig, cfg: LossConfig, params, batch, key, anchor=None):
    dt = jnp.dtype(net_cfg.dtype)
    net = make_net(net_cfg)
    x = _images(batch, dt)
    k_mask, k_aug = jr.split(key)
    if cfg.mae_augment and (cfg.shift > 0 or cfg.flip):
        x = augment.view_batch(x, key=k_aug, s=cfg.shift, sigma=0.0, do_flip=cfg.flip)
    xp = augment.patchify(x, cfg.patch)
    b, n_p = xp.shape[0], xp.shape[1]
    if n_p != net_cfg.n_patches or xp.shape[2] != net_cfg.patch_dim:
        v.fail(
            "batch", f"images giving ({net_cfg.n_patches}, {net_cfg.patch_dim}) patches", xp.shape
        )
    vis, keep = patch_mask(k_mask, b, n_p, cfg.p, cfg.mask_mode)
    if keep is None and arch_of(net_cfg.arch).tokens:
        v.fail("mask_mode", "'count' for the ViT (it gathers visible patches)", cfg.mask_mode)
    visf = vis.astype(dt)
    rec, z = net.apply(params, xp, visf, keep, method="mae")
    hid = 1.0 - visf
    if cfg.target == "masked":
        tgt = xp
        if cfg.norm_pix:
            mu = jnp.mean(xp, axis=-1, keepdims=True)
            tgt = (xp - mu) / (jnp.std(xp, axis=-1, keepdims=True) + 1e-6)
        per = jnp.sum(hid[..., None] * (rec - tgt) ** 2, axis=(1, 2))
        loss = jnp.mean(per / jnp.maximum(jnp.sum(hid, axis=1), 1.0))
    else:
        loss = jnp.mean(jnp.sum((rec - xp * hid[..., None]) ** 2, axis=(1, 2)))
    z_bar = None
    if anchor is not None:
        _, z_bar = net.apply(anchor, xp, visf, keep, method="mae")
    return loss, z, z_bar


def mae_loss(net_cfg: NetConfig, cfg: LossConfig, params: Any, batch: Any, *, key: jax.Array):
    """MAE reconstruction loss of one client batch (module docstring for the formula)."""
    return _mae_parts(net_cfg, cfg, params, batch, key)[0]


def negative_cosine(p: jax.Array, z: jax.Array) -> jax.Array:
    r""":math:`-\operatorname{mean}_b \cos(p_b, \mathrm{sg}(z_b))` (the target branch z is
    stop-gradient)."""
    z = jax.lax.stop_gradient(z)
    return -jnp.mean(jnp.sum(_unit_rows(p) * _unit_rows(z), axis=-1))


def _unit_rows(x: jax.Array) -> jax.Array:
    """``x / max(‖x‖, 1e-12)`` along the last axis, with a row of norm 0 (zero, or so small
    that its squares underflow) left zero and its gradient 0, not NaN: a row's cosine is
    undefined at 0 (the norm's derivative there is 0/0), and a predictor whose ReLUs are all
    off at initialisation outputs such a row. Other rows get the values and gradients of
    ``jnp.linalg.norm`` alone (to rounding: XLA may fuse the guarded form differently)."""
    zero = jnp.sum(x * x, axis=-1, keepdims=True) == 0  # also a row whose squares underflow
    safe = jnp.where(zero, jnp.ones_like(x), x)
    norm = jnp.linalg.norm(safe, axis=-1, keepdims=True)
    return jnp.where(zero, 0, safe / jnp.maximum(norm, 1e-12))


def simsiam_loss(net_cfg: NetConfig, cfg: LossConfig, params: Any, batch: Any, *, key):
    r"""SimSiam loss
    :math:`-\tfrac12\big[\cos(p_1, \mathrm{sg}(z_2)) + \cos(p_2, \mathrm{sg}(z_1))\big]`
    of one client batch."""
    dt = jnp.dtype(net_cfg.dtype)
    net = make_net(net_cfg)
    x = _images(batch, dt)
    k1, k2 = jr.split(key)
    views = [
        augment.patchify(
            augment.view_batch(
                x, key=k, s=cfg.shift, sigma=cfg.sigma, do_flip=cfg.flip, crop=cfg.crop
            ),
            cfg.patch,
        )
        for k in (k1, k2)
    ]
    (z1, p1), (z2, p2) = (net.apply(params, xv, method="siam") for xv in views)
    return 0.5 * (negative_cosine(p1, z2) + negative_cosine(p2, z1))


def byol_loss(net_cfg: NetConfig, cfg: LossConfig, params: Any, batch: Any, *, key):
    r"""BYOL loss
    :math:`-\tfrac12\big[\cos(p_1, \mathrm{sg}(z'_2)) + \cos(p_2, \mathrm{sg}(z'_1))\big]`,
    :math:`z'` under the target ``params["target"]`` (module docstring)."""
    dt = jnp.dtype(net_cfg.dtype)
    net = make_net(net_cfg)
    x = _images(batch, dt)
    target = jax.lax.stop_gradient(params["target"])
    views = [
        augment.patchify(
            augment.view_batch(
                x, key=k, s=cfg.shift, sigma=cfg.sigma, do_flip=cfg.flip, crop=cfg.crop
            ),
            cfg.patch,
        )
        for k in jr.split(key)
    ]
    (_, p1), (_, p2) = (net.apply(params["net"], xv, method="siam") for xv in views)
    (t1, _), (t2, _) = (net.apply(target, xv, method="siam") for xv in views)
    return 0.5 * (negative_cosine(p1, t2) + negative_cosine(p2, t1))


#: τ of BYOL's target, ξ ← τξ + (1 − τ)θ after every step (Grill et al. 2020's base τ; their
#: cosine increase of τ towards 1 is not applied).
BYOL_DECAY = 0.996


def ema_target(inner: optax.GradientTransformation, decay: float) -> optax.GradientTransformation:
    r"""The optimiser of ``{"net", "target"}``: ``inner`` steps "net", then, with the net after
    the step,

    $$
    \mathrm{target} \leftarrow \mathrm{decay}\cdot\mathrm{target} +
    (1 - \mathrm{decay})\cdot\mathrm{net}.
    $$

    Example:
      >>> opt = ema_target(optax.sgd(1.0), 0.5)
      >>> p = {"net": jnp.ones(1), "target": jnp.zeros(1)}
      >>> u, _ = opt.update({"net": jnp.zeros(1), "target": jnp.zeros(1)}, opt.init(p), p)
      >>> optax.apply_updates(p, u)["target"].tolist()
      [0.5]
    """

    def init(params):
        return inner.init(params["net"])

    def update(grads, state, params):
        u_net, state = inner.update(grads["net"], state, params["net"])
        new_net = optax.apply_updates(params["net"], u_net)
        u_target = jax.tree.map(lambda n, t: (1.0 - decay) * (n - t), new_net, params["target"])
        return {"net": u_net, "target": u_target}, state

    return optax.GradientTransformation(init, update)


def mar_loss(net_cfg: NetConfig, cfg: LossConfig, params: Any, batch: Any, *, key):
    r"""MAR loss (Eq. 5):
    :math:`\mathrm{MAE} + \gamma\cdot\text{A-MMD}(z, \mathrm{sg}(\bar z))`; params
    ``{"net", "anchor", "gamma"}`` (and the trainer's ``"round"``, :func:`mar_params`, which the
    loss does not read)."""
    if not isinstance(params, dict) or set(params) - {"round"} != {"net", "anchor", "gamma"}:
        v.fail("params", 'a dict with keys "net", "anchor", "gamma"', type(params).__name__)
    anchor = jax.lax.stop_gradient(params["anchor"])
    gamma = jax.lax.stop_gradient(params["gamma"])
    loss, z, z_bar = _mae_parts(net_cfg, cfg, params["net"], batch, key, anchor=anchor)
    reg = base_losses.ammd(z, jax.lax.stop_gradient(z_bar))
    return loss + jnp.asarray(gamma, loss.dtype) * reg


def make_loss(net_cfg: NetConfig, cfg: LossConfig):
    """The plug-in loss ``loss(params, batch, *, key) -> scalar`` of ``cfg.objective``.

    Example:
      >>> import jax.random as jr
      >>> from sims.trackd.models import init_params
      >>> nc = NetConfig(arch="mlp", head="decoder", n_patches=16, patch_dim=4, width=8, embed=4)
      >>> loss = make_loss(nc, LossConfig("mae"))
      >>> float(loss(init_params(nc, key=jr.key(0)), jnp.ones((2, 8, 8, 1)), key=jr.key(1))) > 0
      True
    """
    if not isinstance(net_cfg, NetConfig):
        v.fail("net_cfg", "a sims.trackd.models.NetConfig", type(net_cfg).__name__)
    if not isinstance(cfg, LossConfig):
        v.fail("cfg", "a sims.trackd.losses.LossConfig", type(cfg).__name__)
    objective = objective_of(cfg.objective)
    if net_cfg.head != objective.head:
        v.fail("net_cfg.head", f"{objective.head!r} for objective {cfg.objective!r}", net_cfg.head)
    fn = objective.loss

    def loss(params, batch, *, key):
        return fn(net_cfg, cfg, params, batch, key=key)

    return loss


class _MarState(NamedTuple):
    inner: Any
    count: jax.Array


def mar_optimizer(
    inner: optax.GradientTransformation,
    local_steps: int,
    rounds: int,
    gamma_max: float = 1e-1,
    gamma_min: float = 1e-3,
) -> optax.GradientTransformation:
    r"""Optimiser of MAR's ``{"net", "anchor", "gamma", "round"}`` parameters.

    ``inner`` steps "net"; at local step E − 1 of a round (the engine re-initialises the
    optimiser every round) :math:`\mathrm{anchor} \leftarrow \mathrm{net}` after the step,
    :math:`\gamma \leftarrow \gamma(t+1)`, :math:`\mathrm{round} \leftarrow t + 1`.
    """

    def init(params):
        return _MarState(inner.init(params["net"]), jnp.zeros((), jnp.int32))

    def update(grads, state, params):
        u_net, s_net = inner.update(grads["net"], state.inner, params["net"])
        last = state.count == local_steps - 1
        new_net = optax.apply_updates(params["net"], u_net)
        u_anchor = jax.tree.map(
            lambda new, a: jnp.where(last, new - a, jnp.zeros_like(a)), new_net, params["anchor"]
        )
        t = params["round"]
        g_next = base_losses.gamma_schedule(t + 1, rounds, gamma_max, gamma_min).astype(t.dtype)
        u_gamma = jnp.where(last, g_next - params["gamma"], jnp.zeros_like(t))
        u_round = jnp.where(last, jnp.ones_like(t), jnp.zeros_like(t))
        updates = {"net": u_net, "anchor": u_anchor, "gamma": u_gamma, "round": u_round}
        return updates, _MarState(s_net, state.count + 1)

    return optax.GradientTransformation(init, update)


def mar_params(net_params: Any, cfg: Any) -> dict:
    r"""Initial MAR parameters: anchor = net, :math:`\gamma = \gamma_{\max}` (:math:`\gamma(0)`),
    round = 0, in the net's dtype (``cfg``: a ``sims.trackd.train.TrainConfig``)."""
    dt = jax.tree.leaves(net_params)[0].dtype
    return {
        "net": net_params,
        "anchor": net_params,
        "gamma": jnp.asarray(cfg.gamma_max, dt),
        "round": jnp.zeros((), dt),
    }


def _mar_optimizer(inner: optax.GradientTransformation, cfg: Any):
    return mar_optimizer(inner, cfg.local_steps, cfg.rounds, cfg.gamma_max, cfg.gamma_min)


@dataclass(frozen=True)
class Objective:
    """One Track D objective as the experiments and the trainer see it (one value per name:
    code reads these fields instead of comparing names).

    Args:
      name: ``"mae"``, ``"simsiam"``, ``"byol"`` or ``"mar"``.
      head: the network's head (:class:`sims.trackd.models.NetConfig`): ``"decoder"`` or
        ``"siamese"`` (projector and predictor).
      loss: ``loss(net_cfg, cfg, params, batch, *, key)`` (:func:`mae_loss`, ...).
      params: ``params(net_params, train_cfg) -> params``: what the trainer trains, from the
        network's parameters (None: the network itself); :func:`mar_params` (MAR), the
        network with its BYOL target.
      optimizer: ``optimizer(inner, train_cfg) -> optax transformation`` around the preset's
        Adam (None: Adam itself): :func:`mar_optimizer` (MAR), :func:`ema_target` (BYOL).
      own_schedule: trains with the preset's ``lr_simsiam`` and ``batch_simsiam`` (SimSiam).
    """

    name: str
    head: str
    loss: Callable
    params: Callable | None = None
    optimizer: Callable | None = None
    own_schedule: bool = False

    def net(self, params: Any) -> Any:
        """The network parameters inside this objective's parameters."""
        return params if self.params is None else params["net"]


_OBJECTIVES = {
    "mae": Objective("mae", head="decoder", loss=mae_loss),
    "simsiam": Objective("simsiam", head="siamese", loss=simsiam_loss, own_schedule=True),
    "mar": Objective(
        "mar", head="decoder", loss=mar_loss, params=mar_params, optimizer=_mar_optimizer
    ),
    "byol": Objective(
        "byol",
        head="siamese",
        loss=byol_loss,
        params=lambda net, cfg: {"net": net, "target": net},
        optimizer=lambda inner, cfg: ema_target(inner, BYOL_DECAY),
    ),
}
#: the objective names (``LossConfig.objective``), in the order of the tables
OBJECTIVES = tuple(_OBJECTIVES)


def objective_of(name: str) -> Objective:
    """The :class:`Objective` called ``name`` (a one-line ValueError naming ``objective``).

    Example:
      >>> objective_of("mar").net({"net": 1, "anchor": 2}), objective_of("byol").head
      (1, 'siamese')
    """
    return _OBJECTIVES[v.choice(name, "objective", OBJECTIVES)]
