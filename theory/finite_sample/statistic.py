r"""Exact sampling of one client's sufficient statistic for finite-sample Track B.

No M×d sample and no d×d target is formed (Assumption A.7 of arXiv 2607.02447:
:math:`M = \Theta(d^\beta)` i.i.d. samples per client of the data model of Section 3.2).

A sample is :math:`x = s + \mu\xi` with s on the signal coordinates K
(``theory.structured.signal_coords``) and :math:`\xi \sim N(0, I_d)`. Stack client i's samples:
:math:`X = \Sigma E_K^\top + \mu \Xi` (Σ: M×|K| signal, Ξ: M×d noise). The target needs only
:math:`S = X^\top X / M`:

$$
M S = E_K \Sigma^\top \Sigma E_K^\top + \mu\,(E_K \Sigma^\top \Xi + \Xi^\top \Sigma E_K^\top)
+ \mu^2\, \Xi^\top \Xi.
$$

With the thin QR :math:`\Sigma = U R` (U: M×r orthonormal, :math:`r = \lvert K\rvert`) and
:math:`G_1 = U^\top \Xi`, :math:`G_2 = U_\perp^\top \Xi` (independent standard Gaussian r×d and
(M − r)×d, Ξ's law is rotation invariant): :math:`\Sigma^\top \Xi = R^\top G_1` and
:math:`\Xi^\top \Xi = G_1^\top G_1 + G_2^\top G_2`, where
:math:`G_2^\top G_2 \sim \mathrm{Wishart}_d(M - r, I)` is drawn by the Bartlett decomposition
:math:`L L^\top` (L: d × min(d, M − r) lower trapezoidal, :math:`L_{jj} \sim \chi_{M-r-j+1}`,
:math:`L_{jk} \sim N(0, 1)` for :math:`j > k`). So :math:`(R, G_1, L)` has exactly the law of the
statistic given the signal, at cost :math:`O(d^2)` per client whatever M is (β = 1.2 costs the
same as β = 1). L is stored in float32 (:math:`d \cdot \min(d, M - r)` entries per client, no
larger than the M×d sample itself); every product with it accumulates in float32 (relative error
:math:`\approx 10^{-7} \sqrt{d}` of :math:`\lVert L L^\top\rVert`, i.e.
:math:`\approx 10^{-6} \mu^2` absolute), all small linear algebra is float64.

Seeds: client i of seed s draws from ``numpy.random.SeedSequence(s, spawn_key=(DATA_STREAM,
i))`` with PCG64 (:mod:`theory.finite_sample`, "Seeds").
"""

from __future__ import annotations

import dataclasses

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel, rare_axes
from theory.structured import signal_coords

__all__ = ["ClientStatistic", "signal_samples", "bartlett_factor", "client_statistic"]

DATA_STREAM = 0
PROBE_STREAM = 6


@dataclasses.dataclass(frozen=True)
class ClientStatistic:
    r"""Sufficient statistic of one client's M samples (module docstring):

    $$
    M S = E R^\top R E^\top + \mu\,(E R^\top G_1 + G_1^\top R E^\top)
    + \mu^2 (G_1^\top G_1 + L L^\top).
    $$

    ``R`` (r, |K|), ``G1`` (r, d) float64; the Bartlett factor L is stored as row chunks
    ``(a, block)`` with block = L[a:a+h, :w] (float32, only the lower part); ``l_rows`` =
    :math:`\operatorname{diag}(L L^\top)` in float64; ``coords`` = K; ``m`` = M."""

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
        r""":math:`L L^\top V` (float32 products, float64 result) using only the lower part of L."""
        V32 = V.astype(np.float32)
        Y = np.zeros((self.n_cols, V.shape[1]), dtype=np.float32)
        for a, block in self.chunks:
            Y[: block.shape[1]] += block.T @ V32[a : a + block.shape[0]]
        out = np.empty(V.shape, dtype=np.float64)
        for a, block in self.chunks:
            out[a : a + block.shape[0]] = block @ Y[: block.shape[1]]
        return out

    def apply(self, V: np.ndarray) -> np.ndarray:
        """:math:`S V` for V (d, b) (float64 result)."""
        K = list(self.coords)
        VK = V[K]
        G1V = self.G1 @ V  # (r, b)
        out = self.mu**2 * (self.G1.T @ G1V + self.wishart_apply(V))
        out += self.mu * (self.G1.T @ (self.R @ VK))
        out[K] += self.R.T @ (self.R @ VK) + self.mu * (self.R.T @ G1V)
        return out / self.m

    def diagonal(self) -> np.ndarray:
        r""":math:`\operatorname{diag}(S)`, shape (d,)."""
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
    r"""Signal parts s of M i.i.d. samples of one client on the coordinates K, shape (M, |K|).

    Component :math:`2i-1` / :math:`2i` / :math:`h_i` with weights
    :math:`((1-\rho)/2, (1-\rho)/2, \rho)`; :math:`s = \pm e_i - \tau \sum_{k \ne i} q_k e_k`
    (:math:`q_k \sim \mathrm{Bernoulli}(1/2)`) or :math:`e_{h_i}` (Section 3.2 of arXiv
    2607.02447).
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
    r"""L with :math:`L L^\top \sim \mathrm{Wishart}_d(\mathrm{dof}, I)`: lower trapezoidal
    (d, min(d, dof)), :math:`L_{jj} \sim \chi_{\mathrm{dof} - j}` (0-based j),
    :math:`L_{jk} \sim N(0, 1)` below the diagonal (Bartlett decomposition).

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
