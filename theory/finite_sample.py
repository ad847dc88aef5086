"""Track B on finite samples, matrix-free: M = d^β samples per client, many seeds, any bound.

The paper's statements hold "with high probability" over |D_i| = Θ(d^β), β ≥ 1, i.i.d. samples
per client (Assumption A.7 of arXiv 2607.02447). Here the population expectation over x is
replaced by the average over M samples (the mask and augmentation expectations stay exact, as in
``theory.objectives.empirical_target``), and the exact optimum of that finite-sample objective
is computed for local, FL and DecL weights, over many seeds.

Exact sampling of the sufficient statistic (no M×d sample and no d×d target is formed)
-----------------------------------------------------------------------------------------
A sample is x = s + μξ with s on the signal coordinates K (``theory.structured.signal_coords``)
and ξ ~ N(0, I_d). Stack client i's samples: X = Σ E_Kᵀ + μΞ (Σ: M×|K| signal, Ξ: M×d noise).
The target needs only S = XᵀX/M:

    M·S = E_K ΣᵀΣ E_Kᵀ + μ(E_K ΣᵀΞ + ΞᵀΣ E_Kᵀ) + μ² ΞᵀΞ.

With the thin QR Σ = U R (U: M×r orthonormal, r = |K|) and G₁ = UᵀΞ, G₂ = U⊥ᵀΞ (independent
standard Gaussian r×d and (M − r)×d, Ξ's law is rotation invariant): ΣᵀΞ = RᵀG₁ and
ΞᵀΞ = G₁ᵀG₁ + G₂ᵀG₂, where G₂ᵀG₂ ~ Wishart_d(M − r, I) is drawn by the Bartlett decomposition
L Lᵀ (L: d × min(d, M − r) lower trapezoidal, L_jj ~ χ_{M−r−j+1}, L_jk ~ N(0, 1) for j > k).
So (R, G₁, L) has exactly the law of the statistic given the signal, at cost O(d²) per client
whatever M is (β = 1.2 costs the same as β = 1). L is stored in float32 (d·min(d, M−r) entries
per client, no larger than the M×d sample itself); every product with it accumulates in float32
(relative error ≈ 1e-7·√d of ‖L Lᵀ‖, i.e. ≈ 1e-6·μ² absolute), all small linear algebra is
float64.

Solver: block Krylov with Rayleigh–Ritz
---------------------------------------
For every weighting (each local client, FL, each DecL π) the top-c eigenpairs of the target T
are found from the block Krylov space span{Q₀, TQ₀, …, T^q Q₀}, Q₀ = [E_K, Gaussian columns]
(b = |K| + ``oversample`` columns), with full re-orthogonalisation and a Rayleigh–Ritz step;
the Krylov space is shift invariant, so the top *algebraic* eigenvalues come out directly
(the hollow MIM target has large negative eigenvalues). Dissimilar CL under a dense rotation of
all d axes (``H="rotation-full"``: ``theory.structured.ImplicitOrthogonal``, a DCT with random
signs, O(d log d) per column, never formed) uses the same solver with H E_K added to the start
block. Eq. (3) (``"mim-recon"``) is reduced-rank regression: Krylov on Σ_vu Σ_uu⁻¹ Σ_uv with
every Σ_uu⁻¹ by preconditioned conjugate gradients (:func:`_recon_optima`).

The residual R = TV − VΘ of the Ritz pairs is computed from the stored products (no extra
pass); ``subspace_bound`` = ‖R‖_F / (θ_c − θ_{c+1}) bounds sin∠ between the computed and the
exact top-c space (Davis–Kahan, with the Ritz gap) and each RV is then accurate to
2·subspace_bound.

Seeds
-----
One named stream per source, as in the project's key tree (``sims.config.key_tree``: stream
``"data"`` is index 0 of its stream list): client i of seed s uses
``numpy.random.SeedSequence(s, spawn_key=(0, i))`` with PCG64; the Krylov start block uses
``spawn_key=(6, 0)`` (the ``"probe"`` stream, index 6). Theory does not import ``sims``, so the
draws are numpy's, not JAX's: the same seed gives other samples than ``sims.data``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel, rare_axes
from theory.structured import (
    EPS,
    TIE_K,
    ImplicitOrthogonal,
    StructuredTransform,
    signal_coords,
    structured_transform,
)
from theory.structured.rotation import orth_against

METHODS = ("cl", "cl-dissimilar", "mim", "mim-paper", "mim-independent", "mim-recon")
#: ``H`` of ``"cl-dissimilar"`` that rotates all d coordinates (matrix-free, never formed)
FULL_ROTATION = "rotation-full"
#: relative residual at which the conjugate-gradient solves with Σ_uu stop (``"mim-recon"``)
CG_TOL = 1e-8
CG_MAX_ITER = 400
DATA_STREAM = 0
PROBE_STREAM = 6
BOUND_METHOD = {
    "cl": "cl_similar",
    "cl-dissimilar": "cl_dissimilar",
    "mim": "mim",
    "mim-paper": "mim",
    "mim-independent": "mim",
    "mim-recon": "mim",
}


@dataclasses.dataclass(frozen=True)
class ClientStatistic:
    """Sufficient statistic of one client's M samples: M·S = E RᵀR Eᵀ + μ(E RᵀG₁ + G₁ᵀR Eᵀ)
    + μ²(G₁ᵀG₁ + L Lᵀ) (module docstring). ``R`` (r, |K|), ``G1`` (r, d) float64; the Bartlett
    factor L is stored as row chunks ``(a, block)`` with block = L[a:a+h, :w] (float32, only
    the lower part); ``l_rows`` = diag(L Lᵀ) in float64; ``coords`` = K; ``m`` = M."""

    R: np.ndarray
    G1: np.ndarray
    chunks: tuple
    l_rows: np.ndarray
    n_cols: int
    coords: tuple
    mu: float
    m: int

    @property
    def d(self) -> int:
        return self.G1.shape[1]

    def wishart_apply(self, V: np.ndarray) -> np.ndarray:
        """L Lᵀ V (float32 products, float64 result) using only the lower part of L."""
        V32 = V.astype(np.float32)
        Y = np.zeros((self.n_cols, V.shape[1]), dtype=np.float32)
        for a, block in self.chunks:
            Y[: block.shape[1]] += block.T @ V32[a : a + block.shape[0]]
        out = np.empty(V.shape, dtype=np.float64)
        for a, block in self.chunks:
            out[a : a + block.shape[0]] = block @ Y[: block.shape[1]]
        return out

    def apply(self, V: np.ndarray) -> np.ndarray:
        """S V for V (d, b) (float64 result)."""
        K = list(self.coords)
        VK = V[K]
        G1V = self.G1 @ V  # (r, b)
        out = self.mu**2 * (self.G1.T @ G1V + self.wishart_apply(V))
        out += self.mu * (self.G1.T @ (self.R @ VK))
        out[K] += self.R.T @ (self.R @ VK) + self.mu * (self.R.T @ G1V)
        return out / self.m

    def diagonal(self) -> np.ndarray:
        """diag(S), shape (d,)."""
        K = list(self.coords)
        dg = self.mu**2 * (np.sum(self.G1**2, axis=0) + self.l_rows)
        dg[K] += np.sum(self.R**2, axis=0) + 2.0 * self.mu * np.sum(self.R * self.G1[:, K], 0)
        return dg / self.m

    def to_dense(self) -> np.ndarray:
        """S (d, d) — small d only (tests)."""
        return self.apply(np.eye(self.d))


def _seed_sequence(seed: int, stream: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(stream, index))


def signal_samples(model: DataModel, client: int, m: int, rng) -> np.ndarray:
    """Signal parts s of M i.i.d. samples of one client on the coordinates K, shape (M, |K|).

    Component 2i−1 / 2i / h_i with weights ((1−ρ)/2, (1−ρ)/2, ρ); s = ±e_i − τΣ_{k≠i} q_k e_k
    (q_k ~ Bernoulli(1/2)) or e_{h_i} (Section 3.2 of arXiv 2607.02447).
    """
    K = signal_coords(model)
    pos = {c: j for j, c in enumerate(K)}
    n, tau, rho = model.n_clients, model.tau, model.rare_fraction
    comp = rng.choice(3, size=m, p=[(1 - rho) / 2, (1 - rho) / 2, rho])
    s = np.zeros((m, len(K)))
    freq = comp < 2
    others = [k for k in range(n) if k != client]
    q = rng.integers(0, 2, size=(m, len(others))).astype(np.float64)
    for j, k in enumerate(others):
        s[freq, pos[k]] = -tau * q[freq, j]
    s[comp == 0, pos[client]] = 1.0
    s[comp == 1, pos[client]] = -1.0
    s[comp == 2, pos[int(rare_axes(model)[client])]] = 1.0
    return s


CHUNK = 1024


def _bartlett_chunks(d: int, dof: int, rng, dtype=np.float32):
    """Row chunks of the Bartlett factor (see :func:`bartlett_factor`) and diag(L Lᵀ)."""
    n = min(d, dof)
    chunks, rows = [], np.zeros(d)
    diag = np.sqrt(rng.chisquare(dof - np.arange(n)))
    h = min(CHUNK, d)
    mask = np.tril(np.ones((h, h), dtype=dtype))
    for a in range(0, d, CHUNK):
        b = min(d, a + CHUNK)
        w = min(n, b)
        block = rng.standard_normal((b - a, w), dtype=dtype)
        if w > a:  # the square part crossing the diagonal: keep its lower triangle
            block[:, a:w] *= mask[: b - a, : w - a]
        j = np.arange(a, min(b, n))
        block[j - a, j] = diag[j].astype(dtype)
        rows[a:b] = np.add.reduce(block * block, axis=1, dtype=np.float64)
        chunks.append((a, block))
    return tuple(chunks), rows, n


def bartlett_factor(d: int, dof: int, rng, dtype=np.float32) -> np.ndarray:
    """L with L Lᵀ ~ Wishart_d(dof, I): lower trapezoidal (d, min(d, dof)), L_jj ~ χ_{dof−j}
    (0-based j), L_jk ~ N(0, 1) below the diagonal (Bartlett decomposition).

    Example:
      >>> L = bartlett_factor(3, 5, np.random.default_rng(0))
      >>> L.shape, bool(np.all(np.triu(L, 1) == 0))
      ((3, 3), True)
    """
    d = v.integer(d, "d", lo=1)
    dof = v.integer(dof, "dof", lo=1)
    chunks, _, n = _bartlett_chunks(d, dof, rng, dtype)
    L = np.zeros((d, n), dtype=dtype)
    for a, block in chunks:
        L[a : a + block.shape[0], : block.shape[1]] = block
    return L


def client_statistic(model: DataModel, client: int, m: int, seed: int) -> ClientStatistic:
    """Draw one client's :class:`ClientStatistic` for M samples from seed ``seed`` (exact law)."""
    m = v.integer(m, "m", lo=len(signal_coords(model)) + 1)
    rng = np.random.Generator(np.random.PCG64(_seed_sequence(seed, DATA_STREAM, client)))
    sig = signal_samples(model, client, m, rng)
    R = np.linalg.qr(sig, mode="r")
    r = R.shape[0]
    G1 = rng.standard_normal((r, model.d))
    chunks, rows, n_cols = _bartlett_chunks(model.d, m - r, rng)
    return ClientStatistic(R, G1, chunks, rows, n_cols, signal_coords(model), float(model.mu), m)


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


def _trace_h(t, c: int) -> float:
    """tr(P_c H_sym P_c) over e_1..e_c (the tr(H) of Assumption A.9's reading)."""
    if isinstance(t, ImplicitOrthogonal):
        Ec = np.zeros((t.d, c))
        Ec[np.arange(c), np.arange(c)] = 1.0
        return float(np.trace(Ec.T @ t.apply(Ec)))
    pos = {cc: j for j, cc in enumerate(t.coords)}
    return float(t.alpha * c + sum(t.G[pos[j], pos[j]] for j in range(c) if j in pos))


def _apply_target(stat: ClientStatistic, V, method: str, p: float, t, diag) -> np.ndarray:
    kappa = p * (1.0 - p)
    if method == "cl":
        return stat.apply(V)
    if method == "mim":
        return kappa * (stat.apply(V) - diag[:, None] * V)
    if method == "mim-independent":
        return kappa * stat.apply(V)
    if method == "mim-paper":
        return 2.0 * kappa * diag[:, None] * V
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
        TQ = np.concatenate(run.products, axis=1)
        Hm = Q.T @ TQ
        Hm = 0.5 * (Hm + Hm.T)
        theta, U = np.linalg.eigh(Hm)
        theta, U = theta[::-1], U[:, ::-1]
        Vr = Q @ U[:, :c]
        Res = TQ @ U[:, :c] - Vr * theta[:c]
        scale = float(np.max(np.abs(theta)))
        res_norm = np.linalg.norm(Res, axis=0)
        tol = TIE_K * Q.shape[0] * EPS * scale + res_norm
        keep = theta[:c] > tol
        gap = theta[c - 1] - theta[c] if theta.size > c else np.inf
        out[name] = {
            "ritz": theta[: c + 1],
            "vectors": Vr[:, keep],
            "rank": int(keep.sum()),
            "residual": float(np.linalg.norm(Res) / max(scale, 1e-300)),
            "subspace_bound": float(np.linalg.norm(Res) / gap) if gap > 0 else np.inf,
        }
    return out


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

        blocks, products = [start], []
        for step in range(steps + 1):
            products.append(t_apply(blocks[step]))
            if step < steps:
                nxt = orth_against(products[step], blocks)
                if nxt.shape[1] == 0:
                    break
                blocks.append(nxt)
        Q = np.concatenate(blocks[: len(products)], axis=1)
        TQ = np.concatenate(products, axis=1)
        Hm = Q.T @ TQ
        theta, U = np.linalg.eigh(0.5 * (Hm + Hm.T))
        theta, U = theta[::-1], U[:, ::-1]
        Vr = Q @ U[:, :c]
        Res = TQ @ U[:, :c] - Vr * theta[:c]
        scale = float(np.max(np.abs(theta)))
        tol = TIE_K * Q.shape[0] * EPS * scale + np.linalg.norm(Res, axis=0)
        keep = theta[:c] > tol
        Z, it = _cg_solve(b_apply, a_apply(Vr[:, keep]), precond)  # Σ_uu⁻¹ Σ_uv U_c
        cg_iters[0] = max(cg_iters[0], it)
        if Z.shape[1]:
            u, sv, _ = np.linalg.svd(Z, full_matrices=False)
            Z = u[:, sv > 1e-9 * sv[0]] if sv[0] > 0 else u[:, :0]
        gap = theta[c - 1] - theta[c] if theta.size > c else np.inf
        out[name] = {
            "ritz": theta[: c + 1],
            "vectors": Z,
            "rank": int(keep.sum()),
            "residual": float(np.linalg.norm(Res) / max(scale, 1e-300)),
            "subspace_bound": float(np.linalg.norm(Res) / gap) if gap > 0 else np.inf,
            "cg_iterations": cg_iters[0],
        }
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


def _summary(x: np.ndarray) -> dict:
    x = np.asarray(x, dtype=np.float64)
    q = np.quantile(x, [0.0, 0.05, 0.5, 0.95, 1.0], axis=0)
    return {"min": q[0], "q05": q[1], "median": q[2], "q95": q[3], "max": q[4], "mean": x.mean(0)}


def track_b_samples(
    model: DataModel,
    method: str,
    *,
    beta: float = 1.0,
    m: int | None = None,
    seeds: Sequence[int] | int = 20,
    p: float = 0.75,
    H=None,
    decl: Mapping[str, Sequence[float]] | None = None,
    abar: Mapping[str, float] | None = None,
    steps: int = 3,
    oversample: int = 2,
    constants: Mapping[str, float] | None = None,
) -> dict:
    """Finite-sample Track B over seeds: RVs, sensitivities and the fraction meeting each bound.

    Thm 4.2 / 4.3 of arXiv 2607.02447 "with high probability": for each seed, M = round(d^β)
    samples per client (or ``m``), the exact optimum of the empirical objective for each local
    client, FL and every DecL weighting in ``decl``; the bound of theory.bounds at (d, p, |Ā|,
    N) is met when min_k r_k ≥ LB (k ∈ [N] ∖ {i} local, k ∈ [N] global).

    Args:
      model: data model (d up to ~1e4: O(N d²) memory in float32).
      method: one of ``METHODS``; ``"mim-recon"`` is Eq. (3) (:func:`_recon_optima`).
      beta: M = round(d^β) (β ≥ 1 in the paper); m: explicit M (overrides β).
      seeds: a number of seeds (0..n−1) or the list of seeds.
      p: mask ratio; H: transform of ``"cl-dissimilar"``: a structured block transform
        (``theory.structured.STRUCTURED_TRANSFORMS``) or ``"rotation-full"`` /
        an ``ImplicitOrthogonal`` (a dense rotation of all d axes, matrix-free).
      decl: name → π (N weights) of the DecL objectives to solve (e.g. Eq. 1 weights).
      abar: name → |Ā| of those graphs (for the DecL bound); missing → bound not evaluated.
      steps, oversample: Krylov steps q and extra start columns.
      constants: hidden constants of the bounds (default 1).

    Returns:
      dict with ``config`` and, per framework key (``local`` stacked over clients, ``fl``,
      every DecL name): per-seed arrays ``rv`` (seeds, [clients,] k), ``s_N``, ``s_c``,
      ``gap``, ``min_rv``, ``rank``, ``subspace_bound``; ``summary`` quantiles; ``bound``
      (LB) and ``fraction_meeting_bound`` (both ``None`` where the bound is not evaluated: a
      DecL graph without |Ā|, or tr(P_c H_sym P_c) ≤ 0, where Thm 4.3's dissimilar bound is
      undefined; ``config["bound_defined"]``); plus ``seconds``.
    """
    from theory import bounds

    start_t = time.perf_counter()
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", METHODS)
    p = v.real(p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    n, d, c = model.n_clients, model.d, model.c
    if m is None:
        beta = v.real(beta, "beta", lo=1.0, hi=2.0)
        m = int(round(float(d) ** beta))
    m = v.integer(m, "m", lo=len(signal_coords(model)) + 1)
    seed_list = (
        list(range(v.integer(seeds, "seeds", lo=1)))
        if np.isscalar(seeds)
        else [v.integer(s, "seeds", lo=0) for s in seeds]
    )
    steps = v.integer(steps, "steps", lo=1, hi=50)
    oversample = v.integer(oversample, "oversample", lo=0, hi=64)
    t = _transform(model, H) if method == "cl-dissimilar" else None
    weight_sets = {f"local{i}": np.eye(n)[i] for i in range(n)}
    weight_sets["fl"] = np.full(n, 1.0 / n)
    for name, w in (decl or {}).items():
        w = v.array(w, "decl", shape=(n,))
        if np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
            v.fail("decl", "weights that are non-negative and sum to 1", w.tolist())
        weight_sets[name] = w
    K = list(signal_coords(model))
    k_show = min(d, max(c, 2 * n))
    JN = list(range(n))
    per = {
        name: {
            "rv": [],
            "s_N": [],
            "s_c": [],
            "gap": [],
            "min_rv": [],
            "rank": [],
            "subspace_bound": [],
        }
        for name in weight_sets
    }
    for seed in seed_list:
        stats = [client_statistic(model, i, m, seed) for i in range(n)]
        diags = [s.diagonal() if method.startswith("mim") else None for s in stats]
        rng = np.random.Generator(np.random.PCG64(_seed_sequence(seed, PROBE_STREAM, 0)))
        b = max(c, len(K)) + oversample
        start = np.zeros((d, b))
        start[K, np.arange(len(K))] = 1.0
        start[:, len(K) :] = rng.standard_normal((d, b - len(K)))
        if isinstance(t, ImplicitOrthogonal):  # the low-rank part lives in span(E_K, H E_K)
            start = np.concatenate([start, t.apply(start[:, : len(K)])], axis=1)
        start, _ = np.linalg.qr(start)
        if method == "mim-paper":  # a diagonal target: its optimum is the top-c diagonal axes
            res = _diagonal_optima(diags, weight_sets, p, c)
        elif method == "mim-recon":
            res = _recon_optima(stats, weight_sets, p, c, steps, start, diags)
        else:
            res = _krylov_optima(stats, weight_sets, method, p, t, c, steps, start, diags)
        for name, r in res.items():
            rv = np.sum(r["vectors"] ** 2, axis=1)
            own = int(name[5:]) if name.startswith("local") else None
            Jg = [k for k in JN if k != own]
            per[name]["rv"].append(rv[:k_show])
            per[name]["s_N"].append(float(np.ptp(rv[JN])))
            per[name]["s_c"].append(float(np.ptp(rv[: min(c, d)])))
            per[name]["gap"].append(float(1.0 - rv[Jg].min()))
            per[name]["min_rv"].append(float(rv[Jg].min()))
            per[name]["rank"].append(r["rank"])
            per[name]["subspace_bound"].append(r["subspace_bound"])
        del stats
    consts = dict(constants or {})
    bmethod = BOUND_METHOD[method]
    trh = 1.0 if t is None else _trace_h(t, c)
    out = {
        "config": {
            "method": method,
            "d": d,
            "n_clients": n,
            "c": c,
            "m": m,
            "beta": None if m is None else float(np.log(m) / np.log(d)),
            "p": p,
            "seeds": seed_list,
            "steps": steps,
            "oversample": oversample,
            "trH": trh,
            "transform": None
            if t is None
            else ("rotation-full" if isinstance(t, ImplicitOrthogonal) else "block"),
            "trH_reading": "tr(P_c H_sym P_c) over e_1..e_c (Assumption A.9)",
            "bound_defined": trh > 0,
            "rv_coords": f"e_1..e_{k_show}",
        }
    }
    for name, acc in per.items():
        arrs = {key: np.asarray(val) for key, val in acc.items()}
        framework = "local" if name.startswith("local") else ("fl" if name == "fl" else "decl")
        lb = None
        if trh > 0 and (framework != "decl" or (abar and name in abar)):
            kw = dict(d=float(d), p=p, n=float(n), trH=trh, constants=consts)
            if framework == "decl":
                kw["abar"] = float(abar[name])
            lb = float(bounds.lower_bound(bmethod, framework, **kw))
        entry = {
            **arrs,
            "summary": {key: _summary(arrs[key]) for key in ("s_N", "s_c", "gap", "min_rv", "rv")},
        }
        entry["bound"] = lb
        entry["fraction_meeting_bound"] = (
            None if lb is None else float(np.mean(arrs["min_rv"] >= lb))
        )
        out[name] = entry
    local_names = [f"local{i}" for i in range(n)]
    out["local"] = {
        key: np.stack([out[nm][key] for nm in local_names], axis=1)
        for key in ("rv", "s_N", "s_c", "gap", "min_rv", "rank", "subspace_bound")
    }
    out["local"]["bound"] = out["local0"]["bound"]
    out["local"]["fraction_meeting_bound"] = (
        None
        if out["local0"]["bound"] is None
        else float(np.mean(out["local"]["min_rv"] >= out["local0"]["bound"]))
    )
    out["local"]["summary"] = {
        key: _summary(out["local"][key].reshape(-1)) for key in ("s_N", "s_c", "gap", "min_rv")
    }
    out["seconds"] = time.perf_counter() - start_t
    return out
