r"""One value per self-supervised method: its Track B target, its Track C loss, its paper bound.

The engine is handed a :class:`Method` (the way a simulator is handed its energy function) and
never switches on method names; adding a method is adding one value to :data:`METHODS`.

With the means over the minibatch
:math:`\ell(u, v) = -\operatorname{mean}\, (W u)^\top (W v) + \tfrac12 \lVert W^\top W\rVert^2`
(the alignment loss of the views (u, v)) and
:math:`\ell_{\mathrm{rec}} = \operatorname{mean} \lVert W_d W_e(x \odot m) - x \odot (1-m)\rVert^2`:

| method | Track B target :math:`X_i` | paper bound | Track C loss (per minibatch) |
| --- | --- | --- | --- |
| ``cl`` | :math:`S` (``"cl"``) | Thm 4.3 (cl) | :math:`\ell(x+\xi,\ x+\xi')` |
| ``cl-dissimilar`` | :math:`\tfrac12(HS + SH^\top)` | Thm 4.3 | :math:`\ell(x+\xi,\ Hx)` |
| ``mim`` | :math:`\kappa(S-\mathrm{diag}\,S)` | Thm 4.2 | :math:`\ell(x \odot m,\ x \odot(1-m))` |
| ``mim-independent`` | :math:`\kappa S` | none | as mim, independent second mask |
| ``mim-recon`` | Eq. 3 moments | none | :math:`\ell_{\mathrm{rec}}` (Eq. 3) |
| ``mar`` | none | none | mim + :math:`\gamma \cdot \text{A-MMD}(z, \bar z)` (Eqs. 5–7) |
| ``ssd`` | none | none | mim + λ·DSR (docs/theory/ssd.md §3) |

(:math:`\kappa = p(1 - p)`, S the client's second moment; Eqs. 2–7 of arXiv 2607.02447; the
targets are :mod:`theory.objectives`, the optima :func:`theory.solve.eckart_young` and, for
mim-recon, its own reduced-rank regression optimum :func:`theory.solve.recon_optimum`, never the
MIM one.)

The four alignment methods carry ``views`` and use the closed-form gradient
:func:`align_value_and_grad` (the engine's fast path); the others are differentiated with
``jax.value_and_grad``. Every loss here is the loss of :mod:`sims.losses` with the same key
use, so the engine and the loss functions agree bit for bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, Float

import sims.keys as keys
import sims.losses as losses
from theory import _validate as v

__all__ = [
    "Context",
    "Method",
    "METHODS",
    "NAMES",
    "get",
    "align_value_and_grad",
]


class Context(NamedTuple):
    """What a client's loss may need besides its parameters and minibatch.

    Attributes:
      p: mask ratio (a Python float: it fixes the mask threshold at trace time).
      H: (d, d) transform of cl-dissimilar, or None.
      z_bar: (B, c) global embeddings received (MAR), or None.
      gamma: MAR weight γ (scalar, may be traced), or None.
      extra: method-specific constants (SSD: ``(Q (c, c), scale (c,), lam)``), or None.
    """

    p: float = 0.75
    H: Any = None
    z_bar: Any = None
    gamma: Any = None
    extra: Any = None


def align_value_and_grad(
    W: Float[Array, "c d"], a: Float[Array, "B d"], b: Float[Array, "B d"]
) -> tuple[Float[Array, ""], Float[Array, "c d"]]:
    r""":math:`\ell = -\frac1B \sum_b (W a_b)^\top (W b_b) + \tfrac12 \lVert W W^\top\rVert^2` and
    :math:`\nabla\ell = -\frac1B (z_b^\top a + z_a^\top b) + 2(W W^\top) W` with
    :math:`z_a = a W^\top`, :math:`z_b = b W^\top` (the closed-form gradient of the alignment
    losses, Eqs. 2 and 4).

    The embeddings are formed transposed, :math:`z_a^\top = W a^\top` (c, B): every product is
    then a plain (M, K)·(K, N) one, which XLA's CPU backend hands to its fast batched kernels; with
    :math:`z_a` (B, c) the gradient's :math:`z_b^\top a` contracts the leading axes of both
    operands and fell back to a slower generic dot (measured at N = 100, d = 64, c = 16, B = 32:
    9–13 % of the round).

    >>> W = jnp.eye(2, 3); x = jnp.ones((4, 3))
    >>> val, g = align_value_and_grad(W, x, x)
    >>> g.shape
    (2, 3)
    """
    zaT, zbT = W @ a.T, W @ b.T
    gram = W @ W.T
    nb = a.shape[0]
    val = -jnp.sum(zaT * zbT) / nb + 0.5 * jnp.sum(gram * gram)
    grad = -(zbT @ a + zaT @ b) / nb + 2.0 * (gram @ W)
    return val, grad


# ---------------------------------------------------------------------------------------------
# views of the alignment methods (drawn exactly as sims.losses draws them)


def _views_cl(x, ctx: Context, *, key):
    k1, k2 = keys.split(key)
    return x + losses.gaussian(k1, x.shape, x.dtype), x + losses.gaussian(k2, x.shape, x.dtype)


def _views_cl_dissimilar(x, ctx: Context, *, key):
    k1, _ = keys.split(key)
    return x + losses.gaussian(k1, x.shape, x.dtype), x @ ctx.H.T


def _views_mim(x, ctx: Context, *, key):
    k1, _ = keys.split(key)
    m = losses.mask(k1, ctx.p, x.shape)
    a = jnp.where(m, x, jnp.zeros((), x.dtype))
    # x − a is where(m, 0, x) (x − x = +0, x − 0 = x; a subnormal x becomes ±0 on XLA's CPU,
    # whose products treat subnormals as zero anyway: tests/test_methods.py) and lets XLA
    # draw the mask once per step instead of once per view
    return a, x - a


def _views_mim_independent(x, ctx: Context, *, key):
    k1, k2 = keys.split(key)
    zero = jnp.zeros((), x.dtype)
    m, m2 = losses.mask(k1, ctx.p, x.shape), losses.mask(k2, ctx.p, x.shape)
    return jnp.where(m, x, zero), jnp.where(m2, zero, x)


# ---------------------------------------------------------------------------------------------
# losses of the methods without a closed-form gradient: (loss, z)


def _loss_recon(params, x, ctx: Context, *, key):
    return losses.mim_recon(params, x, ctx.p, key=key), None


def _loss_mar(params, x, ctx: Context, *, key):
    return losses.mar(params, x, ctx.z_bar, ctx.gamma, ctx.p, key=key, return_embeddings=True)


def _loss_ssd(params, x, ctx: Context, *, key):
    Q, scale, lam = ctx.extra
    return losses.mim(params, x, ctx.p, key=key) + lam * losses.dsr_linear(
        params, x, Q, scale
    ), None


@dataclasses.dataclass(frozen=True)
class Method:
    r"""A self-supervised method as the engine and the checks see it.

    Attributes:
      name: the method's name (the CLI's ``--method``).
      objective: the :mod:`theory.objectives` name of its target :math:`X_i` (``"recon"`` for the
        Eq. 3 moments, None when there is no closed-form target).
      bound: the :mod:`theory.bounds` method its Track A bound is evaluated with, or None.
      views: ``views(x (B, d), ctx, *, key) -> (a, b)`` for the alignment methods, else None.
      loss_fn: ``loss_fn(params, x, ctx, *, key) -> (loss, z (B, c) or None)`` otherwise.
      decoder: parameters are ``(W_e (c, d), W_d (d, c))`` instead of one encoder W (c, d).
      pair: ``views`` of the method's positive pair where it has no ``views`` of its own (the
        MIM views of mim-recon, mar and ssd; their losses draw their masks their own way):
        what the alignment :math:`\mathbb{E}\lVert \hat z - \hat z^+\rVert^2` of a run is measured
        on (:meth:`positive_pair`).
      embeddings: the clients exchange embeddings :math:`\bar z` and weight a regulariser by γ
        (MAR).
      needs_H: needs the transform H in its :class:`Context`.
      population: has the population form
        :math:`-\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert^2` (full-batch
        runs).
      reference: where it is defined.
    """

    name: str
    objective: str | None
    bound: str | None
    views: Callable | None = None
    loss_fn: Callable | None = None
    pair: Callable | None = None
    decoder: bool = False
    embeddings: bool = False
    needs_H: bool = False
    population: bool = False
    reference: str = ""

    @property
    def masks(self) -> bool:
        """Whether the mask ratio p enters the method: asked of its target where it has a
        dense one (:func:`theory.objectives.uses_mask_ratio`: not for cl, cl-dissimilar);
        mim-recon, mar and ssd draw MIM masks."""
        from theory import objectives

        if self.objective in objectives.TARGET_METHODS:
            return objectives.uses_mask_ratio(self.objective)
        return True

    def loss(self, params: Any, x: Float[Array, "B d"], ctx: Context, *, key) -> tuple:
        """(loss, z or None) on one minibatch of one client."""
        if self.views is not None:
            a, b = self.views(x, ctx, key=key)
            return align_value_and_grad(params, a, b)[0], None
        return self.loss_fn(params, x, ctx, key=key)

    def positive_pair(self, x: Float[Array, "B d"], ctx: Context, *, key) -> tuple:
        """The two views (a, b) of the method's positive pair: its own ``views`` (drawn as its
        loss draws them), else ``pair`` (MIM's views for mim-recon, mar and ssd: the same
        distribution as the masks their losses draw, not the same draws).

        >>> a, b = get("mar").positive_pair(jnp.ones((2, 4)), Context(p=0.5), key=jr.key(0))
        >>> bool(jnp.all(a + b == 1.0))
        True
        """
        views = self.views if self.views is not None else self.pair
        if views is None:
            v.fail("method", "a method with a positive pair", self.name)
        return views(x, ctx, key=key)

    def value_and_grad(self, params: Any, x: Float[Array, "B d"], ctx: Context, *, key) -> tuple:
        """(loss, gradient, z or None): the closed form for the alignment methods (fast path),
        ``jax.value_and_grad`` of the loss otherwise."""
        if self.views is not None:
            a, b = self.views(x, ctx, key=key)
            val, g = align_value_and_grad(params, a, b)
            return val, g, None
        (val, z), g = jax.value_and_grad(lambda p: self.loss_fn(p, x, ctx, key=key), has_aux=True)(
            params
        )
        return val, g, z

    def as_loss(self, ctx: Context) -> Callable:
        """``loss(params, batch, *, key) -> scalar`` for :func:`sims.run`.

        >>> import sims
        >>> loss = get("mim").as_loss(Context(p=0.75))
        >>> res = sims.run(loss, 0.1 * jnp.eye(2, 6), jnp.ones((3, 8, 6)), rounds=2,
        ...                batch_size=4, lr=0.01, key=jr.key(0))
        >>> res.params.shape
        (3, 2, 6)
        """
        return lambda params, batch, *, key: self.loss(params, batch, ctx, key=key)[0]

    def init(self, key, c: int, d: int, scale: float, dtype) -> Any:
        """Initial parameters ``scale·N(0, 1/d)`` (W_d: ``scale·N(0, 1/c)``), drawn in float64
        whatever ``dtype`` when x64 is on, so float32 and float64 runs start from the same
        encoder (with x64 off: in float32, another stream; :func:`sims.core.client.initial_params`
        switches x64 on for the draw). Traceable (the engine calls it under ``jit``)."""
        wide = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
        W = (scale * jr.normal(jr.fold_in(key, 0), (c, d), wide) / np.sqrt(d)).astype(dtype)
        if not self.decoder:
            return W
        Wd = scale * jr.normal(jr.fold_in(key, 1), (d, c), wide) / np.sqrt(c)
        return W, Wd.astype(dtype)

    def target(self, source: Any, *, p: float = 0.75, H: Any = None) -> Any:
        """Track B: the exact target of every client, or None when the method has none.

        Args:
          source: a :class:`theory.datamodel.DataModel` (population) or samples (N, M, d).
          p: mask ratio. H: (d, d) transform (cl-dissimilar).

        Returns:
          X (N, d, d) for the alignment methods; ``(Σ_uu, Σ_vu)`` per client for mim-recon
          (:func:`theory.objectives.recon_moments`); None for mar and ssd.
        """
        from theory import objectives
        from theory.datamodel import DataModel

        if self.objective is None:
            return None
        if self.objective == "recon":
            if isinstance(source, DataModel):
                return objectives.recon_moments(source, p=p)
            moments = [objectives.recon_moments(np.asarray(x), p=p) for x in source]
            return tuple(np.stack(m) for m in zip(*moments, strict=True))
        p = objectives.p_for(self.objective, p)  # one p is handed to every method
        H = H if self.needs_H else None  # and one H
        if isinstance(source, DataModel):
            return objectives.population_targets(source, self.objective, p=p, H=H)
        return np.stack([objectives.empirical_target(x, self.objective, p=p, H=H) for x in source])

    def optimum(self, target: Any, c: int) -> Any:
        """The exact rank-c optimum of one target (Eckart–Young; mim-recon: its reduced-rank
        regression :func:`theory.solve.recon_optimum`), or None without a target."""
        from theory import solve

        if target is None or self.objective is None:
            return None
        if self.objective == "recon":
            return solve.recon_optimum(target[0], target[1], c)
        return solve.eckart_young(target, c)


#: Every method, by name.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("cl", "cl", "cl_similar", views=_views_cl, population=True, reference="Eq. 2"),
        Method(
            "cl-dissimilar",
            "cl-dissimilar",
            "cl_dissimilar",
            views=_views_cl_dissimilar,
            needs_H=True,
            population=True,
            reference="Eq. 2, Assumption A.9",
        ),
        Method("mim", "mim", "mim", views=_views_mim, population=True, reference="Eq. 4"),
        Method(
            "mim-independent",
            "mim-independent",
            None,  # a control, not in the paper
            views=_views_mim_independent,
            population=True,
            reference="Eq. 4 with an independent second mask (control)",
        ),
        Method(
            "mim-recon",
            "recon",
            None,
            loss_fn=_loss_recon,
            pair=_views_mim,
            decoder=True,
            reference="Eq. 3",
        ),
        Method(
            "mar",
            None,
            None,
            loss_fn=_loss_mar,
            pair=_views_mim,
            embeddings=True,
            reference="Eqs. 5-7",
        ),
        Method(
            "ssd", None, None, loss_fn=_loss_ssd, pair=_views_mim, reference="docs/theory/ssd.md §3"
        ),
    )
}
NAMES = tuple(METHODS)


def get(name: str) -> Method:
    """The :class:`Method` called ``name`` (one of :data:`NAMES`).

    >>> get("mim").bound, get("mar").objective is None
    ('mim', True)
    """
    return METHODS[v.choice(name, "method", NAMES)]
