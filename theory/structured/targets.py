r"""Structured targets :math:`X = a\, I_d + E_K B E_K^\top` of the paper's model: block matrices,
structure-keeping transforms, per-client and π-weighted targets (Section 3.2, Eqs. 2–4, 16–17 of
arXiv 2607.02447).

``block-X`` (:data:`STRUCTURED_TRANSFORMS`) is the family X of ``theory.objectives.transform``
drawn at dimension |K| and placed on the signal block K, the identity elsewhere; the prefix
names that support. X on all d axes (``theory.objectives``) and Track B's X on the leading m
coordinates are other transforms (other H, targets and :math:`\operatorname{tr} H`), hence other
spellings: the rule is in the module docstring of :mod:`theory.objectives`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel, rare_axes
from theory.objectives import METHODS, has_decoder, mask_ratio, takes_transform, transform

#: ``block-X``: X on the signal block K (spelling rule: :mod:`theory.objectives`)
STRUCTURED_TRANSFORMS = ("identity", "block-sign-flip", "block-permutation", "block-rotation")
#: Largest d for which dense matrices are built (``to_dense``, the oracle).
DENSE_MAX_D = 2000


@dataclasses.dataclass(frozen=True)
class BlockMatrix:
    r""":math:`X = a\, I_d + E_K B E_K^\top`: scalar ``a`` on the identity plus a symmetric block
    ``B`` on the 0-based coordinates ``coords`` (sorted, distinct). ``d`` is a Python int (any
    size)."""

    d: int
    a: float
    coords: tuple
    B: np.ndarray

    def to_dense(self) -> np.ndarray:
        """The (d, d) matrix (d ≤ ``DENSE_MAX_D``)."""
        if self.d > DENSE_MAX_D:
            v.fail("d", f"<= {DENSE_MAX_D} for a dense matrix", self.d)
        X = self.a * np.eye(self.d)
        idx = np.asarray(self.coords, dtype=np.int64)
        X[np.ix_(idx, idx)] += self.B
        return X

    def entry(self, j: int, k: int) -> float:
        """:math:`X_{jk}` without building X."""
        out = self.a if j == k else 0.0
        pos = {c: i for i, c in enumerate(self.coords)}
        if j in pos and k in pos:
            out += float(self.B[pos[j], pos[k]])
        return out


@dataclasses.dataclass(frozen=True)
class StructuredTransform:
    r""":math:`H = \alpha I_d + E_K G E_K^\top`: a transform that keeps the target structure
    (Assumption A.9).

    Args:
      alpha: the scalar on every coordinate outside ``coords`` (and added inside).
      coords: 0-based coordinates of the block (sorted, distinct).
      G: (|coords|, |coords|) block.
    """

    alpha: float
    coords: tuple
    G: np.ndarray

    def to_dense(self, d: int) -> np.ndarray:
        """The (d, d) matrix H."""
        return BlockMatrix(d, self.alpha, tuple(self.coords), np.asarray(self.G)).to_dense()


def signal_coords(model: DataModel) -> tuple:
    r"""Sorted 0-based signal coordinates :math:`K = \{e_1, \dots, e_N\} \cup \text{rare axes}` of
    the model (Sec. 3.2)."""
    n = model.n_clients
    return tuple(sorted(set(range(n)) | {int(h) for h in rare_axes(model)}))


def client_block(model: DataModel, coords: Sequence[int] | None = None) -> np.ndarray:
    r""":math:`D_i` with :math:`S_i = \mathbb{E}[x x^\top] = \mu^2 I + E_K D_i E_K^\top` on every
    client, shape (N, |K|, |K|).

    $$
    D_i = (1 - \rho)\Bigl[e_i e_i^\top
    + \frac{\tau^2}{4}(\mathbf{1}_o \mathbf{1}_o^\top + I_o)\Bigr] + \rho\, e_h e_h^\top,
    $$

    with :math:`o = [N] \setminus \{i\}`, :math:`h = h_i`: the two frequent classes' cross terms
    :math:`\mp\frac{\tau}{2}(e_i \mathbf{1}_o^\top + \mathbf{1}_o e_i^\top)` cancel (equal
    weights), :math:`\mathbb{E}[q_k q_l] = 1/4 + \delta_{kl}/4` (docs/theory/data_model.md §2).

    Args:
      model: the data model.
      coords: block coordinates (default :func:`signal_coords`); must contain them.
    """
    K = signal_coords(model) if coords is None else tuple(coords)
    pos = {c: i for i, c in enumerate(K)}
    n, tau, rho = model.n_clients, model.tau, model.rare_fraction
    h = rare_axes(model)
    out = np.zeros((n, len(K), len(K)))
    for i in range(n):
        o = [pos[k] for k in range(n) if k != i]
        out[i][np.ix_(o, o)] += (1.0 - rho) * tau**2 / 4.0
        out[i][o, o] += (1.0 - rho) * tau**2 / 4.0
        out[i][pos[i], pos[i]] += 1.0 - rho
        out[i][pos[int(h[i])], pos[int(h[i])]] += rho
    return out


def structured_transform(name, model: DataModel, *, seed: int = 0) -> StructuredTransform:
    """A named structure-keeping transform on the model's signal block (see module docstring).

    Example:
      >>> t = structured_transform("identity", DataModel(d=10**12, n_clients=2))
      >>> t.alpha, t.coords
      (1.0, (0, 1, 2))
    """
    if isinstance(name, StructuredTransform):
        return name
    if name is None:
        name = "identity"
    if name == "rotation":
        v.fail(
            "H",
            "a structure-keeping transform ("
            + ", ".join(STRUCTURED_TRANSFORMS)
            + "); a dense rotation needs the matrix-free path",
            name,
        )
    v.choice(name, "H", STRUCTURED_TRANSFORMS)
    K = signal_coords(model)
    k = len(K)
    # block-X is theory.objectives.transform's X at d = |K|, placed on K
    G = transform(name.removeprefix("block-"), k, seed=seed) - np.eye(k)
    return StructuredTransform(1.0, K, G)


def _embed(B: np.ndarray, src: Sequence[int], dst: Sequence[int]) -> np.ndarray:
    pos = {c: i for i, c in enumerate(dst)}
    idx = np.asarray([pos[c] for c in src], dtype=np.int64)
    out = np.zeros(B.shape[:-2] + (len(dst), len(dst)))
    out[..., idx[:, None], idx[None, :]] = B
    return out


def client_targets(model: DataModel, method: str, *, p: float | None = None, H=None):
    r"""Per-client structured targets: ``(a, coords, B (N, |K|, |K|))``.

    For ``"mim-recon"`` returns ``((a_uu, coords, B_uu), (a_vu, coords, B_vu))``
    (:math:`\Sigma_{uu}`, :math:`\Sigma_{vu}`).
    See the module table; Eqs. (2)–(4), (16)–(17) of arXiv 2607.02447.

    Example:
      >>> a, K, B = client_targets(DataModel(d=10**20, n_clients=2), "mim")
      >>> a, K, B.shape
      (0.0, (0, 1, 2), (2, 3, 3))
    """
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", METHODS)
    p = mask_ratio(method, p)  # None: the default; refused where p does not enter (CL)
    kappa = p * (1.0 - p)
    mu2 = model.mu**2
    K = signal_coords(model)
    t = None
    if takes_transform(method):
        t = structured_transform(H, model)
        K = tuple(sorted(set(K) | set(t.coords)))
    elif H is not None and not (isinstance(H, str) and H == "identity"):
        v.fail("H", "None unless method is cl-dissimilar", H)
    D = client_block(model, K)
    diag = np.eye(len(K)) * np.diagonal(D, axis1=1, axis2=2)[:, None, :]
    return _BLOCK_TARGETS[method](D, diag, mu2, p, kappa, K, t)


def _dissimilar_block(D, diag, mu2, p, kappa, K, t):
    """½E[Hx (x+ξ)ᵀ + (x+ξ) (Hx)ᵀ] on the block K with H = αI + E G Eᵀ."""
    G = _embed(np.asarray(t.G, dtype=np.float64), t.coords, K)
    al = float(t.alpha)
    GD = G[None] @ D
    B = al * D + mu2 * 0.5 * (G + G.T)[None] + 0.5 * (GD + np.swapaxes(GD, 1, 2))
    return al * mu2, K, B


def _recon_blocks(D, diag, mu2, p, kappa, K, t):
    """The pair (Σ_uu, Σ_vu) of Eq. (3)'s reduced-rank regression (module table)."""
    uu = ((1.0 - p) ** 2 + kappa) * mu2, K, (1.0 - p) ** 2 * D + kappa * diag
    vu = 0.0, K, kappa * (D - diag)
    return uu, vu


#: Each method's client targets on the block, ``(D, diag, μ², p, κ, K, t) -> (a, K, B)`` (a
#: pair for mim-recon): the block form of :data:`theory.objectives._DENSE_TARGETS`.
_BLOCK_TARGETS = {
    "cl": lambda D, diag, mu2, p, kappa, K, t: (mu2, K, D),
    "cl-dissimilar": _dissimilar_block,
    "mim": lambda D, diag, mu2, p, kappa, K, t: (0.0, K, kappa * (D - diag)),
    # DEVIATION (the paper's, labelled): Eq. 17 is 2κ diag(E[x∘x]), not the hollow Eq. 4.
    "mim-paper": lambda D, diag, mu2, p, kappa, K, t: (2.0 * kappa * mu2, K, 2.0 * kappa * diag),
    "mim-independent": lambda D, diag, mu2, p, kappa, K, t: (kappa * mu2, K, kappa * D),
    "mim-recon": _recon_blocks,
}


def _combine(target, w: np.ndarray, d: int) -> BlockMatrix:
    a, K, B = target
    return BlockMatrix(d, float(a), tuple(K), np.einsum("n,nij->ij", w, B))


def _resolve_weights(weights, client, n: int):
    if client is not None:
        if weights is not None:
            v.fail("weights", "None when client is given (local optimum)", weights)
        return np.eye(n)[v.integer(client, "client", lo=0, hi=n - 1)], "local"
    if weights is None or (isinstance(weights, str) and weights == "fl"):
        return np.full(n, 1.0 / n), "fl"
    if isinstance(weights, str):
        v.fail("weights", 'None, "fl" or an array of N weights', weights)
    w = v.array(weights, "weights", shape=(n,))
    if np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
        v.fail("weights", "non-negative weights summing to 1", w.tolist())
    return w, "weighted"


def combined_target(
    model: DataModel, method: str, *, weights=None, client=None, H=None, p: float | None = None
):
    r"""The π-weighted target :math:`\sum_j \pi_j X_j` as a :class:`BlockMatrix` (a pair for
    mim-recon)."""
    w, _ = _resolve_weights(weights, client, model.n_clients)
    t = client_targets(model, method, p=p, H=H)
    if has_decoder(method):
        return _combine(t[0], w, model.d), _combine(t[1], w, model.d)
    return _combine(t, w, model.d)
