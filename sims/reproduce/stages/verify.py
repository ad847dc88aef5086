"""Stage ``verify``: every claim of the paper with its Track A and Track B verdicts
(:func:`theory.claims.evaluate`), written to ``verify.json``."""

from __future__ import annotations

import dataclasses

from sims.reproduce.pipeline import Stage, StageConfig
from theory import claims
from theory.claims import VerifyConfig


@dataclasses.dataclass(frozen=True)
class Config(StageConfig):
    """``claims``: the configuration of the Track A/B checks (:class:`VerifyConfig`)."""

    claims: VerifyConfig = VerifyConfig()


Config.DEFAULT = Config()
Config.FAST = Config(claims=VerifyConfig(d=200, d_sweep=(100, 200)))


def compute(cfg: Config) -> dict:
    """``{"config": the VerifyConfig as JSON, "claims": one row per claim}``."""
    return {"config": claims.config_dict(cfg.claims), "claims": claims.evaluate(cfg.claims)}


def summarize(results: dict) -> dict:
    """Number of claims per (track, verdict)."""
    counts: dict = {}
    for r in results["claims"]:
        for track in ("track_a", "track_b"):
            counts[f"{track} {r[track]}"] = counts.get(f"{track} {r[track]}", 0) + 1
    return counts


STAGE = Stage("verify", Config, compute, summarize=summarize)
