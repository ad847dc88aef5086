"""The exact linear model at any d: targets as a scalar times I plus a block on the signal axes.

Every population target X of the paper's model (Section 3.2 and Eqs. 2–4, 16–17 of arXiv
2607.02447) has the form

    X = a·I_d + E_K B E_Kᵀ,

with a scalar ``a``, an index set K of at most 2N signal coordinates (e_1..e_N and the rare
axes, ``theory.datamodel.rare_axes``; plus the support of a structure-keeping transform) and a
small symmetric block B (|K|, |K|). π-weighted sums of client targets (FL: π = 1/N; DecL:
π = Eq. (1) column sums / N, ``theory.spectral.objective_weights``; local: one client) keep the
form, so eigenvalues, the rank-c Eckart–Young optimum, representability vectors (Def. 4.1) and
sensitivities are computed from |K|-sized matrices and Python-int multiplicities at any d
(d = 10¹², 10²⁰): no d-sized array is ever built.

Public API (stable)::

    solve(model: DataModel, method: str, *, weights=None | "fl" | array(N),
          client: int | None = None, H=None | str | StructuredTransform,
          p: float = 0.75) -> StructuredOptimum

``StructuredOptimum`` (frozen dataclass) has ``d, c, method, eigenvalues`` (distinct, descending)
``multiplicities`` (Python ints), ``rank``, ``tied`` (bool), ``tie_tol``, ``coords`` (the block
coordinates, 0-based), ``rv_min, rv_max`` (arrays over ``coords``), ``rv_rest`` (min, max) for
every coordinate outside ``coords``, ``s_N``, ``s_c``, ``gap`` (each (min, max) over the whole
optimal set), ``exact`` (False only when some min/max is a bracket, see below), ``a5_met``
(rank = c, Assumption A.5), ``rv(j)`` and ``to_dense()`` (a representative W, d ≤ 2000).

Population targets, with S_i = E[x xᵀ] = μ² I + D_i (D_i on K, ``client_block``), κ = p(1 − p):

==================  ================  ======================================================
method              a                 B
==================  ================  ======================================================
``cl``              μ²                D     (augmentation noise cancels: E[ξ ξ′ᵀ] = 0)
``cl-dissimilar``   αμ²               αD + μ² G_sym + ½(G D + D Gᵀ),  H = αI + E_K G E_Kᵀ
``mim``             0                 κ (D − diag D)   (Eq. 4, complementary masks: hollow)
``mim-paper``       2κμ²              2κ diag D        (the paper's Eq. 17 surrogate)
``mim-independent`` κμ²               κ D              (Eq. 4 with independent masks)
``mim-recon``       Σ_uu: (1−p)μ²     (1−p)² D + κ diag D;  Σ_vu: a = 0, B = κ (D − diag D)
==================  ================  ======================================================

``mim-recon`` (Eq. 3) is reduced-rank regression (``theory.solve.recon_optimum``): the encoder
row space is span(Σ_uu⁻¹ Σ_uv U_c) with U_c the top-c eigenvectors of Σ_vu Σ_uu⁻¹ Σ_uv, whose
rest eigenvalue is 0 (it never enters the optimum).

Structure-keeping transforms for dissimilar CL (Assumption A.9): H = αI + E_K G E_Kᵀ, i.e. the
identity on every coordinate outside a small set, anything inside it: ``"identity"``,
``"block-sign-flip"`` (independent fair signs on the signal block K), ``"block-permutation"``
(a uniformly random permutation of K), ``"block-rotation"`` (a Haar rotation of K), all seeded
with ``numpy.random.default_rng(0)``; or any :class:`StructuredTransform` (e.g. αI + a rotation
of e_1..e_c). A sign flip, permutation or rotation of all d axes (``theory.objectives.transform``)
does not keep the structure: it needs the dense or the matrix-free path.

Ties. Eigenvalues come from three sources with different rounding: the rest eigenvalue a
(exact up to one rounding), singleton block coordinates (a coordinate of K whose row of B is
zero off the diagonal; eigenvalue a + B_kk, eigenvector e_k, no eigensolver) and the
eigen-decompositions of the connected components of B (LAPACK ``syevd``; backward stable: the
computed eigenvalues are exact for B + E with ‖E‖₂ ≤ p(n)·ε·‖B‖₂, p(n) a modest function of
the order n, Golub & Van Loan §8.3; Weyl moves each eigenvalue by at most ‖E‖₂). Each computed
eigenvalue λ_j gets the error bound

    err_j = TIE_K · n_j · ε · ‖M_j‖₂,   TIE_K = 32,

with n_j the order of the matrix M_j it came from (1 for a and for singletons, whose M_j is the
1×1 value). Two eigenvalues are tied when |λ_i − λ_j| ≤ err_i + err_j, and λ_j counts as zero
(excluded from the positive part) when |λ_j| ≤ err_j. The dense oracle uses n = d and
M = X. ``tied`` is True when the tie cluster of λ_c (c-th largest, positive) straddles
position c: then the optimum is a set, {fixed part ⊕ V : V any k-dimensional subspace of the
tied eigenspace T (dim m)}, and the RV is reported as min and max over that set:

* per coordinate j, with q_j = P_T e_j: min r_j = f_j + (‖q_j‖² if k = m else 0),
  max r_j = f_j + ‖q_j‖² (f_j from the fixed part);
* max of a spread over J: max over ordered pairs (x, y) of f_x − f_y + the sum of the top k
  eigenvalues of q_x q_xᵀ − q_y q_yᵀ on T (rank ≤ 2: λ₊ when k < m, trace when k = m);
* when T restricted to the coordinates J is spanned by coordinate vectors (always the case
  for the rest and for singletons, checked numerically otherwise), Schur–Horn gives the
  diagonals of rank-k projections on T as {t ∈ [0, 1]^m : Σ t = k}; on the n tied
  coordinates of J, t ∈ [0, 1]^n with max(0, k − (m − n)) ≤ Σ t ≤ min(k, n), and the min of
  a spread (max of a min) is reached with all t equal: closed forms;
* otherwise (a tie inside a coupled component that touches J) min of a spread is bracketed:
  a lower bound max_{x,y}(f_x − f_y + bottom-k eigenvalue sum) and an upper bound from
  candidate subspaces; ``exact`` is then False and ``brackets`` holds both ends.

Sensitivities: ``s_N`` spread over k ∈ [N] (the proofs' coordinates), ``s_c`` spread over the
leading c coordinates (the definition in Thm 4.4), ``gap`` = 1 − min r over [N] (over
[N] ∖ {i} for the local optimum of client i, the coordinates Thm 4.2/4.3 bound).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel, rare_axes

METHODS = ("cl", "cl-dissimilar", "mim", "mim-paper", "mim-independent", "mim-recon")
STRUCTURED_TRANSFORMS = ("identity", "block-sign-flip", "block-permutation", "block-rotation")
#: Safety factor of the eigenvalue error bound err = TIE_K · n · ε · ‖M‖₂ (module docstring).
TIE_K = 32
EPS = float(np.finfo(np.float64).eps)
#: A tied subspace counts as coordinate-aligned on J when P_T restricted to J differs from a
#: 0/1 diagonal by at most this (it is exactly aligned in the structured path).
ALIGN_TOL = 1e-9
#: Largest d for which dense matrices are built (``to_dense``, the oracle).
DENSE_MAX_D = 2000


# --------------------------------------------------------------------------------------------
# Structured matrices
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BlockMatrix:
    """X = a·I_d + E_K B E_Kᵀ: scalar ``a`` on the identity plus a symmetric block ``B`` on the
    0-based coordinates ``coords`` (sorted, distinct). ``d`` is a Python int (any size)."""

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
        """X_jk without building X."""
        out = self.a if j == k else 0.0
        pos = {c: i for i, c in enumerate(self.coords)}
        if j in pos and k in pos:
            out += float(self.B[pos[j], pos[k]])
        return out


@dataclasses.dataclass(frozen=True)
class StructuredTransform:
    """H = α·I_d + E_K G E_Kᵀ: a transform that keeps the target structure (Assumption A.9).

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
    """Sorted 0-based signal coordinates K = {e_1..e_N} ∪ rare axes of the model (Sec. 3.2)."""
    n = model.n_clients
    return tuple(sorted(set(range(n)) | {int(h) for h in rare_axes(model)}))


def client_block(model: DataModel, coords: Sequence[int] | None = None) -> np.ndarray:
    """D_i with S_i = E[x xᵀ] = μ² I + E_K D_i E_Kᵀ on every client, shape (N, |K|, |K|).

    D_i = (1 − ρ)[e_i e_iᵀ + (τ²/4)(1_o 1_oᵀ + I_o)] + ρ e_h e_hᵀ, o = [N] ∖ {i}, h = h_i:
    the two frequent classes' cross terms ∓(τ/2)(e_i 1_oᵀ + 1_o e_iᵀ) cancel (equal weights),
    E[q_k q_l] = 1/4 + δ_kl/4 (docs/theory/data_model.md §2).

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
    rng = np.random.default_rng(v.integer(seed, "seed", lo=0))
    if name == "identity":
        G = np.zeros((k, k))
    elif name == "block-sign-flip":
        G = np.diag(rng.choice(np.array([-1.0, 1.0]), size=k)) - np.eye(k)
    elif name == "block-permutation":
        G = np.eye(k)[rng.permutation(k)] - np.eye(k)
    else:
        q, r = np.linalg.qr(rng.standard_normal((k, k)))
        q = q * np.sign(np.diagonal(r))[None, :]
        if np.linalg.det(q) < 0:
            q[:, 0] = -q[:, 0]
        G = q - np.eye(k)
    return StructuredTransform(1.0, K, G)


def _embed(B: np.ndarray, src: Sequence[int], dst: Sequence[int]) -> np.ndarray:
    pos = {c: i for i, c in enumerate(dst)}
    idx = np.asarray([pos[c] for c in src], dtype=np.int64)
    out = np.zeros(B.shape[:-2] + (len(dst), len(dst)))
    out[..., idx[:, None], idx[None, :]] = B
    return out


def _check_p(p) -> float:
    return v.real(p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def client_targets(model: DataModel, method: str, *, p: float = 0.75, H=None):
    """Per-client structured targets: ``(a, coords, B (N, |K|, |K|))``.

    For ``"mim-recon"`` returns ``((a_uu, coords, B_uu), (a_vu, coords, B_vu))`` (Σ_uu, Σ_vu).
    See the module table; Eqs. (2)–(4), (16)–(17) of arXiv 2607.02447.

    Example:
      >>> a, K, B = client_targets(DataModel(d=10**20, n_clients=2), "mim")
      >>> a, K, B.shape
      (0.0, (0, 1, 2), (2, 3, 3))
    """
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", METHODS)
    p = _check_p(p)
    kappa = p * (1.0 - p)
    mu2 = model.mu**2
    K = signal_coords(model)
    t = None
    if method == "cl-dissimilar":
        t = structured_transform(H, model)
        K = tuple(sorted(set(K) | set(t.coords)))
    elif H is not None and not (isinstance(H, str) and H == "identity"):
        v.fail("H", "None unless method is cl-dissimilar", H)
    D = client_block(model, K)
    diag = np.eye(len(K)) * np.diagonal(D, axis1=1, axis2=2)[:, None, :]
    if method == "cl":
        return mu2, K, D
    if method == "cl-dissimilar":
        G = _embed(np.asarray(t.G, dtype=np.float64), t.coords, K)
        al = float(t.alpha)
        GD = G[None] @ D
        B = al * D + mu2 * 0.5 * (G + G.T)[None] + 0.5 * (GD + np.swapaxes(GD, 1, 2))
        return al * mu2, K, B
    if method == "mim":
        return 0.0, K, kappa * (D - diag)
    if method == "mim-paper":
        # DEVIATION (the paper's, labelled): Eq. 17 is 2κ diag(E[x∘x]), not the hollow Eq. 4.
        return 2.0 * kappa * mu2, K, 2.0 * kappa * diag
    if method == "mim-independent":
        return kappa * mu2, K, kappa * D
    uu = ((1.0 - p) ** 2 + kappa) * mu2, K, (1.0 - p) ** 2 * D + kappa * diag
    vu = 0.0, K, kappa * (D - diag)
    return uu, vu


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
    model: DataModel, method: str, *, weights=None, client=None, H=None, p: float = 0.75
):
    """The π-weighted target Σ_j π_j X_j as a :class:`BlockMatrix` (a pair for mim-recon)."""
    w, _ = _resolve_weights(weights, client, model.n_clients)
    t = client_targets(model, method, p=p, H=H)
    if method == "mim-recon":
        return _combine(t[0], w, model.d), _combine(t[1], w, model.d)
    return _combine(t, w, model.d)


# --------------------------------------------------------------------------------------------
# Eigen-analysis of a BlockMatrix
# --------------------------------------------------------------------------------------------


def _components(B: np.ndarray) -> list[list[int]]:
    """Connected components of the sparsity graph of B (exact zeros decouple)."""
    n = B.shape[0]
    seen = [False] * n
    comps = []
    for s in range(n):
        if seen[s]:
            continue
        stack, comp = [s], []
        seen[s] = True
        while stack:
            i = stack.pop()
            comp.append(i)
            for j in np.nonzero(B[i])[0]:
                if not seen[j]:
                    seen[j] = True
                    stack.append(int(j))
        comps.append(sorted(comp))
    return comps


@dataclasses.dataclass
class _Eig:
    """Eigen-pairs of a structured matrix: block part (values, vectors on K, errors) and the
    rest eigenvalue with its multiplicity."""

    vals: np.ndarray  # (nk,)
    vecs: np.ndarray  # (nk, nk) columns on K
    errs: np.ndarray  # (nk,)
    rest: float
    rest_err: float
    rest_mult: int


def _block_eig(X: BlockMatrix) -> _Eig:
    B = 0.5 * (X.B + X.B.T)
    nk = B.shape[0]
    vals, vecs, errs = np.zeros(nk), np.zeros((nk, nk)), np.zeros(nk)
    col = 0
    for comp in _components(B):
        if len(comp) == 1:
            k = comp[0]
            vals[col] = X.a + B[k, k]
            vecs[k, col] = 1.0
            errs[col] = TIE_K * EPS * (abs(X.a) + abs(B[k, k]))
            col += 1
            continue
        sub = B[np.ix_(comp, comp)]
        lam, u = np.linalg.eigh(sub)
        norm = float(np.max(np.abs(lam))) if lam.size else 0.0
        for j in range(len(comp)):
            vals[col] = X.a + lam[j]
            vecs[comp, col] = u[:, j]
            errs[col] = TIE_K * EPS * (len(comp) * norm + abs(X.a))
            col += 1
    return _Eig(vals, vecs, errs, float(X.a), TIE_K * EPS * abs(X.a), X.d - nk)


def _dense_eig(X: np.ndarray) -> _Eig:
    X = 0.5 * (X + X.T)
    lam, u = np.linalg.eigh(X)
    norm = float(np.max(np.abs(lam)))
    errs = np.full(lam.size, TIE_K * X.shape[0] * EPS * norm)
    return _Eig(lam, u, errs, 0.0, 0.0, 0)


@dataclasses.dataclass
class _Selection:
    """The optimal set: fixed eigenvectors, the tied eigenspace (block part + rest flag), k."""

    fixed: np.ndarray  # (nk, f) block columns always in the optimum
    fixed_vals: np.ndarray
    rest_fixed: bool  # every rest coordinate is in the optimum
    tied: np.ndarray  # (nk, g) block columns of the tied eigenspace
    tied_vals: np.ndarray
    rest_tied: bool
    rest_mult: int
    k: int  # dimensions chosen from the tied space
    m: int  # dimension of the tied space (Python int)
    rank: int
    is_tied: bool
    tie_tol: float
    eigenvalues: tuple
    multiplicities: tuple


def _select(e: _Eig, c: int) -> _Selection:
    """The top-c positive part of the spectrum, with ties decided by the error bounds."""
    nk = e.vals.size
    # entries: (value, err, index) with index -1 meaning the rest (multiplicity rest_mult)
    entries = [(float(e.vals[j]), float(e.errs[j]), j) for j in range(nk)]
    if e.rest_mult > 0:
        entries.append((e.rest, e.rest_err, -1))
    entries.sort(key=lambda t: -t[0])
    mult = [e.rest_mult if j < 0 else 1 for _, _, j in entries]
    # c-th largest (counting multiplicities)
    cum, pos_c = 0, None
    for idx, m_ in enumerate(mult):
        cum += m_
        if cum >= c:
            pos_c = idx
            break
    lam_c, err_c, _ = entries[pos_c]
    positive = [val > err for val, err, _ in entries]
    if positive[pos_c]:
        cluster = [
            idx
            for idx, (val, err, _) in enumerate(entries)
            if abs(val - lam_c) <= err + err_c and positive[idx]
        ]
        in_cluster = set(cluster)
        above = [idx for idx in range(pos_c) if positive[idx] and idx not in in_cluster]
    else:
        cluster = []
        above = [idx for idx in range(len(entries)) if positive[idx]]
    n_above = sum(mult[i] for i in above)
    m_cl = sum(mult[i] for i in cluster)
    k = c - n_above
    is_tied = bool(cluster) and m_cl > k
    tie_tol = 2.0 * err_c + max((entries[i][1] for i in cluster), default=0.0) - err_c
    if cluster and not is_tied:
        above = sorted(above + cluster)
        n_above += m_cl
        cluster, m_cl = [], 0
    if not cluster:
        k = 0
    fixed = [entries[i][2] for i in above if entries[i][2] >= 0]
    tied = [entries[i][2] for i in cluster if entries[i][2] >= 0]
    rest_fixed = any(entries[i][2] < 0 for i in above)
    rest_tied = any(entries[i][2] < 0 for i in cluster)
    rank = min(c, n_above + m_cl) if cluster else n_above
    # distinct eigenvalues (merged within the error bounds) with multiplicities
    vals, mults = [], []
    for (val, err, _), m_ in zip(entries, mult, strict=True):
        if vals and abs(val - vals[-1][0]) <= err + vals[-1][1]:
            mults[-1] += m_
        else:
            vals.append((val, err))
            mults.append(m_)
    return _Selection(
        fixed=e.vecs[:, fixed],
        fixed_vals=e.vals[fixed],
        rest_fixed=rest_fixed,
        tied=e.vecs[:, tied],
        tied_vals=e.vals[tied],
        rest_tied=rest_tied,
        rest_mult=e.rest_mult,
        k=int(k),
        m=int(m_cl),
        rank=int(rank),
        is_tied=is_tied,
        tie_tol=float(tie_tol),
        eigenvalues=tuple(x for x, _ in vals),
        multiplicities=tuple(int(m_) for m_ in mults),
    )


# --------------------------------------------------------------------------------------------
# The optimal set: RVs and sensitivities (min, max over the set)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _OptSet:
    """Row space of every optimum = span(F) ⊕ V, V ⊂ T = span(Tb) ⊕ (rest if rest_tied), dim k.

    F (nk, f) orthonormal on K (plus all rest coordinates when rest_fixed), Tb (nk, g)
    orthonormal on K, orthogonal to F.
    """

    coords: tuple
    d: int
    F: np.ndarray
    rest_fixed: bool
    Tb: np.ndarray
    rest_tied: bool
    rest_mult: int
    k: int

    @property
    def m(self) -> int:
        return self.Tb.shape[1] + (self.rest_mult if self.rest_tied else 0)

    def entries(self, J: Sequence[int]):
        """Fixed values f_J, the Gram matrix of q_j = P_T e_j over J, and which j are rest."""
        pos = {c: i for i, c in enumerate(self.coords)}
        nJ = len(J)
        idx = np.array([pos.get(j, -1) for j in J], dtype=np.int64)
        rest = idx < 0
        inside = idx[~rest]
        f = np.zeros(nJ)
        Q = np.zeros((nJ, self.Tb.shape[1]))
        f[~rest] = np.sum(self.F[inside] ** 2, axis=1) if self.F.shape[1] else 0.0
        f[rest] = 1.0 if self.rest_fixed else 0.0
        Q[~rest] = self.Tb[inside]
        gram = Q @ Q.T
        if self.rest_tied:
            gram[rest, rest] = 1.0  # distinct rest coordinates: orthonormal, ⊥ block
        return f, gram, rest

    def rv_bounds(self, J: Sequence[int]):
        f, gram, _ = self.entries(J)
        qq = np.diagonal(gram).copy()
        if self.k == 0:
            return f, f
        lo = f + (qq if self.k == self.m else 0.0)
        return np.minimum(lo, 1.0), np.minimum(f + qq, 1.0)

    def _aligned(self, gram: np.ndarray) -> np.ndarray | None:
        """Mask of coordinate-type tied entries if T restricted to J is coordinate-aligned."""
        qq = np.diagonal(gram)
        off = gram - np.diag(qq)
        coord = np.abs(qq - 1.0) <= ALIGN_TOL
        none = np.abs(qq) <= ALIGN_TOL
        if np.all(coord | none) and np.all(np.abs(off) <= ALIGN_TOL):
            return coord
        return None

    def _pair_extremes(self, f, gram):
        """(max, lower bound of min) of r_x − r_y over the set, over ordered pairs x ≠ y."""
        qq = np.diagonal(gram)
        A, Bq = qq[:, None], qq[None, :]
        g2 = gram**2
        half = 0.5 * (A - Bq)
        root = np.sqrt(np.maximum(0.25 * (A + Bq) ** 2 - g2, 0.0))
        lp, lm = half + root, half - root
        if self.k == self.m:
            top = bot = A - Bq
        else:
            top, bot = lp, lm
        diff = f[:, None] - f[None, :]
        mask = ~np.eye(f.size, dtype=bool)
        return float(np.max((diff + top)[mask])), float(np.max((diff + bot)[mask]))

    def spread(self, J: Sequence[int], rep_r: np.ndarray):
        """((min, max) of max_J r − min_J r over the set, exact flag, bracket of the min)."""
        f, gram, _ = self.entries(J)
        if self.k == 0 or len(J) < 2:
            s = float(f.max() - f.min()) if len(J) else 0.0
            return (s, s), True, None
        smax, low = self._pair_extremes(f, gram)
        smax = max(smax, 0.0)
        coord = self._aligned(gram)
        if coord is not None:
            n = int(coord.sum())
            fixed = f[~coord]
            if n == 0:
                s = float(fixed.max() - fixed.min())
                return (s, max(s, smax)), True, None
            lo_sum, hi_sum = max(0, self.k - (self.m - n)), min(self.k, n)
            t_lo, t_hi = lo_sum / n, hi_sum / n
            if fixed.size == 0:
                smin = 0.0
            else:
                fmin, fmax = float(fixed.min()), float(fixed.max())
                if t_hi < fmin:
                    smin = fmax - t_hi
                elif t_lo > fmax:
                    smin = t_lo - fmin
                else:
                    smin = fmax - fmin
            return (smin, smax), True, None
        cand = np.vstack([rep_r[None, :], self.candidates(J)])
        upper = float(np.min(cand.max(axis=1) - cand.min(axis=1)))
        lower = max(low, 0.0)
        exact = upper - lower <= 1e-12
        return (lower, smax), exact, (lower, upper)

    def max_min(self, J: Sequence[int], rep_r: np.ndarray):
        """((min, max) of 1 − min_J r over the set, exact flag, bracket of the min)."""
        lo_r, hi_r = self.rv_bounds(J)
        gap_max = 1.0 - float(lo_r.min())
        f, gram, _ = self.entries(J)
        if self.k == 0:
            return (gap_max, gap_max), True, None
        coord = self._aligned(gram)
        if coord is not None:
            n = int(coord.sum())
            fixed = f[~coord]
            if n == 0:
                mm = float(fixed.min())
            else:
                t_hi = min(1.0, min(self.k, n) / n)
                mm = min(float(fixed.min()), t_hi) if fixed.size else t_hi
            return (1.0 - mm, gap_max), True, None
        upper_mm = float(hi_r.min())
        cand = np.vstack([rep_r[None, :], self.candidates(J)])
        lower_mm = float(np.max(cand.min(axis=1)))
        exact = upper_mm - lower_mm <= 1e-12
        return (1.0 - upper_mm, gap_max), exact, (1.0 - upper_mm, 1.0 - lower_mm)

    def candidates(self, J: Sequence[int], count: int = 256, seed: int = 0) -> np.ndarray:
        """r_J of ``count`` random members of the optimal set, shape (count, |J|).

        A member is span(F) ⊕ V with V = span(B Y), Y (m_eff, k) Gaussian, B an orthonormal
        basis of T's part seen by J (q_j coordinates), plus a random number of directions of T
        that J does not see (they add nothing to r_J). Used for the upper end of a bracket.
        """
        f, gram, _ = self.entries(J)
        lam, vec = np.linalg.eigh(gram)
        keep = lam > 1e-12
        Qc = vec[:, keep] * np.sqrt(lam[keep])  # rows: coordinates of q_j in a basis of span q
        u = Qc.shape[1]
        k = self.k
        free = min(k, max(self.m - u, 0))
        rng = np.random.default_rng(seed)
        out = np.empty((count, len(J)))
        for t in range(count):
            extra = int(rng.integers(0, free + 1))
            Y = rng.standard_normal((u + extra, k))
            Y = np.linalg.qr(Y)[0][:u, : min(k, u + extra)]
            out[t] = f + np.sum((Qc @ Y) ** 2, axis=1)
        return out

    def representative(self) -> tuple[np.ndarray, int]:
        """Basis (nk, ·) of one optimum on K and the number of rest coordinates it takes."""
        nb = self.Tb.shape[1]
        take_b = min(self.k, nb)
        basis = np.concatenate([self.F, self.Tb[:, :take_b]], axis=1)
        n_rest = self.k - take_b if self.rest_tied else 0
        return basis, n_rest

    def rep_rv(self, J: Sequence[int]) -> np.ndarray:
        basis, n_rest = self.representative()
        pos = {c: i for i, c in enumerate(self.coords)}
        rest_coords = self._rest_coords(n_rest + len(J))
        chosen = set(rest_coords[:n_rest])
        out = np.zeros(len(J))
        for a, j in enumerate(J):
            if j in pos:
                out[a] = float(np.sum(basis[pos[j]] ** 2))
            elif self.rest_fixed or j in chosen:
                out[a] = 1.0
        return out

    def _rest_coords(self, count: int) -> list[int]:
        """The first ``count`` coordinates outside the block (0-based)."""
        out, K, j = [], set(self.coords), 0
        while len(out) < count and j < self.d:
            if j not in K:
                out.append(j)
            j += 1
        return out


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StructuredOptimum:
    """The exact optimum (a set when eigenvalues tie at position c) of one structured target.

    Fields are described in the module docstring; every (min, max) pair is over the whole
    optimal set. ``brackets`` maps a field name to (lower, upper) of its min when ``exact`` is
    False. ``eigenvalue_source`` says which matrix the eigenvalues belong to (X, or
    Σ_vu Σ_uu⁻¹ Σ_uv for mim-recon).
    """

    d: int
    c: int
    n_clients: int
    method: str
    framework: str
    eigenvalues: tuple
    multiplicities: tuple
    rank: int
    tied: bool
    tie_tol: float
    coords: tuple
    rv_min: np.ndarray
    rv_max: np.ndarray
    rv_rest: tuple
    s_N: tuple
    s_c: tuple
    gap: tuple
    exact: bool
    brackets: dict
    a5_met: bool
    eigenvalue_source: str
    _set: _OptSet = dataclasses.field(repr=False, compare=False)

    def rv(self, j: int) -> tuple:
        """(min, max) of r_j over the optimal set for any 0-based coordinate j < d."""
        j = v.integer(j, "j", lo=0, hi=self.d - 1)
        lo, hi = self._set.rv_bounds([j])
        return float(lo[0]), float(hi[0])

    def rv_range(self, J: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) arrays of r_j over the optimal set for the coordinates J."""
        return self._set.rv_bounds(list(J))

    def spread(self, J: Sequence[int]) -> tuple:
        """(min, max) of max_J r − min_J r over the optimal set (a lower bound when not exact)."""
        J = list(J)
        return self._set.spread(J, self._set.rep_rv(J))[0]

    def to_dense(self) -> np.ndarray:
        """A representative optimal row basis W (c, d) (rows orthonormal, zero rows beyond the
        rank); for mim-recon an orthonormal basis of the encoder row space. d ≤ 2000."""
        if self.d > DENSE_MAX_D:
            v.fail("d", f"<= {DENSE_MAX_D} for to_dense", self.d)
        basis, n_rest = self._set.representative()
        W = np.zeros((self.c, self.d))
        idx = np.asarray(self._set.coords, dtype=np.int64)
        r = basis.shape[1]
        W[:r, idx] = basis.T
        rest = self._set._rest_coords(self.d)
        if self._set.rest_fixed:
            take = rest
        else:
            take = rest[:n_rest]
        for i, j in enumerate(take):
            W[r + i, j] = 1.0
        return W


def _finish(
    sel_set: _OptSet,
    *,
    d: int,
    c: int,
    n: int,
    method: str,
    framework: str,
    client,
    eigenvalues,
    multiplicities,
    rank,
    tied,
    tie_tol,
    source,
) -> StructuredOptimum:
    coords = sel_set.coords
    rv_lo, rv_hi = sel_set.rv_bounds(list(coords)) if coords else (np.zeros(0), np.zeros(0))
    if sel_set.rest_fixed:
        rv_rest = (1.0, 1.0)
    elif sel_set.rest_tied and sel_set.k > 0:
        rv_rest = (1.0 if sel_set.k == sel_set.m else 0.0, 1.0)
    else:
        rv_rest = (0.0, 0.0)
    if d - len(coords) == 0:
        rv_rest = (float("nan"), float("nan"))
    JN = list(range(n))
    Jc = list(range(min(c, d)))
    Jg = [k for k in JN if k != client] if client is not None else JN
    brackets, exact = {}, True
    s_N, ex, br = sel_set.spread(JN, sel_set.rep_rv(JN))
    exact &= ex
    if br is not None:
        brackets["s_N"] = br
    s_c, ex, br = sel_set.spread(Jc, sel_set.rep_rv(Jc))
    exact &= ex
    if br is not None:
        brackets["s_c"] = br
    gap, ex, br = sel_set.max_min(Jg, sel_set.rep_rv(Jg))
    exact &= ex
    if br is not None:
        brackets["gap"] = br
    return StructuredOptimum(
        d=d,
        c=c,
        n_clients=n,
        method=method,
        framework=framework,
        eigenvalues=tuple(float(x) for x in eigenvalues),
        multiplicities=tuple(int(x) for x in multiplicities),
        rank=int(rank),
        tied=bool(tied),
        tie_tol=float(tie_tol),
        coords=tuple(int(x) for x in coords),
        rv_min=np.asarray(rv_lo),
        rv_max=np.asarray(rv_hi),
        rv_rest=tuple(float(x) for x in rv_rest),
        s_N=tuple(float(x) for x in s_N),
        s_c=tuple(float(x) for x in s_c),
        gap=tuple(float(x) for x in gap),
        exact=bool(exact),
        brackets=brackets,
        a5_met=bool(rank == c),
        eigenvalue_source=source,
        _set=sel_set,
    )


def _ey_set(e: _Eig, c: int, coords: tuple, d: int) -> tuple[_OptSet, _Selection]:
    sel = _select(e, c)
    return (
        _OptSet(
            coords=coords,
            d=d,
            F=sel.fixed,
            rest_fixed=sel.rest_fixed,
            Tb=sel.tied,
            rest_tied=sel.rest_tied,
            rest_mult=sel.rest_mult,
            k=sel.k,
        ),
        sel,
    )


def _orth(A: np.ndarray) -> np.ndarray:
    if A.shape[1] == 0:
        return A
    u, s, _ = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((A.shape[0], 0))
    return u[:, s > 1e-12 * s[0]]


def _recon_set(uu: np.ndarray, vu: np.ndarray, e: _Eig, c: int, coords: tuple, d: int):
    """Encoder row-space set of Eq. (3): span(A U_fixed) ⊕ A V, A = Σ_uu⁻¹ Σ_uv (block)."""
    sel = _select(e, c)
    A = np.linalg.solve(uu, vu.T)
    F = _orth(A @ sel.fixed)
    Tt = A @ sel.tied
    Tt = _orth(Tt - F @ (F.T @ Tt)) if Tt.shape[1] else Tt
    opt = _OptSet(
        coords=coords,
        d=d,
        F=F,
        rest_fixed=False,
        Tb=Tt,
        rest_tied=False,
        rest_mult=0,
        k=sel.k,
    )
    return opt, sel


def _recon_eig(uu: BlockMatrix, vu: BlockMatrix) -> tuple[_Eig, np.ndarray, np.ndarray]:
    """Eigen-pairs of Σ_vu Σ_uu⁻¹ Σ_uv on the block (its rest eigenvalue is 0)."""
    S = uu.a * np.eye(len(uu.coords)) + uu.B
    M = vu.a * np.eye(len(vu.coords)) + vu.B
    G = M @ np.linalg.solve(S, M.T)
    G = 0.5 * (G + G.T)
    e = _block_eig(BlockMatrix(uu.d, 0.0, uu.coords, G))
    return e, S, M


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def solve(
    model: DataModel,
    method: str,
    *,
    weights=None,
    client: int | None = None,
    H=None,
    p: float = 0.75,
) -> StructuredOptimum:
    """Exact optimum set of min_W Σ_j π_j L_j(W) at any d (structured; Eq. 1, 16, Thm 4.2/4.3).

    The target Σ_j π_j X_j = a I + E_K B E_Kᵀ is split into its rest eigenvalue a
    (multiplicity d − |K|) and the eigen-pairs of B; the rank-c Eckart–Young positive part
    (docs/theory/optimum.md §1) or, for ``"mim-recon"``, the reduced-rank regression of Eq. (3) is
    formed,
    and the RVs (Def. 4.1), sensitivities and rank are reported as (min, max) over the optimal
    set (see the module docstring for ties).

    Args:
      model: the data model (any d, a Python int).
      method: one of ``METHODS``.
      weights: ``None`` or ``"fl"`` (π = 1/N) or an array of N weights (e.g. DecL π from
        ``theory.spectral.objective_weights``); must be ``None`` when ``client`` is given.
      client: 0-based client index for the local optimum.
      H: transform of ``"cl-dissimilar"``: ``None``/a name in ``STRUCTURED_TRANSFORMS`` or a
        :class:`StructuredTransform`.
      p: mask ratio in (0, 1).

    Returns:
      :class:`StructuredOptimum`.

    Example:
      >>> r = solve(DataModel(d=10**12, n_clients=4), "mim", client=0)
      >>> r.rank, [round(float(x), 12) for x in r.rv_max[1:4]]
      (1, [0.333333333333, 0.333333333333, 0.333333333333])
    """
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", METHODS)
    w, framework = _resolve_weights(weights, client, model.n_clients)
    c = model.c
    if method == "mim-recon":
        uu, vu = combined_target(model, method, weights=w, p=p)
        e, S, M = _recon_eig(uu, vu)
        opt, sel = _recon_set(S, M, e, c, uu.coords, model.d)
        source = "Σ_vu Σ_uu⁻¹ Σ_uv"
    else:
        X = combined_target(model, method, weights=w, H=H, p=p)
        e = _block_eig(X)
        opt, sel = _ey_set(e, c, X.coords, model.d)
        source = "X"
    return _finish(
        opt,
        d=model.d,
        c=model.c,
        n=model.n_clients,
        method=method,
        framework=framework,
        client=client,
        eigenvalues=sel.eigenvalues,
        multiplicities=sel.multiplicities,
        rank=sel.rank,
        tied=sel.is_tied,
        tie_tol=sel.tie_tol,
        source=source,
    )


def solve_block(
    X: BlockMatrix, c: int, n_clients: int, *, client: int | None = None, label: str = "target"
) -> StructuredOptimum:
    """Exact rank-c Eckart–Young optimum set of any structured target X = a I + E_K B E_Kᵀ.

    Same analysis as :func:`solve` (docs/theory/optimum.md §1); ``n_clients`` fixes the coordinates
    [N] of ``s_N`` and ``gap``, ``client`` drops its own axis from ``gap``.

    Example:
      >>> X = BlockMatrix(10**15, 0.5, (0, 1), np.diag([2.0, 1.0]))
      >>> r = solve_block(X, 3, 2)
      >>> r.rank, r.tied, r.rv_rest
      (3, True, (0.0, 1.0))
    """
    if not isinstance(X, BlockMatrix):
        v.fail("X", "a BlockMatrix", X)
    c = v.integer(c, "c", lo=1, hi=X.d)
    n = v.integer(n_clients, "n_clients", lo=1, hi=X.d)
    e = _block_eig(X)
    opt, sel = _ey_set(e, c, tuple(X.coords), X.d)
    return _finish(
        opt,
        d=X.d,
        c=c,
        n=n,
        method=label,
        framework=label,
        client=client,
        eigenvalues=sel.eigenvalues,
        multiplicities=sel.multiplicities,
        rank=sel.rank,
        tied=sel.is_tied,
        tie_tol=sel.tie_tol,
        source="X",
    )


def paper_decl_block(
    model: DataModel, method: str, abar: float, *, H=None, p: float = 0.75
) -> BlockMatrix:
    """Structured twin of ``theory.solve.paper_decl_target`` (the paper's Eqs. 27–30, labelled).

    Diagonal target t_k = (1/|Ā|) X_{k,kk} + (1 − 1/|Ā|) mean_{j≠k} X_{j,kk} for k < N and
    mean_j X_{j,kk} otherwise; off-diagonals dropped as in the paper. DEVIATION from Eq. (1)
    on purpose (docs/theory/errata.md (c)). Not defined for ``"mim-recon"``.
    """
    if method == "mim-recon":
        v.fail("method", "an Eckart–Young method (not mim-recon)", method)
    n = model.n_clients
    abar = v.real(abar, "abar", lo=1.0, hi=float(n))
    a, K, B = client_targets(model, method, p=p, H=H)
    dg = np.diagonal(B, axis1=1, axis2=2)  # (N, |K|), deviations from a
    t = dg.mean(axis=0)
    pos = {c_: i for i, c_ in enumerate(K)}
    for k in range(n):
        col = dg[:, pos[k]]
        own = col[k]
        others = (col.sum() - own) / (n - 1)
        t[pos[k]] = own / abar + (1.0 - 1.0 / abar) * others
    return BlockMatrix(model.d, float(a), tuple(K), np.diag(t))


def solve_dense(
    model: DataModel,
    method: str,
    *,
    weights=None,
    client: int | None = None,
    H=None,
    p: float = 0.75,
) -> StructuredOptimum:
    """The dense oracle of :func:`solve` (d ≤ 2000): the same quantities from d×d matrices.

    Targets come from ``theory.objectives`` (dense, independent of the block formulas), the
    eigen-decomposition from ``numpy.linalg.eigh`` of the d×d matrix, with the error bound
    TIE_K·d·ε·‖X‖₂ for every eigenvalue; the tied eigenspace's coordinate structure is detected
    numerically. H may also be a dense (d, d) array here.
    """
    from theory import objectives as ob

    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    if model.d > DENSE_MAX_D:
        v.fail("d", f"<= {DENSE_MAX_D} for the dense path", model.d)
    v.choice(method, "method", METHODS)
    w, framework = _resolve_weights(weights, client, model.n_clients)
    c, d = model.c, model.d
    coords = tuple(range(d))
    if method == "mim-recon":
        uu, vu = ob.recon_moments(model, p=p)
        S = np.einsum("n,nij->ij", w, uu)
        M = np.einsum("n,nij->ij", w, vu)
        G = M @ np.linalg.solve(S, M.T)
        e = _dense_eig(G)
        opt, sel = _recon_set(S, M, e, c, coords, d)
        source = "Σ_vu Σ_uu⁻¹ Σ_uv"
    else:
        Hd = None
        if method == "cl-dissimilar":
            Hd = (
                np.asarray(H, dtype=np.float64)
                if isinstance(H, np.ndarray)
                else structured_transform(H, model).to_dense(d)
            )
        X = np.einsum("n,nij->ij", w, ob.population_targets(model, method, p=p, H=Hd))
        e = _dense_eig(X)
        opt, sel = _ey_set(e, c, coords, d)
        source = "X"
    opt = _split_coordinate_members(opt)
    return _finish(
        opt,
        d=model.d,
        c=model.c,
        n=model.n_clients,
        method=method,
        framework=framework,
        client=client,
        eigenvalues=sel.eigenvalues,
        multiplicities=sel.multiplicities,
        rank=sel.rank,
        tied=sel.is_tied,
        tie_tol=sel.tie_tol,
        source=source,
    )


def solve_matrix(
    X, c: int, n_clients: int, *, client: int | None = None, label: str = "target"
) -> StructuredOptimum:
    """Dense oracle of :func:`solve_block`: the same optimum set from a (d, d) matrix.

    ``numpy.linalg.eigh`` of X, error bound TIE_K·d·ε·‖X‖₂ per eigenvalue, coordinate vectors
    inside the tied eigenspace detected numerically (d ≤ 2000).
    """
    X = v.array(X, "X", ndim=2)
    d = X.shape[0]
    if X.shape != (d, d) or d > DENSE_MAX_D:
        v.fail("X", f"a square matrix of order <= {DENSE_MAX_D}", f"shape {X.shape}")
    c = v.integer(c, "c", lo=1, hi=d)
    n = v.integer(n_clients, "n_clients", lo=1, hi=d)
    e = _dense_eig(X)
    opt, sel = _ey_set(e, c, tuple(range(d)), d)
    opt = _split_coordinate_members(opt)
    return _finish(
        opt,
        d=d,
        c=c,
        n=n,
        method=label,
        framework=label,
        client=client,
        eigenvalues=sel.eigenvalues,
        multiplicities=sel.multiplicities,
        rank=sel.rank,
        tied=sel.is_tied,
        tie_tol=sel.tie_tol,
        source="X",
    )


def _split_coordinate_members(opt: _OptSet) -> _OptSet:
    """Rotate the tied basis so that coordinate vectors inside T are basis columns exactly."""
    Tb = opt.Tb
    if Tb.shape[1] == 0:
        return opt
    qq = np.sum(Tb**2, axis=1)
    members = np.nonzero(qq >= 1.0 - ALIGN_TOL)[0]
    if members.size == 0:
        return opt
    E = np.zeros((Tb.shape[0], members.size))
    E[members, np.arange(members.size)] = 1.0
    # T = span(e_j, j member) ⊕ P_other T, and P_other T is the column space of the other rows
    other = np.setdiff1d(np.arange(Tb.shape[0]), members)
    g = Tb.shape[1] - members.size
    gen = np.zeros((Tb.shape[0], g))
    if g > 0:
        u = _orth(Tb[other])[:, :g]
        gen[other, : u.shape[1]] = u
    return dataclasses.replace(opt, Tb=np.concatenate([E, gen], axis=1))


def rank_scan(eigenvalues: Sequence[float], multiplicities: Sequence[int], c: int) -> float:
    """λ_c of a spectrum given as distinct values (descending) and Python-int multiplicities."""
    c = v.integer(c, "c", lo=1)
    total = 0
    for lam, m in zip(eigenvalues, multiplicities, strict=True):
        total += int(m)
        if total >= c:
            return float(lam)
    return math.nan


# --------------------------------------------------------------------------------------------
# Sweeps over d (and N = C_N d^{1/20}) — pure functions, any d
# --------------------------------------------------------------------------------------------

FRAMEWORKS = ("local", "fl", "decl")


def d_grid(lo: float = 1e2, hi: float = 1e20, num: int = 37) -> list[int]:
    """Log-spaced grid of Python-int dimensions from ``lo`` to ``hi`` (distinct, ascending).

    Example:
      >>> d_grid(1e4, 1e20, 5)
      [10000, 100000000, 1000000000000, 10000000000000000, 100000000000000000000]
    """
    lo = v.real(lo, "lo", lo=1.0)
    hi = v.real(hi, "hi", lo=lo)
    num = v.integer(num, "num", lo=1)
    exps = np.linspace(math.log10(lo), math.log10(hi), num)
    out = []
    for x in exps:
        k = int(round(x))
        val = 10**k if abs(x - k) < 1e-12 else int(round(10.0**x))
        if not out or val > out[-1]:
            out.append(val)
    return out


def n_of_d(d: int, c_n: float) -> int:
    """N = C_N·d^{1/20} rounded to the nearest integer, at least 2 (the paper's N = Θ(d^{1/20})).

    Example:
      >>> n_of_d(10**20, 1.0), n_of_d(10**4, 1.0)
      (10, 2)
    """
    c_n = v.real(c_n, "c_n", lo=0.0, lo_open=True)
    return max(2, int(round(c_n * float(d) ** 0.05)))


_PI_CACHE: dict = {}


def decl_weights(graph: str, n: int, mixing: str = "uniform") -> np.ndarray:
    """Eq. (1) DecL weights π (column sums / N of the mixing matrix) of a named graph on n nodes.

    Graphs that need more nodes than n (e.g. a ring or a star on 2 nodes) are the complete graph
    there (the only connected graph on 2 nodes), so π = 1/n.
    """
    key = (graph, n, mixing)
    if key not in _PI_CACHE:
        from theory import spectral, topology

        try:
            A = topology.make_graph(graph, n)
        except ValueError:
            if n > 2:
                raise
            A = np.ones((n, n)) - np.eye(n)
        W = topology.mixing_matrix(mixing, A)
        _PI_CACHE[key] = (
            np.asarray(spectral.objective_weights(W), dtype=np.float64),
            float(spectral.avg_connectivity(A)),
        )
    return _PI_CACHE[key][0]


def decl_abar(graph: str, n: int, mixing: str = "uniform") -> float:
    """|Ā| of the graph used by :func:`decl_weights`."""
    decl_weights(graph, n, mixing)
    return _PI_CACHE[(graph, n, mixing)][1]


def solve_framework(
    model: DataModel,
    method: str,
    framework: str,
    *,
    client: int = 0,
    graph: str = "ring",
    H=None,
    p: float = 0.75,
) -> StructuredOptimum:
    """:func:`solve` for ``framework`` in ``FRAMEWORKS`` (local = one client, DecL on ``graph``)."""
    v.choice(framework, "framework", FRAMEWORKS)
    if framework == "local":
        return solve(model, method, client=client, H=H, p=p)
    if framework == "fl":
        return solve(model, method, weights="fl", H=H, p=p)
    return solve(model, method, weights=decl_weights(graph, model.n_clients), H=H, p=p)


def d_sweep(
    method: str,
    ds: Sequence[int] | None = None,
    *,
    framework: str = "fl",
    n_clients: int = 4,
    c_n: float | None = None,
    c: int | None = None,
    rare_axis="class-index",
    p: float = 0.75,
    H=None,
    graph: str = "ring",
    client: int = 0,
) -> dict:
    """Exact optimum over a d grid (default 10² … 10²⁰, 37 points), N fixed or N = C_N d^{1/20}.

    Args:
      method: one of ``METHODS``; framework: one of ``FRAMEWORKS``.
      ds: dimensions (Python ints or integer-valued floats); ``None`` means :func:`d_grid`.
      n_clients: N when ``c_n`` is None; c_n: joint sweep N = max(2, round(C_N d^{1/20})).
      c: embedding width (``None``: 2N); rare_axis, p, H, graph, client: as in :func:`solve`.

    Returns:
      dict of lists over the grid: ``d``, ``n``, ``c``, ``rank``, ``a5_met``, ``tied``,
      ``exact``, ``rv_min_N`` (min over the gap coordinates of the smallest RV in the set),
      ``s_N``, ``s_c``, ``gap`` ((min, max) pairs), ``lambda_c`` and ``seconds``.

    Example:
      >>> out = d_sweep("mim", [10**6, 10**20], framework="local")
      >>> [round(g[0], 12) for g in out["gap"]]
      [0.666666666667, 0.666666666667]
    """
    import time

    start = time.perf_counter()
    v.choice(method, "method", METHODS)
    v.choice(framework, "framework", FRAMEWORKS)
    ds = d_grid() if ds is None else [v.integer(x, "ds", lo=1) for x in ds]
    out = {
        k: []
        for k in (
            "d",
            "n",
            "c",
            "rank",
            "a5_met",
            "tied",
            "exact",
            "rv_min_N",
            "s_N",
            "s_c",
            "gap",
            "lambda_c",
        )
    }
    for d in ds:
        n = n_of_d(d, c_n) if c_n is not None else v.integer(n_clients, "n_clients", lo=2)
        model = DataModel(d=d, n_clients=n, rare_axis=rare_axis, c=c)
        r = solve_framework(model, method, framework, client=client, graph=graph, H=H, p=p)
        out["d"].append(d)
        out["n"].append(n)
        out["c"].append(model.c)
        out["rank"].append(r.rank)
        out["a5_met"].append(r.a5_met)
        out["tied"].append(r.tied)
        out["exact"].append(r.exact)
        out["rv_min_N"].append(1.0 - r.gap[1])
        out["s_N"].append(r.s_N)
        out["s_c"].append(r.s_c)
        out["gap"].append(r.gap)
        out["lambda_c"].append(rank_scan(r.eigenvalues, r.multiplicities, min(model.c, d)))
    out["seconds"] = time.perf_counter() - start
    out["n_rule"] = (
        f"N = max(2, round({c_n:g}·d^(1/20)))" if c_n is not None else f"N = {n_clients} fixed"
    )
    return out


# --------------------------------------------------------------------------------------------
# Dissimilar CL with a dense rotation: matrix-free (Lanczos on an operator)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImplicitOrthogonal:
    """A seeded dense orthogonal H = D₂ C D₁ applied in O(d log d), never stored.

    C is the orthonormal DCT-II (``scipy.fft.dct(norm="ortho")``; Cᵀ = C⁻¹ is the orthonormal
    DCT-III), D₁, D₂ are diagonal matrices of independent fair signs from
    ``numpy.random.default_rng(seed)``. Every entry of H is O(1/√d): a dense transform that
    mixes all d axes (it is orthogonal with det ±1: a rotation or a rotation-reflection; not
    Haar distributed). Assumption A.9 only involves H_sym.
    """

    d: int
    seed: int = 0

    def _signs(self):
        rng = np.random.default_rng(v.integer(self.seed, "seed", lo=0))
        return (
            rng.choice(np.array([-1.0, 1.0]), size=self.d),
            rng.choice(np.array([-1.0, 1.0]), size=self.d),
        )

    def apply(self, V: np.ndarray, transpose: bool = False) -> np.ndarray:
        """H V (or Hᵀ V) for V of shape (d,) or (d, b)."""
        import scipy.fft

        s1, s2 = self._signs()
        V = np.asarray(V, dtype=np.float64)
        col = V.ndim == 1
        W = V[:, None] if col else V
        if transpose:
            out = s1[:, None] * scipy.fft.idct(s2[:, None] * W, type=2, norm="ortho", axis=0)
        else:
            out = s2[:, None] * scipy.fft.dct(s1[:, None] * W, type=2, norm="ortho", axis=0)
        return out[:, 0] if col else out

    def to_dense(self) -> np.ndarray:
        """The (d, d) matrix (small d only)."""
        return self.apply(np.eye(self.d))


def _orth_block(Y: np.ndarray, basis: list, scale: float) -> np.ndarray:
    for _ in range(2):
        for B in basis:
            Y = Y - B @ (B.T @ Y)
    if Y.shape[1] == 0 or scale == 0.0:
        return Y[:, :0]
    u, sv, _ = np.linalg.svd(Y, full_matrices=False)
    u = u[:, sv > 1e-10 * scale]
    for B in basis:
        u = u - B @ (B.T @ u)
    return np.linalg.qr(u)[0]


def solve_rotation(
    model: DataModel,
    *,
    weights=None,
    client: int | None = None,
    rotation: ImplicitOrthogonal | None = None,
    steps: int = 10,
    oversample: int = 4,
) -> dict:
    """Dissimilar CL with a dense rotation, matrix-free: top-c eigenpairs of ½(H S + S Hᵀ).

    S = μ² I + E_K D E_Kᵀ (the π-weighted population second moment, structured) and H an
    :class:`ImplicitOrthogonal`; X V = ½(H(S V) + S(Hᵀ V)) costs two DCTs per column. The top
    eigenpairs come from the block Krylov space of [E_K, H E_K, Gaussian columns] (``steps``
    blocks, full re-orthogonalisation, Rayleigh–Ritz; Lanczos in block form). X = μ² H_sym +
    a rank ≤ 2|K| term: the outliers above the bulk μ²·spec(H_sym) converge in a few steps;
    slots filled from the bulk edge (a near-continuum of eigenvalues) generally do not, and
    ``converged`` says so (Davis–Kahan bound ‖R‖_F / (θ_c − θ_{c+1}) < 1e-6).
    Eq. (2) (dissimilar views), Assumption A.9 of arXiv 2607.02447.

    Args:
      model: data model (d up to ~1e5 and beyond: O(d log d) per product, O(d·steps·b) memory).
      weights, client: as in :func:`solve` (local, FL or π).
      rotation: the transform (default ``ImplicitOrthogonal(d, 0)``).
      steps, oversample: Krylov blocks and extra random start columns.

    Returns:
      dict: ``eigenvalues`` (c + 1 Ritz values, descending), ``rank``, ``tied`` (θ_c − θ_{c+1}
      within TIE_K·d·ε·‖X‖ + the residual), ``rv`` (the first max(c, 2N) coordinates),
      ``rv_max_rest`` (largest RV outside them), ``s_N``, ``s_c``, ``gap`` (1 − min over [N],
      minus the own axis locally), ``residual`` (‖R‖_F/‖X‖), ``subspace_bound``,
      ``converged``, ``n_outliers`` (Ritz values above μ² = the top of the bulk),
      ``outlier_subspace_bound`` (the same bound for the outlier eigenvectors only), ``trH`` =
      tr(P_c H_sym P_c) and ``seconds``.
    """
    import time

    start_t = time.perf_counter()
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    d, c, n = model.d, model.c, model.n_clients
    steps = v.integer(steps, "steps", lo=1, hi=200)
    oversample = v.integer(oversample, "oversample", lo=0, hi=256)
    H = ImplicitOrthogonal(d, 0) if rotation is None else rotation
    if not isinstance(H, ImplicitOrthogonal) or H.d != d:
        v.fail("rotation", f"an ImplicitOrthogonal of dimension d={d}", rotation)
    S = combined_target(model, "cl", weights=weights, client=client)
    K = list(S.coords)

    def s_apply(W):
        out = S.a * W
        out[K] += S.B @ W[K]
        return out

    def apply(W):
        return 0.5 * (H.apply(s_apply(W)) + s_apply(H.apply(W, transpose=True)))

    E = np.zeros((d, len(K)))
    E[K, np.arange(len(K))] = 1.0
    rng = np.random.default_rng(0)
    Q0 = np.concatenate([E, H.apply(E), rng.standard_normal((d, oversample))], axis=1)
    blocks = [np.linalg.qr(Q0)[0]]
    prods = []
    for step in range(steps + 1):
        Y = apply(blocks[step])
        prods.append(Y)
        if step < steps:
            nxt = _orth_block(Y, blocks, float(np.linalg.norm(Y, 2)))
            if nxt.shape[1] == 0:
                break
            blocks.append(nxt)
    Q = np.concatenate(blocks[: len(prods)], axis=1)
    TQ = np.concatenate(prods, axis=1)
    Hm = 0.5 * (Q.T @ TQ + TQ.T @ Q)
    theta, U = np.linalg.eigh(Hm)
    theta, U = theta[::-1], U[:, ::-1]
    Vr = Q @ U[:, :c]
    Res = TQ @ U[:, :c] - Vr * theta[:c]
    norm = float(np.max(np.abs(theta)))
    res = float(np.linalg.norm(Res))
    err = TIE_K * d * EPS * norm
    keep = theta[:c] > err + np.linalg.norm(Res, axis=0)
    W = Vr[:, keep]
    rv = np.sum(W**2, axis=1)
    gap_c = float(theta[c - 1] - theta[c]) if theta.size > c else np.inf
    bound = res / gap_c if gap_c > 0 else np.inf
    n_out = int(np.sum(theta[:c] > S.a * (1.0 + 1e-9)))
    out_bound = np.inf
    if 0 < n_out < theta.size:
        res_out = float(np.linalg.norm(Res[:, :n_out]))
        out_bound = res_out / float(theta[n_out - 1] - theta[n_out])
    k_show = min(d, max(c, 2 * n))
    JN = list(range(n))
    Jg = [j for j in JN if j != client] if client is not None else JN
    Ec = np.zeros((d, c))
    Ec[np.arange(c), np.arange(c)] = 1.0
    trh = float(np.trace(Ec.T @ H.apply(Ec)))
    return {
        "eigenvalues": theta[: c + 1],
        "rank": int(keep.sum()),
        "tied": bool(gap_c <= 2 * err + res),
        "tie_tol": 2 * err + res,
        "rv": rv[:k_show],
        "rv_max_rest": float(rv[k_show:].max()) if d > k_show else float("nan"),
        "s_N": float(np.ptp(rv[JN])),
        "s_c": float(np.ptp(rv[:c])),
        "gap": float(1.0 - rv[Jg].min()),
        "residual": res / max(norm, 1e-300),
        "subspace_bound": float(bound),
        "converged": bool(bound < 1e-6),
        "n_outliers": n_out,
        "outlier_subspace_bound": float(out_bound),
        "trH": trh,
        "seconds": time.perf_counter() - start_t,
    }
