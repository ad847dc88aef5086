r"""The claims registry: each claim of arXiv 2607.02447 → evidence per track → a verdict word.

Verdicts are *outputs* of computations, never inputs; the rules are docs/verdict_rules.md,
implemented in :mod:`theory.verdicts`.

* Track A — the paper's own formulas: ``informative`` / ``vacuous`` / ``invalid`` (never
  "holds": a formula with hidden constants cannot be checked against itself).
* Track B — the exact linear model: ``holds`` / ``violated`` / ``degenerate`` / ``not-unique``,
  with tolerances from the eigen-solver error and ties resolved over the optimal set.
* Track C — filled by the simulations in :mod:`sims.trackc.evidence` (``theory`` never imports
  ``sims``); ``not-run`` otherwise.

Every claim is evaluated under every reading (:data:`READINGS`): the MIM objective
(Eq. 4 with complementary masks — exact —, Eq. 4 with independent masks, Eq. 3 reconstruction,
the paper's Eq. 17 surrogate), the CL augmentation (similar; dissimilar with the identity, a
rotation, a permutation, a sign flip), and the sensitivity (spread over [N] — the proofs'
coordinates —, spread over [c] — the definition —, the gap :math:`1 - \min r`).
:func:`evaluate_reading` gives one cell; :func:`evaluate` gives the ``dssl verify`` table, whose
Track B word is the verdict under the primary reading (:func:`primary_readings`) with every
reading's word in the numbers. Each claim names the paper's own reading
(``Claim.paper_reading``, why in ``paper_reading_why``, :func:`paper_readings`): the objective
its proof starts from (Eq. 4 with complementary masks for MIM, similar augmentations for CL)
and the spread over [N]; the primary readings are those plus the configuration's CL transform
when it is not the identity.

Modules: :mod:`theory.claims_model` (configuration, evidence, the exact model at any d, the
paper's bounds), :mod:`theory.claims_bounds` (Eq. 17, Eqs. 29–30, Thm 4.2–4.4),
:mod:`theory.claims_graphs` (Cor 4.5, Thm 4.6); this module holds the registry and the
evaluation, and re-exports the public names.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping

from theory import _config
from theory import _validate as v
from theory import verdicts as vd
from theory.claims_bounds import (
    _bound_a,
    _bound_b,
    _eq17_a,
    _eq17_b,
    _eq2930_a,
    _eq2930_b,
    _thm44_a,
    _thm44_b,
)
from theory.claims_graphs import (
    THM46_RELATION,
    _cor45_a,
    _cor45_b,
    _thm46_a,
    _thm46_b,
    cor45_certificate,
)
from theory.claims_model import (  # noqa: F401 (re-exported: the public names)
    CL_READINGS,
    CLAIM_IDS,
    CLAIM_READINGS,
    NOT_RUN,
    PAPER_CL,
    PAPER_MIM,
    READINGS,
    SENSITIVITIES,
    VERDICTS,
    Claim,
    Evidence,
    NotApplicable,
    TrackAConstants,
    VerifyConfig,
    _graph_info,
)
from theory.claims_track_a import _worst_a
from theory.symbolic import proofs

# ----------------------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------------------
#: the paper's own readings (``Claim.paper_reading``) and why, one line each
_MIM = {"objective": (PAPER_MIM,)}
_MIM_WHY = (
    "Eq. (4) of §3.2, the complementary views x∘m and x∘(1−m) of one mask, is the MIM objective "
    "Thm 4.2's proof starts from (App. A.6.2; Eq. (17) is a step of that proof, not its objective)"
)
_CL = {"cl": (PAPER_CL,)}
_CL_WHY = (
    "similar augmentations (Eq. (2), ξ, ξ′ ~ N(0, I), §3.2) are Thm 4.3's first case and "
    "Lemma A.11's; the tr(H) case needs a transform H that the paper does not fix (A.9)"
)
_SPREAD_N = ("spread-N",)
_THM44_WHY = (
    "the objectives of Thms 4.2-4.3 (Eq. (4) and similar CL: the proof's s^M and s^C1, "
    "Eqs. (62)-(63)); s as Thm 4.4 defines it, a spread max r̄ − min r̄, over the k ∈ [N] "
    "that its bounds cover"
)
#: why FedAvg's claims take no given W
_FEDAVG_NO_W = "FedAvg, whose averaging weights are not a mixing matrix"
_ANY_METHOD = {"method": (PAPER_MIM, PAPER_CL), "sensitivity": _SPREAD_N}


def _any_method_why(where: str, quote: str = "for any SSL paradigm") -> str:
    return (
        f"'{quote}' ({where}): the paper's MIM (Eq. (4)) and CL (similar) objectives, each of "
        "which must satisfy it (R5); s as Thm 4.4 defines it, the spread over [N]"
    )


REGISTRY: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "eq17",
            "Eq. (17), App. A.6.2",
            "the mask expectation of Eq. 4 is 2p(1-p)·diag(E[x∘x])",
            _eq17_a,
            _eq17_b,
            paper_reading={},
            paper_reading_why="one reading: Eq. (17) against the exact mask expectation of Eq. (4) "
            "it is derived from (App. A.6.2)",
            no_mixing="a property of the mask expectation, with no mixing",
        ),
        Claim(
            "eq29-30",
            "Eqs. (27)-(30), App. A.6.2",
            "the DecL neighbourhood average gives (1-1/|Ā|)τ² on every coordinate of [N]",
            _eq2930_a,
            _eq2930_b,
            "two readings: Track A compares the last line of Eq. (30) as printed, "
            "κ(1-1/|Ā|)τ², which drops the Θ(1) term κ/|Ā|, with the exact DecL average "
            "(sympy); Track B compares the construction of Eqs. (27)-(30), the neighbourhood "
            "average with κ/|Ā| kept, with the exact π-weighted target. Where the construction "
            "is exact (N = 2) Track B holds while the printed line still differs by κ/|Ā| "
            "(Track A invalid, its leading τ² term equal: equal_leading)",
            paper_reading={},
            paper_reading_why="one reading: the construction of Eqs. (27)-(30) against the exact "
            "DecL objective of Eq. (1) (App. A.6.2)",
        ),
        Claim(
            "thm4.2.local",
            "Thm 4.2 item 1",
            "local MIM RV r_{i,k} >= 1 - O(d^-2/5)/(2p(1-p)d^2/5 + O(d^-2/5)), k in [N]\\{i}",
            _bound_a("objective", "local"),
            _bound_b("objective", "local"),
            paper_reading=_MIM,
            paper_reading_why=_MIM_WHY,
            no_mixing="local training, with no mixing",
        ),
        Claim(
            "thm4.2.decl",
            "Thm 4.2 item 2",
            "DecL MIM RV >= 1 - O(d^-2/5)/(2p(1-p)(1-1/|Ā|)d^2/5 + O(d^-2/5))",
            _bound_a("objective", "decl"),
            _bound_b("objective", "decl"),
            paper_reading=_MIM,
            paper_reading_why=_MIM_WHY,
        ),
        Claim(
            "thm4.2.fl",
            "Thm 4.2 item 3",
            "FL MIM RV >= 1 - O(d^-2/5)/(2p(1-p)d^2/5 - Θ(d^7/20) + O(d^-2/5))",
            _bound_a("objective", "fl"),
            _bound_b("objective", "fl"),
            paper_reading=_MIM,
            paper_reading_why=_MIM_WHY,
            no_mixing=_FEDAVG_NO_W,
        ),
        Claim(
            "thm4.3.local",
            "Thm 4.3 item 1, Lemma A.11",
            "local CL RV >= 1 - O(d^-1/5)/(d^2/5 + O(d^-1/5)) (tr(H) d^2/5 if dissimilar)",
            _bound_a("cl", "local"),
            _bound_b("cl", "local"),
            paper_reading=_CL,
            paper_reading_why=_CL_WHY,
            no_mixing="local training, with no mixing",
        ),
        Claim(
            "thm4.3.decl",
            "Thm 4.3 item 2",
            "DecL CL RV >= 1 - O(d^-1/5)/((1-1/|Ā|)d^2/5 + O(d^-1/5))",
            _bound_a("cl", "decl"),
            _bound_b("cl", "decl"),
            paper_reading=_CL,
            paper_reading_why=_CL_WHY,
        ),
        Claim(
            "thm4.3.fl",
            "Thm 4.3 item 3",
            "FL CL RV >= 1 - O(d^-1/5)/(d^2/5 - Θ(d^7/20) + O(d^-1/5))",
            _bound_a("cl", "fl"),
            _bound_b("cl", "fl"),
            paper_reading=_CL,
            paper_reading_why=_CL_WHY,
            no_mixing=_FEDAVG_NO_W,
        ),
        Claim(
            "thm4.4",
            "Thm 4.4, Eqs. (62)-(73)",
            "MIM is more robust than CL: lim_{d->oo} s^C > s^M",
            _thm44_a,
            _thm44_b,
            paper_reading={**_MIM, **_CL, "sensitivity": _SPREAD_N},
            paper_reading_why=_THM44_WHY,
            sweeps_d=True,
        ),
        Claim(
            "cor4.5",
            "Cor 4.5, App. A.6.5",
            "in DecL, robustness improves with the average connectivity |Ā|",
            _cor45_a,
            _cor45_b,
            paper_reading=_ANY_METHOD,
            paper_reading_why=_any_method_why("Cor 4.5, App. A.6.5", "for any SSL method"),
            no_mixing="a sweep over graphs of increasing |Ā| under the paper's uniform rule, "
            "not one W",
        ),
        Claim(
            "thm4.6",
            "Thm 4.6, Eqs. (79)-(89)",
            "FL is no less robust than DecL: lim_{d->oo} s_Dec >= s_Fed",
            _thm46_a("thm4.6"),
            _thm46_b("thm4.6"),
            relation=THM46_RELATION["thm4.6"],
            paper_reading=_ANY_METHOD,
            paper_reading_why=_any_method_why("Thm 4.6, Eqs. (79)-(89)"),
        ),
        Claim(
            "thm4.6.eq87",
            "Thm 4.6, Eq. (87)",
            "strict inequality s_Dec > s_Fed when |Ā| < N",
            _thm46_a("eq87"),
            _thm46_b("eq87"),
            relation=THM46_RELATION["eq87"],
            paper_reading=_ANY_METHOD,
            paper_reading_why=_any_method_why("Thm 4.6, Eq. (87)"),
        ),
        Claim(
            "thm4.6.eq89",
            "Thm 4.6, Eqs. (88)-(89)",
            "equality s_Dec = s_Fed when |A_i| = N for all i",
            _thm46_a("eq89"),
            _thm46_b("eq89"),
            relation=THM46_RELATION["eq89"],
            paper_reading=_ANY_METHOD,
            paper_reading_why=_any_method_why("Thm 4.6, Eqs. (88)-(89)"),
            no_mixing="FL against DecL on the complete graph under the uniform rule, "
            "not the given W",
        ),
    )
}
assert tuple(REGISTRY) == CLAIM_IDS
assert all(
    set(c.paper_reading) == set(CLAIM_READINGS[c.id])
    and all(x in READINGS[d] for d, xs in c.paper_reading.items() for x in xs)
    and c.paper_reading_why
    for c in REGISTRY.values()
), "every claim names its paper's reading over its reading dimensions, with a reason"


def readings_of(claim_id: str) -> list[dict]:
    """Every reading of a claim: the product of its dimensions' values (``[{}]`` if none)."""
    v.choice(claim_id, "claim", CLAIM_IDS)
    return _product(CLAIM_READINGS[claim_id], READINGS)


def reading_name(reading: dict) -> str:
    """``"objective=eq4-complementary,sensitivity=gap"`` (``"-"`` for no reading)."""
    return ",".join(f"{k}={val}" for k, val in reading.items()) or "-"


def _product(dims: tuple, values: Mapping) -> list[dict]:
    return [
        dict(zip(dims, vals, strict=True)) for vals in itertools.product(*(values[d] for d in dims))
    ]


def paper_readings(claim_id: str) -> list[dict]:
    """The paper's own readings of a claim (``REGISTRY[claim_id].paper_reading``, with its
    reason in ``paper_reading_why``); ``[{}]`` for a claim with one reading.

    Example:
      >>> paper_readings("thm4.4")
      [{'objective': 'eq4-complementary', 'cl': 'similar', 'sensitivity': 'spread-N'}]
      >>> [reading_name(r) for r in paper_readings("cor4.5")]
      ['method=eq4-complementary,sensitivity=spread-N', 'method=similar,sensitivity=spread-N']
    """
    v.choice(claim_id, "claim", CLAIM_IDS)
    return _product(CLAIM_READINGS[claim_id], REGISTRY[claim_id].paper_reading)


def primary_readings(cfg: VerifyConfig, claim_id: str) -> list[dict]:
    """The readings the ``dssl verify`` table reports: the paper's own (:func:`paper_readings`:
    Eq. 4 with complementary masks, similar CL, spread over [N]) and, for CL, the
    configuration's transform when it is not the identity."""
    v.choice(claim_id, "claim", CLAIM_IDS)
    extra = (f"dissimilar-{cfg.transform}",) if cfg.transform != "identity" else ()
    values = {
        d: tuple(vals) + (extra if any(x in CL_READINGS for x in vals) else ())
        for d, vals in REGISTRY[claim_id].paper_reading.items()
    }
    return _product(CLAIM_READINGS[claim_id], values)


def _safe(fn: Callable, cfg: VerifyConfig, reading: dict) -> Evidence:
    """Run one check; only a check that does not apply at a valid configuration is reported as
    ``not-run`` (:class:`NotApplicable`); bad input (ValueError) propagates."""
    try:
        return fn(cfg, reading)
    except NotApplicable as err:
        return Evidence("not-run", {"reason": str(err)}, "check does not apply here")


def evaluate_reading(cfg: VerifyConfig, claim_id: str, reading: dict) -> dict:
    """One cell of the verdict map: ``{"track_a": Evidence, "track_b": Evidence}``.

    Args:
      cfg: the configuration.
      claim_id: one of ``CLAIM_IDS``.
      reading: {dimension: value} over ``CLAIM_READINGS[claim_id]``.
    """
    v.choice(claim_id, "claim", CLAIM_IDS)
    dims = CLAIM_READINGS[claim_id]
    for d in dims:
        if d not in reading:
            v.fail("reading", f"a value for {d}", reading)
        v.choice(reading[d], d, READINGS[d])
    reading = {d: reading[d] for d in dims}
    claim = REGISTRY[claim_id]
    b = _safe(claim.track_b, cfg, reading)
    extra = _carried_words(cfg, claim_id, reading, b)
    extra.update(_basis(cfg, claim_id, reading, b.verdict))
    return {
        "track_a": _safe(claim.track_a, cfg, reading),
        "track_b": dataclasses.replace(b, numbers={**b.numbers, **extra}),
    }


#: the reading whose optima carry free encoder rows (Eq. (3), ``theory.solutions.solve_recon``)
FREE_ROWS_READING = "eq3-reconstruction"


def _values(numbers):
    """Every :class:`theory.verdicts.Value` dict (``value`` and ``tol``) inside ``numbers``."""
    if isinstance(numbers, Mapping):
        if "value" in numbers and "tol" in numbers:
            yield numbers
        for x in numbers.values():
            yield from _values(x)
    elif isinstance(numbers, (list, tuple)):
        for x in numbers:
            yield from _values(x)


def _carried_words(cfg: VerifyConfig, claim_id: str, reading: dict, b: Evidence) -> dict:
    """The words of the rules changed after their output was seen that a cell carries
    (``theory.verdicts.RULE_CHANGES``): R4 over Eq. 3's free rows (``verdict_without_free_rows``)
    and T7's proved RVs (``verdict_without_certificate``); and ``precision_limited`` on a
    ``degenerate`` that rests on a value computed within the eigen-solver's tolerance."""
    out: dict = {}
    if cfg.free_rows and FREE_ROWS_READING in reading.values():
        old = dataclasses.replace(cfg, free_rows=False)
        out["verdict_without_free_rows"] = _safe(REGISTRY[claim_id].track_b, old, reading).verdict
    values = list(_values(b.numbers))
    if cfg.certify and any(x.get("certified") for x in values):
        old = dataclasses.replace(cfg, certify=False)
        out["verdict_without_certificate"] = _safe(REGISTRY[claim_id].track_b, old, reading).verdict
    if b.verdict == "degenerate" and values and not all(x.get("certified") for x in values):
        out["precision_limited"] = True
    return out


def _basis(cfg: VerifyConfig, claim_id: str, reading: dict, word: str) -> dict:
    """``verdict_basis``: ``proved (all N, d)`` where a closed form proves this cell's word
    (:mod:`theory.symbolic.proofs`), else ``computed (grid)``."""
    graph, abar = _weight_class(cfg)
    out = proofs.basis(
        claim_id, reading, word, n=cfg.n_clients, d=cfg.d, p=cfg.p, c_num=cfg.c_num,
        c_den=cfg.c_den, fl_term=cfg.fl_term, sign=cfg.sign, graph=graph, abar=abar,
    )  # fmt: skip
    certifier = _CERTIFIERS.get(claim_id)
    if out["verdict_basis"] != proofs.COMPUTED or certifier is None:
        return out
    cert = certifier(cfg, reading)
    if cert is None:
        return out
    if cert["word"] == word:
        return {"verdict_basis": proofs.CERTIFIED, "certificate": cert}
    return {**out, "certificate": cert, "certified_word": cert["word"]}


#: claims with a word decided in ball arithmetic where no proof covers the cell:
#: claim id -> (cfg, reading) -> certificate dict (``word`` None: undecided) or None
_CERTIFIERS = {"cor4.5": cor45_certificate}


def _weight_class(cfg: VerifyConfig) -> tuple[str | None, float]:
    """The class of the configuration's DecL objective that a proof may cover, read off its
    weights (not its name, so a mixing file or another rule is classified by what it is):
    ``complete`` (|A_i| = N), ``uniform`` (Eq. (1) weights 1/N: a doubly stochastic W),
    ``star`` (the star's uniform-mixing weights, ``theory.symbolic.lemmas.star_weights``),
    else None; and |Ā|."""
    info = _graph_info(cfg)
    n, abar = cfg.n_clients, info["abar"]
    if abar == n:
        return "complete", abar
    if vd.same_weights(info["weights"], [1.0 / n] * n):
        return "uniform", abar
    hub, leaf = (n * n - n + 2) / (2 * n * n), (n + 2) / (2 * n * n)
    if n >= 3 and vd.same_weights(info["weights"], [hub] + [leaf] * (n - 1)):
        return "star", abar
    return None, abar


def evaluate(
    cfg: VerifyConfig | None = None,
    *,
    claims: tuple = CLAIM_IDS,
    track_c: Mapping[str, Evidence] | None = None,
    all_readings: bool = True,
    on_claim: Callable[[str], object] | None = None,
) -> list[dict]:
    """Compute every claim's evidence. Returns a list of dicts (JSON-ready); ``on_claim(id)``,
    where given, is called as each claim starts (a progress line).

    Each dict: ``id``, ``reference``, ``statement``, ``track_a``, ``track_b``, ``track_c``
    (verdict words under the primary readings, combined with R5), ``verdict_basis``
    (``proved (all N, d)`` when closed forms prove the Track B word: under every primary reading,
    or a proved ``violated`` under one, which decides it by R5:
    :func:`theory.symbolic.proofs.claim_decided`; else ``computed (grid)``), ``readings``
    ({reading name: Track B word} under every reading when ``all_readings``) and ``evidence``
    ({"track_a": {...}, "track_b": {...}, "track_c": {...}}).
    """
    cfg = VerifyConfig() if cfg is None else cfg
    if not isinstance(cfg, VerifyConfig):
        v.fail("cfg", "a VerifyConfig", cfg)
    track_c = {} if track_c is None else dict(track_c)
    for cid in claims:
        v.choice(cid, "claim", CLAIM_IDS)
    if on_claim is not None and not callable(on_claim):
        v.fail_type("on_claim", "a function on_claim(claim_id), or None", on_claim)
    out = []
    for cid in claims:
        if on_claim is not None:
            on_claim(cid)
        claim = REGISTRY[cid]
        prim = primary_readings(cfg, cid)
        cells = {reading_name(r): evaluate_reading(cfg, cid, r) for r in prim}
        a_word = _worst_a([x["track_a"].verdict for x in cells.values()])
        b_word = vd.combine([x["track_b"].verdict for x in cells.values()])
        if len(cells) == 1:
            a_ev, b_ev = next(iter(cells.values())).values()
            a = Evidence(a_word, a_ev.numbers, a_ev.note)
            b_numbers = dict(b_ev.numbers)
            b_note = b_ev.note
        else:
            a = Evidence(
                a_word,
                {k: x["track_a"].to_dict() for k, x in cells.items()},
                "primary readings; worst Track A word",
            )
            b_numbers = {k: x["track_b"].to_dict() for k, x in cells.items()}
            b_note = "primary readings combined with R5"
        readings = {}
        if all_readings:
            for r in readings_of(cid):
                name = reading_name(r)
                cell = cells.get(name) or evaluate_reading(cfg, cid, r)
                readings[name] = cell["track_b"].verdict
        if claim.sweeps_d and cfg.d_sweep:
            # a limit d -> oo: the primary readings' word at every d of d_sweep
            b_numbers["d_sweep"] = {
                str(d): vd.combine(
                    evaluate_reading(dataclasses.replace(cfg, d=d), cid, r)["track_b"].verdict
                    for r in prim
                )
                for d in cfg.d_sweep
            }
        b = Evidence(b_word, {**b_numbers, "primary_readings": list(cells)}, b_note)
        c = track_c.get(cid, NOT_RUN)
        pairs = [
            (x["track_b"].verdict, x["track_b"].numbers.get("verdict_basis"))
            for x in cells.values()
        ]
        proved = proofs.claim_decided(pairs)
        certified = not proved and all(b in (proofs.PROVED, proofs.CERTIFIED) for _, b in pairs)
        out.append(
            {
                "id": cid,
                "reference": claim.reference,
                "statement": claim.statement,
                "track_a": a.verdict,
                "track_b": b.verdict,
                "verdict_basis": (
                    proofs.PROVED
                    if proved and cells
                    else proofs.CERTIFIED
                    if certified and cells
                    else proofs.COMPUTED
                ),
                "track_c": c.verdict,
                "readings": readings,
                "evidence": {
                    "track_a": a.to_dict(),
                    "track_b": b.to_dict(),
                    "track_c": c.to_dict(),
                },
            }
        )
    return out


def config_dict(cfg: VerifyConfig) -> dict:
    """The configuration as plain JSON (for reports and hashing; ``cfg.to_json()``)."""
    if not isinstance(cfg, VerifyConfig):
        v.fail("cfg", "a VerifyConfig", type(cfg).__name__)
    return _config.to_json(cfg)


def config_from_json(data: Mapping) -> VerifyConfig:
    """The :class:`VerifyConfig` whose :func:`config_dict` is ``data``: every field checked
    against its annotation (unknown keys are an error), then by ``VerifyConfig`` itself.

    Example:
      >>> cfg = VerifyConfig(d=200, graph="ring")
      >>> config_from_json(config_dict(cfg)) == cfg
      True
    """
    return _config.from_json(VerifyConfig, data)


def _reading_summary(readings: dict) -> str:
    if not readings:
        return ""
    counts: dict = {}
    for w in readings.values():
        counts[w] = counts.get(w, 0) + 1
    return ", ".join(f"{w} {k}" for w, k in sorted(counts.items(), key=lambda t: -t[1]))


def format_table(rows: list[dict]) -> str:
    """A plain-text table of the verdicts (Track B under every reading in the last column; a
    Track D column when a row carries a ``track_d`` entry, e.g. from ``dssl verify``)."""
    with_d = any("track_d" in r for r in rows)
    # Track D's words include "inconclusive" (12 letters): the column is one wider than them
    d_width = max([12] + [len(r.get("track_d", {}).get("verdict", "")) + 1 for r in rows])
    d_head = f"{'track D':<{d_width}}" if with_d else ""
    head = (
        f"{'claim':<13}{'track A':<13}{'track B':<12}{'basis':<10}{'track C':<12}{d_head}"
        f"{'reference':<28}readings"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        d_cell = f"{r.get('track_d', {}).get('verdict', 'n/a'):<{d_width}}" if with_d else ""
        basis = r.get("verdict_basis", proofs.COMPUTED).split(" ")[0]
        lines.append(
            f"{r['id']:<13}{r['track_a']:<13}{r['track_b']:<12}{basis:<10}{r['track_c']:<12}"
            f"{d_cell}{r['reference']:<28}{_reading_summary(r.get('readings', {}))}"
        )
    lines.append(
        "basis: proved = the Track B word follows from closed forms for every N and d "
        "(theory.symbolic.proofs); certified = decided in ball arithmetic at this configuration "
        "(theory.certify.balls); computed = float64 within a tolerance, this configuration only"
    )
    return "\n".join(lines)
