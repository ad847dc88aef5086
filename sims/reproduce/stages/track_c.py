"""Stage ``track_c``: Track C evidence from the simulations for every claim
(:func:`sims.trackc.evidence.track_c_evidence`, at the configuration of Tracks A and B), and the
three tracks side by side for Thms 4.2 (MIM) and 4.3 (CL similar) × local / DecL / FL.

Writes ``tracks_overlay.json`` and ``tracks_overlay.png``. Uses the ``track_a`` stage's exact
optima when that stage ran first with matching settings; recomputes them otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

import sims.reproduce.stages.track_a as track_a_stage
import sims.reproduce.stages.verify as verify
from sims.reproduce.figures.theorems import make_tracks_overlay_figure
from sims.reproduce.pipeline import Stage, StageConfig
from theory import sweeps
from theory.claims import VERDICTS, Evidence, VerifyConfig
from theory.sweeps import FRAMEWORKS, band, bound_table, constant_grid


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``verify``: the Track A/B configuration the evidence is computed at; ``fast``: the
    small training settings of ``sims.trackc.evidence``; ``track_a``: the d grid and constants of
    the overlay's Track A bands."""

    verify: VerifyConfig = verify.Config.DEFAULT.claims
    fast: bool = False
    track_a: track_a_stage.Config = track_a_stage.Config.DEFAULT


Config.DEFAULT = Config()
Config.FAST = Config(verify=verify.Config.FAST.claims, fast=True, track_a=track_a_stage.Config.FAST)

#: claim id of each (bound method, framework) cell of the overlay, and the method whose numbers
#: the Track C evidence of that claim carries
OVERLAY_CLAIMS = {("mim", fw): (f"thm4.2.{fw}", "mim") for fw in FRAMEWORKS} | {
    ("cl_similar", fw): (f"thm4.3.{fw}", "cl") for fw in FRAMEWORKS
}
#: exact-model methods drawn in the overlay (Track B)
OVERLAY_EXACT = ("mim", "mim-paper", "cl")
#: settings under which ``track_a``'s exact optima are the overlay's
_SAME = ("n_clients", "graph", "p", "exact_d", "transform", "transform_seed")


def overlay_track_a_config(ta: track_a_stage.Config, cfg: VerifyConfig) -> track_a_stage.Config:
    """The ``track_a`` configuration at the Track C configuration (N, graph, p, sign and FL term
    of ``cfg``), restricted to the overlay's exact methods."""
    return ta.replace(
        n_clients=int(cfg.n_clients),
        graph=cfg.graph,
        p=float(cfg.p),
        sign=cfg.sign,
        fl_term=cfg.fl_term,
        exact_methods=tuple(m for m in OVERLAY_EXACT if m in ta.exact_methods),
    )


def _overlay_exact(sub: track_a_stage.Config, track_a_row: Mapping | None) -> dict:
    """Track B vs d: the ``exact`` section of the ``track_a`` results when computed with the
    same N, graph, p, d grid and transform; otherwise :func:`theory.sweeps.exact_vs_d`."""
    if track_a_row is not None:
        saved = track_a_row["result"]
        want = sub.to_json()
        same = all(saved["config"].get(k) == want[k] for k in _SAME)
        have = set(saved["exact"]["records"][0]["methods"]) if saved["exact"]["records"] else set()
        if same and set(sub.exact_methods) <= have:
            return {**saved["exact"], "source": "track_a.json"}
    return {**sweeps.exact_vs_d(sub), "source": "recomputed"}


def _track_c_cells(cfg: VerifyConfig, evidence: Mapping) -> dict:
    rows: dict = {m: {} for m in ("mim", "cl_similar")}
    for (bound, fw), (cid, method) in OVERLAY_CLAIMS.items():
        ev = evidence.get(cid)
        nums = (ev or {}).get("numbers", {})
        if method not in nums:
            continue
        cell = nums[method]
        rows[bound][fw] = {
            "claim": cid,
            "d": nums.get("d", cfg.d),
            "gap": 1.0 - float(cell["min_rv"]),
            "err_2se": float(cell.get("slack_2se", 0.0)),
            "one_minus_lb": 1.0 - float(cell["lower_bound"]),
            "verdict": cell.get("verdict", ev["verdict"]),
            "seeds": nums.get("training", {}).get("seeds"),
        }
    return rows


def tracks_overlay(
    ta: track_a_stage.Config,
    cfg: VerifyConfig,
    evidence: Mapping,
    track_a_row: Mapping | None = None,
) -> dict:
    """Thms 4.2 (MIM) and 4.3 (CL similar) × local / DecL / FL: the three tracks side by side.

    Track A: the bound s = 1 − LB vs d on the ``track_a`` grid (line: constants 1; band:
    constants swept) at the Track C configuration's N, |Ā| (of ``cfg.adjacency()``), p, sign
    and FL term. Track B: the exact gaps 1 − min_{k∈[N]} r_k vs d. Track C: the trained
    1 − min r at ``cfg.d`` with ±2 standard errors over seeds and the paper's LB there, from
    ``evidence`` (claim id → ``Evidence.to_dict()``; cells without evidence are absent).
    Returns the input of :func:`sims.reproduce.figures.theorems.make_tracks_overlay_figure`.
    """
    sub = overlay_track_a_config(ta, cfg)
    d = sub.d_grid()
    _, centre = constant_grid(sub.constants_range, sub.constants_points)
    abar, _ = sweeps.weights_of(cfg.adjacency())
    table = bound_table(sub, d, abar)
    bounds_out = {
        m: {f: {"central": table[m][f]["s"][centre], **band(table[m][f]["s"])} for f in FRAMEWORKS}
        for m in ("mim", "cl_similar")
    }
    return {
        "config": {
            "d": int(cfg.d),
            "n_clients": int(cfg.n_clients),
            "graph": cfg.graph,
            "p": float(cfg.p),
            "constants_range": list(sub.constants_range),
            "constants_points": sub.constants_points,
        },
        "d": np.asarray(d),
        "abar": abar,
        "bounds": bounds_out,
        "exact": _overlay_exact(sub, track_a_row),
        "track_c": _track_c_cells(cfg, evidence),
    }


def compute(cfg: Config, track_a: Mapping | None = None) -> dict:
    """Evidence per claim (``{claim id: Evidence.to_dict()}``) and the overlay; ``track_a``: the
    row of the ``track_a`` stage when it ran first."""
    from sims.trackc.evidence import track_c_evidence

    rows = {}
    for cid, ev in dict(track_c_evidence(cfg.verify, fast=cfg.fast)).items():
        if not isinstance(ev, Evidence) or ev.verdict not in VERDICTS:
            raise TypeError(f"track_c_evidence: {cid!r} must map to theory.claims.Evidence")
        rows[str(cid)] = ev.to_dict()
    overlay = tracks_overlay(cfg.track_a, cfg.verify, rows, track_a)
    return {"available": True, "evidence": rows, "overlay": overlay}


def summarize(results: dict) -> dict:
    """Number of claims per Track C verdict."""
    counts: dict = {}
    for ev in results["evidence"].values():
        counts[ev["verdict"]] = counts.get(ev["verdict"], 0) + 1
    return {f"track C {k}": val for k, val in counts.items()}


STAGE = Stage(
    "track_c",
    Config,
    compute,
    figures={"tracks_overlay.png": lambda r: make_tracks_overlay_figure(r["overlay"])},
    summarize=summarize,
    json_files={"tracks_overlay.json": lambda r: r["overlay"]},
    uses=("track_a",),
)
