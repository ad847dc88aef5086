"""Figures are build products: one ``make_<name>_figure(results) -> Figure`` per figure, in a
module per area (:mod:`~sims.figures.topology`, :mod:`~sims.figures.theorems`,
:mod:`~sims.figures.mask`, :mod:`~sims.figures.experiments`), taking a stage's JSON-able
results. Agg backend (no display). Files are written with the one :func:`savefig`
(atomic; :mod:`sims.pipeline.jsonio`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from sims.pipeline.jsonio import savefig  # noqa: E402

__all__ = ["savefig"]
