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

from theory.structured.d_sweeps import (
    FRAMEWORKS,
    d_grid,
    d_sweep,
    decl_abar,
    decl_weights,
    n_of_d,
    solve_framework,
)
from theory.structured.eigen import ALIGN_TOL, EPS, TIE_K
from theory.structured.optimum import (
    StructuredOptimum,
    paper_decl_block,
    rank_scan,
    solve,
    solve_block,
    solve_dense,
    solve_matrix,
)
from theory.structured.rotation import ImplicitOrthogonal, solve_rotation
from theory.structured.targets import (
    DENSE_MAX_D,
    METHODS,
    STRUCTURED_TRANSFORMS,
    BlockMatrix,
    StructuredTransform,
    client_block,
    client_targets,
    combined_target,
    signal_coords,
    structured_transform,
)

__all__ = [
    "ALIGN_TOL",
    "DENSE_MAX_D",
    "EPS",
    "FRAMEWORKS",
    "METHODS",
    "STRUCTURED_TRANSFORMS",
    "TIE_K",
    "BlockMatrix",
    "ImplicitOrthogonal",
    "StructuredOptimum",
    "StructuredTransform",
    "client_block",
    "client_targets",
    "combined_target",
    "d_grid",
    "d_sweep",
    "decl_abar",
    "decl_weights",
    "n_of_d",
    "paper_decl_block",
    "rank_scan",
    "signal_coords",
    "solve",
    "solve_block",
    "solve_dense",
    "solve_framework",
    "solve_matrix",
    "solve_rotation",
    "structured_transform",
]
