"""Figures are build products: one ``make_<name>_figure(results) -> Figure`` per figure, in a
module per area, taking a stage's JSON-able results: :mod:`~sims.figures.topology`,
:mod:`~sims.figures.theorems` (Thms 4.2–4.4 against d), :mod:`~sims.figures.connectivity`
(Cor 4.5, Thm 4.6 against |Ā|), :mod:`~sims.figures.tracks_overlay` (Tracks A, B, C side by
side), :mod:`~sims.figures.mask`, :mod:`~sims.figures.experiments` (Fig. 2a, Table 6),
:mod:`~sims.figures.method_comparison` (Fig. 2b, MIM vs CL), :mod:`~sims.figures.consensus`,
and the verdict map, Track D and shared style modules. Agg backend (no display). Files are
written with the one :func:`savefig` (atomic; :mod:`sims.pipeline.jsonio`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from sims.pipeline.jsonio import savefig  # noqa: E402

__all__ = ["savefig"]
