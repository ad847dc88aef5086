r"""The exact linear model at any d: targets as a scalar times I plus a block on the signal axes.

Every population target X of the paper's model (Section 3.2 and Eqs. 2–4, 16–17 of arXiv
2607.02447) has the form

$$
X = a\, I_d + E_K B E_K^\top,
$$

with a scalar ``a``, an index set K of at most 2N signal coordinates (:math:`e_1, \dots, e_N` and
the rare axes, ``theory.datamodel.rare_axes``; plus the support of a structure-keeping transform)
and a small symmetric block B (|K|, |K|). π-weighted sums of client targets (FL:
:math:`\pi = 1/N`; DecL: π = Eq. (1) column sums / N, ``theory.spectral.objective_weights``;
local: one client) keep the form, so eigenvalues, the rank-c Eckart–Young optimum,
representability vectors (Def. 4.1) and sensitivities are computed from |K|-sized matrices and
Python-int multiplicities at any d (:math:`d = 10^{12}, 10^{20}`): no d-sized array is ever
built.

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

Population targets, with :math:`S_i = \mathbb{E}[x x^\top] = \mu^2 I + D_i` (:math:`D_i` on K,
``client_block``), :math:`\kappa = p(1 - p)`; each method's a and B:

* ``cl``: :math:`a = \mu^2`, :math:`B = D` (augmentation noise cancels:
  :math:`\mathbb{E}[\xi \xi'^\top] = 0`).
* ``cl-dissimilar``: :math:`a = \alpha\mu^2`,
  :math:`B = \alpha D + \mu^2 G_{\mathrm{sym}} + \tfrac12(G D + D G^\top)`, with
  :math:`H = \alpha I + E_K G E_K^\top`.
* ``mim``: :math:`a = 0`, :math:`B = \kappa (D - \operatorname{diag} D)` (Eq. 4, complementary
  masks: hollow).
* ``mim-paper``: :math:`a = 2\kappa\mu^2`, :math:`B = 2\kappa \operatorname{diag} D` (the paper's
  Eq. 17 surrogate).
* ``mim-independent``: :math:`a = \kappa\mu^2`, :math:`B = \kappa D` (Eq. 4 with independent
  masks).
* ``mim-recon``: :math:`\Sigma_{uu}`: :math:`a = (1-p)\mu^2`,
  :math:`B = (1-p)^2 D + \kappa \operatorname{diag} D`; :math:`\Sigma_{vu}`: :math:`a = 0`,
  :math:`B = \kappa (D - \operatorname{diag} D)`.

``mim-recon`` (Eq. 3) is reduced-rank regression (``theory.solve.recon_optimum``): the encoder
row space is :math:`\operatorname{span}(\Sigma_{uu}^{-1} \Sigma_{uv} U_c)` with :math:`U_c` the
top-c eigenvectors of :math:`\Sigma_{vu} \Sigma_{uu}^{-1} \Sigma_{uv}`, whose rest eigenvalue is 0
(it never enters the optimum).

Structure-keeping transforms for dissimilar CL (Assumption A.9):
:math:`H = \alpha I + E_K G E_K^\top`, i.e. the identity on every coordinate outside a small set,
anything inside it: ``"identity"``, ``"block-sign-flip"`` (independent fair signs on the signal
block K), ``"block-permutation"`` (a uniformly random permutation of K), ``"block-rotation"`` (a
Haar rotation of K), all seeded with ``numpy.random.default_rng(0)``; or any
:class:`StructuredTransform` (e.g. :math:`\alpha I` + a rotation of :math:`e_1, \dots, e_c`). A
sign flip, permutation or rotation of all d axes (``theory.objectives.transform``) does not keep
the structure: it needs the dense or the matrix-free path.

Ties. Eigenvalues come from three sources with different rounding: the rest eigenvalue a
(exact up to one rounding), singleton block coordinates (a coordinate of K whose row of B is
zero off the diagonal; eigenvalue :math:`a + B_{kk}`, eigenvector :math:`e_k`, no eigensolver)
and the eigen-decompositions of the connected components of B (LAPACK ``syevd``; backward
stable: the computed eigenvalues are exact for :math:`B + E` with
:math:`\lVert E\rVert_2 \le p(n)\, \varepsilon\, \lVert B\rVert_2`, :math:`p(n)` a modest function
of the order n, Golub & Van Loan §8.3; Weyl moves each eigenvalue by at most
:math:`\lVert E\rVert_2`). Each computed eigenvalue :math:`\lambda_j` gets the error bound

$$
\mathrm{err}_j = \text{TIE\_K} \cdot n_j \cdot \varepsilon \cdot \lVert M_j\rVert_2, \qquad
\text{TIE\_K} = 32,
$$

with :math:`n_j` the order of the matrix :math:`M_j` it came from (1 for a and for singletons,
whose :math:`M_j` is the 1×1 value). Two eigenvalues are tied when
:math:`\lvert\lambda_i - \lambda_j\rvert \le \mathrm{err}_i + \mathrm{err}_j`, and
:math:`\lambda_j` counts as zero (excluded from the positive part) when
:math:`\lvert\lambda_j\rvert \le \mathrm{err}_j`. The dense oracle uses :math:`n = d` and
:math:`M = X`. ``tied`` is True when the tie cluster of :math:`\lambda_c` (c-th largest,
positive) straddles position c: then the optimum is a set,
:math:`\{\text{fixed part} \oplus V : V \subseteq T,\ \dim V = k\}` with T the tied eigenspace
(:math:`\dim T = m`), and the RV is reported as min and max over that set:

* per coordinate j, with :math:`q_j = P_T e_j`:
  :math:`\min r_j = f_j + (\lVert q_j\rVert^2 \text{ if } k = m \text{ else } 0)`,
  :math:`\max r_j = f_j + \lVert q_j\rVert^2` (:math:`f_j` from the fixed part);
* max of a spread over J: max over ordered pairs (x, y) of :math:`f_x - f_y` + the sum of the
  top k eigenvalues of :math:`q_x q_x^\top - q_y q_y^\top` on T (rank ≤ 2: :math:`\lambda_+` when
  :math:`k < m`, trace when :math:`k = m`);
* when T restricted to the coordinates J is spanned by coordinate vectors (always the case
  for the rest and for singletons, checked numerically otherwise), Schur–Horn gives the
  diagonals of rank-k projections on T as :math:`\{t \in [0, 1]^m : \sum t = k\}`; on the n
  tied coordinates of J, :math:`t \in [0, 1]^n` with
  :math:`\max(0, k - (m - n)) \le \sum t \le \min(k, n)`, and the min of a spread (max of a
  min) is reached with all t equal: closed forms;
* otherwise (a tie inside a coupled component that touches J) min of a spread is bracketed:
  a lower bound :math:`\max_{x,y}(f_x - f_y + \text{bottom-}k\text{ eigenvalue sum})` and an
  upper bound from candidate subspaces; ``exact`` is then False and ``brackets`` holds both
  ends.

Sensitivities: ``s_N`` spread over :math:`k \in [N]` (the proofs' coordinates), ``s_c`` spread
over the leading c coordinates (the definition in Thm 4.4), ``gap`` = :math:`1 - \min r` over
[N] (over :math:`[N] \setminus \{i\}` for the local optimum of client i, the coordinates
Thm 4.2/4.3 bound).
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
