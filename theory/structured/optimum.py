"""The exact optimum set of a structured target: :class:`StructuredOptimum` and the solvers
(structured :func:`solve`, :func:`solve_block`; dense oracles :func:`solve_dense`,
:func:`solve_matrix`), Eq. (1), (3), (16), Thm 4.2/4.3 of arXiv 2607.02447.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel
from theory.objectives import has_decoder, takes_transform
from theory.solve import _orth
from theory.structured.eigen import ALIGN_TOL, _block_eig, _dense_eig, _Eig, _select, _Selection
from theory.structured.optimal_set import _OptSet
from theory.structured.targets import (
    DENSE_MAX_D,
    METHODS,
    BlockMatrix,
    _resolve_weights,
    client_targets,
    combined_target,
    structured_transform,
)


@dataclasses.dataclass(frozen=True)
class StructuredOptimum:
    r"""The exact optimum (a set when eigenvalues tie at position c) of one structured target.

    Fields are described in the module docstring; every (min, max) pair is over the whole
    optimal set. ``free_rows`` (Eq. (3) only): encoder rows the decoder ignores when the
    reduced-rank regression has rank :math:`r < c`; they may point anywhere outside the fixed
    part, so the optimum is a set even where no eigenvalue ties. ``brackets`` maps a field name to
    (lower, upper) of its min when ``exact`` is False. ``eigenvalue_source`` says which matrix
    the eigenvalues belong to (X, or :math:`\Sigma_{vu} \Sigma_{uu}^{-1} \Sigma_{uv}` for
    mim-recon).
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
    free_rows: int
    _set: _OptSet = dataclasses.field(repr=False, compare=False)

    def rv(self, j: int) -> tuple:
        """(min, max) of :math:`r_j` over the optimal set for any 0-based coordinate
        :math:`j < d`."""
        j = v.integer(j, "j", lo=0, hi=self.d - 1)
        lo, hi = self._set.rv_bounds([j])
        return float(lo[0]), float(hi[0])

    def rv_range(self, J: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) arrays of :math:`r_j` over the optimal set for the coordinates J."""
        return self._set.rv_bounds(list(J))

    def spread(self, J: Sequence[int]) -> tuple:
        r"""(min, max) of :math:`\max_J r - \min_J r` over the optimal set (a lower bound when not
        exact)."""
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
    sel: _Selection,
    *,
    d: int,
    c: int,
    n: int,
    method: str,
    framework: str,
    client,
    source: str = "X",
    free_rows: int = 0,
) -> StructuredOptimum:
    """The :class:`StructuredOptimum` of an optimal set and the spectrum selection it came from
    (``free_rows``: rows of an Eq. (3) encoder outside the fixed part, see :func:`_recon_set`)."""
    eigenvalues, multiplicities, rank = sel.eigenvalues, sel.multiplicities, sel.rank
    tied, tie_tol = sel.is_tied, sel.tie_tol
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
    brackets, exact, ranges = {}, True, {}
    for name, fn, J in (
        ("s_N", sel_set.spread, JN),
        ("s_c", sel_set.spread, Jc),
        ("gap", sel_set.max_min, Jg),
    ):
        ranges[name], ex, br = fn(J, sel_set.rep_rv(J))
        exact &= ex
        if br is not None:
            brackets[name] = br
    s_N, s_c, gap = ranges["s_N"], ranges["s_c"], ranges["gap"]
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
        a5_met=bool(rank + free_rows == c),
        eigenvalue_source=source,
        free_rows=int(free_rows),
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


def _recon_set(uu: np.ndarray, vu: np.ndarray, e: _Eig, c: int, coords: tuple, d: int):
    """Encoder row-space set of Eq. (3): span(A U_fixed) ⊕ A V, A = Σ_uu⁻¹ Σ_uv (block).

    Eq. (3) has no regulariser: only the product W_d W_e = M* is fixed. Where the reduced-rank
    regression has rank r < c (fewer than c positive eigenvalues of Σ_vu Σ_uu⁻¹ Σ_uv), M* is the
    full regression and any encoder whose row space contains row(M*) is optimal: the decoder
    gives the other c − r rows zero weight. The optimal set is then span(F) ⊕ V, V any
    (c − r)-dimensional subspace of span(F)^⊥ (the block complement of F and every rest
    coordinate): rank c, as Assumption A.5 asks. Returns (set, selection, free rows c − r).
    """
    sel = _select(e, c)
    A = np.linalg.solve(uu, vu.T)
    F = _orth(A @ sel.fixed)
    Tt = A @ sel.tied
    Tt = _orth(Tt - F @ (F.T @ Tt)) if Tt.shape[1] else Tt
    free = c - F.shape[1] if sel.k == 0 else 0
    if free > 0:
        nk = len(coords)
        Tt = _orth(np.eye(nk) - F @ F.T) if nk > F.shape[1] else np.zeros((nk, 0))
    opt = _OptSet(
        coords=coords,
        d=d,
        F=F,
        rest_fixed=False,
        Tb=Tt,
        rest_tied=free > 0 and d > len(coords),
        rest_mult=d - len(coords) if free > 0 else 0,
        k=free if free > 0 else sel.k,
    )
    return opt, sel, free


def _recon_eig(uu: BlockMatrix, vu: BlockMatrix) -> tuple[_Eig, np.ndarray, np.ndarray]:
    """Eigen-pairs of Σ_vu Σ_uu⁻¹ Σ_uv on the block (its rest eigenvalue is 0)."""
    S = uu.a * np.eye(len(uu.coords)) + uu.B
    M = vu.a * np.eye(len(vu.coords)) + vu.B
    G = M @ np.linalg.solve(S, M.T)
    G = 0.5 * (G + G.T)
    e = _block_eig(BlockMatrix(uu.d, 0.0, uu.coords, G))
    return e, S, M


def solve(
    model: DataModel,
    method: str,
    *,
    weights=None,
    client: int | None = None,
    H=None,
    p: float | None = None,
) -> StructuredOptimum:
    r"""Exact optimum set of :math:`\min_W \sum_j \pi_j L_j(W)` at any d (structured; Eq. 1, 16,
    Thm 4.2/4.3).

    The target :math:`\sum_j \pi_j X_j = a I + E_K B E_K^\top` is split into its rest eigenvalue a
    (multiplicity :math:`d - \lvert K\rvert`) and the eigen-pairs of B; the rank-c Eckart–Young
    positive part
    (docs/theory/optimum.md §1) or, for ``"mim-recon"``, the reduced-rank regression of Eq. (3) is
    formed,
    and the RVs (Def. 4.1), sensitivities and rank are reported as (min, max) over the optimal
    set (see the module docstring for ties).

    Args:
      model: the data model (any d, a Python int).
      method: one of ``METHODS``.
      weights: ``None`` or ``"fl"`` (:math:`\pi = 1/N`) or an array of N weights (e.g. DecL π
        from ``theory.spectral.objective_weights``); must be ``None`` when ``client`` is given.
      client: 0-based client index for the local optimum.
      H: transform of ``"cl-dissimilar"``: ``None``/a name in ``STRUCTURED_TRANSFORMS`` or a
        :class:`StructuredTransform`.
      p: mask ratio in (0, 1), MIM methods only (None: 0.75; refused for CL, where it does
        not enter: :func:`theory.objectives.mask_ratio`).

    Returns:
      :class:`StructuredOptimum`.

    Example:
      >>> r = solve(DataModel(d=10**12, n_clients=4), "mim", client=0)
      >>> r.rank, [round(float(x), 12) for x in r.rv_max[1:4]]
      (1, [0.333333333333, 0.333333333333, 0.333333333333])
    """

    def build(w):
        if has_decoder(method):
            uu, vu = combined_target(model, method, weights=w, p=p)
            e, S, M = _recon_eig(uu, vu)
            return _recon_set(S, M, e, model.c, uu.coords, model.d)
        X = combined_target(model, method, weights=w, H=H, p=p)
        return (*_ey_set(_block_eig(X), model.c, X.coords, model.d), 0)

    return _model_optimum(model, method, weights, client, build)


RECON_SOURCE = "Σ_vu Σ_uu⁻¹ Σ_uv"


def _model_optimum(model, method: str, weights, client, build, max_d=None) -> StructuredOptimum:
    """Validate (model, method, weights/client), build the optimal set from the weights π with
    ``build(w) -> (opt, sel, free rows)`` and finish it (shared by :func:`solve` and
    :func:`solve_dense`)."""
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    if max_d is not None and model.d > max_d:
        v.fail("d", f"<= {max_d} for the dense path", model.d)
    v.choice(method, "method", METHODS)
    w, framework = _resolve_weights(weights, client, model.n_clients)
    opt, sel, free = build(w)
    return _finish(
        opt,
        sel,
        d=model.d,
        c=model.c,
        n=model.n_clients,
        method=method,
        framework=framework,
        client=client,
        source=RECON_SOURCE if has_decoder(method) else "X",
        free_rows=free,
    )


def solve_block(
    X: BlockMatrix, c: int, n_clients: int, *, client: int | None = None, label: str = "target"
) -> StructuredOptimum:
    r"""Exact rank-c Eckart–Young optimum set of any structured target
    :math:`X = a I + E_K B E_K^\top`.

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
        sel,
        d=X.d,
        c=c,
        n=n,
        method=label,
        framework=label,
        client=client,
    )


def paper_decl_block(
    model: DataModel, method: str, abar: float, *, H=None, p: float | None = None
) -> BlockMatrix:
    r"""Structured twin of ``theory.solve.paper_decl_target`` (the paper's Eqs. 27–30, labelled).

    Diagonal target

    $$
    t_k = \frac{1}{\lvert\bar A\rvert} X_{k,kk}
    + \Bigl(1 - \frac{1}{\lvert\bar A\rvert}\Bigr) \operatorname{mean}_{j \ne k} X_{j,kk}
    $$

    for :math:`k < N` and :math:`\operatorname{mean}_j X_{j,kk}` otherwise; off-diagonals dropped
    as in the paper. DEVIATION from Eq. (1) on purpose (docs/theory/errata.md (c)). Not defined
    for ``"mim-recon"``.
    """
    if has_decoder(method):
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
    p: float | None = None,
) -> StructuredOptimum:
    r"""The dense oracle of :func:`solve` (d ≤ 2000): the same quantities from d×d matrices.

    Targets come from ``theory.objectives`` (dense, independent of the block formulas), the
    eigen-decomposition from ``numpy.linalg.eigh`` of the d×d matrix, with the error bound
    :math:`\text{TIE\_K} \cdot d \cdot \varepsilon \cdot \lVert X\rVert_2` for every
    eigenvalue; the tied eigenspace's coordinate structure is detected
    numerically. H may also be a dense (d, d) array here.
    """
    from theory import objectives as ob

    def build(w):
        c, d = model.c, model.d
        coords = tuple(range(d))
        if has_decoder(method):
            uu, vu = ob.recon_moments(model, p=p)
            S = np.einsum("n,nij->ij", w, uu)
            M = np.einsum("n,nij->ij", w, vu)
            G = M @ np.linalg.solve(S, M.T)
            opt, sel, free = _recon_set(S, M, _dense_eig(G), c, coords, d)
        else:
            free = 0
            Hd = None
            if takes_transform(method):
                Hd = (
                    np.asarray(H, dtype=np.float64)
                    if isinstance(H, np.ndarray)
                    else structured_transform(H, model).to_dense(d)
                )
            X = np.einsum("n,nij->ij", w, ob.population_targets(model, method, p=p, H=Hd))
            opt, sel = _ey_set(_dense_eig(X), c, coords, d)
        return _split_coordinate_members(opt), sel, free

    return _model_optimum(model, method, weights, client, build, max_d=DENSE_MAX_D)


def solve_matrix(
    X, c: int, n_clients: int, *, client: int | None = None, label: str = "target"
) -> StructuredOptimum:
    r"""Dense oracle of :func:`solve_block`: the same optimum set from a (d, d) matrix.

    ``numpy.linalg.eigh`` of X, error bound
    :math:`\text{TIE\_K} \cdot d \cdot \varepsilon \cdot \lVert X\rVert_2` per eigenvalue,
    coordinate vectors inside the tied eigenspace detected numerically (d ≤ 2000).
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
        sel,
        d=d,
        c=c,
        n=n,
        method=label,
        framework=label,
        client=client,
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
    r""":math:`\lambda_c` of a spectrum given as distinct values (descending) and Python-int
    multiplicities."""
    c = v.integer(c, "c", lo=1)
    total = 0
    for lam, m in zip(eigenvalues, multiplicities, strict=True):
        total += int(m)
        if total >= c:
            return float(lam)
    return math.nan
