"""Figures are build products: one ``make_<name>_figure(results) -> Figure`` per figure, in a
module per area, taking a stage's JSON-able results: :mod:`~sims.reproduce.figures.topology`,
:mod:`~sims.reproduce.figures.theorems` (Thms 4.2–4.4 against d),
:mod:`~sims.reproduce.figures.connectivity` (Cor 4.5, Thm 4.6 against |Ā|),
:mod:`~sims.reproduce.figures.tracks_overlay` (Tracks A, B, C side by side),
:mod:`~sims.reproduce.figures.mask`, :mod:`~sims.reproduce.figures.experiments` (Fig. 2a, Table 6),
:mod:`~sims.reproduce.figures.method_comparison` (Fig. 2b, MIM vs CL),
:mod:`~sims.reproduce.figures.consensus`, and the verdict map, Track D and shared style modules. Agg
backend (no display). Files are written with the one :func:`savefig` (atomic;
:mod:`sims.reproduce.pipeline.jsonio`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from sims.reproduce.pipeline.jsonio import savefig  # noqa: E402

__all__ = ["savefig"]
