r"""Eigen-analysis of a structured target and the tie rule (error bound
:math:`\text{TIE\_K} \cdot n \cdot \varepsilon \cdot \lVert M\rVert_2` per eigenvalue; see
:mod:`theory.structured`): which eigen-pairs the rank-c Eckart–Young optimum keeps.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from theory.structured.targets import BlockMatrix

#: Safety factor of the eigenvalue error bound err = TIE_K · n · ε · ‖M‖₂ (module docstring).
TIE_K = 32
EPS = float(np.finfo(np.float64).eps)
#: A tied subspace counts as coordinate-aligned on J when P_T restricted to J differs from a
#: 0/1 diagonal by at most this (it is exactly aligned in the structured path).
ALIGN_TOL = 1e-9


def _components(B: np.ndarray) -> list[list[int]]:
    """Connected components of the sparsity graph of B (exact zeros decouple)."""
    from scipy.sparse.csgraph import connected_components

    count, label = connected_components(B != 0, directed=False)
    # labels are numbered in order of each component's first node, as the search was
    return [np.flatnonzero(label == k).tolist() for k in range(count)]


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
