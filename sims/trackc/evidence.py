r"""Track C evidence: the simulations' verdict on every claim of ``theory.claims.REGISTRY``.

Every number here comes from linear encoders *trained* by :mod:`sims.core.engine` with minibatch SGD
on a finite sample of the paper's data model (``sims.data.sample_paper_model``; Section 3.2 of
arXiv 2607.02447), with sampled masks (MIM, Eq. 4) or sampled Gaussian augmentations (CL,
Eq. 2), at the ``VerifyConfig``'s d, N, p, c and DecL graph. Nothing is assumed: each verdict
is a function of measured numbers (:func:`bound_verdict`, :func:`order_verdict`,
:func:`subspace_verdict`, :func:`trend_verdict`), and the numbers travel with the verdict.

The module is the claims: one function per claim turns measurements into an
:class:`~theory.claims.Evidence` (:func:`evidence_from_runs`, :func:`track_c_evidence`). Its
parts live beside it, and every public name of them is importable from here:

* :mod:`sims.trackc.runs`: the training settings (:class:`EvidenceSettings`) and the runs
  (:func:`track_c_runs`): ``local`` (mixing I), ``decl`` (the configuration's graph), ``fl``
  (:math:`J = \mathbf{1}\mathbf{1}^\top/N`) and ``sweep-*`` (the Cor 4.5 graphs), one
  ``sims.core.engine.sweep`` per method;
* :mod:`sims.trackc.rules`: the verdict rules, pure functions of numbers, and the
  tolerances ``ANGLE_TOL`` and ``SENS_TOL``;
* ``sims.trackc.measures``: the measurements below.

Measured on the consensus model :math:`\bar W = \frac1N \sum_i W_i` (local runs: on each
:math:`W_i`):

* RV (Def. 4.1) on the significant row space, singular values > ``RV_REL_TOL``
  :math:`\cdot\,\sigma_{\max}` (``sims.metrics.representability_vector``; equals
  ``theory.solve.representability_vector`` with that threshold), and the threshold-free
  energy RV;
* sensitivity over [N] (the coordinates the proofs bound, docs/theory/errata.md (e); used for
  verdicts) and over [c] (Thm 4.4's literal wording, reported);
* principal angles (``sims.metrics.principal_angle_to_optimum``, identifiable top-r
  eigenspace) to Track B optima: exact hollow MIM target, the paper's diagonal Eq. 17 target,
  π-weighted DecL optima, the paper's :math:`\lvert\bar A\rvert` construction
  (``theory.solve.paper_decl_target``).

Verdict words and tolerances follow docs/verdict_rules.md (``theory.verdicts``): ``holds`` /
``violated`` / ``degenerate`` (equal within tolerance) / ``not-run``. Seed noise (rule T6): with
:math:`S \ge 2` seeds every compared quantity carries a standard error SE and two quantities are
compared with tolerance :math:`2\sqrt{\mathrm{SE}_a^2 + \mathrm{SE}_b^2}`, never less than
``SENS_TOL``; one seed uses ``SENS_TOL``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sims.trackc.measures import _angles, _global_measure, _local_measure, _lst, _sample_angle
from sims.trackc.rules import (
    ANGLE_TOL,
    SENS_TOL,
    bound_verdict,
    order_verdict,
    subspace_verdict,
    trend_verdict,
)
from sims.trackc.runs import DEFAULT_SETTINGS, FAST_SETTINGS, EvidenceSettings, track_c_runs
from theory import objectives, solve
from theory import verdicts as vd
from theory.claims import CLAIM_IDS, Evidence, VerifyConfig
from theory.sweeps import paper_lower_bound

__all__ = [
    "EvidenceSettings",
    "DEFAULT_SETTINGS",
    "FAST_SETTINGS",
    "ANGLE_TOL",
    "SENS_TOL",
    "track_c_runs",
    "evidence_from_runs",
    "track_c_evidence",
    "bound_verdict",
    "order_verdict",
    "subspace_verdict",
    "trend_verdict",
    "paper_lower_bound",
]


def _eq17(runs: dict) -> Evidence:
    cfg = runs["config"]
    n = cfg.n_clients
    model = cfg.model()
    exact = runs["targets"]["mim"].mean(0)
    paper = objectives.population_targets(model, "mim-paper", p=cfg.p).mean(0)
    a_exact, r_exact = _angles(runs, "mim", "fl", exact)
    a_paper, r_paper = _angles(runs, "mim", "fl", paper)
    ang_e, ang_p = float(np.mean(a_exact)), float(np.mean(a_paper))
    verdict = subspace_verdict(ang_p, ang_e)
    g = _global_measure(runs, "mim", "fl")
    rv_exact = np.asarray(solve.representability_vector(solve.eckart_young_np(exact, model.c)))
    rv_paper = np.asarray(solve.representability_vector(solve.eckart_young_np(paper, model.c)))
    numbers = {
        "angle_to_exact_hollow": ang_e,
        "angle_to_paper_eq17": ang_p,
        "angles_to_exact_per_seed": _lst(a_exact),
        "angles_to_paper_per_seed": _lst(a_paper),
        "identifiable_rank_exact": r_exact,
        "identifiable_rank_paper": r_paper,
        "angle_sample": _sample_angle(runs, "mim", np.full(n, 1.0 / n), exact),
        "angle_tol": ANGLE_TOL,
        "trained_rv_N": g["rv_N"],
        "exact_optimum_rv_N": _lst(rv_exact[:n]),
        "paper_optimum_rv_N": _lst(rv_paper[:n]),
    }
    if verdict == "holds":
        note = "FL SGD on Eq. 4 (sampled masks) lands on the paper's Eq. 17 subspace"
    elif ang_e <= ANGLE_TOL:
        note = "FL SGD on Eq. 4 lands on the exact hollow target's subspace, away from Eq. 17's"
    else:
        note = "FL SGD on Eq. 4 lands on neither subspace within the tolerance (away from Eq. 17)"
    return Evidence(verdict, numbers, note)


def _eq2930(runs: dict) -> Evidence:
    cfg = runs["config"]
    n = cfg.n_clients
    model = cfg.model()
    info = runs["graphs"]["decl"]
    tg = runs["targets"]["mim"]
    x_stat = solve.global_target(tg, info["pi_stationary"])
    x_obj = solve.global_target(tg, info["pi_objective"])
    paper_targets = objectives.population_targets(model, "mim-paper", p=cfg.p)
    x_paper = solve.paper_decl_target(paper_targets, info["abar"])
    a_stat, _ = _angles(runs, "mim", "decl", x_stat)
    a_obj, _ = _angles(runs, "mim", "decl", x_obj)
    a_paper, r_paper = _angles(runs, "mim", "decl", x_paper)
    g = _global_measure(runs, "mim", "decl")

    def rv_of(X):
        return _lst(
            np.asarray(solve.representability_vector(solve.eckart_young_np(X, model.c)))[:n]
        )

    ang_p, ang_s = float(np.mean(a_paper)), float(np.mean(a_stat))
    verdict = subspace_verdict(ang_p, min(ang_s, float(np.mean(a_obj))))
    numbers = {
        "graph": cfg.graph,
        "abar": info["abar"],
        "pi_stationary": _lst(info["pi_stationary"], 6),
        "pi_objective": _lst(info["pi_objective"], 6),
        "angle_to_exact_stationary": ang_s,
        "angle_to_exact_eq1": float(np.mean(a_obj)),
        "angle_to_paper_construction": ang_p,
        "identifiable_rank_paper": r_paper,
        "angle_tol": ANGLE_TOL,
        "trained_rv_N": g["rv_N"],
        "exact_stationary_rv_N": rv_of(x_stat),
        "exact_eq1_rv_N": rv_of(x_obj),
        "paper_construction_rv_N": rv_of(x_paper),
    }
    note = (
        "trained DecL consensus model (Eq. 4, sampled masks) vs the exact π-weighted optima and "
        "the paper's |Ā| construction (Eqs. 27-30 on its own diagonal Eq. 17 model)"
    )
    return Evidence(verdict, numbers, note)


class _BoundReading(NamedTuple):
    """How a bound claim (Thms 4.2 / 4.3) reads one framework's trained models: ``measure(runs,
    method, framework)``, the coordinates ``what`` it reads the RV on, whether the bound takes
    the configuration graph's |Ā| (``graph``) and whether the energy RV is reported."""

    measure: Callable[[dict, str, str], dict]
    what: str
    graph: bool
    energy: bool


#: Each framework's reading: the local models one by one, or the consensus model.
_BOUND_READINGS = {
    "local": _BoundReading(
        lambda runs, method, framework: _local_measure(runs, method),
        "k in [N]\\{i} of every local model",
        graph=False,
        energy=False,
    ),
    "fl": _BoundReading(_global_measure, "e_1..e_N", graph=False, energy=True),
    "decl": _BoundReading(_global_measure, "e_1..e_N", graph=True, energy=True),
}


def _bound(runs: dict, methods: tuple, framework: str) -> Evidence:
    cfg = runs["config"]
    reading = _BOUND_READINGS[framework]
    numbers: dict = {"d": cfg.d, "n_clients": cfg.n_clients, "p": cfg.p}
    abar = None
    if reading.graph:
        abar = runs["graphs"][framework]["abar"]
        numbers.update(graph=cfg.graph, abar=abar)
    verdicts = {}
    for method in methods:
        if method not in runs["models"]:
            continue
        lb = paper_lower_bound(cfg, method, framework, abar)
        m = reading.measure(runs, method, framework)
        slack = vd.track_c_tolerance(m["min_rv_se"])  # T6
        verdicts[method] = bound_verdict(m["min_rv"], lb, slack)
        numbers[method] = {
            "lower_bound": lb,
            "track_a": vd.track_a(lb),
            "min_rv": m["min_rv"],
            "tol_T6": slack,
            "slack_2se": 2.0 * m["min_rv_se"],  # the error bar of the overlay figure
            "rv_N": m["rv_N"],
            "verdict": verdicts[method],
        }
        if reading.energy:
            numbers[method]["rv_energy_N"] = m["rv_energy_N"]
    word = vd.combine(verdicts.values())
    return Evidence(
        word, numbers, f"trained RV of {reading.what} vs the paper's lower bound (R2, T6)"
    )


def _thm44(runs: dict) -> Evidence:
    numbers: dict = {"basis": "sensitivity over [N] (proof's coordinates); [c] reported too"}
    pairs = []
    for fw in ("local", "decl", "fl"):
        row = {}
        for method in runs["models"]:
            if fw == "local":
                m = _local_measure(runs, method)
                row[method] = {"s_N_max": m["s_N_max"], "se": m["s_N_max_se"]}
            else:
                m = _global_measure(runs, method, fw)
                row[method] = {"s_N": m["s_N"], "s_c": m["s_c"], "se": m["s_N_se"]}
        key = "s_N_max" if fw == "local" else "s_N"
        for cl in ("cl", "cl-dissimilar"):
            if cl in row:
                tol = vd.track_c_tolerance(row["mim"]["se"], row[cl]["se"])  # T6
                pairs.append(vd.compare(row["mim"][key], row[cl][key], "<", tol))
        numbers[fw] = row
    verdict = vd.combine(pairs)
    return Evidence(
        verdict, numbers, "trained s^C > s^M at the configuration's d (local, DecL, FL; R1, T6)"
    )


def _sweep_rows(runs: dict) -> list[dict]:
    rows = []
    for name in runs["runs"]:
        if not name.startswith("sweep-"):
            continue
        row = {"graph": name[len("sweep-") :], "abar": runs["graphs"][name]["abar"]}
        row["contraction"] = runs["graphs"][name]["contraction"]
        for method in runs["models"]:
            m = _global_measure(runs, method, name)
            row[f"{method}_s_N"], row[f"{method}_s_N_se"] = m["s_N"], m["s_N_se"]
        rows.append(row)
    rows.sort(key=lambda r: r["abar"])
    return rows


def _cor45(runs: dict) -> Evidence:
    rows = _sweep_rows(runs)
    if len(rows) < 2:
        return Evidence("not-run", {"sweep": rows}, "fewer than two graphs (N < 3)")
    se = max(r[f"{m}_s_N_se"] for r in rows for m in runs["models"])
    tol = vd.track_c_tolerance(se, se)  # T6 for the difference of two measured values
    series = {m: [r[f"{m}_s_N"] for r in rows] for m in runs["models"]}
    verdict, flags = trend_verdict(series, tol, abar=[r["abar"] for r in rows])
    return Evidence(
        verdict,
        {"sweep": rows, "trend": flags, "tol": tol},
        "trained DecL sensitivity over [N] on paper_code graphs of increasing |Ā| + complete",
    )


def _same_mixing(runs: dict, a: str, b: str) -> bool:
    """Whether runs ``a`` and ``b`` mix with one matrix up to rounding (entrywise within 4ε,
    ``theory.verdicts.same_weights``); their keys and data are the same by construction
    (``sims.trackc.runs.track_c_runs``), so such runs are one computation."""
    wa, wb = (np.ravel(runs["graphs"][k]["mixing"]) for k in (a, b))
    return vd.same_weights(wa, wb)


def _thm46(runs: dict, which: str = "thm4.6") -> Evidence:
    """Thm 4.6 (s_Dec >= s_Fed), Eq. 87 (strict on the configuration's graph when |Ā| < N)
    and Eq. 89 (equality on the complete graph); R1 with the T6 tolerance."""
    name = "sweep-complete" if which == "eq89" else "decl"
    abar = runs["graphs"][name]["abar"]
    n = runs["config"].n_clients
    numbers: dict = {"graph": "complete" if which == "eq89" else runs["config"].graph, "abar": abar}
    if which == "eq87" and abar >= n:
        return Evidence("not-run", numbers, "Eq. 87 needs |Ā| < N")
    rel = {"thm4.6": ">=", "eq87": ">", "eq89": "=="}[which]
    words = []
    for method in runs["models"]:
        dec = _global_measure(runs, method, name)
        fed = _global_measure(runs, method, "fl")
        tol = vd.track_c_tolerance(dec["s_N_se"], fed["s_N_se"])  # T6
        word = vd.compare(dec["s_N"], fed["s_N"], rel, tol)
        words.append(word)
        numbers[method] = {
            "s_dec_N": dec["s_N"],
            "s_fed_N": fed["s_N"],
            "s_dec_c": dec["s_c"],
            "s_fed_c": fed["s_c"],
            "tol": tol,
            "verdict": word,
        }
        if which == "eq89":
            # uniform mixing on the complete graph is FL's averaging and the keys are the
            # same: the two runs are one computation, the equality holds by construction.
            # Decided on the mixing matrices within R12's 4ε (never on the trained numbers)
            numbers[method]["identical_runs"] = _same_mixing(runs, name, "fl")
    return Evidence(
        vd.combine(words), numbers, f"trained s_Dec {rel} s_Fed over [N] for every method (R1, T6)"
    )


def evidence_from_runs(runs: dict) -> dict[str, Evidence]:
    """Every claim's Track C :class:`Evidence` from the output of :func:`track_c_runs`."""
    cl_methods = ("cl", "cl-dissimilar")
    out = {
        "eq17": _eq17(runs),
        "eq29-30": _eq2930(runs),
        "thm4.2.local": _bound(runs, ("mim",), "local"),
        "thm4.2.decl": _bound(runs, ("mim",), "decl"),
        "thm4.2.fl": _bound(runs, ("mim",), "fl"),
        "thm4.3.local": _bound(runs, cl_methods, "local"),
        "thm4.3.decl": _bound(runs, cl_methods, "decl"),
        "thm4.3.fl": _bound(runs, cl_methods, "fl"),
        "thm4.4": _thm44(runs),
        "cor4.5": _cor45(runs),
        "thm4.6": _thm46(runs),
        "thm4.6.eq87": _thm46(runs, "eq87"),
        "thm4.6.eq89": _thm46(runs, "eq89"),
    }
    s = runs["settings"]
    common = {
        "rounds": s.rounds,
        "local_steps": s.local_steps,
        "batch": s.batch,
        "lr": s.lr,
        "lr_schedule": s.lr_schedule,
        "samples_per_client": s.samples_per_client,
        "seeds": s.seeds,
        "train_seconds": round(runs["seconds"], 2),
    }
    result = {}
    for cid in CLAIM_IDS:
        ev = out[cid]
        result[cid] = Evidence(ev.verdict, {**ev.numbers, "training": common}, ev.note)
    return result


def track_c_evidence(
    config: VerifyConfig | None = None,
    *,
    fast: bool = False,
    seed: int = 0,
    settings: EvidenceSettings | None = None,
) -> dict[str, Evidence]:
    """Track C verdict with numbers for every claim id of ``theory.claims.CLAIM_IDS``.

    Args:
      config: the configuration of Tracks A and B (default ``VerifyConfig()``).
      fast: use :data:`FAST_SETTINGS` (CI: ``dssl reproduce --fast``) instead of the default.
      seed: base seed of data, initialisation, minibatches and masks.
      settings: explicit training settings (overrides ``fast``).

    Returns:
      ``{claim_id: theory.claims.Evidence}``; verdicts are computed from the trained models
      (see the module docstring and the per-claim notes).
    """
    if settings is None:
        settings = FAST_SETTINGS if fast else DEFAULT_SETTINGS
    return evidence_from_runs(track_c_runs(config, settings=settings, seed=seed))
