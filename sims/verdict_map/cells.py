"""The verdict map's configurations and its cells: one per claim × reading × configuration.

:class:`MapConfig` sweeps the readings that are parameters of the model (the mask ratio p, the
number of clients N, where the rare class lives) at one dimension d; :data:`DEFAULT` and
:data:`FAST` are its presets. A cell is ``theory.claims.evaluate_reading`` at one configuration
(Track A: the paper's bounds, Thms 4.2–4.6 and Cor 4.5; Track B: the exact model at any d,
Eq. (1) and Eqs. (2)–(4)), kept as its two words, its note and its numbers made small.
Every public name here is importable from :mod:`sims.verdict_map`.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import Counter

import numpy as np

from theory import _validate as v
from theory import assumptions as asm
from theory import claims as cl
from theory.symbolic.proofs import COMPUTED

#: an INFO line per configuration (``dssl reproduce`` shows the last in its status line)
log = logging.getLogger(__name__)

P_VALUES = (0.15, 0.5, 0.75, 0.9)
N_VALUES = tuple(range(2, 21))
RARE_AXES = ("class-index", "extra")


@dataclasses.dataclass(frozen=True)
class MapConfig(cl.TrackAConstants):
    """Configurations of the verdict map.

    Args:
      d: input dimension (any size: the exact model runs on the leading block).
      p_values, n_values, rare_axes: the configuration readings swept.
      claims: claim ids (``theory.claims.CLAIM_IDS``).
      rule_change_n: N of the configurations re-evaluated under the old T2 rule (empty: skip).
      hidden_constants: add the break-even constant verdicts of ``theory.constants``.
      c_num, c_den, c_f, c_n, sign, fl_term: Track A constants (``TrackAConstants``).
    """

    d: int = 10**6
    p_values: tuple = P_VALUES
    n_values: tuple = N_VALUES
    rare_axes: tuple = RARE_AXES
    claims: tuple = cl.CLAIM_IDS
    rule_change_n: tuple = (4,)
    hidden_constants: bool = True

    def __post_init__(self) -> None:
        for p in self.p_values:
            v.real(p, "p_values", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        for n in self.n_values + self.rule_change_n:
            v.integer(n, "n_values", lo=2, hi=200)
        for r in self.rare_axes:
            v.choice(r, "rare_axes", ("class-index", "next-client", "extra"))
        for c in self.claims:
            v.choice(c, "claims", cl.CLAIM_IDS)
        if not (self.p_values and self.n_values and self.rare_axes and self.claims):
            v.fail("p_values", "non-empty p_values, n_values, rare_axes and claims", self)
        v.integer(self.d, "d", lo=4 * max(self.n_values + self.rule_change_n))
        for n in self.n_values:
            self.verify_config(n, self.p_values[0], self.rare_axes[0])

    def verify_config(self, n: int, p: float, rare_axis: str) -> cl.VerifyConfig:
        """The ``VerifyConfig`` of one configuration: star graph (complete at N = 2)."""
        return cl.VerifyConfig(
            d=self.d,
            n_clients=n,
            p=p,
            rare_axis=rare_axis,
            graph="star" if n >= 3 else "complete",
            d_sweep=(),
            **self.constants(),
        )


DEFAULT = MapConfig()
FAST = MapConfig(
    p_values=(0.5, 0.75), n_values=(2, 3, 4, 6), rule_change_n=(4,), hidden_constants=False
)


def _compact(x, depth: int = 0):
    """Numbers of a cell, kept small: long lists become {n, min, max} (numbers), {n, verdicts}
    (per-client / per-graph records with a verdict) or {n, first}; floats 6 significant."""
    if isinstance(x, dict):
        if depth >= 5:
            return "..."
        return {str(k): _compact(val, depth + 1) for k, val in x.items()}
    if isinstance(x, (list, tuple)):
        if len(x) > 4:
            flat = [y for y in x if isinstance(y, (int, float)) and not isinstance(y, bool)]
            if len(flat) == len(x):
                return {"n": len(x), "min": _compact(min(flat)), "max": _compact(max(flat))}
            if all(isinstance(y, dict) and "abar" in y and "s" in y for y in x):
                # a graph sweep: keep the series (|Ā|, s), the point of Cor 4.5
                return {
                    "abar": [_compact(y["abar"]) for y in x],
                    "s": [
                        _compact(y["s"].get("value") if isinstance(y["s"], dict) else y["s"])
                        for y in x
                    ],
                }
            if all(isinstance(y, dict) and "verdict" in y for y in x):
                return {"n": len(x), "verdicts": dict(Counter(y["verdict"] for y in x))}
            return {"n": len(x), "first": _compact(x[0], depth + 1)}
        return [_compact(y, depth + 1) for y in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if not np.isfinite(f):
            return str(f)
        return float(f"{f:.6g}")
    return x if isinstance(x, str) or x is None else str(x)


def _configs(cfg: MapConfig) -> list[tuple[float, int, str]]:
    return list(itertools.product(cfg.p_values, cfg.n_values, cfg.rare_axes))


def _cells_at(
    cfg: MapConfig, p: float, n: int, rare: str, claims: tuple, positivity: str = "eigen-error"
) -> list[dict]:
    """The cells of ``claims`` at one configuration, under rule T2's ``positivity`` (the rule in
    force by default; ``"relative"`` for the record of the old rule's answers)."""
    vcfg = cfg.verify_config(n, p, rare)
    if positivity != vcfg.positivity:
        vcfg = dataclasses.replace(vcfg, positivity=positivity)
    out = []
    for cid in claims:
        for reading in cl.readings_of(cid):
            cell = cl.evaluate_reading(vcfg, cid, reading)
            a, b = cell["track_a"], cell["track_b"]
            out.append(
                {
                    "claim": cid,
                    "reading": reading,
                    "config": {"p": p, "N": n, "rare_axis": rare, "d": cfg.d},
                    "track_a": a.verdict,
                    "track_b": b.verdict,
                    "verdict_basis": b.numbers.get("verdict_basis", COMPUTED),
                    "note": b.note,
                    "numbers": _compact(b.numbers),
                }
            )
    return out


def _assumption_methods(d: int) -> tuple:
    """Readings whose optima the assumption checks can compute at d (a full-space reading only
    for d <= ``theory.claims_model.FULL_SPACE_MAX_D``)."""
    from theory.claims_model import FULL_SPACE_MAX_D, FULL_SPACE_TRANSFORMS

    return tuple(
        m
        for m in cl.READINGS["method"]
        if d <= FULL_SPACE_MAX_D
        or m not in cl.CL_READINGS
        or cl.CL_READINGS[m][1] not in FULL_SPACE_TRANSFORMS
    )


def _cells_for(cfg: MapConfig, rare_axes: tuple) -> tuple[list, dict]:
    """Cells and assumption summaries of every configuration with a rare axis in
    ``rare_axes`` (one worker's share; p varies innermost so CL optima are reused)."""
    cells, assumptions = [], {}
    configs = list(itertools.product(rare_axes, cfg.n_values, cfg.p_values))
    for k, (rare, n, p) in enumerate(configs):
        log.info("verdict map: configuration %d of %d (p = %s, N = %s, rare axis %s)",
                 k + 1, len(configs), p, n, rare)  # fmt: skip
        cells += _cells_at(cfg, p, n, rare, cfg.claims)
        rows = asm.check(cfg.verify_config(n, p, rare), methods=_assumption_methods(cfg.d))
        assumptions[f"p={p},N={n},rare_axis={rare}"] = asm.summary(rows)
    return cells, assumptions


def _order(cfg: MapConfig, cells: list) -> list:
    rank = {(p, n, r): i for i, (p, n, r) in enumerate(_configs(cfg))}
    return sorted(
        cells, key=lambda c: rank[(c["config"]["p"], c["config"]["N"], c["config"]["rare_axis"])]
    )
