"""The stages of ``dssl reproduce``, one module each, in run order.

Adding a stage is one new module here defining ``STAGE = Stage(...)`` (see
:mod:`sims.pipeline.stage` and CONTRIBUTING.md) and one entry in :data:`STAGES`.
"""

from __future__ import annotations

from sims.stages import (
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
    trackd_table5,
    trackd_table6,
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
        trackd_table6,
        trackd_fig2b,
        trackd_table5,
        trackd_verdicts,
        report,
    )
)

__all__ = ["STAGES"]
