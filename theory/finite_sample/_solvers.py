"""The matrix-free solvers of finite-sample Track B (see :mod:`theory.finite_sample`, "Solver").

Block Krylov with Rayleigh–Ritz on the weighted targets of every weighting at once
(:func:`_krylov_optima`), reduced-rank regression for Eq. (3) with conjugate-gradient solves
(:func:`_recon_optima`, :func:`_cg_solve`), and the exact top-c axes of the diagonal Eq. (17)
target (:func:`_diagonal_optima`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel
from theory.finite_sample.statistic import ClientStatistic
from theory.solve import _orth
from theory.structured import (
    EPS,
    TIE_K,
    ImplicitOrthogonal,
    StructuredTransform,
    structured_transform,
)
from theory.structured.rotation import block_krylov, orth_against

#: ``H`` of ``"cl-dissimilar"`` that rotates all d coordinates (matrix-free, never formed)
FULL_ROTATION = "rotation-full"
#: relative residual at which the conjugate-gradient solves with Σ_uu stop (``"mim-recon"``)
CG_TOL = 1e-8
CG_MAX_ITER = 400


def _transform(model: DataModel, H) -> StructuredTransform | ImplicitOrthogonal:
    """The transform of ``"cl-dissimilar"``: a structure-keeping block transform
    (``theory.structured.structured_transform``), or a dense rotation of all d coordinates
    (``FULL_ROTATION`` or an :class:`~theory.structured.ImplicitOrthogonal` of dimension d),
    applied matrix-free in O(d log d) per column."""
    if isinstance(H, ImplicitOrthogonal):
        if H.d != model.d:
            v.fail("H", f"an ImplicitOrthogonal of dimension d={model.d}", f"d={H.d}")
        return H
    if isinstance(H, str) and H == FULL_ROTATION:
        return ImplicitOrthogonal(model.d, 0)
    return structured_transform(H, model)


#: Each method's target applied to V, ``(stat, V, κ, diag, t)``: the matrix-free form of
#: :data:`theory.objectives._DENSE_TARGETS` (``cl-dissimilar``: :func:`_apply_dissimilar`).
_APPLIED_TARGETS = {
    "cl": lambda stat, V, kappa, diag, t: stat.apply(V),
    "mim": lambda stat, V, kappa, diag, t: kappa * (stat.apply(V) - diag[:, None] * V),
    "mim-independent": lambda stat, V, kappa, diag, t: kappa * stat.apply(V),
    "mim-paper": lambda stat, V, kappa, diag, t: 2.0 * kappa * diag[:, None] * V,
}


def _apply_target(stat: ClientStatistic, V, method: str, p: float, t, diag) -> np.ndarray:
    kappa = p * (1.0 - p)
    applied = _APPLIED_TARGETS.get(method, _apply_dissimilar)
    return applied(stat, V, kappa, diag, t)


def _apply_dissimilar(stat: ClientStatistic, V, kappa, diag, t) -> np.ndarray:
    """½(H S V + S Hᵀ V) without forming H (cl-dissimilar)."""
    if isinstance(t, ImplicitOrthogonal):  # dense rotation of all d axes, matrix-free
        return 0.5 * (t.apply(stat.apply(V)) + stat.apply(t.apply(V, transpose=True)))
    # cl-dissimilar: ½(H S V + S Hᵀ V), H = αI + E G Eᵀ
    K = list(t.coords)

    def h(W, transpose=False):
        out = t.alpha * W
        G = t.G.T if transpose else t.G
        out[K] += G @ W[K]
        return out

    return 0.5 * (h(stat.apply(V)) + stat.apply(h(V, transpose=True)))


@dataclasses.dataclass
class _Krylov:
    weights: np.ndarray
    blocks: list
    products: list


def _krylov_optima(stats, weight_sets, method, p, t, c, steps, start, diags):
    """Top-c Ritz pairs for every weighting; one pass over every client per Krylov step."""
    runs = {name: _Krylov(w, [start], []) for name, w in weight_sets.items()}
    for step in range(steps + 1):
        # one product per client with the columns of every weighting that uses it
        for i, stat in enumerate(stats):
            users = [name for name, run in runs.items() if run.weights[i] != 0.0]
            if not users:
                continue
            cols = [runs[name].blocks[step] for name in users]
            Y = _apply_target(stat, np.concatenate(cols, axis=1), method, p, t, diags[i])
            off = 0
            for name, block in zip(users, cols, strict=True):
                part = runs[name].weights[i] * Y[:, off : off + block.shape[1]]
                off += block.shape[1]
                if len(runs[name].products) <= step:
                    runs[name].products.append(part)
                else:
                    runs[name].products[step] += part
        if step < steps:
            for run in runs.values():
                nxt = orth_against(run.products[step], run.blocks)
                run.blocks.append(nxt)
    out = {}
    for name, run in runs.items():
        Q = np.concatenate(run.blocks, axis=1)
        out[name] = _ritz(Q, np.concatenate(run.products, axis=1), c)
    return out


def _ritz(Q: np.ndarray, TQ: np.ndarray, c: int) -> dict:
    """Rayleigh–Ritz on span(Q), TQ = T Q: ``ritz`` (c + 1 Ritz values, descending),
    ``vectors`` (the top-c Ritz vectors above the tolerance TIE_K · n · ε · ‖T‖ plus each one's
    residual), ``rank``, ``residual`` (‖R‖_F / ‖T‖) and ``subspace_bound`` (Davis–Kahan)."""
    Hm = Q.T @ TQ
    theta, U = np.linalg.eigh(0.5 * (Hm + Hm.T))
    theta, U = theta[::-1], U[:, ::-1]
    Vr = Q @ U[:, :c]
    Res = TQ @ U[:, :c] - Vr * theta[:c]
    scale = float(np.max(np.abs(theta)))
    tol = TIE_K * Q.shape[0] * EPS * scale + np.linalg.norm(Res, axis=0)
    keep = theta[:c] > tol
    gap = theta[c - 1] - theta[c] if theta.size > c else np.inf
    return {
        "ritz": theta[: c + 1],
        "vectors": Vr[:, keep],
        "rank": int(keep.sum()),
        "residual": float(np.linalg.norm(Res) / max(scale, 1e-300)),
        "subspace_bound": float(np.linalg.norm(Res) / gap) if gap > 0 else np.inf,
    }


def _cg_solve(apply_b, Y: np.ndarray, precond: np.ndarray) -> tuple[np.ndarray, int]:
    """B⁻¹ Y column by column (vectorised conjugate gradients, Jacobi preconditioner), B
    symmetric positive definite; stops at ‖r_j‖ ≤ CG_TOL·‖y_j‖ for every column."""
    X = np.zeros_like(Y)
    R = Y.copy()
    target = CG_TOL * np.linalg.norm(Y, axis=0)
    Z = R / precond[:, None]
    P = Z.copy()
    rz = np.sum(R * Z, axis=0)
    for it in range(1, CG_MAX_ITER + 1):
        BP = apply_b(P)
        den = np.sum(P * BP, axis=0)
        alpha = np.divide(rz, den, out=np.zeros_like(rz), where=den > 0)
        X += alpha * P
        R -= alpha * BP
        if np.all(np.linalg.norm(R, axis=0) <= target):
            return X, it
        Z = R / precond[:, None]
        rz_new = np.sum(R * Z, axis=0)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        P = Z + beta * P
        rz = rz_new
    return X, CG_MAX_ITER


def _recon_optima(stats, weight_sets, p, c, steps, start, diags):
    """Eq. (3) reduced-rank regression on the finite sample, matrix-free, per weighting w.

    With S_w = Σ_i w_i S_i and its diagonal D_w: Σ_uu = (1−p)² S_w + κ D_w (positive definite:
    ≥ κ D_w), Σ_vu = κ (S_w − D_w) (``theory.objectives.recon_moments``; the mask expectation
    is exact). The encoder row space is span(Σ_uu⁻¹ Σ_uv U_c), U_c the top-c eigenvectors of
    T = Σ_vu Σ_uu⁻¹ Σ_uv (``theory.solve.recon_optimum``): block Krylov with Rayleigh–Ritz on T
    (T is PSD, its top eigenvalues are the largest in magnitude), every Σ_uu⁻¹ by conjugate
    gradients (:func:`_cg_solve`, preconditioner (1−p)·D_w)."""
    kappa = p * (1.0 - p)
    out = {}
    for name, w in weight_sets.items():
        users = [i for i in range(len(stats)) if w[i] != 0.0]
        dw = sum(w[i] * diags[i] for i in users)

        def s_apply(V, users=users, w=w):
            return sum(w[i] * stats[i].apply(V) for i in users)

        def b_apply(V, dw=dw):
            return (1.0 - p) ** 2 * s_apply(V) + kappa * dw[:, None] * V

        def a_apply(V, dw=dw):
            return kappa * (s_apply(V) - dw[:, None] * V)

        precond = (1.0 - p) * dw
        cg_iters = [0]

        def t_apply(V, precond=precond, cg_iters=cg_iters):
            Y, it = _cg_solve(b_apply, a_apply(V), precond)
            cg_iters[0] = max(cg_iters[0], it)
            return a_apply(Y)

        Q, TQ = block_krylov(t_apply, start, steps)
        out[name] = _ritz(Q, TQ, c)
        Z, it = _cg_solve(b_apply, a_apply(out[name]["vectors"]), precond)  # Σ_uu⁻¹ Σ_uv U_c
        out[name]["vectors"] = _orth(Z, 1e-9)
        out[name]["cg_iterations"] = max(cg_iters[0], it)
    return out


def _diagonal_optima(diags, weight_sets, p, c):
    """Exact optima of the diagonal Eq. (17) target 2κ Σ_i w_i diag(S_i): the top-c axes."""
    out = {}
    for name, w in weight_sets.items():
        t = 2.0 * p * (1.0 - p) * sum(wi * dg for wi, dg in zip(w, diags, strict=True))
        order = np.argsort(-t, kind="stable")
        top = order[:c]
        keep = top[t[top] > TIE_K * t.size * EPS * np.abs(t).max()]
        vec = np.zeros((t.size, keep.size))
        vec[keep, np.arange(keep.size)] = 1.0
        gap = t[order[c - 1]] - t[order[c]] if t.size > c else np.inf
        out[name] = {
            "ritz": t[order[: c + 1]],
            "vectors": vec,
            "rank": int(keep.size),
            "residual": 0.0,
            "subspace_bound": 0.0 if gap > 0 else np.inf,
        }
    return out
