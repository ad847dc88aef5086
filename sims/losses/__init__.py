r"""Stochastic losses on samples: one client's minibatch, unbatched and jittable.

Every alignment loss has the generic form of docs/theory/optimum.md §1 (arXiv 2607.02447, Eqs. 2 and
4),

$$
\ell(W; x, \omega) = -\operatorname{mean}_b (W a_b)^\top (W b_b) +
\tfrac12 \lVert W^\top W\rVert_F^2,
$$

with views (a, b) drawn from the randomness ω (augmentation noise or masks). Its expectation
over ω for a FIXED batch x is
:math:`-\operatorname{tr}(W \hat X W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2` with
:math:`\hat X` = ``theory.objectives.empirical_target(x, method)``
(:math:`S = \operatorname{mean}_b x_b x_b^\top`, :math:`\kappa = p(1-p)`):

| loss                | (a, b)                            | :math:`\hat X`                       |
| ------------------- | --------------------------------- | ------------------------------------ |
| ``cl_similar``      | :math:`x + \xi, x + \xi'`         | :math:`S`                            |
| ``cl_dissimilar``   | :math:`x + \xi, H x`              | :math:`\tfrac12 (H S + S H^\top)`    |
| ``mim``             | :math:`x \odot m, x \odot (1-m)`  | :math:`\kappa(S - \mathrm{diag}\,S)` |
| ``mim_independent`` | :math:`x \odot m, x \odot (1-m')` | :math:`\kappa S`                     |

Also: the reconstruction loss (Eq. 3), the MAR regulariser A-MMD with its adaptive kernel and
cosine γ schedule (Eqs. 5–7, docs/theory/mar.md), and the SSD soft-separation regulariser DSR
(docs/theory/ssd.md §2, §3). Masks: :math:`m_k = 1` means visible, :math:`P(m_k = 1) = 1 - p`
(p = mask ratio).

Key use (so that the engine can reproduce the embeddings a loss saw): ``k1, k2 =
sims.keys.split(key)``, the two keys of ``jr.split(key)`` (written out, faster on a CPU).
The CL noise is ``gaussian(k1, x.shape)`` (ξ′: ``gaussian(k2, x.shape)``; :func:`gaussian`
puts the hash's words through the normal quantile function, in float32 for every dtype). The
first mask is ``mask(k1, p, x.shape)`` (:func:`mask`, a counter-based hash
keyed by ``k1``) in :func:`mim`, :func:`mim_independent`, :func:`mar` and
:func:`masked_embeddings`; :func:`mim_recon` (and MAR on it) keeps ``bernoulli(k1, float32(1 −
p), x.shape)`` (float32 draws in either x64 mode), the stream Track D's Bernoulli patch masks
reproduce.

Validation: shapes are always checked; values (finiteness, :math:`p \in (0, 1)`,
:math:`\gamma \ge 0`, …) are checked when they are concrete, i.e. outside ``jit``/``vmap``
tracing.

The code lives in four modules, all re-exported here: :mod:`sims.losses.alignment` (the table
above, the reconstruction loss and the masked embeddings), :mod:`sims.losses.masks` (the
visibility masks and the CL noise), :mod:`sims.losses.regularisers` (MAR and SSD) and the
private argument checks.
"""

from __future__ import annotations

from sims.losses.alignment import (
    cl_dissimilar,
    cl_similar,
    masked_embeddings,
    mim,
    mim_independent,
    mim_recon,
    population_loss,
)
from sims.losses.masks import gaussian, mask, mask_threshold, random_bits32
from sims.losses.regularisers import (
    ammd,
    dsr,
    dsr_linear,
    dsr_scales,
    gamma_cosine,
    gamma_schedule,
    mar,
)

__all__ = [
    "population_loss",
    "cl_similar",
    "cl_dissimilar",
    "mim",
    "mim_independent",
    "mim_recon",
    "masked_embeddings",
    "ammd",
    "mar",
    "gamma_schedule",
    "gamma_cosine",
    "mask",
    "mask_threshold",
    "random_bits32",
    "gaussian",
    "dsr",
    "dsr_scales",
    "dsr_linear",
]
