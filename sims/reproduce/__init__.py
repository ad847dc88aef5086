"""``dssl reproduce``: the pipeline (:mod:`sims.reproduce.pipeline`), one module per stage
(:mod:`sims.reproduce.stages`), the figures (:mod:`sims.reproduce.figures`), the report
(:mod:`sims.reproduce.report`) and table-like outputs as CSV (:mod:`sims.reproduce.export`).

The stage list and the run's hashes are handed down by the runner; nothing below this package
imports it.
"""
