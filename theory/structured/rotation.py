"""Dissimilar CL with a dense rotation, matrix-free: block Lanczos on an operator (Eq. 2,
Assumption A.9 of arXiv 2607.02447).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel
from theory.structured.eigen import EPS, TIE_K
from theory.structured.targets import combined_target


@dataclasses.dataclass(frozen=True)
class ImplicitOrthogonal:
    r"""A seeded dense orthogonal :math:`H = D_2 C D_1` applied in :math:`O(d \log d)`, never
    stored.

    C is the orthonormal DCT-II (``scipy.fft.dct(norm="ortho")``; :math:`C^\top = C^{-1}` is the
    orthonormal DCT-III), :math:`D_1, D_2` are diagonal matrices of independent fair signs from
    ``numpy.random.default_rng(seed)``. Every entry of H is :math:`O(1/\sqrt{d})`: a dense
    transform that mixes all d axes (it is orthogonal with :math:`\det H = \pm 1`: a rotation or
    a rotation-reflection; not Haar distributed). Assumption A.9 only involves
    :math:`H_{\mathrm{sym}}`.
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
        r""":math:`H V` (or :math:`H^\top V`) for V of shape (d,) or (d, b)."""
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


def orth_against(Y: np.ndarray, basis: list) -> np.ndarray:
    r"""Orthonormal basis of the part of span(Y) orthogonal to the blocks in ``basis`` (each with
    orthonormal columns; two passes of block Gram–Schmidt); directions below
    :math:`10^{-10} \lVert Y\rVert_2` (an exhausted Krylov space) are dropped. The block Krylov
    step of :func:`solve_rotation`.

    Example:
      >>> Y = np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
      >>> np.abs(orth_against(Y, [np.eye(3)[:, :1]])).round(12).tolist()
      [[0.0], [1.0], [0.0]]
    """
    scale = float(np.linalg.norm(Y, 2)) if Y.size else 0.0
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


def block_krylov(apply, start: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Block Krylov basis :math:`Q = [V_0, V_1, \dots]` from ``start`` (orthonormal columns) and
    :math:`T Q`, T given by ``apply``: ``steps`` further blocks, each the part of T times the last
    one orthogonal to all before (:func:`orth_against`); stops early when the space is exhausted.

    Example:
      >>> Q, TQ = block_krylov(lambda V: np.diag([3.0, 2.0, 1.0]) @ V, np.ones((3, 1)) / 3**0.5, 5)
      >>> Q.shape, bool(np.allclose(Q.T @ Q, np.eye(3)))
      ((3, 3), True)
    """
    blocks, prods = [start], []
    for step in range(steps + 1):
        Y = apply(blocks[step])
        prods.append(Y)
        if step < steps:
            nxt = orth_against(Y, blocks)
            if nxt.shape[1] == 0:
                break
            blocks.append(nxt)
    return np.concatenate(blocks[: len(prods)], axis=1), np.concatenate(prods, axis=1)


def solve_rotation(
    model: DataModel,
    *,
    weights=None,
    client: int | None = None,
    rotation: ImplicitOrthogonal | None = None,
    steps: int = 10,
    oversample: int = 4,
) -> dict:
    r"""Dissimilar CL with a dense rotation, matrix-free: top-c eigenpairs of
    :math:`\tfrac12(H S + S H^\top)`.

    :math:`S = \mu^2 I + E_K D E_K^\top` (the π-weighted population second moment, structured)
    and H an :class:`ImplicitOrthogonal`; :math:`X V = \tfrac12(H(S V) + S(H^\top V))` costs two
    DCTs per column. The top eigenpairs come from the block Krylov space of
    :math:`[E_K, H E_K, \text{Gaussian columns}]` (``steps`` blocks, full re-orthogonalisation,
    Rayleigh–Ritz; Lanczos in block form). :math:`X = \mu^2 H_{\mathrm{sym}}` + a rank
    :math:`\le 2\lvert K\rvert` term: the outliers above the bulk
    :math:`\mu^2 \operatorname{spec}(H_{\mathrm{sym}})` converge in a few steps; slots filled
    from the bulk edge (a near-continuum of eigenvalues) generally do not, and ``converged``
    says so (Davis–Kahan bound :math:`\lVert R\rVert_F / (\theta_c - \theta_{c+1}) < 10^{-6}`).
    Eq. (2) (dissimilar views), Assumption A.9 of arXiv 2607.02447.

    Args:
      model: data model (d up to ~1e5 and beyond: :math:`O(d \log d)` per product,
        :math:`O(d \cdot \mathrm{steps} \cdot b)` memory).
      weights, client: as in :func:`solve` (local, FL or π).
      rotation: the transform (default ``ImplicitOrthogonal(d, 0)``).
      steps, oversample: Krylov blocks and extra random start columns.

    Returns:
      dict: ``eigenvalues`` (c + 1 Ritz values, descending), ``rank``, ``tied``
      (:math:`\theta_c - \theta_{c+1}` within
      :math:`\text{TIE\_K} \cdot d \cdot \varepsilon \cdot \lVert X\rVert` + the residual),
      ``rv`` (the first :math:`\max(c, 2N)` coordinates), ``rv_max_rest`` (largest RV outside
      them), ``s_N``, ``s_c``, ``gap`` (:math:`1 - \min` over [N], minus the own axis locally),
      ``residual`` (:math:`\lVert R\rVert_F / \lVert X\rVert`), ``subspace_bound``,
      ``converged``, ``n_outliers`` (Ritz values above :math:`\mu^2` = the top of the bulk),
      ``outlier_subspace_bound`` (the same bound for the outlier eigenvectors only), ``trH`` =
      :math:`\operatorname{tr}(P_c H_{\mathrm{sym}} P_c)` and ``seconds``.
    """
    import time

    start_t = time.perf_counter()
    H, steps, oversample = _rotation_args(model, rotation, steps, oversample)
    d, c, n = model.d, model.c, model.n_clients
    S = combined_target(model, "cl", weights=weights, client=client)
    Q, TQ = _rotation_krylov(S, H, d, steps, oversample)
    rz = _rotation_ritz(Q, TQ, d, c, S.a)
    rv, res, err, gap_c = rz["rv"], rz["res"], rz["err"], rz["gap_c"]
    k_show = min(d, max(c, 2 * n))
    JN = list(range(n))
    Jg = [j for j in JN if j != client] if client is not None else JN
    return {
        "eigenvalues": rz["theta"][: c + 1],
        "rank": rz["rank"],
        "tied": bool(gap_c <= 2 * err + res),
        "tie_tol": 2 * err + res,
        "rv": rv[:k_show],
        "rv_max_rest": float(rv[k_show:].max()) if d > k_show else float("nan"),
        "s_N": float(np.ptp(rv[JN])),
        "s_c": float(np.ptp(rv[:c])),
        "gap": float(1.0 - rv[Jg].min()),
        "residual": res / max(rz["norm"], 1e-300),
        "subspace_bound": float(rz["bound"]),
        "converged": bool(rz["bound"] < 1e-6),
        "n_outliers": rz["n_out"],
        "outlier_subspace_bound": float(rz["out_bound"]),
        "trH": _trace_h(H, c),
        "seconds": time.perf_counter() - start_t,
    }


def _trace_h(t, c: int) -> float:
    """tr(P_c H_sym P_c) over e_1..e_c (the tr(H) of Assumption A.9's reading) of an
    :class:`ImplicitOrthogonal` or a structured transform."""
    if isinstance(t, ImplicitOrthogonal):
        Ec = np.zeros((t.d, c))
        Ec[np.arange(c), np.arange(c)] = 1.0
        return float(np.trace(Ec.T @ t.apply(Ec)))
    pos = {cc: j for j, cc in enumerate(t.coords)}
    return float(t.alpha * c + sum(t.G[pos[j], pos[j]] for j in range(c) if j in pos))


def _rotation_args(model: DataModel, rotation, steps: int, oversample: int) -> tuple:
    """Validated (H, steps, oversample) of :func:`solve_rotation` (default H: seed 0)."""
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    d = model.d
    steps = v.integer(steps, "steps", lo=1, hi=200)
    oversample = v.integer(oversample, "oversample", lo=0, hi=256)
    H = ImplicitOrthogonal(d, 0) if rotation is None else rotation
    if not isinstance(H, ImplicitOrthogonal) or H.d != d:
        v.fail("rotation", f"an ImplicitOrthogonal of dimension d={d}", rotation)
    return H, steps, oversample


def _rotation_krylov(S, H: ImplicitOrthogonal, d: int, steps: int, oversample: int) -> tuple:
    """Block Krylov basis Q from [E_K, H E_K, Gaussian] and X Q, X = ½(H S + S Hᵀ) (Eq. 2)."""
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
    return block_krylov(apply, np.linalg.qr(Q0)[0], steps)


def _rotation_ritz(Q: np.ndarray, TQ: np.ndarray, d: int, c: int, bulk: float) -> dict:
    """Rayleigh–Ritz on span(Q): Ritz pairs, kept RVs, Davis–Kahan bounds (all, outliers > μ²)."""
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
    n_out = int(np.sum(theta[:c] > bulk * (1.0 + 1e-9)))
    out_bound = np.inf
    if 0 < n_out < theta.size:
        res_out = float(np.linalg.norm(Res[:, :n_out]))
        out_bound = res_out / float(theta[n_out - 1] - theta[n_out])
    return {
        "theta": theta,
        "rv": rv,
        "rank": int(keep.sum()),
        "norm": norm,
        "res": res,
        "err": err,
        "gap_c": gap_c,
        "bound": bound,
        "n_out": n_out,
        "out_bound": out_bound,
    }
