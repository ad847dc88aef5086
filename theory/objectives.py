r"""Target matrices :math:`X_i` of the linear SSL objectives (Eqs. 2–4, 14, 16–17 of arXiv
2607.02447).

For every method except ``"mim-recon"`` the local loss has the form (docs/theory/optimum.md §1)

$$
\begin{aligned}
L_i(W) &= -\mathbb{E}[a^\top W^\top W b] + \tfrac12 \lVert W^\top W\rVert_F^2
= -\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2, \\
X_i &= \tfrac12 \mathbb{E}[b a^\top + a b^\top] \quad (\text{symmetric, } d\times d),
\end{aligned}
$$

so that :math:`L_i(W) = \tfrac12\lVert X_i - W^\top W\rVert_F^2 - \tfrac12\lVert X_i\rVert_F^2` and
the minimisers are Eckart–Young factors of :math:`X_i` (see :mod:`theory.solve`). With
:math:`S = \mathbb{E}[x x^\top]` (population, :mod:`theory.datamodel`) or
:math:`S = \frac1M \sum_m x_m x_m^\top` (finite sample) and :math:`\kappa = p(1 - p)`:

==================  ============================  =========================================
method              views (a, b)                  X
==================  ============================  =========================================
``cl``              x + ξ, x + ξ′                 S
``cl-dissimilar``   x + ξ, H x                    ½(H S + S Hᵀ)
``mim``             x ⊙ m, x ⊙ (1 − m)            κ (S − diag(S))  — hollow, exact
``mim-paper``       (the paper's Eq. 17)          2κ · diag(S)     — the paper's surrogate
``mim-independent`` x ⊙ m, x ⊙ (1 − m′)           κ S
==================  ============================  =========================================

Mask convention (paper §3.2): :math:`m_k = 1` means *visible*, :math:`P(m_k = 1) = 1 - p`, p is
the mask ratio, entries independent. The noise :math:`\xi, \xi' \sim \mathcal{N}(0, I)` and the
masks are always integrated out exactly;
only the data expectation becomes an empirical average in :func:`empirical_target`.

``"mim-recon"`` (Eq. 3, linear encoder–decoder reconstruction) is not of this form; its
sufficient statistics are :func:`recon_moments` and its exact optimum is
:func:`theory.solve.recon_optimum`.

Transform spellings (the H of ``cl-dissimilar``, Assumption A.9). The rule: a spelling names
one transform, and a transform is a *family* placed on a *support*. The family X is one of
:data:`TRANSFORMS` (``identity``; ``permutation``, uniform; ``sign-flip``, fair signs;
``rotation``, Haar with det +1), drawn at dimension :math:`|S|` by :func:`transform` from
``numpy.random.default_rng(seed)``; the support S is the set of coordinates it acts on, with
the identity elsewhere (:math:`H = H_S \oplus I`). The family is spelled X everywhere; the
support is spelled by the prefix, or fixed by the one place the spelling is read:

=============================  =====================================  ========================
spelling                       support S                              read by
=============================  =====================================  ========================
``X``                          all d coordinates                      :func:`transform` at d:
                                                                      the dense targets
                                                                      (``dssl exact --dense``)
``block-X``                    the signal block K (e_1..e_N and the   ``theory.structured`` at
                               rare axes, |K| ≤ 2N)                   any d (``dssl exact``)
reading ``dissimilar-X``       the leading m = min(d, max(2N, rare    Track B
                               axes) + c) coordinates                 (``theory.claims_model``)
``rotation-full`` (reading)    all d; a DCT with random signs         Track B; ``dssl exact
                               (``structured.ImplicitOrthogonal``),   --transform
                               not Haar                               rotation-full``
=============================  =====================================  ========================

The supports differ (at d = 40, N = 4: :math:`|K| = 6`, m = 16, d = 40), and so do H, the targets
and :math:`\operatorname{tr} H` (tests/test_transform_spellings.py): ``block-X`` and ``X`` are
different transforms and keep different spellings; they coincide only where the supports do
(Track B's reading is ``X`` itself where m = d). The configuration's ``transform``
(``theory.claims.VerifyConfig``, ``dssl verify --transform``) is a reading: Track B, the Track C
runs and their Track A bound all use its :math:`H_m \oplus I_{d-m}`
(``VerifyConfig.transform_matrix``). ``rotation-full`` is also ``dssl exact --transform
rotation-full``; its old spelling there, ``dct-rotation``, is refused with a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v
from theory._precision import float64
from theory.datamodel import (
    SUMMARY_BLOCK_BYTES,
    DataModel,
    check_dense_fits,
    client_range,
    client_second_moment,
    summary_block,
)
from theory.dissimilarity import global_loss_jnp

METHODS = ("cl", "cl-dissimilar", "mim", "mim-paper", "mim-independent", "mim-recon")
TARGET_METHODS = METHODS[:5]
TRANSFORMS = ("identity", "permutation", "sign-flip", "rotation")
#: the methods whose second view is the transform H (dissimilar augmentations, Eq. 2)
TRANSFORM_METHODS = frozenset({"cl-dissimilar"})
#: the methods whose optimum is an encoder-decoder pair (Eq. 3's reduced-rank regression)
DECODER_METHODS = frozenset({"mim-recon"})
#: the methods whose target is diagonal (the paper's Eq. 17 surrogate)
DIAGONAL_METHODS = frozenset({"mim-paper"})


def takes_transform(method: str) -> bool:
    """Whether ``method``'s second view is the transform H (:data:`TRANSFORM_METHODS`).

    >>> takes_transform("cl-dissimilar"), takes_transform("mim")
    (True, False)
    """
    return method in TRANSFORM_METHODS


def has_decoder(method: str) -> bool:
    """Whether ``method``'s optimum is an encoder-decoder pair (:data:`DECODER_METHODS`).

    >>> has_decoder("mim-recon"), has_decoder("cl")
    (True, False)
    """
    return method in DECODER_METHODS


def has_diagonal_target(method: str) -> bool:
    """Whether ``method``'s target is diagonal (:data:`DIAGONAL_METHODS`): its optimum is the
    top-c diagonal axes.

    >>> has_diagonal_target("mim-paper"), has_diagonal_target("mim")
    (True, False)
    """
    return method in DIAGONAL_METHODS


def uses_mask_ratio(method: str) -> bool:
    r"""Whether the mask ratio p enters ``method``'s target, asked of the target itself: the
    same second moment at two values of :math:`\kappa = p(1 - p)` gives two targets
    (``mim-recon``, whose moments are :func:`recon_moments`, masks too).

    >>> uses_mask_ratio("mim"), uses_mask_ratio("cl"), uses_mask_ratio("cl-dissimilar")
    (True, False, False)
    """
    v.choice(method, "method", METHODS)
    if method not in _DENSE_TARGETS:
        return True
    S = np.array([[2.0, 1.0], [1.0, 3.0]])
    diag, H = np.diag(np.diag(S)), np.eye(2)
    target = _DENSE_TARGETS[method]
    return not np.array_equal(target(S, diag, 0.09, H), target(S, diag, 0.21, H))


def _check_p(p) -> float:
    return v.real(p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)


#: the mask ratio where none is given (the paper's MAE setting)
DEFAULT_P = 0.75


def mask_ratio(method: str, p: float | None = None) -> float:
    """The mask ratio of ``method``'s target, checked: p in (0, 1) (:data:`DEFAULT_P` when
    None) where it enters the target (:func:`uses_mask_ratio`). Where it does not (``cl``,
    ``cl-dissimilar``) a given p is refused naming ``p`` rather than silently ignored; the
    value returned then (:data:`DEFAULT_P`) enters nothing.

    Example:
      >>> mask_ratio("mim", 0.3), mask_ratio("cl")
      (0.3, 0.75)
      >>> mask_ratio("cl", 0.3)
      Traceback (most recent call last):
      ...
      ValueError: p: must be omitted with method 'cl' (p enters only the MIM targets), got 0.3
    """
    if p is None:
        return DEFAULT_P
    if not uses_mask_ratio(method):
        v.fail("p", f"omitted with method {method!r} (p enters only the MIM targets)", p)
    return _check_p(p)


def p_for(method: str, p: float | None) -> float | None:
    """``p`` where the mask ratio enters ``method``'s target, else None: what a caller that
    holds one mask ratio (a preset's) for several methods hands each of them.

    Example:
      >>> p_for("mim", 0.5), p_for("cl", 0.5)
      (0.5, None)
    """
    return p if uses_mask_ratio(method) else None


def _check_h(H, d: int, method: str) -> np.ndarray:
    if H is None:
        return np.eye(d)
    if not takes_transform(method):  # as theory.structured: never silently ignored
        v.fail("H", "None unless method is cl-dissimilar", "a (d, d) transform")
    return v.array(H, "H", shape=(d, d))


#: Each method's target as a function ``(S, diag, κ, H)`` of the second moment S (..., d, d),
#: its diagonal part, κ = p(1 − p) and the transform H: the exact mask / noise expectation.
_DENSE_TARGETS = {
    # E[(x+ξ)(x+ξ′)ᵀ] = E[xxᵀ]: ξ, ξ′ independent, zero mean, independent of x.
    "cl": lambda S, diag, kappa, H: S.copy(),
    # E[(Hx)(x+ξ)ᵀ] = H S; symmetrised.
    "cl-dissimilar": lambda S, diag, kappa, H: 0.5 * (H @ S + S @ H.T),
    # E_m[(1−m_k) m_l] = κ for k ≠ l and 0 for k = l (m_k(1−m_k) = 0): a hollow matrix.
    "mim": lambda S, diag, kappa, H: kappa * (S - diag),
    # DEVIATION (the paper's, labelled): Eq. 17 of the paper writes 2p(1−p)·diag(E[x∘x]),
    # which is not the mask expectation of Eq. 4 (that is the hollow matrix above).
    "mim-paper": lambda S, diag, kappa, H: 2.0 * kappa * diag,
    # Two independent masks m, m′: E[(1−m′_k) m_l] = κ for every k, l (diagonal included).
    "mim-independent": lambda S, diag, kappa, H: kappa * S,
}


def moment_target(S, method: str, *, p: float | None = None, H=None) -> np.ndarray:
    r"""The target X of any data whose second moment is :math:`S = \mathbb{E}[x x^\top]` (the
    module table): a population moment, a sample's :math:`\frac1M \sum_m x_m x_m^\top`, or a
    π-weighted mixture of clients' moments. X is linear in S for every method, so the target of a
    mixture :math:`\sum_i \pi_i S_i` is :math:`\sum_i \pi_i X_i`.

    Args:
      S: (d, d) or (..., d, d) symmetric second moments.
      method, p, H: as in :func:`population_targets`.

    Returns:
      X of the same shape as S.

    Example:
      >>> S = np.array([[2.0, 1.0], [1.0, 3.0]])
      >>> moment_target(S, "mim", p=0.5).tolist()
      [[0.0, 0.25], [0.25, 0.0]]
    """
    S = v.array(S, "S")
    if S.ndim < 2 or S.shape[-1] != S.shape[-2]:
        v.fail("S", "an array of shape (..., d, d)", f"shape {S.shape}")
    v.choice(method, "method", TARGET_METHODS)
    p = mask_ratio(method, p)
    return _target_from_second_moment(S, method, p, _check_h(H, S.shape[-1], method))


def _target_from_second_moment(S: np.ndarray, method: str, p: float, H: np.ndarray) -> np.ndarray:
    """X for a batch of second-moment matrices S (..., d, d); exact mask/noise expectation."""
    if method not in _DENSE_TARGETS:
        v.fail("method", "one of " + ", ".join(TARGET_METHODS) + " (mim-recon: see recon_moments)",
               method)  # fmt: skip
    kappa = p * (1.0 - p)
    diag = np.eye(S.shape[-1]) * np.diagonal(S, axis1=-2, axis2=-1)[..., None, :]
    return _DENSE_TARGETS[method](S, diag, kappa, H)


def population_targets(
    model: DataModel,
    method: str,
    *,
    p: float | None = None,
    H=None,
    force_size: bool = False,
    clients: range | None = None,
) -> np.ndarray:
    r"""Population target :math:`X_i = \tfrac12 \mathbb{E}[b a^\top + a b^\top]` of every
    client, shape (N, d, d), or of the clients in the range ``clients`` (shape (len(clients), d,
    d); each the same numbers as in the whole stack).

    Eq. (16) of arXiv 2607.02447 with the exact mask / noise expectation (see the module table;
    ``"mim-paper"`` is the paper's Eq. (17) surrogate, kept as a labelled deviation).

    Args:
      model: the data model (supplies :math:`S_i = \mathbb{E}[x x^\top]` per client).
      method: one of ``TARGET_METHODS`` (``"mim-recon"`` has no :math:`X_i`: use
        :func:`recon_moments`).
      p: mask ratio in (0, 1), MIM methods only (None: :data:`DEFAULT_P`; refused for CL,
        where it does not enter: :func:`mask_ratio`).
      H: (d, d) transform for ``"cl-dissimilar"``; ``None`` means the identity.
      force_size: go on when the dense (N, d, d) arrays exceed the memory budget
        (:func:`theory.datamodel.check_dense_fits`; refused otherwise, before allocating).

    Returns:
      (N, d, d) symmetric matrices.

    Example:
      >>> X = population_targets(DataModel(d=8, n_clients=2), "mim")
      >>> float(abs(np.diagonal(X, axis1=1, axis2=2)).max())
      0.0
    """
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", TARGET_METHODS)
    p = mask_ratio(method, p)
    if v.boolean(force_size, "force_size"):
        with v.sizes_forced():
            return population_targets(model, method, p=p, H=H, clients=clients)
    if clients is not None:
        clients = client_range(clients, model.n_clients)
    check_dense_fits(model, clients=None if clients is None else len(clients))
    H = _check_h(H, model.d, method)
    return _target_from_second_moment(client_second_moment(model, clients), method, p, H)


class TargetSummary(NamedTuple):
    r"""What a run on N clients needs of their population targets :math:`X_i`, each (d, d)
    (:func:`target_summary`): ``mean`` :math:`\bar X = \frac1N \sum_i X_i`; ``spread``
    :math:`Q = \frac1N \sum_i (X_i - \bar X)^2`, so that
    :math:`\zeta^2(W) = 4 \operatorname{tr}(W Q W^\top)` (``sims.core.recorded.target_stats``
    computes both from the stack); ``weighted`` :math:`\sum_i w_i X_i` of the weights given
    (e.g. :math:`X_\pi` of the consensus weights π; None without); ``lam_max``
    :math:`\max_i \lambda_{\max}(X_i)`."""

    mean: np.ndarray
    spread: np.ndarray
    weighted: np.ndarray | None
    lam_max: float


def _check_blocks(model, method: str, block_bytes, on_block) -> int:
    """The arguments of the block passes, checked (one line naming the field), and a block's
    dense moments against the memory budget before any is formed; the block bytes."""
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", TARGET_METHODS)
    if on_block is not None and not callable(on_block):
        v.fail_type("on_block", "a function on_block(k), or None", on_block)
    block_bytes = v.integer(block_bytes, "block_bytes", lo=1)
    check_dense_fits(model, clients=summary_block(model.n_clients, model.d, block_bytes))
    return block_bytes


def target_blocks(
    model: DataModel,
    method: str,
    *,
    p: float | None = None,
    H=None,
    block_bytes: int = SUMMARY_BLOCK_BYTES,
):
    """The population targets (:func:`population_targets`) a block of clients at a time:
    ``(clients, X)`` pairs, ``clients`` a range and X its (len(clients), d, d) targets, the
    class moments of a block about ``block_bytes`` (at least one client)."""
    block_bytes = _check_blocks(model, method, block_bytes, None)
    n, d = model.n_clients, model.d
    k = summary_block(n, d, block_bytes)
    for a in range(0, n, k):
        clients = range(a, min(n, a + k))
        yield clients, population_targets(model, method, p=p, H=H, clients=clients)


def target_summary(
    model: DataModel, method: str, *, p: float | None = None, H=None, weights=None,
    block_bytes: int = SUMMARY_BLOCK_BYTES, on_block: Callable[[int], object] | None = None,
    targets=None,
) -> TargetSummary:  # fmt: skip
    r""":class:`TargetSummary` of the population targets, in float64, from
    :func:`target_blocks`: memory :math:`O(k d^2)` for blocks of k clients, never the (N, d, d)
    stack, so that a run's memory grows with its models and not with :math:`N d^2`. Two
    passes (:math:`\bar X`, the weighted sum and each :math:`\lambda_{\max}`, then Q about
    :math:`\bar X`, one product of the block's stacked deviations); time :math:`O(N d^3)`.
    ``weights``: (N,) weights of ``weighted``, or None. ``on_block(k)`` is called after each
    block of k clients of either pass (a progress bar's ``update``: 2N in all). ``targets``:
    the (N, d, d) stack of :func:`population_targets` where a caller holds it already (with
    population gradients): its blocks are read instead of formed again, the same numbers.

    Example:
      >>> m = DataModel(d=8, n_clients=3)
      >>> w = np.array([0.5, 0.25, 0.25])
      >>> s, X = target_summary(m, "cl", weights=w, block_bytes=1), population_targets(m, "cl")
      >>> dev = X - X.mean(0)
      >>> bool(np.allclose(s.mean, X.mean(0)) and np.allclose(s.spread, (dev @ dev).mean(0)))
      True
      >>> bool(np.allclose(s.weighted, np.einsum("n,nde->de", w, X)))
      True
      >>> bool(np.isclose(s.lam_max, np.linalg.eigvalsh(X).max()))
      True
    """
    _check_blocks(model, method, block_bytes, on_block)
    n, d = model.n_clients, model.d
    w = None if weights is None else v.array(weights, "weights", shape=(n,))
    if targets is not None:
        targets = v.array(targets, "targets", shape=(n, d, d))

    def blocks():
        if targets is None:
            return target_blocks(model, method, p=p, H=H, block_bytes=block_bytes)
        k = summary_block(n, d, block_bytes)
        return ((range(a, min(n, a + k)), targets[a : a + k]) for a in range(0, n, k))

    tick = on_block if on_block is not None else (lambda k: None)
    mean, lam = np.zeros((d, d)), -np.inf
    weighted = None if w is None else np.zeros((d, d))
    for clients, X in blocks():
        mean += X.sum(0)
        lam = max(lam, float(np.linalg.eigvalsh(X).max()))
        if w is not None:
            weighted += np.einsum("n,nde->de", w[clients.start : clients.stop], X)
        tick(len(clients))
    mean /= n
    spread = np.zeros((d, d))
    for clients, X in blocks():
        # Σ_i (X_i − X̄)ᵀ(X_i − X̄) of the block as one product of the stacked (k·d, d)
        # deviations (symmetric X_i: the square); a batched einsum was 16x slower at d = 1000
        dev = (X - mean).reshape(-1, d)
        spread += dev.T @ dev
        tick(len(clients))
    return TargetSummary(mean, spread / n, weighted, lam)


def empirical_target(x, method: str, *, p: float | None = None, H=None) -> np.ndarray:
    r"""Finite-sample target: X with :math:`\mathbb{E}_x` replaced by the average over ``x``
    (mask/noise exact).

    Args:
      x: (M, d) sample of one client, or (N, M, d) for N clients at once.
      method, p, H: as in :func:`population_targets`.

    Returns:
      (d, d) (or (N, d, d)) symmetric matrix; Eq. (17)'s empirical covariance form.
    """
    shape = getattr(x, "shape", None)
    if shape is not None and len(shape) in (2, 3):  # the (..., d, d) results, before any copy
        lead = int(np.prod(shape[:-2])) if len(shape) == 3 else 1
        need = 4 * 8 * lead * shape[-1] ** 2 + 8 * int(np.prod(shape))
        v.check_fits("x", f"shape {tuple(shape)}", need, what="the (d, d) targets")
    x = v.array(x, "x")
    if x.ndim not in (2, 3) or x.shape[-2] < 1:
        v.fail("x", "an array of shape (M, d) or (N, M, d) with M >= 1", f"shape {x.shape}")
    v.choice(method, "method", TARGET_METHODS)
    p = mask_ratio(method, p)
    H = _check_h(H, x.shape[-1], method)
    S = np.einsum("...md,...me->...de", x, x) / x.shape[-2]
    return _target_from_second_moment(S, method, p, H)


def transform(name: str, d: int, *, seed: int = 0) -> np.ndarray:
    r"""A linear image transform H (d, d) of all d axes for ``"cl-dissimilar"`` (Eq. 2,
    Assumption A.9; the family X on the support "all d" of the module's spelling rule).

    * ``"identity"``: I (then ``cl-dissimilar`` equals ``cl`` in population);
    * ``"permutation"``: a uniformly random permutation matrix;
    * ``"sign-flip"``: :math:`\operatorname{diag}(\pm 1)` with independent fair signs;
    * ``"rotation"``: a Haar-random rotation (orthogonal, :math:`\det = +1`).

    Randomness comes from ``numpy.random.default_rng(seed)``. A structured ``block-X``
    (``theory.structured``) is this at :math:`d = |K|` placed on the signal block K; refused here
    with a one-line hint, since it is another transform.

    Example:
      >>> H = transform("rotation", 3, seed=0)
      >>> bool(np.allclose(H @ H.T, np.eye(3))), round(float(np.linalg.det(H)), 12)
      (True, 1.0)
    """
    if isinstance(name, str) and name.startswith("block-") and name[6:] in TRANSFORMS:
        v.fail(
            "transform",
            f"one of {', '.join(TRANSFORMS)} (all d axes); {name!r} is {name[6:]!r} on the "
            "signal block only, a structured transform (theory.structured)",
            name,
        )
    v.choice(name, "transform", TRANSFORMS)
    d = v.integer(d, "d", lo=1)
    seed = v.integer(seed, "seed", lo=0)
    rng = np.random.default_rng(seed)
    if name == "identity":
        return np.eye(d)
    if name == "permutation":
        return np.eye(d)[rng.permutation(d)]
    if name == "sign-flip":
        return np.diag(rng.choice(np.array([-1.0, 1.0]), size=d))
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diagonal(r))[None, :]
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


@float64
@jax.jit
def loss(W: jax.Array, X: jax.Array) -> jax.Array:
    r""":math:`L(W) = -\operatorname{tr}(W X W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2` for
    W (c, d), X (d, d) symmetric (docs/theory/optimum.md §1).

    :math:`\lVert W^\top W\rVert_F = \lVert W W^\top\rVert_F` is used (:math:`c\times c` instead
    of :math:`d\times d`); the one implementation is
    :func:`theory.dissimilarity.global_loss_jnp` with a single target.
    """
    return global_loss_jnp(W, X[None])


@float64
@jax.jit
def grad(W: jax.Array, X: jax.Array) -> jax.Array:
    r""":math:`\nabla L(W) = -2 W X + 2 W W^\top W` for symmetric X (Eq. 14 of arXiv
    2607.02447)."""
    return -2.0 * (W @ X) + 2.0 * (W @ W.T) @ W


def _second_moments(model_or_x) -> np.ndarray:
    if isinstance(model_or_x, DataModel):
        return client_second_moment(model_or_x)
    x = v.array(model_or_x, "x")
    if x.ndim not in (2, 3) or x.shape[-2] < 1:
        v.fail("x", "a DataModel or an array of shape (M, d) or (N, M, d)", f"shape {x.shape}")
    return np.einsum("...md,...me->...de", x, x) / x.shape[-2]


def recon_moments(model_or_x, *, p: float | None = None, with_vv: bool = False):
    r"""Sufficient statistics of the reconstruction loss Eq. (3):
    :math:`\Sigma_{uu} = \mathbb{E}[u u^\top]`, :math:`\Sigma_{vu} = \mathbb{E}[v u^\top]`.

    :math:`u = x \odot m` (visible), :math:`v = x \odot (1 - m)` (masked),
    :math:`P(m_k = 1) = 1 - p`. With :math:`S = \mathbb{E}[x x^\top]`:

    $$
    \begin{aligned}
    \mathbb{E}_m[m_k m_l] &= (1-p)^2 \ (k \ne l), \quad 1 - p \ (k = l)
    &&\Rightarrow\ \Sigma_{uu} = (1-p)^2 S + p(1-p) \operatorname{diag}(S) \\
    \mathbb{E}_m[(1-m_k) m_l] &= p(1-p) \ (k \ne l), \quad 0 \ (k = l)
    &&\Rightarrow\ \Sigma_{vu} = p(1-p) \big(S - \operatorname{diag}(S)\big) \\
    \mathbb{E}_m[(1-m_k)(1-m_l)] &= p^2 \ (k \ne l), \quad p \ (k = l)
    &&\Rightarrow\ \Sigma_{vv} = p^2 S + p(1-p) \operatorname{diag}(S)
    \end{aligned}
    $$

    (:math:`\Sigma_{vu}` is the exact ``"mim"`` target) and
    :math:`\mathbb{E}\lVert B u - v\rVert^2`
    :math:`= \operatorname{tr}(B \Sigma_{uu} B^\top) - 2 \operatorname{tr}(B \Sigma_{uv})`
    :math:`+ \operatorname{tr}(\Sigma_{vv})` for :math:`B = W_d W_e`.
    The exact rank-c optimum is :func:`theory.solve.recon_optimum`.

    Args:
      model_or_x: a :class:`DataModel` (population, per client) or a sample (M, d) / (N, M, d)
        (finite sample: :math:`\mathbb{E}_x` becomes the sample average, the mask expectation
        stays exact).
      p: mask ratio in (0, 1).
      with_vv: also return :math:`\Sigma_{vv}`.

    Returns:
      ``(sigma_uu, sigma_vu)`` (or with ``sigma_vv``), each (..., d, d).
    """
    p = mask_ratio("mim-recon", p)
    S = _second_moments(model_or_x)
    diag = np.eye(S.shape[-1]) * np.diagonal(S, axis1=-2, axis2=-1)[..., None, :]
    kappa = p * (1.0 - p)
    uu = (1.0 - p) ** 2 * S + kappa * diag
    vu = kappa * (S - diag)
    if with_vv:
        return uu, vu, p**2 * S + kappa * diag
    return uu, vu


@float64
@jax.jit
def recon_loss(W_e: jax.Array, W_d: jax.Array, sigma_uu: jax.Array, sigma_vu: jax.Array):
    r""":math:`\mathbb{E}\lVert W_d W_e u - v\rVert^2 - \mathbb{E}\lVert v\rVert^2`
    :math:`= \operatorname{tr}(B \Sigma_{uu} B^\top) - 2 \operatorname{tr}(B \Sigma_{uv})`,
    :math:`B = W_d W_e` (Eq. 3).

    The constant :math:`\mathbb{E}\lVert v\rVert^2 = \operatorname{tr}(\Sigma_{vv})` is dropped (it
    does not depend on the weights). :math:`W_e` is (c, d), :math:`W_d` is (d, c).
    """
    B = W_d @ W_e
    return jnp.sum((B @ sigma_uu) * B) - 2.0 * jnp.sum(B * sigma_vu)
