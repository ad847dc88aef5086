"""The stages of ``dssl reproduce``, one module each, in run order.

Adding a stage is one new module here defining ``STAGE = Stage(...)`` (see
:mod:`sims.reproduce.pipeline.stage` and CONTRIBUTING.md) and one entry in :data:`STAGES`.
"""

from __future__ import annotations

from sims.reproduce.stages import (
    consensus,
    fig2a,
    fig2b,
    mask,
    mim_vs_cl,
    report,
    table6,
    topology_audit,
    track_a,
    track_c,
    trackd_fig2a,
    trackd_fig2b,
    trackd_table1,
    trackd_verdicts,
    verdict_map,
    verify,
)

#: the run order of ``dssl reproduce``
STAGES = tuple(
    m.STAGE
    for m in (
        track_a,
        mask,
        topology_audit,
        verify,
        fig2a,
        table6,
        fig2b,
        mim_vs_cl,
        consensus,
        track_c,
        verdict_map,
        trackd_table1,
        trackd_fig2a,
        trackd_fig2b,
        trackd_verdicts,
        report,
    )
)

#: Seconds of each stage (default run, ``--fast`` run) with ``dssl reproduce --jobs 2`` on 2
#: CPU cores and an empty compile cache (default run measured 2026-11-26, fast run 2026-11-24;
#: trackd_table1 and trackd_fig2a, which since run Tables 5 and 6 too, from the warm-cache
#: default run of 2026-11-26 06:47 UTC and, for --fast, the sums of the stages they replaced):
#: the weights by which :mod:`sims.reproduce.pipeline.parallel` orders the stages that may
#: start (longest weighted chain first). They decide only which stage starts when, never a
#: result; a stage missing here weighs 1 s.
SECONDS = {
    "track_a": (17, 8),
    "mask": (2, 2),
    "topology_audit": (14, 6),
    "verify": (3, 1),
    "fig2a": (8, 6),
    "table6": (7, 5),
    "fig2b": (16, 8),
    "mim_vs_cl": (33, 17),
    "consensus": (5, 5),
    "track_c": (64, 14),
    "verdict_map": (165, 6),
    "trackd_table1": (169, 28),
    "trackd_fig2a": (176, 14),
    "trackd_fig2b": (49, 9),
    "trackd_verdicts": (0, 0),
    "report": (0, 0),
}


def catalogue() -> tuple:
    """Every stage of ``dssl reproduce`` in run order (:data:`STAGES`): the catalogue the runner
    is handed, and which its worker processes look stages up in."""
    return STAGES


__all__ = ["SECONDS", "STAGES", "catalogue"]
