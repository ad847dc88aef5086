r"""Configuration, evidence and the exact model of the claims registry (:mod:`theory.claims`).

* :class:`VerifyConfig` (the data model, graph and Track A constants of one configuration),
  :class:`Evidence` (one track's verdict with its numbers), :class:`Claim`, and the reading
  dimensions (:data:`READINGS`, :data:`CLAIM_READINGS`).
* The exact model at any d (:class:`_Exact`): the population targets of the paper's model are a
  scalar times the identity outside the leading 2N coordinates (:math:`\mu^2` for CL, 0 for
  MIM), so the optimum of a d-dimensional target equals that of its leading
  :math:`m = \min(d, 2N + c)` block with the scalar kept on :math:`m - 2N \ge c` stand-in
  coordinates (at most c eigen-directions are selected). Dissimilar CL uses
  :math:`H = H_m \oplus I_{d-m}` (the transform acts on the leading m coordinates), which keeps
  the structure; :math:`\operatorname{tr}(H) = \operatorname{tr}(H_m) + d - m`. :math:`H_m` also
  moves the block's stand-in coordinates (a rotation or permutation mixes them into the signal
  axes), so the block is padded with :math:`\min(c + 1, d - m)` coordinates at :math:`\mu^2`,
  the bulk of the :math:`d - m` outside (without that padding a review found the :math:`\mu^2`
  eigenvalue lost: rotation at :math:`d = 60` untied instead of tied).
* Track A, the paper's bounds with their denominators (T4, R3 of docs/verdict_rules.md), is
  :mod:`theory.claims_track_a`.
* The full-space reading ``dissimilar-rotation-full``: H a dense rotation of *all* d coordinates,
  ``theory.structured.ImplicitOrthogonal(d, transform_seed)`` (a DCT with random signs, applied
  matrix-free). It does not keep the structure: :math:`X = \mu^2 H_{\mathrm{sym}}` plus a term
  of rank :math:`\le 2|K|`, whose spectrum below the outliers is the continuum
  :math:`\mu^2 \cdot \mathrm{spec}(H_{\mathrm{sym}})`. Its exact optimum is computed from the
  dense d × d target for d ≤ ``FULL_SPACE_MAX_D`` (same rules T1–T3, R4 as every other
  reading); above that the Track B check is :class:`NotApplicable` (``not-run``, with the
  reason): the :math:`c - (\text{number of outliers})` slots filled from the top of that
  continuum have eigenvalue spacings :math:`\sim \mu^2 (2\pi/d)^2`, far below T1's
  :math:`\delta\lambda = d \cdot \varepsilon \cdot \lVert X\rVert_2` at large d, so the optimum
  is a tie over a cluster no matrix-free solver here resolves (``theory.structured.
  solve_rotation`` and ``theory.finite_sample`` report those slots as not converged). Track A
  uses the literal :math:`\operatorname{tr}(H) = \sum_j (H)_{jj}` (closed form of the DCT-II
  diagonal, d ≤ ``FULL_TRACE_MAX_D``); Assumption A.9 reads the leading block of H.

Why this block reduction and not :func:`theory.structured.solve` (which agrees with it on rank
and on the signal RVs at d = 1e12 for five methods, tests/test_claims.py): the verdicts are
functions of :class:`theory.solutions.Solution` (rule T1's
:math:`\delta\lambda = m \cdot \varepsilon \cdot \lVert X\rVert_2` and T3's :math:`\delta r`, the
attained RVs at random points of a tied optimal set for R4), which ``structured`` does not
produce (it reports closed-form min/max over the optimal set with its own tie tolerance
:math:`\mathrm{TIE\_K} \cdot n \cdot \varepsilon \cdot \lVert M\rVert`); the first T2 rule
(``positivity="relative"``), re-evaluated for the rule-change record, exists only here; and the
dissimilar readings use dense rotations, permutations and sign flips of the leading m
coordinates (``theory.objectives.transform``), which are not among ``structured``'s block
transforms. Switching would change tolerances, hence verdicts, through a rule change. Nor are
the two bit-identical: over the FAST verdict-map configurations at d = 1e6
(:math:`p \in \{0.5, 0.75\}`, :math:`N \in \{2, 3, 4, 6\}`, both rare axes) × five methods ×
(FL, client 0), 160 optima, ranks and tie flags agree everywhere and the RVs of the block
coordinates agree to 1.1e-15, but they are bit-identical in 91 of the 160 (different LAPACK
calls on different blocks). Speed is no reason either: :math:`N + 1` optima for each of five
methods at d = 1e6 (warm, CPU seconds) take 0.01 / 0.07 / 0.34 here and 0.02 / 0.09 / 0.25 in
``structured`` at N = 4 / 12 / 20.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping

import numpy as np

from theory import _validate as v
from theory import objectives, solutions, spectral, symbolic, topology
from theory import verdicts as vd
from theory.datamodel import DataModel, raised_sweep
from theory.objectives import has_decoder, takes_transform

VERDICTS = vd.WORDS
CLAIM_IDS = (
    "eq17",
    "eq29-30",
    "thm4.2.local",
    "thm4.2.decl",
    "thm4.2.fl",
    "thm4.3.local",
    "thm4.3.decl",
    "thm4.3.fl",
    "thm4.4",
    "cor4.5",
    "thm4.6",
    "thm4.6.eq87",
    "thm4.6.eq89",
)
#: MIM objective readings → target method of :mod:`theory.objectives`
OBJECTIVES = {
    "eq4-complementary": "mim",
    "eq4-independent": "mim-independent",
    "eq3-reconstruction": "mim-recon",
    "eq17-surrogate": "mim-paper",
}
#: CL readings → (target method, transform of Assumption A.9). A reading is objective +
#: family: ``dissimilar-X`` is X (``theory.objectives.TRANSFORMS``) on the leading m
#: coordinates (:meth:`_Exact.transform`), not X on all d axes nor ``block-X`` on the signal
#: block (spelling rule: :mod:`theory.objectives`)
CL_READINGS = {
    "similar": ("cl", "identity"),
    "dissimilar-identity": ("cl-dissimilar", "identity"),
    "dissimilar-rotation": ("cl-dissimilar", "rotation"),
    "dissimilar-permutation": ("cl-dissimilar", "permutation"),
    "dissimilar-sign-flip": ("cl-dissimilar", "sign-flip"),
    "dissimilar-rotation-full": ("cl-dissimilar", "rotation-full"),
}
#: The paper's own readings of the objectives of Thms 4.2-4.4: Eq. (4) with complementary masks
#: (MIM) and similar augmentations, Eq. (2) (CL); and the exact-model methods of those two, the
#: pair Thm 4.4 compares (what the figures show as "MIM" and "CL")
PAPER_MIM, PAPER_CL = "eq4-complementary", "similar"
THM44_METHODS = (OBJECTIVES[PAPER_MIM], CL_READINGS[PAPER_CL][0])
#: transforms that act on all d coordinates (the full-space readings); the other dissimilar
#: readings transform the leading m coordinates only (H = H_m ⊕ I_{d−m})
FULL_SPACE_TRANSFORMS = ("rotation-full",)
#: largest d at which a full-space reading's exact optimum is computed (a dense d × d target)
FULL_SPACE_MAX_D = 2000
#: largest d at which tr(H) of the full-space rotation is summed (O(d) work)
FULL_TRACE_MAX_D = 10**8


@dataclasses.dataclass(frozen=True)
class Sensitivity:
    r"""A reading of the sensitivity s of Thm 4.4 / 4.6 (the ``sensitivity`` dimension).

    Attributes:
      of: ``of(solution, n, c) -> Value``: s at an optimum of N clients and c features.
      spread: whether s is a spread :math:`\max r - \min r`; R7
        (:func:`theory.verdicts.collapse_guard`) guards a spread only: a collapsed optimum
        spreads its RV evenly, while the gap :math:`1 - \min r` stays informative.
    """

    of: Callable[[solutions.Solution, int, int], vd.Value]
    spread: bool


#: The sensitivity readings: the spread over [N] (Thm 4.4's own), over [c], and the gap.
SENSITIVITY = {
    "spread-N": Sensitivity(lambda sol, n, c: solutions.spread(sol, range(n)), True),
    "spread-c": Sensitivity(lambda sol, n, c: solutions.spread(sol, range(c)), True),
    "gap": Sensitivity(lambda sol, n, c: solutions.gap(sol, range(n)), False),
}
SENSITIVITIES = tuple(SENSITIVITY)
#: reading dimensions and their values ("method": any SSL method, MIM or CL)
READINGS = {
    "objective": tuple(OBJECTIVES),
    "cl": tuple(CL_READINGS),
    "method": tuple(OBJECTIVES) + tuple(CL_READINGS),
    "sensitivity": SENSITIVITIES,
}
#: the reading dimensions each claim depends on
CLAIM_READINGS = {
    "eq17": (),
    "eq29-30": (),
    "thm4.2.local": ("objective",),
    "thm4.2.decl": ("objective",),
    "thm4.2.fl": ("objective",),
    "thm4.3.local": ("cl",),
    "thm4.3.decl": ("cl",),
    "thm4.3.fl": ("cl",),
    "thm4.4": ("objective", "cl", "sensitivity"),
    "cor4.5": ("method", "sensitivity"),
    "thm4.6": ("method", "sensitivity"),
    "thm4.6.eq87": ("method", "sensitivity"),
    "thm4.6.eq89": ("method", "sensitivity"),
}


class NotApplicable(Exception):
    """A check that cannot run at a valid configuration (e.g. Cor 4.5 with one graph at
    :math:`N = 2`).

    Deliberately not a ValueError: bad input raises ValueError and is never swallowed.
    """


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One track's verdict on one claim, with the numbers behind it."""

    verdict: str
    numbers: Mapping
    note: str = ""

    def __post_init__(self) -> None:
        v.choice(self.verdict, "verdict", VERDICTS)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "note": self.note, "numbers": dict(self.numbers)}


NOT_RUN = Evidence("not-run", {}, "no evidence computed for this track")


@dataclasses.dataclass(frozen=True)
class TrackAConstants:
    r"""Track A hidden constants and variants of the paper's bounds (``theory.bounds``): the
    :math:`O(\cdot)` constants c_num, c_den, c_f, c_n (> 0), the sign of the denominator's
    :math:`O(\cdot)` term and
    the FL term (``theory.symbolic.SIGNS``, ``FL_TERMS``); Thm 4.2/4.3 of arXiv 2607.02447."""

    c_num: float = 1.0
    c_den: float = 1.0
    c_f: float = 1.0
    c_n: float = 1.0
    sign: str = "+"
    fl_term: str = "eq37"

    def constants(self) -> dict:
        """The six fields as keyword arguments (to pass them on)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(TrackAConstants)}

    def _check_constants(self) -> None:
        v.choice(self.sign, "sign", symbolic.SIGNS)
        v.choice(self.fl_term, "fl_term", symbolic.FL_TERMS)
        for name in ("c_num", "c_den", "c_f", "c_n"):
            v.real(getattr(self, name), name, lo=0.0, lo_open=True)


#: the dimensions of Thm 4.4's d-sweep in :class:`VerifyConfig` by default
D_SWEEP = (100, 200, 400)


@dataclasses.dataclass(frozen=True)
class VerifyConfig(TrackAConstants):
    r"""Configuration of the Track A/B checks.

    Args:
      d, n_clients, p, c, rare_fraction, rare_axis, tau, mu: the data model and mask ratio
        (``theory.datamodel.DataModel``; c defaults to :math:`2N`). d may be astronomically
        large.
      graph, degree, avg_degree, prob, rows, cols, graph_seed: the DecL graph
        (``theory.topology.make_graph``); ``star`` by default, an irregular graph, because on
        regular graphs the exact Eq. (1) objective equals FL (docs/theory/decl_weights.md §2). It
        must be connected and fully specified (ValueError otherwise).
      transform, transform_seed: H of CL with dissimilar augmentations in the primary reading
        (``dissimilar-<transform>``: the family on the leading m coordinates in Track B; the
        Track C runs read it on all d axes, see :mod:`theory.objectives`).
      d_sweep: dimensions at which Thm 4.4's primary reading is also reported (a limit
        :math:`d \to \infty`), each ≥ 2N; default (None) :data:`D_SWEEP` scaled up to start
        at 2N or above (:func:`theory.datamodel.raised_sweep`). ``dataclasses.replace`` keeps
        the sweep of the first N: pass ``d_sweep=None`` with a new ``n_clients``.
      c_num, c_den, c_f, c_n, sign, fl_term: Track A hidden constants and variants
        (``theory.bounds``); N is the actual number of clients.
      positivity: rule T2's threshold below which an eigenvalue counts as non-positive:
        ``"eigen-error"`` (in force) or ``"relative"`` (the first rule, evaluated only to report
        its answer beside the new one, ``theory.verdicts.RULE_CHANGES``). A rule, not part of
        the configuration: left out of :func:`theory.claims.config_dict`.
      free_rows: whether the Eq. (3) optimum carries its free encoder rows (rank :math:`< c`: an
        optimal set, ``theory.solutions.solve_recon``), the rule in force; ``False`` evaluates
        the rule before (the solver's pick as if unique), only to report its answers beside the
        new ones (``RULE_CHANGES``, ``verdict_without_free_rows``). A rule, like ``positivity``.
      certify: whether RVs proved near 1 by an invariant block (rule T7,
        ``theory.solutions.certify_top``) are compared without the eigen-solver's tolerance, the
        rule in force; ``False``: the rule before (``verdict_without_certificate``).
    """

    d: int = 400
    n_clients: int = 4
    p: float = 0.75
    c: int | None = None
    rare_fraction: float = 0.05
    rare_axis: str | tuple = "class-index"
    tau: float | None = None
    mu: float | None = None
    graph: str = "star"
    degree: int | None = None
    avg_degree: float | None = None
    prob: float | None = None
    rows: int | None = None
    cols: int | None = None
    graph_seed: int = 0
    transform: str = "identity"
    transform_seed: int = 0
    d_sweep: tuple | None = None
    positivity: str = dataclasses.field(default="eigen-error", metadata={"json": False})
    free_rows: bool = dataclasses.field(default=True, metadata={"json": False})
    certify: bool = dataclasses.field(default=True, metadata={"json": False})

    def __post_init__(self) -> None:
        v.real(self.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        v.choice(self.positivity, "positivity", vd.POSITIVITY)
        for name in ("free_rows", "certify"):
            if not isinstance(getattr(self, name), bool):
                v.fail(name, "True or False", getattr(self, name))
        v.choice(self.graph, "graph", topology.GRAPHS)
        v.choice(self.transform, "transform", objectives.TRANSFORMS)
        v.integer(self.transform_seed, "transform_seed", lo=0)
        v.integer(self.graph_seed, "graph_seed", lo=0)
        self._check_constants()
        given = self.d_sweep
        if given is None:
            given = raised_sweep(D_SWEEP, v.integer(self.n_clients, "n_clients", lo=2))
        sweep = tuple(v.integer(x, "d_sweep", lo=2 * self.n_clients) for x in given)
        object.__setattr__(self, "d_sweep", sweep)
        self.model()  # validates d, n_clients, c, τ, μ, rare options
        try:  # validates the graph: defined at this N, fully specified, connected
            a = self.adjacency()
        except ValueError as err:
            msg = " ".join(str(err).split())
            if msg.startswith("n:"):  # the graph is not defined at this N: name the graph
                v.fail("graph", f"a graph defined on n_clients={self.n_clients} nodes", self.graph)
            raise
        if not topology.is_connected(a):
            v.fail("graph", "a connected graph", f"{self.graph} (disconnected)")

    def model(self, d: int | None = None) -> DataModel:
        return DataModel(
            d=self.d if d is None else d,
            n_clients=self.n_clients,
            tau=self.tau,
            mu=self.mu,
            rare_fraction=self.rare_fraction,
            rare_axis=self.rare_axis,
            c=self.c,
        )

    def transform_matrix(self) -> np.ndarray:
        r"""H of the configuration's ``transform`` as a dense d × d matrix:
        :math:`H_m \oplus I_{d-m}` on the leading m coordinates, the H Track B's exact model
        reads (``_Exact.transform``), so that Track C trains with it and its Track A bound takes
        :math:`\operatorname{tr}(H)` from it too (one spelling, one matrix; theory.objectives'
        table of supports). Dense: d ≤ ``theory.structured.DENSE_MAX_D``.

        >>> cfg = VerifyConfig(d=40, transform="rotation")
        >>> H = cfg.transform_matrix()
        >>> H.shape, bool(np.allclose(H[16:, 16:], np.eye(24))), bool(np.allclose(H @ H.T,
        ...     np.eye(40)))
        ((40, 40), True, True)
        """
        from theory.structured import DENSE_MAX_D

        if self.d > DENSE_MAX_D:
            v.fail("d", f"<= {DENSE_MAX_D} for a dense transform matrix", self.d)
        ex = _exact(self)
        H = np.eye(self.d)
        H[: ex.m, : ex.m] = ex.transform(self.transform)
        return H

    @property
    def graph_label(self) -> str:
        """The name of the DecL graph in evidence rows (a subclass that takes its graph from
        elsewhere, e.g. a mixing file's support, names it here)."""
        return self.graph

    def adjacency(self, graph: str | None = None, **overrides) -> np.ndarray:
        params = dict(
            rows=self.rows,
            cols=self.cols,
            degree=self.degree,
            avg_degree=self.avg_degree,
            prob=self.prob,
            seed=self.graph_seed,
        )
        params.update(overrides)
        return topology.make_graph(graph or self.graph, self.n_clients, **params)

    def mixing(self, graph: str | None = None, **overrides) -> np.ndarray:
        """The DecL mixing matrix W on :meth:`adjacency`: the paper's rule :math:`w_{ij} = 1/|A_i|`
        (§3.3; a subclass that is given W itself, e.g. from a mixing file, returns it here).
        Its Eq. (1) column sums give the objective weights π of the exact DecL objective."""
        return topology.mixing_matrix("uniform", self.adjacency(graph, **overrides))


@dataclasses.dataclass(frozen=True)
class Claim:
    r"""A claim of the paper with the functions that compute its Track A and B evidence under a
    reading (a dict {dimension: value} over ``CLAIM_READINGS[id]``). ``tracks``: where Track A
    and Track B read the claim differently, what each computes (reported beside the verdicts);
    empty where both read it the same way. ``paper_reading``: the paper's own reading,
    {dimension: values} over ``CLAIM_READINGS[id]`` (several values of one dimension: each is
    the paper's, their words combined with R5); empty for a claim with one reading.
    ``paper_reading_why``: one line saying why, citing the paper's section. ``sweeps_d``:
    the claim's Track B word is also reported at every d of ``VerifyConfig.d_sweep`` (Thm
    4.4's statement is a limit :math:`d \to \infty`, read along the sweep).
    ``no_mixing``: why a given DecL mixing matrix W does not enter the claim's verdicts (its
    Track B does not read the configuration's W); empty where it enters (the claim's DecL side
    reads W's Eq. (1) weights, or its support as the graph). ``relation``: for a claim that
    compares s_Dec with s_Fed, the relation it asserts (``">="``, ``">"`` or ``"=="``)."""

    id: str
    reference: str
    statement: str
    track_a: Callable[[VerifyConfig, dict], Evidence]
    track_b: Callable[[VerifyConfig, dict], Evidence]
    tracks: str = ""
    paper_reading: Mapping[str, tuple] = dataclasses.field(default_factory=dict)
    paper_reading_why: str = ""
    sweeps_d: bool = False
    no_mixing: str = ""
    relation: str = ""


# ----------------------------------------------------------------------------------------------
# the exact model at any d (block reduction) and its solutions
# ----------------------------------------------------------------------------------------------
_DENSE_MAX = 4000
_SOLUTIONS: dict = {}  # (model key, p or None, method, transform, weights) -> Solution
_SOLUTIONS_MAX = 50_000


def _rare_max(model: DataModel) -> int:
    from theory.datamodel import rare_axes

    return int(np.max(rare_axes(model))) + 1


class _Exact:
    """Optima of one configuration (any d) for every method, cached per weights."""

    def __init__(self, cfg: VerifyConfig) -> None:
        model = cfg.model()
        self.cfg, self.n, self.c, self.d = cfg, model.n_clients, model.c, model.d
        lead = max(2 * self.n, _rare_max(model))
        self.m = min(self.d, lead + self.c)
        self.lead = min(lead, self.m)  # coordinates lead..m-1 are the stand-ins of the bulk
        if self.m > _DENSE_MAX:
            v.fail("rare_axis", f"coordinates with max + c <= {_DENSE_MAX}", cfg.rare_axis)
        self.small = dataclasses.replace(model, d=self.m)
        self.coords = max(self.c, self.n)
        self._cache: dict = {}
        # CL targets do not depend on p: their optima are shared across configurations
        base = (self.d, self.n, self.c, model.tau, model.mu, model.rare_fraction)
        self._key = base + (model.rare_axis, cfg.transform_seed)

    def transform(self, name: str) -> np.ndarray:
        """The transform's leading m × m block (for the leading-block readings, the whole H_m
        of H = H_m ⊕ I_{d−m}; for a full-space reading, P_m H P_m of the d × d rotation)."""
        if name in FULL_SPACE_TRANSFORMS:
            return _rotation_block(self.d, self.cfg.transform_seed, self.m)
        return objectives.transform(name, self.m, seed=self.cfg.transform_seed)

    def trace_h(self, name: str) -> float:
        """The literal tr(H) over all d coordinates."""
        if name in FULL_SPACE_TRANSFORMS:
            return _rotation_trace(self.d, self.cfg.transform_seed)
        return float(np.trace(self.transform(name))) + (self.d - self.m)

    def _full_space(self, transform: str, weights) -> solutions.Solution:
        """Exact optimum of ½(H S_w + S_w Hᵀ) for a rotation H of all d axes (dense, d small)."""
        if self.d > FULL_SPACE_MAX_D:
            raise NotApplicable(
                f"the full-space transform {transform!r} is solved exactly only for d <= "
                f"{FULL_SPACE_MAX_D} (dense); at d = {self.d:g} the optimum's slots below the "
                "outliers lie in the continuum mu^2 spec(H_sym), tied within T1"
            )
        from theory import structured

        model = self.cfg.model()
        if isinstance(weights, int):
            S = structured.combined_target(model, "cl", client=weights)
        else:
            S = structured.combined_target(model, "cl", weights=np.asarray(weights, float))
        S = S.to_dense()
        H = structured.ImplicitOrthogonal(self.d, self.cfg.transform_seed).to_dense()
        X = 0.5 * (H @ S + S @ H.T)
        return solutions.solve_target(X, self.c, coords=self.coords, positivity=self.cfg.positivity)

    def targets(self, method: str, transform: str = "identity"):
        key = ("targets", method, transform)
        if key not in self._cache:
            if has_decoder(method):
                self._cache[key] = objectives.recon_moments(self.small, p=self.cfg.p)
            else:
                H = self.transform(transform) if takes_transform(method) else None
                tg = objectives.population_targets(
                    self.small, method, p=objectives.p_for(method, self.cfg.p), H=H
                )
                if H is not None and self._moves_stand_ins(H):
                    tg = self._pad_bulk(tg)
                self._cache[key] = tg
        return self._cache[key]

    def _moves_stand_ins(self, H: np.ndarray) -> bool:
        """Whether H_m touches the block's stand-in coordinates (the last m − lead, lead =
        max(2N, rare axes)): a rotation, permutation or sign flip of the whole block does (a
        flipped stand-in carries −μ², not the bulk's μ²); the identity leaves them as the bulk,
        and its block needs no padding (and keeps its earlier numbers bit for bit)."""
        lead, s = self.lead, slice(self.lead, self.m)
        untouched = (
            np.array_equal(H[s, s], np.eye(self.m - lead))
            and not np.any(H[s, :lead])
            and not np.any(H[:lead, s])
        )
        return not untouched

    def _pad_bulk(self, tg: np.ndarray) -> np.ndarray:
        """Dissimilar CL targets with the bulk the block model would otherwise lose.

        H = H_m ⊕ I_{d−m} leaves the d − m coordinates outside the block at the untransformed
        scalar s = μ² of the CL target, but H_m mixes the block's own stand-in coordinates
        (a rotation or permutation moves them onto the signal axes), so the m × m block alone
        no longer holds s with the multiplicity the optimum may draw on. The d × d target is
        X_m ⊕ s·I_{d−m}; its optimum and tie structure (T2) are those of X_m ⊕ s·I_k with
        k = min(c + 1, d − m): at most c directions are selected, and one more copy keeps a
        cluster at s extending beyond position c as it does in the full space. The padded
        coordinates lie outside [N] and [c], so no RV entry reads them.
        """
        k = min(self.c + 1, self.d - self.m)
        if k <= 0:
            return tg
        s = self.targets("cl")[:, -1, -1]  # the CL scalar on an untouched stand-in: μ²
        n, m = tg.shape[0], tg.shape[1]
        out = np.zeros((n, m + k, m + k), dtype=tg.dtype)
        out[:, :m, :m] = tg
        out[:, m:, m:] = s[:, None, None] * np.eye(k)
        return out

    def solution(self, method: str, transform: str, weights) -> solutions.Solution:
        """Optimum of Σ_j w_j L_j (``weights``: (N,) tuple, or an int i: client i alone)."""
        p = None if method.startswith("cl") else self.cfg.p
        pos = self.cfg.positivity
        free = self.cfg.free_rows if has_decoder(method) else True
        key = (self._key, p, method, transform, weights, pos, free)
        if key not in _SOLUTIONS:
            if len(_SOLUTIONS) > _SOLUTIONS_MAX:
                _SOLUTIONS.clear()
            if transform in FULL_SPACE_TRANSFORMS and takes_transform(method):
                _SOLUTIONS[key] = self._full_space(transform, weights)
            else:
                _SOLUTIONS[key] = self._solve(method, transform, weights, pos, free)
        sol = _SOLUTIONS[key]
        if not self.cfg.certify and sol.certified is not None:
            return dataclasses.replace(sol, certified=None)  # the rule before T7
        return sol

    def _solve(self, method: str, transform: str, weights, pos: str, free: bool):
        """The optimum of one weighted objective on the block (see :meth:`solution`)."""
        tg = self.targets(method, transform)
        w = np.eye(self.n)[weights] if isinstance(weights, int) else np.asarray(weights, float)
        if has_decoder(method):
            uu, vu = (np.einsum("n,nde->de", w, t) for t in tg)
            return solutions.solve_recon(
                uu, vu, self.c, coords=self.coords, positivity=pos, free_rows=free
            )
        X = np.einsum("n,nde->de", w, tg)
        return solutions.solve_target(X, self.c, coords=self.coords, positivity=pos)


_BLOCKS: dict = {}  # (d, seed) -> leading block of the full-space rotation


def _rotation_block(d: int, seed: int, m: int) -> np.ndarray:
    """P_m H P_m (m × m) of ``theory.structured.ImplicitOrthogonal(d, seed)``, from H applied
    to e_1..e_m (columns in chunks of 8: O(8 d) memory); cached per (d, seed)."""
    from theory import structured

    have = _BLOCKS.get((d, seed))
    if have is None or have.shape[0] < m:
        size = min(d, max(m, 64))
        H = structured.ImplicitOrthogonal(d, seed)
        cols = []
        for a in range(0, size, 8):
            b = min(size, a + 8)
            E = np.zeros((d, b - a))
            E[np.arange(a, b), np.arange(b - a)] = 1.0
            cols.append(H.apply(E)[:size])
        if len(_BLOCKS) > 64:
            _BLOCKS.clear()
        have = _BLOCKS[(d, seed)] = np.concatenate(cols, axis=1)
    return have[:m, :m].copy()


@functools.lru_cache(maxsize=64)
def _rotation_trace(d: int, seed: int) -> float:
    """tr(H) of ``ImplicitOrthogonal(d, seed)`` = D₂ C D₁: Σ_j s2_j s1_j C_jj with the
    orthonormal DCT-II diagonal C_00 = 1/√d, C_jj = √(2/d) cos(π j(2j+1)/(2d)) (the angle
    reduced exactly in integers), O(d)."""
    from theory import structured

    if d > FULL_TRACE_MAX_D:
        raise NotApplicable(
            f"tr(H) of the full-space rotation is summed for d <= {FULL_TRACE_MAX_D}"
        )
    s1, s2 = structured.ImplicitOrthogonal(d, seed)._signs()
    j = np.arange(d, dtype=np.int64)
    r = (j * (2 * j + 1)) % (4 * d)
    diag = np.sqrt(2.0 / d) * np.cos(np.pi * r / (2.0 * d))
    diag[0] = np.sqrt(1.0 / d)
    return float(np.sum(s1 * s2 * diag))


@functools.lru_cache(maxsize=256)
def _exact(cfg: VerifyConfig) -> _Exact:
    return _Exact(cfg)


def _fl_weights(n: int) -> tuple:
    return tuple(np.full(n, 1.0 / n).tolist())


@functools.lru_cache(maxsize=1024)
def _graph_info(cfg: VerifyConfig, graph: str | None = None, key: tuple = ()) -> dict:
    a = cfg.adjacency(graph, **dict(key))
    w = cfg.mixing(graph, **dict(key))
    pi = np.asarray(spectral.objective_weights(w), dtype=np.float64)
    return {
        "adjacency": a,
        "abar": float(a.sum(1).mean() + 1.0),
        "pi_objective": pi,
        "weights": tuple(pi.tolist()),
        "pi_stationary": np.asarray(spectral.stationary_weights(w), dtype=np.float64),
        "regular": bool(np.all(a.sum(1) == a.sum(1)[0])),
    }


def _method_of(reading: dict, dim: str) -> tuple[str, str, str]:
    """(target method, transform, Track A bound method) of a reading value."""
    value = reading[dim]
    if value in OBJECTIVES:
        return OBJECTIVES[value], "identity", "mim"
    method, transform = CL_READINGS[value]
    return method, transform, "cl_dissimilar" if takes_transform(method) else "cl_similar"


def _sens(sol: solutions.Solution, reading: str, n: int, c: int) -> vd.Value:
    return SENSITIVITY[reading].of(sol, n, c)


def _lst(x, digits: int = 9) -> list:
    return np.round(np.asarray(x, dtype=float), digits).tolist()
