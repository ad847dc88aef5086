r"""The optimal set :math:`\{\text{fixed part} \oplus V : V \subseteq T,\ \dim V = k\}`, T the
tied eigenspace: RVs (Def. 4.1) and sensitivities as (min, max) over the set (closed forms, or
brackets).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from theory.structured.eigen import ALIGN_TOL


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
